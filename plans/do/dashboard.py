"""Do's dashboard panels: handovers waiting for the user's decision, and
overdue milestones (the user's own; all of them for those who read every plan)."""

from django.urls import reverse

from accounts.roles import reads_everything
from plans.models import Handover, Milestone


def contribute(user, context):
    """Do panels: handovers waiting for this user's decision, and overdue
    milestones (the user's own; all of them for those who read every plan)."""
    handovers = list(Handover.objects.pending_for(user)[:10])
    if handovers:
        context["panels"].insert(
            0,
            {
                "title": "Handovers awaiting your decision",
                "count": len(handovers),
                "items": [
                    {
                        "label": f"{h.plan.process or h.plan} from {h.handed_over_by}",
                        "url": h.get_absolute_url(),
                        "meta": f"since {h.proposed_at:%d %b %Y}",
                    }
                    for h in handovers
                ],
                "empty": "Nothing to take over.",
            },
        )
    overdue = Milestone.objects.overdue().select_related("plan__process", "owner").order_by("due_on")
    if not reads_everything(user):
        overdue = overdue.filter(owner=user)
    overdue = list(overdue[:10])
    if overdue:
        context["panels"].append(
            {
                "title": "Overdue milestones",
                "count": len(overdue),
                "items": [
                    {
                        "label": f"{m.title} ({m.plan.process})",
                        "url": f"{m.plan.get_absolute_url()}implementation/#milestones",
                        "meta": f"due {m.due_on:%d %b %Y}, {m.owner}",
                        "badge": "overdue",
                    }
                    for m in overdue
                ],
                "empty": "No milestone is overdue.",
                "more_url": reverse("do:overview"),
            }
        )


def calendar_events(user):
    """The open milestones `user` owns, for his or her calendar feed."""
    from pdca.feeds import CalendarEvent

    return [
        CalendarEvent(
            uid=f"milestone-{m.pk}",
            day=m.due_on,
            summary=f"Milestone due: {m.title} ({m.plan.process or m.plan})",
            url=reverse("do:plan", args=[m.plan_id]) + "#milestones",
        )
        for m in Milestone.objects.filter(owner=user, done_on__isnull=True).select_related("plan__process")
    ]
