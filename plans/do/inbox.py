"""Do's tasks for the inbox (`pdca.inbox`): handovers to decide (D3),
milestones due or overdue (D2) and KPIs of a plan in implementation that
still need an operator (D1). Each source runs a fixed number of queries."""

from datetime import timedelta

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from pdca.inbox import Task
from plans.models import Handover, Kpi, Milestone, Plan, PlanVersion, Responsibility
from plans.permissions import implementation_refusal, is_read_only

# Milestones are listed from this many days before they are due.
MILESTONE_DAYS = 14


def handovers_to_decide(user):
    """D3: the proposed handovers that name `user` as a receiver
    (`permissions.handover_decision_refusal`)."""
    handovers = Handover.objects.pending_for(user).order_by("-proposed_at", "pk")
    return [
        Task(
            kind="handover",
            title=_("Accept or decline the handover of %(plan)s") % {"plan": h.plan.process or h.plan},
            reason=h.open_points
            or _("Handed over on %(date)s: accept it to take over the implementation responsibility.")
            % {"date": f"{h.handover_on:%d %b %Y}"},
            since=h.proposed_at,
            url=h.get_absolute_url(),
            actor_name=str(h.handed_over_by),
            object_label=str(h.plan),
        )
        for h in handovers
    ]


def milestones_due(user):
    """D2: the open milestones `user` owns that are due within
    MILESTONE_DAYS days or overdue."""
    if not user.is_authenticated or is_read_only(user):
        return []
    today = timezone.localdate()
    milestones = (
        Milestone.objects.filter(
            owner=user,
            done_on__isnull=True,
            due_on__lte=today + timedelta(MILESTONE_DAYS),
            plan__archived_at__isnull=True,
        )
        .select_related("plan__process")
        .order_by("due_on", "pk")
    )
    return [
        Task(
            kind="milestone",
            title=_("Reach the milestone “%(title)s” of %(plan)s")
            % {"title": m.title, "plan": m.plan.process or m.plan},
            reason=(_("Overdue since %(date)s.") if m.due_on < today else _("Due on %(date)s."))
            % {"date": f"{m.due_on:%d %b %Y}"},
            since=m.due_on - timedelta(MILESTONE_DAYS),
            url=reverse("do:plan", args=[m.plan_id]) + "#milestones",
            due_on=m.due_on,
            object_label=str(m.plan),
        )
        for m in milestones
    ]


def kpis_without_operator(user):
    """D1: the plans in implementation whose KPIs in force still lack an
    operator, for their implementation responsibility
    (`permissions.implementation_refusal`)."""
    if not user.is_authenticated or is_read_only(user):
        return []
    missing = Kpi.objects.filter(
        objective__version__plan=OuterRef("pk"),
        objective__version__status__in=PlanVersion.IN_FORCE,
        assignment__isnull=True,
    )
    # Only the plans `user` may hold the implementation responsibility of: named
    # for it in a version, or a receiver of an accepted handover (a superset,
    # narrowed below by the rule itself), not every plan's versions and people.
    may_hold = Exists(
        Responsibility.objects.filter(
            version__plan=OuterRef("pk"), kind=Responsibility.Kind.IMPLEMENTATION, user=user
        )
    ) | Exists(
        Handover.receivers.through.objects.filter(
            handover__plan=OuterRef("pk"), handover__status=Handover.Status.ACCEPTED, user=user
        )
    )
    plans = (
        Plan.objects.active()
        .filter(implementation_status=Plan.ImplementationStatus.IN_IMPLEMENTATION)
        .filter(Exists(missing))
        .filter(may_hold)
        .select_related("process")
        .annotate(
            missing_operators=Count(
                "versions__objectives__kpis",
                filter=Q(
                    versions__status__in=PlanVersion.IN_FORCE,
                    versions__objectives__kpis__assignment__isnull=True,
                ),
                distinct=True,
            )
        )
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=PlanVersion.objects.order_by("-number").prefetch_related(
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
        .order_by("-implementation_started_at", "title")
    )
    return [
        Task(
            kind="kpi_operator",
            title=_("Assign operators to the KPIs of %(plan)s") % {"plan": plan.process or plan},
            reason=ngettext(
                "%(count)s KPI of the version in force has no operator yet.",
                "%(count)s KPIs of the version in force have no operator yet.",
                plan.missing_operators,
            )
            % {"count": plan.missing_operators},
            since=plan.implementation_started_at or plan.created_at,
            url=reverse("do:plan", args=[plan.pk]) + "#kpis",
            object_label=str(plan),
        )
        for plan in plans
        if not implementation_refusal(user, plan)
    ]


KINDS = (
    ("handover", gettext_lazy("Handovers to decide"), handovers_to_decide, 20),
    ("milestone", gettext_lazy("Milestones due"), milestones_due, 21),
    ("kpi_operator", gettext_lazy("KPIs without an operator"), kpis_without_operator, 22),
)


def register(registry):
    for kind, label, source, order in KINDS:
        registry.register_task_source(kind, label, source, order=order)
