"""The Celery app and its beat schedule.

Tasks only trigger work that the database can re-derive: a message the broker
loses (the filesystem transport drops one when a worker dies mid-task) is made
good by the next scheduled run of the same job.
"""

import contextlib
import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_init, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdca.settings")

app = Celery("pdca")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _daily(setting, default):
    """A crontab at a time of day from the settings (HH:MM in TIME_ZONE)."""
    from django.conf import settings

    hour, _, minute = (getattr(settings, setting, default) or default).partition(":")
    return crontab(hour=int(hour), minute=int(minute or 0))


app.conf.beat_schedule = {
    # C5: raises every reminder due; derives what is due from the database, so
    # a missed day is caught up and a second run raises nothing twice.
    "raise-reminders": {
        "task": "pdca.tasks.raise_reminders",
        "schedule": _daily("REMINDER_TIME", "06:00"),
    },
    "send-digest-emails": {
        "task": "pdca.tasks.send_digest_emails",
        "schedule": _daily("DIGEST_TIME", "07:00"),
    },
    # Recomputes every stored content hash and walks the decision chain; a
    # mismatch is logged, shown on /healthz and sent to the administrators.
    "verify-records": {
        "task": "pdca.tasks.verify_records",
        "schedule": crontab(hour=3, minute=15),
    },
    # Sends every notification whose e-mail has not gone out yet, including
    # those whose on-commit message was lost.
    "send-pending-notification-emails": {
        "task": "pdca.tasks.send_pending_notification_emails",
        "schedule": 300.0,
    },
    # C7: stores the PDF of every approved document still missing it (a lost
    # task is made good), queues lost report jobs again, removes old job files.
    "maintain-reports": {
        "task": "pdca.tasks.maintain_reports",
        "schedule": 600.0,
    },
}


def ensure_broker_folders():
    """The filesystem transport needs its folders before the first message."""
    options = app.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


@worker_init.connect
def _prepare_worker(**kwargs):
    from pdca.checks import refuse_development_key

    refuse_development_key()
    ensure_broker_folders()


@worker_ready.connect
def _catch_up_at_start(sender=None, **kwargs):
    """A fresh install, or a worker back after downtime, raises what is due at
    once instead of waiting for the next morning (safe: exactly once)."""
    # On a queue this worker consumes, so that the worker itself runs it.
    queues = getattr(getattr(sender, "task_consumer", None), "queues", None) or []
    options = {"queue": queues[0].name} if queues else {}
    # The broker may be down: beat's daily run catches up later.
    with contextlib.suppress(Exception):
        sender.app.send_task("pdca.tasks.raise_reminders", **options)


@beat_init.connect
def _prepare_beat(**kwargs):
    from pdca.checks import refuse_development_key

    refuse_development_key()
