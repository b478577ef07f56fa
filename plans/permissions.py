"""Who may do what with plans, asked by the pages, the API and the services alike.

- Managers, auditors, administrators, process owners and CSI owners read every
  plan (`accounts.roles.reads_everything`); staff read plans with a
  communicated version and plans they hold a responsibility in
  (`Plan.objects.visible_to`).
- A process plan is changed by its process owner and deputies; the SMP by its
  updating responsibility. guardian holds the object permission
  `plans.change_plan` of each plan (granted by `sync_plan_permissions`).
  Auditors change nothing.
- P3: a submitted version is reviewed by its named reviewer, then decided by
  its named approver, who is a manager and neither its author nor an editor.
  One person is both only where the plan allows it.
- Business rights follow the roles: the superuser flag administers users and
  roles but neither approves nor edits plans (`has_business_permission`).

Each `*_refusal` predicate returns why the user may not, or '' if he or she
may. `plan_actions` and `version_actions` (and, for Do, `implementation_actions`
and `handover_actions`) give every action with "allowed" or its reason: the
pages render their buttons from them, the API its `available_actions`.
"""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import people
from accounts.roles import has_business_permission, is_read_only, reads_everything
from pdca.actions import Actions

from .models import Acknowledgement, Handover, Kpi, Objective, Plan, PlanVersion, Responsibility

__all__ = ["is_read_only", "reads_everything"]

CHANGE_PLAN = "plans.change_plan"
APPROVE_PLAN = "plans.approve_plan"
Status = PlanVersion.Status


# -- reading -----------------------------------------------------------------


# -- who may be named --------------------------------------------------------------

# Who may hold each responsibility of a plan (`accounts.people`): only
# managers approve (P3); the others, and a KPI, are held by anyone who does
# not only read (auditors never: they audit what others do); a process is
# owned and deputised by managers, process owners and CSI owners.
RESPONSIBILITY_HOLDERS = {Responsibility.Kind.APPROVAL: people.APPROVER}
KPI_HOLDERS = people.OPERATOR
PROCESS_HOLDERS = people.RESPONSIBLE
# The distribution list (P6): anyone with a role reads a communicated plan.
DISTRIBUTION_HOLDERS = people.RECIPIENT


def holders_of(kind):
    """The `accounts.people` responsibility a plan's responsibility `kind` needs."""
    return RESPONSIBILITY_HOLDERS.get(kind, people.OPERATOR)


def can_view_plan(user, plan):
    return Plan.objects.visible_to(user).filter(pk=plan.pk).exists()


def history_refusal(user):
    if user.has_perm("plans.view_history") or reads_everything(user):
        return ""
    return _("The change history is open to managers, auditors and process owners.")


# -- changing plans ------------------------------------------------------------


def is_manager(user):
    """Top management: holds the approval right through a role (not as superuser)."""
    return user.is_authenticated and has_business_permission(user, APPROVE_PLAN)


def holds_change_permission(user, plan):
    """The object permission `plans.change_plan` on `plan`, granted by
    `sync_plan_permissions` (guardian's own check would say yes to any
    superuser). Cached on the plan object for the request."""
    cache = plan.__dict__.setdefault("_change_permission_of", {})
    if user.pk not in cache:
        cache[user.pk] = UserObjectPermission.objects.filter(
            user=user,
            content_type=ContentType.objects.get_for_model(Plan),
            object_pk=str(plan.pk),
            permission__codename="change_plan",
        ).exists()
    return cache[user.pk]


def archived_refusal(plan):
    """An archived plan changes no more (until a manager restores it)."""
    if plan.archived_at is None:
        return ""
    return _("This plan is archived since %(date)s: a manager restores it before it changes again.") % {
        "date": date_format(timezone.localtime(plan.archived_at), "DATE_FORMAT")
    }


def edit_refusal(user, plan):
    """Why `user` may not change `plan`, or '' if he or she may."""
    if not user.is_authenticated:
        return _("Log in to change plans.")
    if is_read_only(user):
        return _("Auditors read plans but cannot change them.")
    if plan.archived_at is not None:
        return archived_refusal(plan)
    if not holds_change_permission(user, plan):
        if plan.is_smp:
            return _("Only the SMP's updating responsibility can change the service management plan.")
        return _(
            "Only the process owner, the deputies and the updating responsibility change a process plan."
        )
    return ""


def can_edit_plan(user, plan):
    return not edit_refusal(user, plan)


def create_smp_refusal(user):
    if is_read_only(user) or not is_manager(user):
        return _("Only top management (a manager) creates the service management plan.")
    return ""


def create_process_plan_refusal(user, process):
    if not user.is_authenticated or is_read_only(user):
        return _("Only the owner or a deputy of %(process)s can create its plan.") % {"process": process}
    if process.owner_id == user.pk or process.deputies.filter(pk=user.pk).exists():
        return ""
    return _("Only the owner or a deputy of %(process)s can create its plan.") % {"process": process}


def processes_to_plan_for(user, processes):
    """Of `processes` (a queryset), those `user` may create a plan for: the
    same rule as `create_process_plan_refusal`, as a filter."""
    from django.db.models import Q

    if not user.is_authenticated or is_read_only(user):
        return processes.none()
    return processes.filter(Q(owner=user) | Q(deputies=user)).distinct()


def manage_processes_refusal(user, *, creating=False):
    """Managers create processes and name their owners and deputies."""
    needed = "plans.add_process" if creating else "plans.change_process"
    if is_read_only(user) or not has_business_permission(user, needed):
        return _("Only managers create processes and name their owners.")
    return ""


def communicate_refusal(user, version):
    if is_read_only(user) or user not in version.responsible(Responsibility.Kind.COMMUNICATION):
        return _("Only the plan's communication responsibility communicates it.")
    return archived_refusal(version.plan)


def can_communicate(user, version):
    return not communicate_refusal(user, version)


def distribution_refusal(user, plan):
    """P6: the plan's editors and its communication responsibility keep the distribution list."""
    if can_edit_plan(user, plan) or any(can_communicate(user, v) for v in plan._versions()):
        return ""
    return _("Only the plan's editors and its communication responsibility set the distribution list.")


def can_set_distribution(user, plan):
    return not distribution_refusal(user, plan)


def approval_refusal(user, version):
    """P3: a manager named as approver, never the author or an editor."""
    if is_read_only(user):
        return _("Auditors cannot approve plans.")
    if not is_manager(user):
        return _("Only a manager can approve plans.")
    approvers = version.responsible(Responsibility.Kind.APPROVAL)
    if user not in approvers:
        names = ", ".join(str(u) for u in approvers) or _("nobody")
        return _("Only the plan's named approver (%(names)s) can decide on it.") % {"names": names}
    return version.segregation_refusal(user)


def can_approve(user, version):
    return not approval_refusal(user, version)


def reviews_and_approves_at_once(user, version):
    """P3: where the plan allows one person to be reviewer and approver, that
    person approves a version in review directly (reviewing it in the same step)."""
    return (
        version.status == Status.IN_REVIEW
        and version.reviewer_may_approve
        and user in version.responsible(Responsibility.Kind.REVIEW)
        and not approval_refusal(user, version)
    )


def review_refusal(user, version):
    """P3: the named reviewer reviews a submitted version before its approval."""
    if is_read_only(user):
        return _("Auditors read plans but do not review them for approval.")
    reviewers = version.responsible(Responsibility.Kind.REVIEW)
    if user not in reviewers:
        names = ", ".join(str(u) for u in reviewers) or _("nobody")
        return _("Only the plan's named reviewer (%(names)s) reviews it before approval.") % {"names": names}
    return ""


def request_changes_refusal(user, version):
    """P3: the reviewer (while in review) or the approver sends a version back to draft."""
    if version.status == Status.IN_REVIEW and not review_refusal(user, version):
        return ""
    return approval_refusal(user, version)


def withdraw_refusal(user, version):
    """P3: a submission is withdrawn before the decision by its author or by
    whoever may edit the plan (the process owner, deputies, updaters)."""
    if not user.is_authenticated or is_read_only(user):
        return _("Auditors read plans but do not withdraw submissions.")
    if version.author_id == user.pk or can_edit_plan(user, version.plan):
        return ""
    return _(
        "Only the author or the plan's editors (process owner, deputies, updaters) withdraw a submission."
    )


def revise_refusal(user, plan, latest=None):
    refusal = edit_refusal(user, plan)
    if refusal:
        return refusal
    latest = latest if latest is not None else plan.latest_version
    if latest is not None and latest.status in PlanVersion.IN_PROGRESS:
        return _(
            "Version %(number)s is still %(status)s: work on it instead of starting another revision."
        ) % {
            "number": latest.number,
            "status": latest.get_status_display().lower(),
        }
    return ""


def archiver_refusal(user):
    """Who archives a plan: a manager."""
    if not is_manager(user) or is_read_only(user):
        return _("Only a manager archives a plan.")
    return ""


def restorer_refusal(user):
    """Who restores an archived plan: a manager."""
    if not is_manager(user) or is_read_only(user):
        return _("Only a manager restores an archived plan.")
    return ""


def archive_refusal(user, plan, versions=None):
    """A plan with an approved version is never deleted: a manager archives it
    when its process is retired, once nothing about it waits for a decision.
    The SMP and the CSI principle stay in force: they are revised instead."""
    refusal = archiver_refusal(user)
    if refusal:
        return refusal
    if plan.archived_at is not None:
        return _("This plan is archived already.")
    if plan.process_id is None:
        return _(
            "The service management plan and the CSI principle stay in force: revise them instead of "
            "archiving them."
        )
    versions = versions if versions is not None else plan._versions()
    waiting = next((v for v in versions if v.status in PlanVersion.AWAITING_DECISION), None)
    if waiting is not None:
        return _(
            "Version %(number)s waits for its review or approval: withdraw the submission or decide on it "
            "before archiving the plan."
        ) % {"number": waiting.number}
    if plan.handovers.filter(status=Handover.Status.PROPOSED).exists():
        return _("A handover of this plan waits for its receivers: they accept or decline it first.")
    return ""


def restore_refusal(user, plan):
    """A manager puts an archived plan back in use."""
    refusal = restorer_refusal(user)
    if refusal:
        return refusal
    if plan.archived_at is None:
        return _("This plan is not archived.")
    return ""


def confirm_conformance_refusal(user, plan, current=None):
    refusal = edit_refusal(user, plan)
    if refusal:
        return refusal
    if not plan.conformance_review_due:
        return _("No conformance review is due for this plan.")
    current = current if current is not None else plan.current_version
    if current is None:
        return _("The plan has no approved version to confirm: submit it for approval instead.")
    return ""


# -- what a user may do now ------------------------------------------------------------


def plan_actions(user, plan, *, versions=None):
    """What `user` may do with `plan` now. `versions`: the versions the user
    sees, newest first (default: the plan's own prefetch)."""
    versions = versions if versions is not None else plan._versions()
    latest = versions[0] if versions else None
    current = next((v for v in versions if v.status in PlanVersion.IN_FORCE), None)
    editable = edit_refusal(user, plan)
    actions = Actions()
    if latest is not None and latest.status == Status.DRAFT:
        actions.add("edit", reason=editable)
    actions.add(
        "revise", reason=revise_refusal(user, plan, latest) if latest else _("The plan has no version.")
    )
    actions.add("confirm_conformance", reason=confirm_conformance_refusal(user, plan, current))
    actions.add("distribution", reason=distribution_refusal(user, plan))
    actions.add("history", reason=history_refusal(user))
    # Archiving is a manager's action: to others it is not offered (no reason given).
    manager = is_manager(user)
    if plan.archived_at is None:
        # The SMP and the CSI principle are revised, never archived: not offered.
        manager = manager and plan.process_id is not None
        actions.add("archive", manager, reason=archive_refusal(user, plan, versions) if manager else "")
    else:
        actions.add("restore", manager, reason=restore_refusal(user, plan) if manager else "")
    return actions


def version_actions(user, version, *, problems=None, acknowledgement=None):
    """What `user` may do with `version` now: edit and submit a draft, withdraw
    a submission, approve or request changes, communicate, acknowledge. `problems`: the draft's
    submission problems when the caller has them; `acknowledgement`: the
    user's acknowledgement of a communicated version, if the caller has it."""
    from .rules import submission_problems

    actions = Actions()
    if version.status == Status.DRAFT:
        refusal = edit_refusal(user, version.plan)
        actions.add("edit", reason=refusal)
        if not refusal:
            problems = problems if problems is not None else submission_problems(version)
            left = [message for messages in problems.values() for message in messages]
            actions.add("submit", reason=" ".join(left))
    if version.status == Status.IN_REVIEW:
        review = review_refusal(user, version)
        if reviews_and_approves_at_once(user, version):
            actions.add("approve")
        elif not review:
            actions.add("review")
        else:
            actions.add("review", False)  # not offered: only the reviewer needs it
            if user in version.responsible(Responsibility.Kind.APPROVAL) and not approval_refusal(
                user, version
            ):
                actions.refuse(
                    "approve",
                    _("It waits for its review first: the named reviewer reviews it before you decide."),
                )
            else:
                actions.add("approve", False)
        actions.add("request_changes", not request_changes_refusal(user, version))
    if version.status in PlanVersion.AWAITING_DECISION:
        # Offered to the author and the plan's editors only; to others it is not their action.
        actions.add("withdraw", not withdraw_refusal(user, version))
    if version.status == Status.REVIEWED:
        refusal = approval_refusal(user, version)
        # Only managers need to know why they cannot decide; to others it is not offered.
        if refusal and not is_manager(user):
            actions.add("approve", False)
            actions.add("request_changes", False)
        else:
            actions.add("approve", reason=refusal)
            actions.add("request_changes", reason=refusal)
    if version.status == Status.APPROVED:
        refusal = communicate_refusal(user, version)
        if refusal and is_read_only(user):
            actions.add("communicate", False)
        else:
            actions.add("communicate", reason=refusal)
    if version.status == Status.COMMUNICATED:
        if acknowledgement is None:
            acknowledgement = Acknowledgement.objects.filter(version=version, user=user).first()
        if acknowledgement is None:
            actions.add("acknowledge", False)
        elif acknowledgement.acknowledged_at is not None:
            actions.refuse("acknowledge", _("You acknowledged this version already."))
        else:
            actions.add("acknowledge")
    return actions


# -- object permissions ------------------------------------------------------------------------


def sync_plan_permissions(plan):
    """Grant `plans.change_plan` on `plan` to exactly the people who change it
    (P2): the updating responsibility of its newest version, and for a process
    plan its process owner and deputies."""
    latest = plan.versions.order_by("-number").first()
    updaters = set(latest.responsible(Responsibility.Kind.UPDATING)) if latest else set()
    if plan.process_id is None:  # the SMP and the CSI principle
        wanted = updaters or {plan.created_by}
    else:
        process = plan.process
        wanted = {process.owner, *process.deputies.all(), *updaters}
    holders = set(get_users_with_perms(plan, only_with_perms_in=["change_plan"], with_group_users=False))
    for user in holders - wanted:
        remove_perm(CHANGE_PLAN, user, plan)
    for user in wanted - holders:
        assign_perm(CHANGE_PLAN, user, plan)


def plan_of(obj):
    """The plan a piece of plan content belongs to."""
    if isinstance(obj, Plan):
        return obj
    if isinstance(obj, Kpi):
        return obj.objective.version.plan
    if isinstance(obj, Objective | Responsibility | Acknowledgement):
        return obj.version.plan
    return obj.plan


class PlanAccess(BasePermission):
    """The API's object rule: read what you may see, change what you may edit.
    State transitions check their own rule in the services."""

    message = _(
        "You can read this plan but not change it: a process plan is changed by its process owner and "
        "deputies, the service management plan by its updating responsibility, and auditors change nothing."
    )

    def has_permission(self, request, view):
        return request.user.is_authenticated

    def has_object_permission(self, request, view, obj):
        if request.method in SAFE_METHODS or getattr(view, "action", None) in view.transition_actions:
            return True
        return can_edit_plan(request.user, plan_of(obj))


# -- Do ----------------------------------------------------------------------


def implementation_holders(plan):
    """D3: who holds the implementation responsibility now: the receivers of the
    last handover accepted since the version in force was approved, or else the
    implementation responsibility that version names. A handover accepted
    under an older version does not outrank a newer approved version (which
    takes its receivers over when it is revised from them). Uses the
    handovers prefetched by `plans.do.selectors.overview_queryset()` when
    there are some."""
    version = plan.current_version
    accepted = last_accepted_handover(plan)
    if accepted is not None and (version is None or accepted.decided_at >= version.approved_at):
        return list(accepted.receivers.all())
    return version.responsible(Responsibility.Kind.IMPLEMENTATION) if version else []


def last_accepted_handover(plan):
    if hasattr(plan, "all_handovers"):  # newest decision first
        return next((h for h in plan.all_handovers if h.status == Handover.Status.ACCEPTED), None)
    return plan.handovers.filter(status=Handover.Status.ACCEPTED).order_by("-decided_at", "-pk").first()


def implementation_refusal(user, plan, holders=None):
    """Only the implementation responsibility plans milestones, assigns KPI
    operators and proposes a handover (D2, D3)."""
    if not user.is_authenticated or is_read_only(user):
        return _("Auditors read the implementation but cannot change it.")
    if plan.archived_at is not None:
        return archived_refusal(plan)
    holders = holders if holders is not None else implementation_holders(plan)
    if user not in holders:
        names = ", ".join(str(u) for u in holders) or _("nobody yet")
        return _("Only the plan's implementation responsibility (%(names)s) can do this.") % {"names": names}
    return ""


def can_manage_implementation(user, plan):
    return not implementation_refusal(user, plan)


def implementation_actions(user, plan, *, holders=None):
    """What `user` may do with the implementation of `plan` now."""
    from .do.rules import not_communicated_refusal

    refusal = implementation_refusal(user, plan, holders)
    actions = Actions()
    actions.add("manage", reason=refusal)
    actions.add("start", reason=refusal or not_communicated_refusal(plan) or _start_state_refusal(plan))
    actions.add("propose_handover", reason=refusal or not_communicated_refusal(plan))
    return actions


def _start_state_refusal(plan):
    if plan.implementation_status != Plan.ImplementationStatus.NOT_STARTED:
        return _("The implementation is already %(status)s.") % {
            "status": plan.get_implementation_status_display().lower()
        }
    return ""


def handover_decision_refusal(user, handover, verb):
    """D3: only a person named as receiver decides on a handover."""
    # Reads the prefetched receivers when a list loaded them.
    if not any(receiver.pk == user.pk for receiver in handover.receivers.all()):
        return _("Only a person named as receiver can %(verb)s this handover.") % {"verb": verb}
    return ""


def handover_actions(user, handover):
    actions = Actions()
    if handover.status == Handover.Status.PROPOSED:
        actions.add("accept", reason=handover_decision_refusal(user, handover, _("accept")))
        actions.add("decline", reason=handover_decision_refusal(user, handover, _("decline")))
    return actions
