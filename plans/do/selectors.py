"""Do: the reads the pages and the API show, each in a fixed number of queries."""

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from plans.models import Handover, Kpi, Plan, PlanVersion, Responsibility


def current_kpis(plan):
    version = plan.current_version
    if version is None:
        return Kpi.objects.none()
    return Kpi.objects.filter(objective__version=version).select_related("objective", "assignment__operator")


def kpis_without_operator(plan):
    return [kpi for kpi in current_kpis(plan) if not hasattr(kpi, "assignment")]


def responsibility_timeline(plan):
    """Who held the implementation responsibility when: the version's
    implementers from its approval, then the receivers of each accepted handover."""
    entries = []
    version = plan.current_version
    if version is not None:
        entries.append(
            {
                "since": version.approved_at,
                "holders": version.responsible("implementation"),
                "source": f"Implementation responsibility of version {version.number}",
            }
        )
    for handover in (
        plan.handovers.filter(status=Handover.Status.ACCEPTED)
        .order_by("decided_at")
        .prefetch_related("receivers")
        .select_related("handed_over_by")
    ):
        entries.append(
            {
                "since": handover.decided_at,
                "holders": list(handover.receivers.all()),
                "source": f"Handover from {handover.handed_over_by} accepted",
            }
        )
    return entries


def progress(plan):
    milestones = list(plan.milestones.all())
    done = sum(1 for m in milestones if m.done_on)
    return {
        "done": done,
        "total": len(milestones),
        "percent": round(100 * done / len(milestones)) if milestones else 0,
    }


def overview_queryset(user):
    """Process plans with what the overview shows, in a fixed number of queries."""
    today = timezone.localdate()
    return (
        Plan.objects.visible_to(user)
        .active()  # a retired process is implemented no more
        .filter(kind=Plan.Kind.PROCESS)
        .select_related("process__owner")
        .annotate(
            milestones_total=Count("milestones", distinct=True),
            milestones_done=Count("milestones", filter=Q(milestones__done_on__isnull=False), distinct=True),
            milestones_overdue=Count(
                "milestones",
                filter=Q(milestones__done_on__isnull=True, milestones__due_on__lt=today),
                distinct=True,
            ),
        )
        .prefetch_related(
            Prefetch(
                "versions",
                # What the overview shows of a version is its state and its
                # people, not its content: the sections and the approved
                # content stay in the database (JSON decoded for nothing).
                queryset=PlanVersion.objects.defer("sections", "approved_content")
                .order_by("-number")
                .prefetch_related(
                    Prefetch("responsibilities", queryset=Responsibility.objects.select_related("user"))
                ),
                to_attr="versions_newest_first",
            ),
            Prefetch(
                "handovers",
                queryset=Handover.objects.order_by("-decided_at", "-pk").prefetch_related("receivers"),
                to_attr="all_handovers",
            ),
        )
        .order_by("title")
    )
