"""Notifications: one place that tells users something, in the portal and by e-mail.

The rows are written in the caller's transaction (so a refused or rolled-back
change notifies nobody); their e-mails are queued after commit.
"""

import logging
from dataclasses import dataclass, field

from django.db import transaction

from .models import Notification
from .tasks import send_notification_emails

logger = logging.getLogger(__name__)


@dataclass
class Notice:
    """A notification to send: who, what, and where the link leads."""

    recipients: list = field(default_factory=list)
    subject: str = ""
    body: str = ""
    url: str = ""

    def send(self):
        return notify(recipients=self.recipients, subject=self.subject, body=self.body, url=self.url)


def notify(*, recipients, subject, body="", url="", kind=Notification.Kind.GENERAL):
    """Create a notification per distinct active recipient and e-mail it after commit."""
    seen = set()
    created = []
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        created.append(Notification(recipient=user, kind=kind, subject=str(subject), body=str(body), url=url))
    created = Notification.objects.bulk_create(created)
    queue_emails([n.pk for n in created if n.pk])
    return created


def queue_emails(ids):
    """Queue the e-mails of these notifications once the transaction commits.
    The task and the periodic sweep share one sender (`pdca.mail.send_emails`),
    so an e-mail whose message is lost, or whose sending fails, goes out later."""
    if not ids:
        return

    def _send():
        try:
            send_notification_emails.delay(ids)
        except Exception:  # broker down: the periodic sweep sends them later
            logger.warning("Could not queue e-mail for notifications %s", ids, exc_info=True)

    transaction.on_commit(_send)
