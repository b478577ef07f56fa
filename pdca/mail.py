"""Notification e-mails: sent from Celery tasks, exactly once per notification,
as each person wants them (`NotificationPreference`: at once, in a daily
digest, or not at all).

`emailed_at` records that a notification's e-mail went out (or that none is
wanted), so the periodic sweep (`pdca.tasks.send_pending_notification_emails`)
re-sends the ones whose queued message was lost, and a second run sends
nothing twice. An e-mail that fails is not lost: its attempt is counted and the
sweep tries again after a pause that doubles each time (up to six hours).

A notification resolved before its e-mail left (the task was done meanwhile)
is not e-mailed any more, neither at once nor in the digest: `emailed_at`
stays empty, as nothing was sent.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Notification, NotificationPreference

logger = logging.getLogger(__name__)
MAX_PAUSE_MINUTES = 360

Delivery = NotificationPreference.Delivery


def _deliveries(notifications):
    """{(user_id, kind): delivery} for the recipients of `notifications`, in one query."""
    users = {n.recipient_id for n in notifications}
    return {(p.user_id, p.kind): p.delivery for p in NotificationPreference.objects.filter(user_id__in=users)}


def _pending(now):
    return Notification.objects.filter(emailed_at__isnull=True, resolved_at__isnull=True).filter(
        Q(next_email_at__isnull=True) | Q(next_email_at__lte=now)
    )


def send_emails(notification_ids=None):
    """Send the e-mail of each notification not yet e-mailed (at once or never,
    as its recipient wants; digests are sent by `send_digests`); safe to run twice."""
    now = timezone.now()
    sent = 0
    last_pk = 0
    while True:
        batch = _pending(now).select_related("recipient").filter(pk__gt=last_pk).order_by("pk")
        if notification_ids is not None:
            batch = batch.filter(pk__in=notification_ids)
        batch = list(batch[:500])
        if not batch:
            return sent
        last_pk = batch[-1].pk
        sent += _send_batch(batch)


def _send_batch(batch):
    deliveries = _deliveries(batch)
    sent = 0
    for notification in batch:
        delivery = deliveries.get((notification.recipient_id, notification.kind), Delivery.IMMEDIATE)
        if delivery == Delivery.DIGEST:
            continue
        with transaction.atomic():
            # Read again under the lock: sent meanwhile, or resolved meanwhile.
            locked = (
                Notification.objects.select_for_update()
                .filter(pk=notification.pk, emailed_at__isnull=True, resolved_at__isnull=True)
                .first()
            )
            if locked is None:
                continue
            if delivery == Delivery.IMMEDIATE and notification.recipient.email:
                link = f"\n\n{settings.SITE_URL}{notification.url}" if notification.url else ""
                try:
                    send_mail(
                        subject=f"[{settings.SITE_NAME}] {notification.subject}",
                        message=f"{notification.body}{link}",
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        recipient_list=[notification.recipient.email],
                    )
                except Exception:  # the mail server refused or is down: try again later
                    _postpone(locked)
                    logger.warning(
                        "E-mail of notification %s failed; retried later", notification.pk, exc_info=True
                    )
                    continue
                sent += 1
            locked.emailed_at = timezone.now()
            locked.save(update_fields=["emailed_at"])
    return sent


def _postpone(notification):
    notification.email_attempts += 1
    pause = min(2**notification.email_attempts, MAX_PAUSE_MINUTES)
    notification.next_email_at = timezone.now() + timedelta(minutes=pause)
    notification.save(update_fields=["email_attempts", "next_email_at"])


def send_digests():
    """Once a day: one e-mail per person who wants a digest, listing what came
    since the last one. Safe to run twice (each notification is marked)."""
    now = timezone.now()
    wanted = NotificationPreference.objects.filter(delivery=Delivery.DIGEST).values_list("user_id", "kind")
    by_user = {}
    for user_id, kind in wanted:
        by_user.setdefault(user_id, set()).add(kind)
    sent = 0
    for user_id, kinds in by_user.items():
        with transaction.atomic():
            items = list(
                _pending(now)
                .select_for_update()
                .filter(recipient_id=user_id, kind__in=kinds)
                .select_related("recipient")
                .order_by("created_at", "pk")
            )
            if not items:
                continue
            recipient = items[0].recipient
            if recipient.email:
                lines = [
                    f"- {n.subject}" + (f"\n  {settings.SITE_URL}{n.url}" if n.url else "") for n in items
                ]
                try:
                    send_mail(
                        subject=f"[{settings.SITE_NAME}] "
                        + _("Your daily digest: %(count)s notification(s)") % {"count": len(items)},
                        message="\n".join(lines),
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        recipient_list=[recipient.email],
                    )
                except Exception:
                    for item in items:
                        _postpone(item)
                    logger.warning("Digest e-mail to user %s failed; retried later", user_id, exc_info=True)
                    continue
                sent += 1
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(emailed_at=timezone.now())
    return sent
