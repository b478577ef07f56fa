"""Notifications: one place that tells users something, in the portal and by e-mail."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)


def notify(*, recipients, subject, body="", url=""):
    """Create a notification per distinct active recipient and e-mail it after commit."""
    seen = set()
    created = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        created.append(Notification(recipient=user, subject=subject, body=body, url=url))
    created = Notification.objects.bulk_create(created)
    ids = [n.pk for n in created if n.pk]

    def _send():
        from .tasks import send_notification_emails

        try:
            send_notification_emails.delay(ids)
        except Exception:  # broker down: the periodic sweep sends them later
            logger.warning("Could not queue e-mail for notifications %s", ids, exc_info=True)

    if ids:
        transaction.on_commit(_send)
    return created


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
