"""Notification e-mails: sent from Celery tasks, exactly once per notification.

`emailed_at` records that a notification's e-mail went out, so the periodic
sweep (`pdca.tasks.send_pending_notification_emails`) re-sends the ones whose
queued message was lost, and a second run sends nothing twice.
"""

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification


def send_emails(notification_ids=None):
    """Send the e-mail of each notification not yet e-mailed; safe to run twice."""
    pending = Notification.objects.filter(emailed_at__isnull=True).select_related("recipient")
    if notification_ids is not None:
        pending = pending.filter(pk__in=notification_ids)
    sent = 0
    for notification in pending:
        with transaction.atomic():
            locked = (
                Notification.objects.select_for_update()
                .filter(pk=notification.pk, emailed_at__isnull=True)
                .first()
            )
            if locked is None:
                continue
            if notification.recipient.email:
                link = f"\n\n{settings.SITE_URL}{notification.url}" if notification.url else ""
                send_mail(
                    subject=f"[{settings.SITE_NAME}] {notification.subject}",
                    message=f"{notification.body}{link}",
                    from_email=settings.DEFAULT_FROM_EMAIL,
                    recipient_list=[notification.recipient.email],
                )
            locked.emailed_at = timezone.now()
            locked.save(update_fields=["emailed_at"])
            sent += 1
    return sent
