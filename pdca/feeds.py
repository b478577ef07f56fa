"""A person's calendar feed (iCalendar, RFC 5545): the reviews, review actions
and deadlines that concern him or her, from every app that registers a
calendar source (`pdca.registry.register_calendar_source`).

The feed's URL carries a secret token, the only credential (a calendar client
cannot log in); only its SHA-256 is stored, and regenerating it revokes the
old URL. The feed is read-only and shows only the user's own items. The
iCalendar text is written by the `icalendar` library.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar
from django.conf import settings
from django.utils import timezone

from .models import CalendarToken
from .registry import calendar_sources


@dataclass
class CalendarEvent:
    uid: str
    day: date
    summary: str
    url: str = ""
    description: str = ""
    end: date | None = None


def _hash(token):
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(user):
    """A new secret for `user`'s feed (the old one stops working); returns the
    token to show once: only its hash is kept."""
    token = secrets.token_urlsafe(32)
    CalendarToken.objects.update_or_create(
        user=user, defaults={"token_hash": _hash(token), "created_at": timezone.now()}
    )
    return token


def user_for_token(token):
    """The active user whose feed token this is, or None."""
    if not token or len(token) > 100:
        return None
    found = CalendarToken.objects.select_related("user").filter(token_hash=_hash(token)).first()
    if found is None or not found.user.is_active:
        return None
    return found.user


def events_for(user):
    events = []
    for source in calendar_sources():
        events.extend(source(user))
    return sorted(events, key=lambda e: (e.day, e.uid))


def calendar(events, *, name):
    """The events as an iCalendar document (bytes)."""
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{settings.SITE_NAME}//PDCA portal//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    stamp = datetime.now(tz=timezone.get_current_timezone())
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0] or "pdca-portal"
    for item in events:
        event = icalendar.Event()
        event.add("uid", f"{item.uid}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.day)
        event.add("dtend", item.end or item.day + timedelta(days=1))
        event.add("summary", item.summary)
        if item.description:
            event.add("description", item.description)
        if item.url:
            event.add("url", f"{settings.SITE_URL}{item.url}")
        cal.add_component(event)
    return cal.to_ical()
