"""Check's dashboard panels: the reviews due or overdue, and for managers the
latest reminders. The reviews to approve or carry out and the open review
actions are the user's tasks (`reviews.inbox`). Every panel is a bounded
query, so the dashboard's query count stays fixed."""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import reads_everything

from . import permissions
from .models import ReviewSchedule

PANEL_SIZE = 5
SOON_DAYS = 30


def contribute(user, context):
    panels, stats = context["panels"], context.setdefault("stats", [])
    today = timezone.localdate()

    schedules = ReviewSchedule.objects.in_use().filter(next_planned_on__lte=today + timedelta(days=SOON_DAYS))
    if not reads_everything(user) or not (permissions.is_manager(user) or permissions.is_read_only(user)):
        schedules = schedules.filter(
            Q(reviewer=user) | Q(plan__process__owner=user) | Q(plan__process__deputies=user)
        ).distinct()
    due_count = schedules.count()
    if due_count:
        overdue_count = schedules.filter(next_planned_on__lt=today).count()
        panels.append(
            {
                "title": _("Reviews due"),
                "items": [
                    {
                        "label": str(s.plan),
                        "url": s.get_absolute_url(),
                        "meta": _("due %(date)s, %(reviewer)s")
                        % {"date": f"{s.next_planned_on:%d %b %Y}", "reviewer": s.reviewer},
                        "badge": "overdue" if s.next_planned_on < today else "due",
                        "badge_label": _("Overdue") if s.next_planned_on < today else _("Due soon"),
                    }
                    for s in schedules.select_related("plan", "reviewer").order_by("next_planned_on")[
                        :PANEL_SIZE
                    ]
                ],
                "count": due_count,
                "empty": "",
                "more_url": reverse("reviews:calendar"),
            }
        )
        if overdue_count:
            stats.append(
                {
                    "value": overdue_count,
                    "label": _("reviews overdue"),
                    "url": reverse("reviews:calendar") + "#overdue-heading",  # the calendar's list of them
                    "tone": "danger",
                }
            )


def contribute_reminders(user, context):
    """C5: the latest reminders, what, when and to whom, for managers."""
    if not permissions.is_manager(user):
        return
    from django.contrib.auth import get_user_model

    from pdca.models import Reminder

    latest = list(Reminder.objects.order_by("-raised_at")[:PANEL_SIZE])
    if not latest:
        return
    people = get_user_model().objects.in_bulk({pk for r in latest for pk in r.recipients})
    context["panels"].append(
        {
            "title": _("Latest reminders"),
            "items": [
                {
                    "label": r.title,
                    "url": r.url,
                    "meta": _("%(when)s to %(people)s")
                    % {
                        "when": f"{timezone.localtime(r.raised_at):%d %b %H:%M}",
                        "people": ", ".join(str(people[pk]) for pk in r.recipients if pk in people),
                    },
                    "badge": "overdue" if r.stage < 0 else "",
                    "badge_label": _("Escalated") if r.escalated else (_("Overdue") if r.stage < 0 else ""),
                }
                for r in latest
            ],
            "count": 0,
            "empty": "",
            "more_url": reverse("reviews:calendar"),
        }
    )
