"""A portal with DEBUG off never runs with the development secret key.

Settings only read the environment; the refusal happens where the portal
starts: as a system check (manage.py check, runserver, migrate, ...) and, for
the servers that run no system checks (WSGI, ASGI, Celery worker and beat),
at their start-up.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

MESSAGE = (
    "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or DEBUG=true for a development run)."
)


def uses_development_key():
    return (
        settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY and not settings.DEBUG and not settings.TESTING
    )


@checks.register(checks.Tags.security)
def development_key_check(app_configs, **kwargs):
    return [checks.Error(MESSAGE, id="pdca.E001")] if uses_development_key() else []


def refuse_development_key():
    if uses_development_key():
        raise ImproperlyConfigured(MESSAGE)
