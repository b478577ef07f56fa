"""Do: every change of an implementation goes through one of these functions
(D1-D3). Like `plans.services`, each names its rule, asks `plans.permissions`
who may, and changes state through `pdca.transitions.transition`."""

from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import people
from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.history import atomic_as_actor
from pdca.notifications import Notice
from pdca.transitions import lock, record_creation, transition
from plans import permissions
from plans.models import Handover, Kpi, KpiAssignment, Milestone, Plan

from .rules import not_communicated_refusal
from .selectors import kpis_without_operator

ImplementationStatus = Plan.ImplementationStatus


def _holder_check(actor):
    def check(plan):
        refusal = permissions.implementation_refusal(actor, plan)
        if refusal:
            raise NotAllowed(refusal)

    return check


def _require_communicated(plan):
    refusal = not_communicated_refusal(plan)
    if refusal:
        raise RuleViolation(refusal)


def _locked_plan_for(actor, plan):
    """The plan, locked, after checking that `actor` holds its implementation responsibility."""
    plan = lock(plan)
    _holder_check(actor)(plan)
    return plan


@atomic_as_actor
def start_implementation(*, plan, actor, comment=""):
    """D2: not started -> in implementation, once the plan is communicated."""

    def check(locked):
        _holder_check(actor)(locked)
        _require_communicated(locked)

    return transition(
        plan,
        actor=actor,
        action="start_implementation",
        field="implementation_status",
        source=ImplementationStatus.NOT_STARTED,
        target=ImplementationStatus.IN_IMPLEMENTATION,
        stamp="implementation_started_at",
        comment=comment,
        check=check,
        conflict=lambda p: (
            _("The implementation is already %(status)s.")
            % {"status": p.get_implementation_status_display().lower()}
        ),
    )


def change_implementation_status(*, plan, actor, status, comment=""):
    """The one entry point for a requested status change (browser and API)."""
    if status == ImplementationStatus.IN_IMPLEMENTATION:
        return start_implementation(plan=plan, actor=actor, comment=comment)
    if status == ImplementationStatus.IN_OPERATION:
        raise RuleViolation(
            _(
                "A plan goes into operation only when a receiver accepts its handover: propose a handover instead."
            ),
            field="implementation_status",
        )
    raise RuleViolation(
        _("An implementation cannot go back to “not started”."), field="implementation_status"
    )


def _milestone_done(milestone, *, actor, plan, done_on, evidence=None):
    """D2: a milestone is reached, recorded on its plan's decisions."""

    def check(locked):
        if locked.done_on:
            raise Conflict(
                _("“%(title)s” was already marked done on %(date)s.")
                % {"title": locked.title, "date": f"{locked.done_on:%d %b %Y}"}
            )
        if done_on > timezone.localdate():
            raise RuleViolation(_("The done date cannot be in the future."), field="done_on")

    changes = {"done_on": done_on}
    if evidence:
        changes["evidence"] = evidence
    return transition(
        milestone,
        actor=actor,
        action="milestone_done",
        field=None,
        check=check,
        changes=changes,
        subject=plan,
        comment=milestone.title,
    )


@atomic_as_actor
def save_milestone(*, plan, actor, title, owner, due_on, done_on=None, evidence="", milestone=None):
    plan = _locked_plan_for(actor, plan)
    _require_communicated(plan)
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("A milestone needs a title.")]
    if owner is None:
        errors["owner"] = [_("A milestone needs an owner.")]
    elif refusal := people.eligibility_refusal(owner, people.OPERATOR):
        errors["owner"] = [refusal]
    if due_on is None:
        errors["due_on"] = [_("A milestone needs a due date.")]
    if done_on and done_on > timezone.localdate():
        errors["done_on"] = [_("The done date cannot be in the future.")]
    if errors:
        raise RuleViolation(_("The milestone is incomplete."), errors=errors)
    if milestone is None:
        milestone = Milestone(plan=plan)
    elif milestone.plan_id != plan.pk:
        raise RuleViolation(_("That milestone belongs to another plan."))
    newly_done = done_on is not None and milestone.done_on is None
    milestone.title, milestone.owner, milestone.due_on = title.strip(), owner, due_on
    milestone.evidence = evidence or ""
    if not newly_done:
        milestone.done_on = done_on
    milestone.save()
    if newly_done:
        milestone = _milestone_done(milestone, actor=actor, plan=plan, done_on=done_on)
    return milestone


@atomic_as_actor
def complete_milestone(*, milestone, actor, evidence="", done_on=None):
    plan = _locked_plan_for(actor, milestone.plan)
    return _milestone_done(
        milestone, actor=actor, plan=plan, done_on=done_on or timezone.localdate(), evidence=evidence
    )


@atomic_as_actor
def delete_milestone(*, milestone, actor):
    _locked_plan_for(actor, milestone.plan)
    milestone.delete()


@atomic_as_actor
def assign_kpi_operator(*, kpi, actor, operator):
    """D1: each KPI in operation has a person who operates it, one who may
    operate (`accounts.people.OPERATOR`: no auditor, nobody inactive)."""
    plan = _locked_plan_for(actor, kpi.objective.version.plan)
    if kpi.objective.version_id != getattr(plan.current_version, "pk", None):
        raise RuleViolation(_("Operators are assigned to the KPIs of the version in force."))
    if operator is None:
        raise RuleViolation(_("Choose the person who operates this KPI."), field="operator")
    people.require_eligible("operator", people.OPERATOR, operator)
    assignment, _created = KpiAssignment.objects.update_or_create(
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
    """D3: the implementers propose to hand the process over to its operators,
    people who may operate (`accounts.people.OPERATOR`)."""
    plan = _locked_plan_for(actor, plan)
    _require_communicated(plan)
    if plan.implementation_status == ImplementationStatus.NOT_STARTED:
        raise RuleViolation(_("Start the implementation before handing the process over."))
    receivers = list(dict.fromkeys(receivers or []))
    if not receivers:
        raise RuleViolation(_("Name at least one person who receives the process."), field="receivers")
    people.require_eligible("receivers", people.OPERATOR, *receivers)
    if plan.handovers.filter(status=Handover.Status.PROPOSED).exists():
        raise Conflict(
            _("A handover of this plan is already waiting for its receivers: wait for their decision first.")
        )
    handover = Handover.objects.create(
        plan=plan,
        handed_over_by=actor,
        handover_on=handover_on or timezone.localdate(),
        open_points=open_points or "",
        documents=documents or "",
    )
    handover.receivers.set(receivers)
    return record_creation(
        handover,
        actor=actor,
        action="propose_handover",
        to_state=Handover.Status.PROPOSED,
        comment=_("To %(names)s") % {"names": ", ".join(str(r) for r in receivers)},
        notices=[
            Notice(
                recipients=receivers,
                subject=_("Handover to accept: %(plan)s") % {"plan": plan},
                body=_(
                    "%(actor)s hands %(plan)s over to you. Accept it to take over the implementation "
                    "responsibility, or decline it with a reason."
                )
                % {"actor": actor, "plan": plan},
                url=handover.get_absolute_url(),
                about=handover,
                task="decide_handover",
            )
        ],
    )


def _receiver_check(actor, verb):
    def check(handover):
        refusal = permissions.handover_decision_refusal(actor, handover, verb)
        if refusal:
            raise NotAllowed(refusal)

    return check


def _already_decided(handover):
    return _("This handover was already %(status)s.") % {"status": handover.get_status_display().lower()}


@atomic_as_actor
def accept_handover(*, handover, actor, comment=""):
    """D3: a receiver accepts; the receivers now hold the implementation
    responsibility and the plan is in operation."""

    def check(locked):
        _receiver_check(actor, _("accept"))(locked)
        missing = kpis_without_operator(locked.plan)
        if missing:
            raise RuleViolation(
                _(
                    "A process in operation needs an operator for each KPI; none yet for: %(kpis)s. "
                    "Ask the implementers to assign them."
                )
                % {"kpis": "; ".join(k.metric for k in missing)}
            )

    handover = transition(
        handover,
        actor=actor,
        action="accept_handover",
        source=Handover.Status.PROPOSED,
        target=Handover.Status.ACCEPTED,
        stamp="decided_at",
        comment=comment,
        related=("plan",),
        check=check,
        changes={"decided_by": actor},
        conflict=_already_decided,
        # One receiver decides for all: the others are no longer asked.
        resolves=("decide_handover",),
        notices=lambda h: [
            Notice(
                recipients=[h.handed_over_by, *h.receivers.exclude(pk=actor.pk)],
                subject=_("Handover accepted: %(plan)s") % {"plan": h.plan},
                body=_("%(actor)s accepted the handover of %(plan)s. It is now in operation.")
                % {"actor": actor, "plan": h.plan},
                url=h.get_absolute_url(),
                about=h,
            )
        ],
    )
    transition(
        handover.plan,
        actor=actor,
        action="in_operation",
        field="implementation_status",
        source=(ImplementationStatus.IN_IMPLEMENTATION, ImplementationStatus.IN_OPERATION),
        target=ImplementationStatus.IN_OPERATION,
        changes=lambda p: {"in_operation_since": p.in_operation_since or handover.decided_at},
        comment=_("Implementation responsibility: %(names)s")
        % {"names": ", ".join(str(u) for u in handover.receivers.all())},
    )
    return handover


@atomic_as_actor
def decline_handover(*, handover, actor, reason):
    """D3: a receiver declines with a reason; the responsibility stays where it was."""

    def check(locked):
        _receiver_check(actor, _("decline"))(locked)
        if not (reason or "").strip():
            raise RuleViolation(_("Say why you decline the handover."), field="reason")

    return transition(
        handover,
        actor=actor,
        action="decline_handover",
        source=Handover.Status.PROPOSED,
        target=Handover.Status.DECLINED,
        stamp="decided_at",
        comment=reason,
        related=("plan",),
        check=check,
        changes=lambda h: {"decided_by": actor, "decline_reason": (reason or "").strip()},
        conflict=_already_decided,
        resolves=("decide_handover",),
        notices=lambda h: [
            Notice(
                recipients=[h.handed_over_by],
                subject=_("Handover declined: %(plan)s") % {"plan": h.plan},
                body=_("%(actor)s declined the handover of %(plan)s:\n\n%(reason)s")
                % {"actor": actor, "plan": h.plan, "reason": reason},
                url=h.get_absolute_url(),
                about=h,
            )
        ],
    )
