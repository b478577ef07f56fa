"""Check's dashboard panels: the reviews waiting for the user's approval or
work, the reviews due or overdue, and the user's open review actions. Every
panel is a bounded query, so the dashboard's query count stays fixed."""

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import reads_everything

from . import permissions
from .models import Review, ReviewAction, ReviewSchedule

PANEL_SIZE = 5
SOON_DAYS = 30


def contribute(user, context):
    panels, stats = context["panels"], context.setdefault("stats", [])
    today = timezone.localdate()

    if permissions.is_manager(user):
        awaiting = (
            Review.objects.filter(status=Review.Status.SUBMITTED)
            .exclude(Q(reviewer=user) | Q(participants=user) | Q(author=user) | Q(editors=user))
            .distinct()
            .order_by("submitted_at", "pk")
        )
        count = awaiting.count()
        if count:
            panels.append(
                {
                    "title": _("Reviews awaiting your approval"),
                    "items": [
                        {
                            "label": r.title,
                            "url": r.get_absolute_url(),
                            "meta": _("by %(reviewer)s") % {"reviewer": r.reviewer},
                        }
                        for r in awaiting.select_related("reviewer")[:PANEL_SIZE]
                    ],
                    "count": count,
                    "empty": "",
                    "more_url": reverse("reviews:approvals") if count > PANEL_SIZE else "",
                }
            )
            stats.append(
                {
                    "value": count,
                    "label": _("reviews to approve"),
                    "url": reverse("reviews:approvals"),
                    "tone": "warn",
                }
            )

    mine = Review.objects.filter(reviewer=user, status__in=[Review.Status.PLANNED, Review.Status.IN_PROGRESS])
    mine_count = mine.count()
    if mine_count:
        panels.append(
            {
                "title": _("Your reviews to carry out"),
                "items": [
                    {
                        "label": r.title,
                        "url": r.get_absolute_url(),
                        "meta": _("planned for %(date)s") % {"date": f"{r.planned_on:%d %b %Y}"},
                        "badge": r.status,
                        "badge_label": r.get_status_display(),
                    }
                    for r in mine.order_by("planned_on", "pk")[:PANEL_SIZE]
                ],
                "count": mine_count,
                "empty": "",
                "more_url": reverse("reviews:calendar") if mine_count > PANEL_SIZE else "",
            }
        )

    schedules = ReviewSchedule.objects.filter(next_planned_on__lte=today + timedelta(days=SOON_DAYS))
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
                    "url": reverse("reviews:calendar"),
                    "tone": "danger",
                }
            )

    actions = ReviewAction.objects.filter(owner=user, status=ReviewAction.Status.OPEN)
    action_count = actions.count()
    if action_count:
        panels.append(
            {
                "title": _("Your open review actions"),
                "items": [
                    {
                        "label": a.description[:80],
                        "url": a.get_absolute_url(),
                        "meta": _("due %(date)s") % {"date": f"{a.due_on:%d %b %Y}"},
                        "badge": "overdue" if a.due_on < today else "",
                        "badge_label": _("Overdue") if a.due_on < today else "",
                    }
                    for a in actions.order_by("due_on", "pk")[:PANEL_SIZE]
                ],
                "count": action_count,
                "empty": "",
                "more_url": "",
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
