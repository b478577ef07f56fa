"""What Check shows on the pages of Plan (registered from reviews/apps.py):
the plan's review schedule with its last and next review, and a badge in
the plans list when a review is overdue or the plan has no schedule."""

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import PlanVersion

from . import permissions
from .models import Review, ReviewSchedule


def plan_review_panel(request, plan):
    """C2: the schedule, the last review held and the next one due, on the plan page."""
    if plan.current_version is None and not ReviewSchedule.objects.filter(plan=plan).exists():
        return None
    schedule = ReviewSchedule.objects.filter(plan=plan).select_related("reviewer").first()
    reviews = Review.objects.visible_to(request.user).filter(plan=plan)
    last = (
        reviews.filter(status=Review.Status.APPROVED)
        .order_by("-planned_on", "-pk")
        .select_related("reviewer")
        .first()
    )
    open_review = reviews.exclude(status=Review.Status.APPROVED).order_by("planned_on", "pk").first()
    today = timezone.localdate()
    return {
        "template": "reviews/_plan_panel.html",
        "plan": plan,
        "schedule": schedule,
        "overdue": schedule is not None and schedule.next_planned_on < today and plan.archived_at is None,
        "last_review": last,
        "open_review": open_review,
        "may_schedule": not permissions.schedule_refusal(request.user, plan),
        "may_plan": not permissions.plan_review_refusal(
            request.user, Review.Kind.MANAGEMENT if plan.is_smp else Review.Kind.PROCESS, plan=plan
        ),
        "today": today,
    }


def plan_list_badges(user, plans):
    """A badge for each listed plan in force whose review is overdue, or that has no schedule."""
    plans = list(plans)
    # An archived plan is reviewed no more: nothing is due for it.
    in_force = {
        p.pk
        for p in plans
        if p.archived_at is None and any(v.status in PlanVersion.IN_FORCE for v in p._versions())
    }
    due = dict(
        ReviewSchedule.objects.filter(plan__in=[p.pk for p in plans])
        .values_list("plan_id")
        .annotate(n=Max("next_planned_on"))
    )
    today = timezone.localdate()
    badges = {}
    for plan in plans:
        if plan.pk not in in_force:
            continue
        if plan.pk not in due:
            badges[plan.pk] = [{"status": "due", "label": _("No review schedule")}]
        elif due[plan.pk] < today:
            badges[plan.pk] = [{"status": "overdue", "label": _("Review overdue")}]
    return badges
