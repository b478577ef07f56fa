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
