"""gunicorn's settings for the Procfile: its logs in the portal's one format."""

from pdca.logs import logging_config

logconfig_dict = logging_config()
# The request line, status, size and time, after the portal's timestamp and level.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'


def post_worker_init(worker):
    """Each worker, once the portal is loaded: load the URLs and templates the
    first request would, then move everything alive into the collector's
    permanent generation (`gc.freeze()`), so that the collections a request
    triggers do not scan the whole loaded portal again (they were the spikes
    of a worker's slowest requests)."""
    import gc

    from django.template.loader import get_template
    from django.urls import resolve

    resolve("/")  # imports every app's URLs
    get_template("base.html")
    gc.collect()
    gc.freeze()
