"""Who may do what with plans. Views, the API and the services all ask these
functions; guardian holds the object permission `plans.change_plan` of each
plan (granted by `sync_plan_permissions`).

- Managers, auditors, administrators, process owners and CSI owners read every plan.
- Staff read plans with a communicated version, and plans they hold a responsibility in.
- A process plan is changed by its process owner and deputies; the SMP by its
  updating responsibility. Auditors change nothing.
- Only a named approver, who is a manager and neither author nor last editor,
  approves or requests changes (P3).
"""

from guardian.shortcuts import assign_perm, get_users_with_perms, remove_perm
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts import roles

from .models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Responsibility

READ_ALL_ROLES = {roles.MANAGER, roles.AUDITOR, roles.ADMINISTRATOR, roles.PROCESS_OWNER, roles.CSI_OWNER}
CHANGE_PLAN = "plans.change_plan"


def reads_all_plans(user):
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(user.has_role(role) for role in READ_ALL_ROLES)


def is_read_only(user):
    """Auditors read everything and change nothing, whatever else they are."""
    return user.has_role(roles.AUDITOR) and not user.is_superuser


def can_view_plan(user, plan):
    return Plan.objects.visible_to(user).filter(pk=plan.pk).exists()


def can_view_version(user, version):
    return PlanVersion.objects.visible_to(user).filter(pk=version.pk).exists()


def edit_refusal(user, plan):
    """Why `user` may not change `plan`, or '' if he or she may."""
    if not user.is_authenticated:
        return "Log in to change plans."
    if is_read_only(user):
        return "Auditors read plans but cannot change them."
    if not user.has_perm(CHANGE_PLAN, plan):
        if plan.is_smp:
            return "Only the SMP's updating responsibility can change the service management plan."
        return "Only the process owner and deputies change a process plan."
    return ""


def can_edit_plan(user, plan):
    return not edit_refusal(user, plan)


def can_set_distribution(user, plan):
    """P6: the plan's editors and its communication responsibility keep the distribution list."""
    return can_edit_plan(user, plan) or any(can_communicate(user, v) for v in plan._versions())


def can_create_process_plan(user, process):
    if not user.is_authenticated or is_read_only(user):
        return False
    return user.is_superuser or process.owner_id == user.pk or process.deputies.filter(pk=user.pk).exists()


def can_approve(user, version):
    """P3: a manager named as approver, never the author or last editor."""
    return not approval_refusal(user, version)


def approval_refusal(user, version):
    """Why `user` may not approve `version`, or '' if he or she may."""
    if is_read_only(user):
        return "Auditors cannot approve plans."
    if not user.has_perm("plans.approve_plan"):
        return "Only a manager can approve plans."
    approvers = version.responsible(Responsibility.Kind.APPROVAL)
    if user not in approvers:
        names = ", ".join(str(u) for u in approvers) or "nobody"
        return f"Only the plan's named approver ({names}) can decide on it."
    if user.pk == version.author_id:
        return "You wrote this version: the approver is never the plan's author."
    if user.pk == version.last_editor_id:
        return "You edited this version last: the approver is never the plan's last editor."
    return ""


def can_communicate(user, version):
    if is_read_only(user):
        return False
    return user in version.responsible(Responsibility.Kind.COMMUNICATION)


def sync_plan_permissions(plan):
    """Grant `plans.change_plan` on `plan` to exactly the people who change it:
    the process owner and deputies, or the SMP's updating responsibility."""
    if plan.is_smp:
        source = plan.current_version or plan.latest_version
        wanted = set(source.responsible(Responsibility.Kind.UPDATING)) if source else set()
        if not wanted:
            wanted = {plan.created_by}
    else:
        process = plan.process
        wanted = {process.owner, *process.deputies.all()}
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

    message = (
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
    last accepted handover, or else the implementation responsibility named in
    the version in force. Uses the handovers prefetched by
    implementation.overview_queryset() when there are some."""
    from .models import Handover

    if hasattr(plan, "all_handovers"):  # newest decision first
        accepted = next((h for h in plan.all_handovers if h.status == Handover.Status.ACCEPTED), None)
    else:
        accepted = (
            plan.handovers.filter(status=Handover.Status.ACCEPTED).order_by("-decided_at", "-pk").first()
        )
    if accepted is not None:
        return list(accepted.receivers.all())
    version = plan.current_version
    return version.responsible(Responsibility.Kind.IMPLEMENTATION) if version else []


def can_manage_implementation(user, plan):
    """Only the implementation responsibility plans milestones and proposes a handover."""
    if not user.is_authenticated or is_read_only(user):
        return False
    return user in implementation_holders(plan)
