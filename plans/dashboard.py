"""What the dashboard shows about plans besides the user's tasks (which are in
the task inbox, `plans.inbox`): the user's own plans, and for those who read
every plan the plans whose conformance review is due (P5). Every panel is a
bounded query, so the count of queries does not grow with the data."""

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from .models import Plan
from .permissions import is_manager, is_read_only

PANEL_SIZE = 5


def contribute(user, context):
    panels, stats = context["panels"], context.setdefault("stats", [])
    list_url = reverse("plans:list")

    own = Plan.objects.filter(Q(process__owner=user) | Q(process__deputies=user)).distinct()
    own_count = own.count()
    if own_count:
        items = []
        for plan in own.with_current().order_by("title")[:PANEL_SIZE]:
            latest = plan.latest_version
            items.append(
                {
                    "label": plan.title,
                    "url": plan.get_absolute_url(),
                    "meta": _("version %(number)s") % {"number": latest.number} if latest else "",
                    "badge": latest.status if latest else "",
                    "badge_label": latest.get_status_display() if latest else "",
                }
            )
        panels.append(
            {
                "title": _("Your plans"),
                "items": items,
                "empty": "",
                "count": own_count,
                "more_url": f"{list_url}?owner={user.pk}" if own_count > PANEL_SIZE else "",
            }
        )

    # P5: the owners find their conformance reviews among their tasks; top
    # management and auditors see every plan that has one due.
    if not (is_manager(user) or user.is_superuser or is_read_only(user)):
        return
    due = Plan.objects.filter(conformance_review_due=True).select_related("process__owner").order_by("title")
    due_count = due.count()
    if due_count:
        due_url = f"{list_url}?conformance_review_due=true"
        panels.append(
            {
                "title": _("Conformance reviews due"),
                "items": [
                    {
                        "label": plan.title,
                        "url": plan.get_absolute_url(),
                        "meta": _("owner %(owner)s") % {"owner": plan.owner},
                        "badge": "due",
                        "badge_label": _("Review due"),
                    }
                    for plan in due[:PANEL_SIZE]
                ],
                "empty": "",
                "count": due_count,
                "more_url": due_url if due_count > PANEL_SIZE else "",
            }
        )
        stats.append(
            {"value": due_count, "label": _("conformance reviews due"), "url": due_url, "tone": "danger"}
        )
