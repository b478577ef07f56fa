"""The Celery app and its beat schedule.

Tasks only trigger work that the database can re-derive: a message the broker
loses (the filesystem transport drops one when a worker dies mid-task) is made
good by the next scheduled run of the same job.
"""

import os
from pathlib import Path

from celery import Celery
from celery.schedules import crontab
from celery.signals import beat_init, worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pdca.settings")

app = Celery("pdca")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
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


@beat_init.connect
def _prepare_beat(**kwargs):
    from pdca.checks import refuse_development_key

    refuse_development_key()
