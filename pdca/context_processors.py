import functools

from django.conf import settings
from django.urls import get_script_prefix, reverse

from .inbox import navigation_count
from .registry import navigation


def portal(request):
    context = {"SITE_NAME": settings.SITE_NAME}
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        # Counted only when the page shows it and has not counted it itself
        # (the dashboard reads it with its notifications: `pdca.dashboard`).
        context["unread_notifications"] = functools.cache(user.notifications.unread().count)
        context["navigation"] = _navigation(request)
        # The task inbox's count, remembered for a few minutes (see pdca.inbox).
        context["task_count"] = navigation_count(request)
    return context


def _navigation(request):
    """The four phases of the cycle, each linking to the entry its app
    registered (or shown as not available yet), the current one marked."""
    match = getattr(request, "resolver_match", None)
    namespaces = set(match.namespaces) if match else set()
    return [
        {
            "key": key,
            "letter": letter,
            "label": entry.label if entry else label,
            "url": _url(entry.url_name, get_script_prefix()) if entry else "",
            "current": bool(entry and namespaces & set(entry.namespaces)),
        }
        for key, letter, label, entry in navigation()
    ]


@functools.cache
def _url(name, script_prefix):
    """A page's URL, reversed once per process (and prefix): on every page."""
    return reverse(name)
