"""The change history names who made each change, also outside a web request.

django-simple-history takes the user from the current request. Service
functions run from pages, the API, management commands (seed_demo) and
Celery tasks alike, so they say who acts themselves: `atomic_as_actor` wraps
a service in a transaction and records its `actor` as the history user when
no signed-in request already does.
"""

import functools
from contextlib import contextmanager
from types import SimpleNamespace

from django.db import transaction
from simple_history.models import HistoricalRecords


@contextmanager
def acting_as(user):
    context = HistoricalRecords.context
    request = getattr(context, "request", None)
    signed_in = request is not None and getattr(getattr(request, "user", None), "is_authenticated", False)
    if signed_in or user is None:
        yield
        return
    context.request = SimpleNamespace(user=user)
    try:
        yield
    finally:
        if request is None:
            del context.request
        else:
            context.request = request


def atomic_as_actor(func):
    """A service function: one transaction, history rows attributed to `actor`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction.atomic(), acting_as(kwargs.get("actor")):
            return func(*args, **kwargs)

    return wrapper
