"""Reminders of due dates (C5), raised exactly once and never lost.

Apps register the things that fall due (`pdca.registry.register_reminder_source`):
Check registers its review schedules and its open review actions. Once a day
(and when a worker starts) `raise_reminders()` asks every source for the items
due within the largest threshold or overdue, works out for each the latest
stage that has passed — 60, 30 and 7 days before, on the day, then every week
while overdue — and raises a reminder for it unless one was raised already:

- Exactly once: a reminder is a row unique per (item, due date, stage),
  created in the same transaction as its notifications. Two runs at once
  (two beats, two workers, a retry) both compute it; the database lets one
  insert it, the other's transaction fails on the unique key, is rolled back
  and retried, and then finds it raised.
- Catch-up: what is due is derived from the database and today's date, not
  from "the job ran yesterday": after days of downtime the next run raises
  the latest stage that passed meanwhile, not every stage it missed.
- A due date that moves (a review re-planned) is a new due date with its own
  stages; the stages of the old one are never raised again.
- Escalation: from the first overdue week on, the managers are told too; after
  `REMINDER_ESCALATION_WEEKS` weeks also the item's further people (the
  process owner's deputies, the SMP's review responsibility).
- Each reminder's notifications are tied to the item and to the source's
  `task` (e.g. "hold_review"), so that the service which does the task
  resolves them (`pdca.notifications.resolve_tasks`) for everyone reminded.

Dates are dates in the organisation's time zone (TIME_ZONE), so a
daylight-saving change cannot move a stage. The work is done in chunks with
a fixed number of queries each, so memory and queries stay bounded.
"""

import logging
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import roles

from .models import JobRun, Notification, Reminder
from .notifications import queue_emails
from .registry import reminder_sources

logger = logging.getLogger(__name__)

JOB_NAME = "raise_reminders"
RETRIES = 3


@dataclass
class DueItem:
    """Something that falls due: what, when, for whom."""

    object_id: int
    due_on: date
    title: str
    url: str
    recipients: list = field(default_factory=list)  # user ids reminded at every stage
    late_recipients: list = field(default_factory=list)  # user ids told after ESCALATION_WEEKS overdue


def thresholds():
    return sorted({int(days) for days in settings.REVIEW_REMINDER_DAYS if int(days) > 0}, reverse=True)


def stage_for(due_on, today):
    """The latest stage that has passed for a due date, or None before the
    first threshold: days before (60, 30, 7), 0 on the day (and the first
    overdue week), -7 * n in the n-th overdue week."""
    days = (due_on - today).days
    if days < 0:
        weeks = (-days) // 7
        return -7 * weeks if weeks else 0
    if days == 0:
        return 0
    passed = [t for t in thresholds() if days <= t]
    return min(passed) if passed else None


def horizon():
    return max(thresholds(), default=0)


def _wording(item, stage):
    due = date_format(item.due_on, "j M Y")
    if stage > 0:
        return _("%(title)s is due in %(days)s days, on %(due)s.") % {
            "title": item.title,
            "days": stage,
            "due": due,
        }
    if stage == 0 and item.due_on >= timezone.localdate():
        return _("%(title)s is due today (%(due)s).") % {"title": item.title, "due": due}
    if stage == 0:
        return _("%(title)s was due on %(due)s and is overdue.") % {"title": item.title, "due": due}
    return _("%(title)s is overdue by %(weeks)s week(s): it was due on %(due)s.") % {
        "title": item.title,
        "weeks": -stage // 7,
        "due": due,
    }


def _managers():
    User = get_user_model()
    return list(
        User.objects.filter(is_active=True, groups__name=roles.MANAGER)
        .distinct()
        .values_list("pk", flat=True)
    )


def raise_reminders(today=None, *, chunk_size=2000):
    """Raise every reminder due today (see the module docstring); returns the
    number raised. Safe to run any number of times, at once or in a row."""
    today = today or timezone.localdate()
    JobRun.objects.update_or_create(name=JOB_NAME, defaults={"last_started_at": timezone.now()})
    managers = _managers()
    raised = 0
    for name, source in reminder_sources():
        content_type = ContentType.objects.get_for_model(source.model)
        task = getattr(source, "task", "")
        for chunk in source.due_items(today=today, horizon=horizon(), chunk_size=chunk_size):
            raised += _raise_chunk(content_type, chunk, today, managers, task)
        logger.debug("Reminders of %s raised", name)
    JobRun.objects.filter(name=JOB_NAME).update(
        last_succeeded_at=timezone.now(), last_result={"raised": raised, "day": today.isoformat()}
    )
    logger.info("Reminders: %s raised for %s", raised, today)
    return raised


def _raise_chunk(content_type, chunk, today, managers, task=""):
    wanted = {}
    for item in chunk:
        stage = stage_for(item.due_on, today)
        if stage is not None:
            wanted[(item.object_id, item.due_on, stage)] = item
    if not wanted:
        return 0
    for attempt in range(RETRIES):
        try:
            with transaction.atomic():
                return _insert(content_type, wanted, today, managers, task)
        except IntegrityError:
            # Another run raised some of these at the same moment: read again.
            logger.info("Reminders raised concurrently; retrying the chunk (attempt %s)", attempt + 1)
    raise RuntimeError("Reminders could not be raised after concurrent runs.")


def _insert(content_type, wanted, today, managers, task=""):
    existing = set(
        Reminder.objects.filter(
            content_type=content_type,
            object_id__in={key[0] for key in wanted},
            due_on__in={key[1] for key in wanted},
        ).values_list("object_id", "due_on", "stage")
    )
    reminders, notifications = [], []
    escalation_stage = -7 * settings.REMINDER_ESCALATION_WEEKS
    for key, item in wanted.items():
        if key in existing:
            continue
        stage = key[2]
        people = list(dict.fromkeys(item.recipients))
        escalated = stage <= -7
        if escalated:
            people = list(dict.fromkeys([*people, *managers]))
        if stage <= escalation_stage:
            people = list(dict.fromkeys([*people, *item.late_recipients]))
        text = _wording(item, stage)
        reminders.append(
            Reminder(
                content_type=content_type,
                object_id=item.object_id,
                due_on=item.due_on,
                stage=stage,
                title=item.title[:200],
                url=item.url,
                recipients=people,
                escalated=escalated,
            )
        )
        subject = (_("Overdue: %(title)s") if stage < 0 or item.due_on < today else _("Due: %(title)s")) % {
            "title": item.title
        }
        notifications.extend(
            Notification(
                recipient_id=person,
                kind=Notification.Kind.REMINDER,
                subject=subject[:200],
                body=text,
                url=item.url,
                content_type=content_type,
                object_id=item.object_id,
                task=task,
            )
            for person in people
        )
    if not reminders:
        return 0
    Reminder.objects.bulk_create(reminders)
    created = Notification.objects.bulk_create(notifications)
    queue_emails([n.pk for n in created if n.pk])
    return len(reminders)


def last_run_status():
    """The reminder job for /healthz: its last success, and whether that is
    too long ago (more than 26 hours: a daily run was missed)."""
    run = JobRun.objects.filter(name=JOB_NAME).first()
    if run is None or run.last_succeeded_at is None:
        return {"status": "not run yet"}
    age = timezone.now() - run.last_succeeded_at
    stale = age.total_seconds() > settings.REMINDER_JOB_MAX_AGE_HOURS * 3600
    return {
        "status": "late" if stale else "up",
        "last_success": run.last_succeeded_at.isoformat(),
        "last_result": run.last_result,
    }
