"""Who may do what in Check, asked by the pages, the API and the services alike.

- Everybody who reads the whole SMS reads every review, measurement and
  finding; staff read the approved reviews of the plans they can read
  (`Review.objects.visible_to`).
- Process owners and deputies plan and carry out the reviews of their
  processes and record their measurements (so do a KPI's owner and operator).
- Managers plan management reviews and internal audits and approve reviews;
  the approver is neither the reviewer nor a participant, nor who planned or
  edited the review (C4).
- Internal audits are carried out by auditors, who never audit a process they
  own, deputise, operate a KPI of or hold the implementation of (C3).
  Otherwise auditors read and change nothing.

Each `*_refusal` returns why the user may not, or '' if he or she may;
`review_actions` gives every action on a review with "allowed" or its reason.
"""

from django.utils.translation import gettext as _
from rest_framework.permissions import BasePermission

from accounts import roles
from accounts.roles import has_business_permission, is_read_only, reads_everything
from pdca.actions import Actions
from plans import permissions as plan_permissions
from plans.models import KpiAssignment, Plan

from .models import Finding, Review, ReviewAction

APPROVE_REVIEW = "reviews.approve_review"
Kind = Review.Kind
Status = Review.Status

__all__ = ["is_read_only", "reads_everything"]


def is_manager(user):
    """Top management, by role (the superuser flag is no business right)."""
    return user.is_authenticated and has_business_permission(user, APPROVE_REVIEW)


def is_auditor(user):
    return user.is_authenticated and user.has_role(roles.AUDITOR)


def owns_process(user, process):
    """The process owner or a deputy."""
    if process is None or not user.is_authenticated:
        return False
    return process.owner_id == user.pk or any(d.pk == user.pk for d in process.deputies.all())


# -- reading ---------------------------------------------------------------------------


def can_view_review(user, review):
    return Review.objects.visible_to(user).filter(pk=review.pk).exists()


# -- planning -------------------------------------------------------------------------------


def plan_review_refusal(user, kind, *, plan=None):
    """Who plans which kind of review (C3)."""
    if not user.is_authenticated:
        return _("Log in to plan reviews.")
    if kind in (Kind.MANAGEMENT, Kind.INTERNAL_AUDIT):
        if not is_manager(user):
            return _("Management reviews and internal audits are planned by top management (a manager).")
        return ""
    if is_read_only(user):
        return _("Auditors carry out internal audits; they do not plan process reviews.")
    if plan is None or plan.process_id is None:
        return _("A process review reviews one process plan: choose it.")
    if not (owns_process(user, plan.process) or is_manager(user)):
        return _("Only the owner or a deputy of %(process)s plans its reviews.") % {"process": plan.process}
    return plan_permissions.archived_refusal(plan)


def audit_independence_refusal(auditor, processes):
    """C3: an auditor never audits a process he or she owns, deputises,
    operates a KPI of or holds the implementation responsibility of."""
    for process in processes:
        if process.owner_id == auditor.pk:
            return _("%(auditor)s owns %(process)s and cannot audit it.") % {
                "auditor": auditor,
                "process": process,
            }
        if process.deputies.filter(pk=auditor.pk).exists():
            return _("%(auditor)s is a deputy of %(process)s and cannot audit it.") % {
                "auditor": auditor,
                "process": process,
            }
        plan = Plan.objects.filter(process=process).first()
        if plan is None:
            continue
        version = plan.current_version
        if (
            version is not None
            and KpiAssignment.objects.filter(kpi__objective__version=version, operator=auditor).exists()
        ):
            return _("%(auditor)s operates a KPI of %(process)s and cannot audit it.") % {
                "auditor": auditor,
                "process": process,
            }
        if auditor in plan_permissions.implementation_holders(plan):
            return _(
                "%(auditor)s holds the implementation responsibility of %(process)s and cannot audit it."
            ) % {
                "auditor": auditor,
                "process": process,
            }
    return ""


def reviewer_refusal(reviewer, kind, *, processes=()):
    """Who may lead each kind of review."""
    if reviewer is None:
        return _("Name the reviewer.")
    if not reviewer.is_active:
        return _("%(name)s is no longer active.") % {"name": reviewer}
    if kind == Kind.INTERNAL_AUDIT:
        if not is_auditor(reviewer):
            return _("An internal audit is carried out by an auditor; %(name)s is not one.") % {
                "name": reviewer
            }
        return audit_independence_refusal(reviewer, processes)
    if is_read_only(reviewer):
        return _("Auditors carry out internal audits, not management or process reviews.")
    if kind == Kind.MANAGEMENT and not is_manager(reviewer):
        return _("A management review is led by top management; %(name)s is not a manager.") % {
            "name": reviewer
        }
    return ""


# -- carrying out a review --------------------------------------------------------------------


def edit_refusal(user, review):
    """Who writes a review while it is planned or in progress: its reviewer;
    for a process review also the process owner and deputies."""
    if not user.is_authenticated:
        return _("Log in to change reviews.")
    if user.pk == review.reviewer_id:
        return ""
    if is_read_only(user):
        return _("Auditors read reviews; they write only the internal audits they carry out.")
    if review.kind == Kind.PROCESS and review.plan_id and owns_process(user, review.plan.process):
        return ""
    return _("Only the reviewer (%(name)s) writes this review.") % {"name": review.reviewer}


def submit_refusal(user, review):
    if user.pk != review.reviewer_id:
        return _("Only the reviewer (%(name)s) submits this review.") % {"name": review.reviewer}
    return ""


def decide_refusal(user, review):
    """C4: a manager who is neither the reviewer nor a participant (nor who
    planned or edited it) approves or returns a submitted review."""
    if is_read_only(user):
        return _("Auditors cannot approve reviews.")
    if not is_manager(user):
        return _("Only a manager approves reviews.")
    return review.segregation_refusal(user)


def addendum_refusal(user, review):
    """C4: an approved review is corrected or completed by an addendum, written
    by its reviewer, a participant, a manager or the process owner."""
    if review.status != Status.APPROVED:
        return _("Addenda are added to approved reviews; change the review itself while it is open.")
    if user.pk == review.reviewer_id or review.participants.filter(pk=user.pk).exists():
        return ""
    if is_read_only(user):
        return _("Auditors add addenda only to the audits they carried out.")
    if is_manager(user) or (review.plan_id and owns_process(user, review.plan.process)):
        return ""
    return _("The reviewer, a participant, a manager or the process owner adds an addendum.")


def action_progress_refusal(user, action):
    """The owner of an action, or the reviewer, marks it done."""
    if user.pk in (action.owner_id, action.review.reviewer_id):
        return ""
    return _("Only the owner of the action (%(name)s) or the reviewer marks it done.") % {
        "name": action.owner
    }


def review_actions(user, review):
    """What `user` may do with `review` now."""
    actions = Actions()
    if review.status in Review.EDITABLE_STATES:
        actions.add("edit", reason=edit_refusal(user, review))
    if review.status == Status.PLANNED:
        actions.add("start", reason=edit_refusal(user, review))
    if review.status == Status.IN_PROGRESS:
        actions.add("submit", reason=submit_refusal(user, review))
    if review.status == Status.SUBMITTED:
        refusal = decide_refusal(user, review)
        if refusal and not is_manager(user):
            actions.add("approve", False)
            actions.add("return", False)
        else:
            actions.add("approve", reason=refusal)
            actions.add("return", reason=refusal)
    if review.status == Status.APPROVED:
        actions.add("add_addendum", reason=addendum_refusal(user, review))
    return actions


# -- schedules and measurements ------------------------------------------------------------------


def schedule_refusal(user, plan):
    """C2: the process owner and deputies keep a process plan's schedule; top
    management keeps the SMP's."""
    if is_read_only(user):
        return _("Auditors read review schedules but do not change them.")
    if plan.is_smp:
        return "" if is_manager(user) else _("Top management keeps the review schedule of the SMP.")
    if not (owns_process(user, plan.process) or is_manager(user)):
        return _("Only the owner or a deputy of %(process)s keeps its review schedule.") % {
            "process": plan.process
        }
    return plan_permissions.archived_refusal(plan)


def measurement_refusal(user, kpi):
    """C1: a KPI's measurements are recorded by its owner, its operator or the
    process owner and deputies."""
    if not user.is_authenticated or is_read_only(user):
        return _("Auditors read measurements but do not record them.")
    if kpi.owner_id == user.pk:
        return ""
    assignment = getattr(kpi, "assignment", None) if hasattr(kpi, "assignment") else None
    if assignment is not None and assignment.operator_id == user.pk:
        return ""
    plan = kpi.objective.version.plan
    if plan.process_id and owns_process(user, plan.process):
        return ""
    if plan.is_smp and is_manager(user):
        return ""
    return _("Only the KPI's owner, its operator or the process owner records its measurements.")


def can_record_measurements(user, kpi):
    return not measurement_refusal(user, kpi)


# -- the API ---------------------------------------------------------------------------------


def object_review(obj):
    if isinstance(obj, Review):
        return obj
    if isinstance(obj, Finding | ReviewAction):
        return obj.review
    return getattr(obj, "review", None)


class ReviewAccess(BasePermission):
    """The API's rule for reviews and their parts: read what you may see (the
    querysets are already filtered); every change is checked by the services."""

    def has_permission(self, request, view):
        return request.user.is_authenticated
