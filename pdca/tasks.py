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
