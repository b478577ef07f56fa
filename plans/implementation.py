"""Do: putting communicated plans into practice (D1-D3). Like plans.services,
every change goes through one of these functions, which check the rule, lock
the row and record the decision."""

from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from pdca.decisions import record_decision
from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.history import atomic_as_actor
from pdca.notifications import notify

from . import permissions
from .models import Handover, Kpi, KpiAssignment, Milestone, Plan, PlanVersion, Responsibility

ImplementationStatus = Plan.ImplementationStatus


def _lock_plan(plan):
    return Plan.objects.select_for_update().get(pk=plan.pk)


def _require_holder(actor, plan):
    if permissions.is_read_only(actor):
        raise NotAllowed("Auditors read the implementation but cannot change it.")
    if not permissions.can_manage_implementation(actor, plan):
        names = ", ".join(str(u) for u in permissions.implementation_holders(plan)) or "nobody yet"
        raise NotAllowed(f"Only the plan's implementation responsibility ({names}) can do this.")


def _require_communicated(plan):
    version = plan.current_version
    if version is None or version.status != PlanVersion.Status.COMMUNICATED:
        raise RuleViolation(
            "Only a communicated plan is put into practice: approve and communicate it first."
        )
    return version


def current_kpis(plan):
    version = plan.current_version
    if version is None:
        return Kpi.objects.none()
    return Kpi.objects.filter(objective__version=version).select_related("objective", "assignment__operator")


def kpis_without_operator(plan):
    return [kpi for kpi in current_kpis(plan) if not hasattr(kpi, "assignment")]


@atomic_as_actor
def start_implementation(*, plan, actor, comment=""):
    """D2: not started -> in implementation, once the plan is communicated."""
    plan = _lock_plan(plan)
    _require_holder(actor, plan)
    _require_communicated(plan)
    if plan.implementation_status != ImplementationStatus.NOT_STARTED:
        raise Conflict(f"The implementation is already {plan.get_implementation_status_display().lower()}.")
    plan.implementation_status = ImplementationStatus.IN_IMPLEMENTATION
    plan.implementation_started_at = timezone.now()
    plan.save(update_fields=["implementation_status", "implementation_started_at"])
    record_decision(
        subject=plan,
        action="start_implementation",
        actor=actor,
        comment=comment,
        from_state=ImplementationStatus.NOT_STARTED,
        to_state=ImplementationStatus.IN_IMPLEMENTATION,
    )
    return plan


def change_implementation_status(*, plan, actor, status, comment=""):
    """The one entry point for a requested status change (browser and API)."""
    if status == ImplementationStatus.IN_IMPLEMENTATION:
        return start_implementation(plan=plan, actor=actor, comment=comment)
    if status == ImplementationStatus.IN_OPERATION:
        raise RuleViolation(
            "A plan goes into operation only when a receiver accepts its handover: propose a handover instead.",
            field="implementation_status",
        )
    raise RuleViolation("An implementation cannot go back to “not started”.", field="implementation_status")


@atomic_as_actor
def save_milestone(*, plan, actor, title, owner, due_on, done_on=None, evidence="", milestone=None):
    plan = _lock_plan(plan)
    _require_holder(actor, plan)
    _require_communicated(plan)
    errors = {}
    if not (title or "").strip():
        errors["title"] = ["A milestone needs a title."]
    if owner is None:
        errors["owner"] = ["A milestone needs an owner."]
    if due_on is None:
        errors["due_on"] = ["A milestone needs a due date."]
    if done_on and done_on > timezone.localdate():
        errors["done_on"] = ["The done date cannot be in the future."]
    if errors:
        raise RuleViolation("The milestone is incomplete.", errors=errors)
    if milestone is None:
        milestone = Milestone(plan=plan)
    elif milestone.plan_id != plan.pk:
        raise RuleViolation("That milestone belongs to another plan.")
    was_done = milestone.done_on is not None
    milestone.title, milestone.owner, milestone.due_on = title.strip(), owner, due_on
    milestone.done_on, milestone.evidence = done_on, evidence or ""
    milestone.save()
    if done_on and not was_done:
        record_decision(subject=plan, action="milestone_done", actor=actor, comment=milestone.title)
    return milestone


@atomic_as_actor
def complete_milestone(*, milestone, actor, evidence="", done_on=None):
    plan = _lock_plan(milestone.plan)
    _require_holder(actor, plan)
    milestone = Milestone.objects.select_for_update().get(pk=milestone.pk)
    if milestone.done_on:
        raise Conflict(f"“{milestone.title}” was already marked done on {milestone.done_on:%d %b %Y}.")
    done_on = done_on or timezone.localdate()
    if done_on > timezone.localdate():
        raise RuleViolation("The done date cannot be in the future.", field="done_on")
    milestone.done_on = done_on
    if evidence:
        milestone.evidence = evidence
    milestone.save(update_fields=["done_on", "evidence"])
    record_decision(subject=plan, action="milestone_done", actor=actor, comment=milestone.title)
    return milestone


@atomic_as_actor
def delete_milestone(*, milestone, actor):
    _require_holder(actor, _lock_plan(milestone.plan))
    milestone.delete()


@atomic_as_actor
def assign_kpi_operator(*, kpi, actor, operator):
    """D1: each KPI in operation has a person who operates it."""
    plan = _lock_plan(kpi.objective.version.plan)
    _require_holder(actor, plan)
    if kpi.objective.version_id != getattr(plan.current_version, "pk", None):
        raise RuleViolation("Operators are assigned to the KPIs of the version in force.")
    if operator is None:
        raise RuleViolation("Choose the person who operates this KPI.", field="operator")
    assignment, _ = KpiAssignment.objects.update_or_create(
        kpi=kpi, defaults={"operator": operator, "assigned_by": actor, "assigned_at": timezone.now()}
    )
    return assignment


def carry_over_kpi_assignments(*, old_version, new_version):
    """When a revision is approved, its KPIs keep the operators of the same KPIs
    (same objective code and metric) of the version it supersedes."""
    if old_version is None:
        return
    previous = {
        (a.kpi.objective.code, a.kpi.metric): a
        for a in KpiAssignment.objects.filter(kpi__objective__version=old_version).select_related(
            "kpi__objective"
        )
    }
    for kpi in Kpi.objects.filter(objective__version=new_version).select_related("objective"):
        match = previous.get((kpi.objective.code, kpi.metric))
        if match is not None:
            KpiAssignment.objects.get_or_create(
                kpi=kpi, defaults={"operator_id": match.operator_id, "assigned_by_id": match.assigned_by_id}
            )


@atomic_as_actor
def propose_handover(*, plan, actor, receivers, handover_on=None, open_points="", documents=""):
    """D3: the implementers propose to hand the process over to its operators."""
    plan = _lock_plan(plan)
    _require_holder(actor, plan)
    _require_communicated(plan)
    if plan.implementation_status == ImplementationStatus.NOT_STARTED:
        raise RuleViolation("Start the implementation before handing the process over.")
    receivers = list(dict.fromkeys(receivers or []))
    if not receivers:
        raise RuleViolation("Name at least one person who receives the process.", field="receivers")
    if plan.handovers.filter(status=Handover.Status.PROPOSED).exists():
        raise Conflict(
            "A handover of this plan is already waiting for its receivers: wait for their decision first."
        )
    handover = Handover.objects.create(
        plan=plan,
        handed_over_by=actor,
        handover_on=handover_on or timezone.localdate(),
        open_points=open_points or "",
        documents=documents or "",
    )
    handover.receivers.set(receivers)
    record_decision(
        subject=handover,
        action="propose_handover",
        actor=actor,
        to_state=Handover.Status.PROPOSED,
        comment="To " + ", ".join(str(r) for r in receivers),
    )
    notify(
        recipients=receivers,
        subject=f"Handover to accept: {plan}",
        body=f"{actor} hands {plan} over to you. Accept it to take over the implementation responsibility, "
        "or decline it with a reason.",
        url=handover.get_absolute_url(),
    )
    return handover


def _lock_open_handover(handover, actor, verb):
    """D3: only a named receiver decides, and only on a handover still proposed."""
    handover = Handover.objects.select_for_update(of=("self",)).select_related("plan").get(pk=handover.pk)
    if not handover.receivers.filter(pk=actor.pk).exists():
        raise NotAllowed(f"Only a person named as receiver can {verb} this handover.")
    if handover.status != Handover.Status.PROPOSED:
        raise Conflict(f"This handover was already {handover.get_status_display().lower()}.")
    return handover


@atomic_as_actor
def accept_handover(*, handover, actor, comment=""):
    """D3: a receiver accepts; the receivers now hold the implementation
    responsibility and the plan is in operation."""
    handover = _lock_open_handover(handover, actor, "accept")
    plan = _lock_plan(handover.plan)
    missing = kpis_without_operator(plan)
    if missing:
        raise RuleViolation(
            "A process in operation needs an operator for each KPI; none yet for: "
            + "; ".join(k.metric for k in missing)
            + ". Ask the implementers to assign them."
        )
    now = timezone.now()
    handover.status = Handover.Status.ACCEPTED
    handover.decided_by, handover.decided_at = actor, now
    handover.save(update_fields=["status", "decided_by", "decided_at"])
    previous_state = plan.implementation_status
    plan.implementation_status = ImplementationStatus.IN_OPERATION
    plan.in_operation_since = plan.in_operation_since or now
    plan.save(update_fields=["implementation_status", "in_operation_since"])
    record_decision(
        subject=handover,
        action="accept_handover",
        actor=actor,
        comment=comment,
        from_state=Handover.Status.PROPOSED,
        to_state=Handover.Status.ACCEPTED,
    )
    record_decision(
        subject=plan,
        action="in_operation",
        actor=actor,
        from_state=previous_state,
        to_state=ImplementationStatus.IN_OPERATION,
        comment="Implementation responsibility: " + ", ".join(str(u) for u in handover.receivers.all()),
    )
    notify(
        recipients=[handover.handed_over_by, *handover.receivers.exclude(pk=actor.pk)],
        subject=f"Handover accepted: {plan}",
        body=f"{actor} accepted the handover of {plan}. It is now in operation.",
        url=handover.get_absolute_url(),
    )
    return handover


@atomic_as_actor
def decline_handover(*, handover, actor, reason):
    """D3: a receiver declines with a reason; the responsibility stays where it was."""
    handover = _lock_open_handover(handover, actor, "decline")
    if not (reason or "").strip():
        raise RuleViolation("Say why you decline the handover.", field="reason")
    handover.status = Handover.Status.DECLINED
    handover.decided_by, handover.decided_at = actor, timezone.now()
    handover.decline_reason = reason.strip()
    handover.save(update_fields=["status", "decided_by", "decided_at", "decline_reason"])
    record_decision(
        subject=handover,
        action="decline_handover",
        actor=actor,
        comment=reason,
        from_state=Handover.Status.PROPOSED,
        to_state=Handover.Status.DECLINED,
    )
    notify(
        recipients=[handover.handed_over_by],
        subject=f"Handover declined: {handover.plan}",
        body=f"{actor} declined the handover of {handover.plan}:\n\n{reason}",
        url=handover.get_absolute_url(),
    )
    return handover


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


# -- selectors ----------------------------------------------------------------


def overview_queryset(user):
    """Process plans with what the overview shows, in a fixed number of queries."""
    today = timezone.localdate()
    return (
        Plan.objects.visible_to(user)
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
        .order_by("title")
    )
