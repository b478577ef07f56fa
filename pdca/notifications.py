"""Notifications: one place that tells users something, in the portal and by e-mail.

The rows are written in the caller's transaction (so a refused or rolled-back
change notifies nobody); their e-mails are queued after commit.

A notification that announces a task names the object and the task
(`notify(..., about=version, task="approve")`). When the task is done, by
whoever does it, `resolve_tasks` marks the notifications of that task
resolved, for everyone or for one person: they stay in the list, leave the
unread count, and their e-mails not yet sent are not sent any more
(`pdca.mail`). A transition resolves the tasks it declares
(`pdca.transitions.transition(resolves=..., withdraws=...)`).
"""

import logging
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db import models, transaction
from django.db.models import F, Max, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from .models import Notification
from .tasks import send_notification_emails

logger = logging.getLogger(__name__)


@dataclass
class Notice:
    """A notification to send: who, what, where the link leads, and the task
    on an object it announces (if any)."""

    recipients: list = field(default_factory=list)
    subject: str = ""
    body: str = ""
    url: str = ""
    about: object = None
    task: str = ""

    def send(self):
        return notify(
            recipients=self.recipients,
            subject=self.subject,
            body=self.body,
            url=self.url,
            about=self.about,
            task=self.task,
        )


def _about_key(obj):
    if obj is None:
        return {}
    return {"content_type": ContentType.objects.get_for_model(obj), "object_id": obj.pk}


def notify(*, recipients, subject, body="", url="", kind=Notification.Kind.GENERAL, about=None, task=""):
    """Create a notification per distinct active recipient and e-mail it after
    commit. `about` and `task` tie it to the task it announces on that object,
    so that doing the task resolves it (`resolve_tasks`)."""
    if task and about is None:
        raise ValueError("A notification that announces a task names the object it is about.")
    seen = set()
    created = []
    key = _about_key(about)
    for user in recipients:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        created.append(
            Notification(
                recipient=user, kind=kind, subject=str(subject), body=str(body), url=url, task=task, **key
            )
        )
    created = Notification.objects.bulk_create(created)
    queue_emails([n.pk for n in created if n.pk])
    return created


def resolve_tasks(obj, tasks=None, *, actor=None, user=None, withdrawn=False):
    """The notifications of `tasks` on `obj` (all its tasks when None) are
    resolved: done by `actor`, or no longer needed (`withdrawn`: the object
    was superseded, withdrawn or deleted). With `user`, only that person's
    notifications (an acknowledgement is each recipient's own task); else
    everyone's (the manager who approves resolves the other managers'
    requests). Returns how many were resolved; one query."""
    pending = Notification.objects.about(obj).filter(resolved_at__isnull=True).exclude(task="")
    if tasks is not None:
        tasks = [tasks] if isinstance(tasks, str) else list(tasks)
        if not tasks:
            return 0
        pending = pending.filter(task__in=tasks)
    if user is not None:
        pending = pending.filter(recipient=user)
    return pending.update(
        resolved_at=timezone.now(),
        resolved_by=actor,
        resolution=Notification.Resolution.WITHDRAWN if withdrawn else Notification.Resolution.DONE,
    )


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


# -- reading ------------------------------------------------------------------------------


def notification_groups(user, page_number=None, *, per_page=25):
    """The person's notifications grouped by the object they are about, newest
    group first, a page of groups at a time: each group's latest notification
    and the earlier ones. A notification about no object is a group of its
    own. A fixed number of queries, whatever the number of notifications."""
    mine = Notification.objects.filter(recipient=user)
    groups = (
        mine.annotate(
            group_type=Coalesce("content_type_id", Value(0)),
            group_object=Coalesce("object_id", -F("id"), output_field=models.BigIntegerField()),
        )
        .values("group_type", "group_object")
        .annotate(latest_at=Max("created_at"), latest_pk=Max("pk"))
        .order_by("-latest_at", "-latest_pk")
    )
    page = Paginator(groups, per_page).get_page(page_number)
    keys = [(g["group_type"], g["group_object"]) for g in page.object_list]
    wanted = Q(pk__in=[-obj for ct, obj in keys if not ct])
    for ct, obj in keys:
        if ct:
            wanted |= Q(content_type_id=ct, object_id=obj)
    members = {}
    for notification in mine.filter(wanted).select_related("resolved_by") if keys else ():
        key = (notification.content_type_id or 0, notification.object_id or -notification.pk)
        members.setdefault(key, []).append(notification)
    page.groups = [
        NotificationGroup(latest=members[key][0], earlier=members[key][1:]) for key in keys if key in members
    ]
    return page


@dataclass
class NotificationGroup:
    """The notifications about one object: the latest on top, the earlier folded."""

    latest: Notification
    earlier: list

    @property
    def unread_earlier(self):
        return sum(1 for n in self.earlier if n.is_unread)
