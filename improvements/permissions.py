"""Who may do what in Act, asked by the pages, the API and the services alike.

- A1: the CSI owners are the people the CSI principle in force names; they
  hold the CSI owner's rights (approve, reject, evaluate and close
  improvements) only while it names them.
- A3: an improvement of one process is carried out by that process's owner
  (and deputies); one spanning processes, or a company-wide one, by its owner
  within one or more projects, which managers approve.
- Anyone who is not an auditor may propose an improvement. Managers and
  auditors read everything; auditors change nothing.
- Nobody approves or verifies what he or she proposed or owns.

Each `*_refusal` returns why the user may not, or '' if he or she may;
`improvement_actions` gives every action with "allowed" or its reason.
"""

from django.db.models import Q
from django.utils.translation import gettext as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.roles import has_business_permission, is_read_only
from pdca.actions import Actions
from plans.models import Plan, PlanVersion, Process, Responsibility

from .models import Improvement

Status = Improvement.Status


def csi_owner_ids():
    """A1: the people the CSI principle in force names as CSI owners."""
    version = (
        PlanVersion.objects.filter(plan__kind=Plan.Kind.CSI, status__in=PlanVersion.IN_FORCE)
        .order_by("-number")
        .first()
    )
    if version is None:
        return set()
    return set(
        Responsibility.objects.filter(version=version, kind=Responsibility.Kind.CSI_OWNER).values_list(
            "user_id", flat=True
        )
    )


def is_csi_owner(user):
    if not user.is_authenticated or is_read_only(user):
        return False
    cache = getattr(user, "_csi_owner", None)
    if cache is None:
        cache = user._csi_owner = user.pk in csi_owner_ids()
    return cache


def is_manager(user):
    return user.is_authenticated and has_business_permission(user, "plans.approve_plan")


def _csi_refusal(user):
    if not is_csi_owner(user):
        return _("Only a CSI owner named in the CSI principle in force does this.")
    return ""


def propose_refusal(user):
    if not user.is_authenticated:
        return _("Log in to propose improvements.")
    if is_read_only(user):
        return _("Auditors read the service improvement plan but do not change it.")
    return ""


def promote_refusal(user, finding=None):
    """A2: a CSI owner, or the owner or a deputy of the observation's process
    (of some process, when no finding is given), promotes an observation."""
    if not user.is_authenticated or is_read_only(user):
        return _("A CSI owner or the process owner promotes an observation.")
    if is_csi_owner(user):
        return ""
    if finding is None:
        owns = Process.objects.filter(Q(owner=user) | Q(deputies=user)).exists()
    else:
        process = finding.process
        owns = process is not None and (
            process.owner_id == user.pk or process.deputies.filter(pk=user.pk).exists()
        )
    return "" if owns else _("A CSI owner or the process owner promotes an observation.")


def is_responsible(user, improvement):
    """A3: the owner; for a one-process improvement also the process owner and deputies."""
    if not user.is_authenticated or is_read_only(user):
        return False
    if user.pk == improvement.owner_id:
        return True
    if improvement.scope == Improvement.Scope.PROCESS:
        for process in improvement.processes.all():
            if process.owner_id == user.pk or any(d.pk == user.pk for d in process.deputies.all()):
                return True
    return False


def act_refusal(user, improvement):
    """Who carries the improvement out (baseline, implementation, root cause, results)."""
    if is_read_only(user):
        return _("Auditors read improvements but do not carry them out.")
    if not is_responsible(user, improvement):
        owner = improvement.owner or _("nobody yet")
        return _("Only the owner of the improvement (%(owner)s) carries it out.") % {"owner": owner}
    return ""


def baseline_refusal(user, improvement):
    """A4: the baseline is recorded and accepted before the implementation starts."""
    refusal = act_refusal(user, improvement)
    if refusal:
        return refusal
    if improvement.baseline_accepted_at is not None:
        return _("The baseline is accepted and no longer changes.")
    if improvement.status not in (Status.PROPOSED, Status.APPROVED):
        return _("The baseline is recorded before the implementation starts.")
    return ""


def baseline_missing(improvement):
    """A4: no implementation without an accepted baseline."""
    if improvement.baseline_accepted_at is None:
        return _("Document and accept the baseline of service quality and service level before implementing.")
    return ""


def start_refusal(user, improvement):
    """Who may start the implementation (`act_refusal`), and A4 (`baseline_missing`)."""
    return act_refusal(user, improvement) or baseline_missing(improvement)


def edit_refusal(user, improvement):
    """The description, scope and planning of an open improvement: its owner or a CSI owner."""
    if not improvement.is_open:
        return _("A %(status)s improvement does not change.") % {
            "status": improvement.get_status_display().lower()
        }
    if is_csi_owner(user) or is_responsible(user, improvement):
        return ""
    if is_read_only(user):
        return _("Auditors read improvements but do not change them.")
    return _("Only the owner of the improvement or a CSI owner changes it.")


def decide_refusal(user, improvement):
    """CSI owners approve, reject, verify and close; never the improvement's owner,
    nor who proposed it by hand (nobody decides on what he or she raised)."""
    refusal = _csi_refusal(user)
    if refusal:
        return refusal
    if user.pk == improvement.owner_id:
        return _("You own this improvement: another CSI owner decides on it.")
    if improvement.finding_id is None and user.pk == improvement.raised_by_id:
        return _("You proposed this improvement: another CSI owner decides on it.")
    return ""


def project_refusal(user, project=None):
    """A3: CSI owners and managers set up projects."""
    if is_csi_owner(user) or is_manager(user):
        return ""
    if project is not None and project.manager_id == user.pk and not is_read_only(user):
        return ""
    return _("Only CSI owners and managers set up improvement projects.")


def project_approval_refusal(user, project):
    if not is_manager(user) or is_read_only(user):
        return _("Only a manager approves improvement projects.")
    if project.manager_id == user.pk or project.created_by_id == user.pk:
        return _("You manage or set up this project: another manager approves it.")
    return ""


def improvement_actions(user, improvement):
    """What `user` may do with `improvement` now."""
    actions = Actions()
    status = improvement.status
    if improvement.is_open:
        actions.add("edit", reason=edit_refusal(user, improvement))
    decide = decide_refusal(user, improvement)
    act = act_refusal(user, improvement)
    offered = is_csi_owner(user)
    if status == Status.PROPOSED:
        actions.add("approve", not decide, decide if offered else "")
        actions.add("reject", not decide, decide if offered else "")
    if status in (Status.PROPOSED, Status.APPROVED) and improvement.baseline_accepted_at is None:
        actions.add("baseline", reason=baseline_refusal(user, improvement))
    if status == Status.APPROVED:
        actions.add("start", reason=start_refusal(user, improvement))
    if status in (Status.APPROVED, Status.IN_IMPLEMENTATION) and improvement.is_nonconformity:
        actions.add("root_cause", reason=act)
    if status == Status.IN_IMPLEMENTATION:
        actions.add("implemented", reason=act)
    if status in (Status.IMPLEMENTED, Status.EVALUATED):
        actions.add("result", reason=act)
    if status == Status.IMPLEMENTED:
        actions.add("evaluate", not decide, decide if offered else "")
    if status == Status.EVALUATED:
        actions.add("close", not decide, decide if offered else "")
    return actions


def project_actions(user, project):
    """What `user` may do with `project` now (pages and API render the same answer)."""
    actions = Actions()
    actions.add("edit", reason=project_refusal(user, project))
    if project.status == project.Status.PLANNED:
        actions.add("approve", reason=project_approval_refusal(user, project))
    actions.add("milestone", reason=project_refusal(user, project))
    return actions


class ImprovementAccess(BasePermission):
    """The API's coarse gate: reading needs a login; changing needs a person
    who is not an auditor (the service then applies the rule of the change,
    and the queryset `visible_to` hides what the user may not read)."""

    message = _("Auditors read the service improvement plan but do not change it.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or not is_read_only(user)
