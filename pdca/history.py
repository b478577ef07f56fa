"""The change history: who made each change, also outside a web request, and
the read model that turns historical records into entries an auditor reads.

django-simple-history takes the user from the current request. Service
functions run from pages, the API, management commands (seed_demo) and
Celery tasks alike, so they say who acts themselves: `atomic_as_actor` wraps
a service in a transaction and records its `actor` as the history user when
no signed-in request already does.
"""

import functools
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from simple_history.models import HistoricalRecords

from .decisions import batch


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
    """A service function: one transaction, history rows attributed to `actor`,
    and its decisions appended to the decision chain at its end (see
    `pdca.decisions.batch`)."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with transaction.atomic(), acting_as(kwargs.get("actor")), batch():
            return func(*args, **kwargs)

    return wrapper


# -- reading the history -------------------------------------------------------------

# Bookkeeping fields that change with every save and say nothing to a reader.
HISTORY_NOISE = frozenset({"revision", "edited_at", "last_editor", "approved_content"})


@dataclass
class HistoryEntry:
    at: datetime
    user: object
    subject: str
    kind: str
    changes: list


class Describer:
    """Says a historical field value in words: people by name, choices by
    label, foreign keys by what `labels[name](pk)` says, dates in local time,
    long text shortened."""

    def __init__(self, *, users=None, user_fields=(), labels=None):
        self.users = users or {}
        self.user_fields = set(user_fields)
        self.labels = labels or {}

    def __call__(self, name, value):
        if value in (None, "", ()):
            return "—"
        if isinstance(value, tuple):  # a many-to-many field: the related records
            return ", ".join(self(name, item) for item in value)
        if name in self.user_fields:
            return str(self.users.get(value, f"user #{value}"))
        if name in self.labels:
            return self.labels[name](value)
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "j M Y H:i")
        text = str(value)
        return text if len(text) <= 120 else text[:117] + "…"


def change_entries(sources, *, describe, noise=HISTORY_NOISE, field_changes=None, user_of=None):
    """The history of several kinds of record as one list, newest first: each
    historical record with what changed since the record before it.

    - `sources`: [(historical records, subject(record) -> str)], loaded by the
      caller in a fixed number of queries;
    - `describe(name, value)`: a value in words (see `Describer`);
    - `field_changes`: {field: (old, new) -> line} for fields said another way
      (e.g. which sections of a text changed);
    - `user_of(record, previous)`: who made the change, when the record names
      nobody (default: the record's history user).
    """
    field_changes = field_changes or {}
    entries = []
    for records, subject in sources:
        records = list(records)
        related = _many_to_many(records)
        m2m_names = frozenset(name for name, _ in related)
        previous_of = {}
        for record in sorted(records, key=lambda r: (r.history_date, r.history_id)):
            previous = previous_of.get(record.id)
            previous_of[record.id] = record
            if record.history_type == "+":
                lines = ["created"]
            elif record.history_type == "-":
                lines = ["deleted"]
            elif previous is None:
                lines = []
            else:
                lines = []
                changes = record.diff_against(previous, excluded_fields=noise | m2m_names).changes
                changes += [
                    SimpleNamespace(
                        field=name,
                        old=values.get(previous.history_id, ()),
                        new=values.get(record.history_id, ()),
                    )
                    for name, values in related
                    if values.get(previous.history_id, ()) != values.get(record.history_id, ())
                ]
                for change in changes:
                    name = change.field.removesuffix("_id")
                    if name in field_changes:
                        lines.append(field_changes[name](change.old, change.new))
                    else:
                        lines.append(
                            f"{name.replace('_', ' ')}: {describe(name, change.old)} → {describe(name, change.new)}"
                        )
            if lines:
                entries.append(
                    HistoryEntry(
                        record.history_date,
                        user_of(record, previous) if user_of else record.history_user,
                        subject(record),
                        record.get_history_type_display(),
                        lines,
                    )
                )
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries


def _many_to_many(records):
    """[(field, {history_id: (related pk, ...)})] for the many-to-many fields
    the records' history tracks, one query per field for all records (rather
    than two per record, as `diff_against` would)."""
    if not records:
        return []
    from simple_history.utils import get_m2m_reverse_field_name

    first = records[0]
    result = []
    for field in getattr(first, "_history_m2m_fields", ()):
        through = getattr(first, field.name).model
        target = get_m2m_reverse_field_name(first.instance_type._meta.get_field(field.name))
        values = {}
        rows = through.objects.filter(history_id__in=[r.history_id for r in records]).order_by(target)
        for history_id, pk in rows.values_list("history_id", target):
            values[history_id] = (*values.get(history_id, ()), pk)
        result.append((field.name, values))
    return result
