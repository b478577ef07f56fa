"""Do's dashboard panel: for top management and auditors, the overdue
milestones of all plans. Handovers to decide and the user's own milestones due are his
or her tasks (`plans.do.inbox`)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.roles import is_read_only
from plans.models import Milestone
from plans.permissions import is_manager

PANEL_SIZE = 10


def contribute(user, context):
    """Overdue milestones of every plan, for top management and auditors (the
    owners of milestones find theirs among their tasks)."""
    if not (is_manager(user) or is_read_only(user)):
        return
    overdue = Milestone.objects.overdue().select_related("plan__process", "owner").order_by("due_on")
    count = overdue.count()
    if count:
        context["panels"].append(
            {
                "title": _("Overdue milestones"),
                "count": count,
                "items": [
                    {
                        "label": f"{m.title} ({m.plan.process or m.plan})",
                        "url": f"{m.plan.get_absolute_url()}implementation/#milestones",
                        "meta": _("due %(date)s, %(owner)s")
                        % {"date": f"{m.due_on:%d %b %Y}", "owner": m.owner},
                        "badge": "overdue",
                        "badge_label": _("Overdue"),
                    }
                    for m in overdue[:PANEL_SIZE]
                ],
                "empty": "",
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
            summary=_("Milestone due: %(title)s (%(plan)s)")
            % {"title": m.title, "plan": m.plan.process or m.plan},
            url=reverse("do:plan", args=[m.plan_id]) + "#milestones",
        )
        for m in Milestone.objects.filter(owner=user, done_on__isnull=True).select_related("plan__process")
    ]
