"""What the dashboard shows about plans: approvals waiting for the user, the
user's own plans, plans to acknowledge and conformance reviews due (P3, P5,
P6). Every panel is a bounded query, so the count of queries does not grow
with the data."""

from django.db.models import Q
from django.urls import reverse

from .models import Acknowledgement, Plan, PlanVersion
from .permissions import is_manager, is_read_only

PANEL_SIZE = 5


def contribute(user, context):
    panels, stats = context["panels"], context.setdefault("stats", [])
    list_url = reverse("plans:list")

    to_review = PlanVersion.objects.awaiting_review_by(user).order_by("submitted_at", "pk")
    review_count = 0 if is_read_only(user) else to_review.count()
    if review_count:
        panels.append(
            {
                "title": "Awaiting your review",
                "items": [
                    {
                        "label": f"{v.plan.title}, version {v.number}",
                        "url": v.get_absolute_url(),
                        "meta": f"submitted by {v.author}",
                        "badge": v.status,
                        "badge_label": v.get_status_display(),
                    }
                    for v in to_review[:PANEL_SIZE]
                ],
                "empty": "",
                "count": review_count,
                "more_url": reverse("plans:approvals") if review_count > PANEL_SIZE else "",
            }
        )
        stats.append(
            {
                "value": review_count,
                "label": "awaiting your review",
                "url": reverse("plans:approvals"),
                "tone": "warn",
            }
        )

    if is_manager(user) and not is_read_only(user):
        awaiting = PlanVersion.objects.awaiting_approval_by(user).order_by("submitted_at", "pk")
        count = awaiting.count()
        panels.append(
            {
                "title": "Awaiting your approval",
                "items": [
                    {
                        "label": f"{v.plan.title}, version {v.number}",
                        "url": v.get_absolute_url(),
                        "meta": f"submitted by {v.author}",
                        "badge": v.status,
                        "badge_label": v.get_status_display(),
                    }
                    for v in awaiting[:PANEL_SIZE]
                ],
                "empty": "Nothing waits for your approval.",
                "count": count,
                "more_url": reverse("plans:approvals") if count > PANEL_SIZE else "",
            }
        )
        stats.append(
            {
                "value": count,
                "label": "awaiting your approval",
                "url": reverse("plans:approvals"),
                "tone": "warn" if count else "ok",
            }
        )

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
                    "meta": f"version {latest.number}" if latest else "",
                    "badge": latest.status if latest else "",
                    "badge_label": latest.get_status_display() if latest else "",
                }
            )
        panels.append(
            {
                "title": "Your plans",
                "items": items,
                "empty": "",
                "count": own_count,
                "more_url": f"{list_url}?owner={user.pk}" if own_count > PANEL_SIZE else "",
            }
        )

    to_acknowledge = (
        Acknowledgement.objects.filter(
            user=user, acknowledged_at__isnull=True, version__status="communicated"
        )
        .select_related("version__plan")
        .order_by("sent_at", "pk")
    )
    ack_count = to_acknowledge.count()
    if ack_count:
        items = [
            {
                "label": f"{a.version.plan.title}, version {a.version.number}",
                "url": a.version.get_absolute_url(),
                "meta": f"sent {a.sent_at:%d %b %Y}",
            }
            for a in to_acknowledge[:PANEL_SIZE]
        ]
        panels.append(
            {"title": "Plans to acknowledge", "items": items, "empty": "", "count": ack_count, "more_url": ""}
        )
        stats.append(
            {"value": ack_count, "label": "plans to acknowledge", "url": items[0]["url"], "tone": "info"}
        )

    due = Plan.objects.filter(conformance_review_due=True).select_related("process__owner").order_by("title")
    if not (is_manager(user) or user.is_superuser or is_read_only(user)):
        due = due.filter(Q(process__owner=user) | Q(process__deputies=user)).distinct()
    due_count = due.count()
    if due_count:
        panels.append(
            {
                "title": "Conformance reviews due",
                "items": [
                    {
                        "label": plan.title,
                        "url": plan.get_absolute_url(),
                        "meta": f"owner {plan.owner}",
                        "badge": "due",
                        "badge_label": "Review due",
                    }
                    for plan in due[:PANEL_SIZE]
                ],
                "empty": "",
                "count": due_count,
                "more_url": list_url if due_count > PANEL_SIZE else "",
            }
        )
        stats.append(
            {"value": due_count, "label": "conformance reviews due", "url": list_url, "tone": "danger"}
        )
