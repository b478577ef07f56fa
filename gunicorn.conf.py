"""gunicorn's settings for the Procfile: its logs in the portal's one format."""

from pdca.logs import logging_config

logconfig_dict = logging_config()
# The request line, status, size and time, after the portal's timestamp and level.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
