"""Scale filler for `seed_demo --scale N`: the helpers every phase uses to add
copies 2..N of the demo with bulk inserts instead of services.

Copy 1 is the demo itself, written through the services. Copies 2..N are
written here row by row in memory and inserted in a few statements per table,
so that the scale for 1,000 process plans seeds in minutes. They bypass the
services but not the rules: each phase builds its rows as the services would
leave them (approver never the author, canonical content and its SHA-256
taken as the models take them, a decision for every transition, appended to
the hash chain), and `verify_records` finds them intact.
"""

import time

from django.contrib.contenttypes.models import ContentType
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_manager_for_model

from . import decisions as decision_log
from .models import Decision, Notification

# A process of a scaled copy is named "Incident management (7)".
COPY_NAME_REGEX = r" \([0-9]+\)$"
# Copies are seeded in groups, so that memory stays bounded and progress shows.
COPIES_PER_CHUNK = 8


def suffix(copy):
    return f" ({copy})"


def copy_chunks(copies, size=COPIES_PER_CHUNK):
    copies = list(copies)
    for start in range(0, len(copies), size):
        yield copies[start : start + size]


class Progress:
    """Where seeding reports: the phases' summaries (`write`, with --verbose)
    and progress lines while the copies are seeded (`step`, on a terminal or
    with --verbose)."""

    def __init__(self, summaries=None, progress=None):
        self._summaries = summaries
        self._progress = progress
        self._started = time.monotonic()

    def write(self, message):
        if self._summaries is not None:
            self._summaries.write(message)

    def step(self, message):
        if self._progress is not None:
            self._progress.write(f"[{time.monotonic() - self._started:7.1f}s] {message}")
            self._progress.flush()


def progress_of(stdout):
    """The `step` of a seeder's `stdout`, or nothing when it has none."""
    return getattr(stdout, "step", lambda message: None)


def insert(model, objects, *, history=True):
    """Insert `objects` in bulk, with their creation in the change history
    (each object's `_history_user` and `_history_date`, as simple_history
    reads them). Returns the objects with their primary keys."""
    objects = list(objects)
    if not objects:
        return objects
    created = model._base_manager.bulk_create(objects)
    if history:
        record_history(model, created)
    return created


def record_history(model, objects):
    try:
        manager = get_history_manager_for_model(model)
    except NotHistoricalModelError:
        return
    manager.bulk_history_create(objects)


def insert_editable(model, documents):
    """Insert controlled documents while they are editable: the database
    refuses parts of a frozen document (`pdca.guards`), so the parts are
    inserted next and `freeze()` then moves each document to its state."""
    field = model.STATE_FIELD
    for document in documents:
        document._final_state = getattr(document, field)
        setattr(document, field, model.EDITABLE_STATES[0])
    return insert(model, documents, history=False)


def freeze(model, documents):
    """Move documents inserted by `insert_editable()` to their states, one
    statement per state, and record their creation in the history."""
    field = model.STATE_FIELD
    by_state = {}
    for document in documents:
        setattr(document, field, document._final_state)
        by_state.setdefault(document._final_state, []).append(document.pk)
    for state, pks in by_state.items():
        if state != model.EDITABLE_STATES[0]:
            for start in range(0, len(pks), 5000):
                model._base_manager.filter(pk__in=pks[start : start + 5000]).update(**{field: state})
    record_history(model, documents)


def stamp(obj, *, user, at):
    """Who created `obj` and when, for its history row."""
    obj._history_user = user
    obj._history_date = at
    return obj


class Ledger:
    """The decisions and notifications of a chunk of copies, written at once:
    the decisions in the order they were recorded, linked to the hash chain."""

    def __init__(self):
        self.decisions = []
        self.notifications = []

    def decide(self, subject, action, actor, at, *, comment="", from_state="", to_state=""):
        self.decisions.append(
            Decision(
                content_type=ContentType.objects.get_for_model(subject),
                object_id=subject.pk,
                action=action,
                actor_id=getattr(actor, "pk", actor),
                at=at,
                comment=comment,
                from_state=from_state,
                to_state=to_state,
            )
        )

    def notify(
        self, recipient, subject, body, *, at, about=None, url="", task="", resolved=None, resolution=""
    ):
        """A notification as the services leave it; demo addresses count as sent."""
        self.notifications.append(
            Notification(
                recipient_id=getattr(recipient, "pk", recipient),
                subject=str(subject)[:200],
                body=str(body),
                url=url,
                created_at=at,
                emailed_at=at,
                read_at=resolved,
                content_type=ContentType.objects.get_for_model(about) if about is not None else None,
                object_id=about.pk if about is not None else None,
                task=task,
                resolved_at=resolved if resolution else None,
                resolved_by_id=getattr(recipient, "pk", recipient) if resolution == "done" else None,
                resolution=resolution,
            )
        )

    def flush(self):
        decision_log.append(self.decisions)
        Notification.objects.bulk_create(self.notifications)
        counts = len(self.decisions), len(self.notifications)
        self.decisions, self.notifications = [], []
        return counts


def link(model, field, pairs):
    """Insert the rows of the many-to-many `field` of `model`: (object id, related id) pairs."""
    many = model._meta.get_field(field)
    through = many.remote_field.through
    source, target = many.m2m_column_name(), many.m2m_reverse_name()
    through.objects.bulk_create([through(**{source: a, target: b}) for a, b in pairs])
