from celery import shared_task

from . import mail


@shared_task
def send_notification_emails(notification_ids):
    return mail.send_emails(notification_ids)


@shared_task
def send_pending_notification_emails():
    return mail.send_emails()


@shared_task
def record_heartbeat(name):
    """Writes a row through a worker; used to prove that a broker delivers."""
    from .models import Heartbeat

    Heartbeat.objects.create(name=name)
    return name


@shared_task
def verify_records():
    """Daily: every stored hash and the decision chain (pdca.verification)."""
    from .verification import verify_records as run

    return run().ok


@shared_task
def raise_reminders():
    """Daily, and when a worker starts: every reminder due (pdca.reminders)."""
    from .reminders import raise_reminders as run

    return run()


@shared_task
def send_digest_emails():
    """Daily: one digest e-mail per person who wants one."""
    return mail.send_digests()


# -- reports (C7) -----------------------------------------------------------------------------------

# Rendering holds the whole document in memory; a report that takes longer
# than this is stopped (soft limit: the job is marked failed with the reason).
RENDER_SOFT_TIME_LIMIT = 120
RENDER_TIME_LIMIT = 150


@shared_task(soft_time_limit=RENDER_SOFT_TIME_LIMIT, time_limit=RENDER_TIME_LIMIT)
def store_report(report_name, object_id):
    """Render and store an approved document's PDF once (re-reads the document)."""
    from .reports import store_by_id

    stored = store_by_id(report_name, object_id)
    return stored.pk if stored is not None else None


@shared_task(soft_time_limit=RENDER_SOFT_TIME_LIMIT, time_limit=RENDER_TIME_LIMIT)
def render_report_job(job_id):
    """A report someone asked for (pdca.reports.ReportJob), rendered once."""
    from .reports import run_job

    result = run_job(job_id)
    return str(result) if result else None


@shared_task
def maintain_reports():
    """Every few minutes: store the PDFs still missing, queue lost jobs again,
    remove day-old job files (pdca.reports.maintain)."""
    from .reports import maintain

    return maintain()
