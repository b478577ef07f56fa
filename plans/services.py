"""Every change of a plan goes through one of these functions (P1-P6).

Each names its rule, asks `plans.permissions` who may, and changes state
through `pdca.transitions.transition` (lock, state check, save, decision
record, notification) or, for the content of a draft, through the
controlled-document helpers of `pdca.controlled` (editable, revision,
editor). Pages and the API call these functions and repeat no rule; a refusal
is a `RuleViolation` with its message.
"""

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts import people
from pdca import controlled
from pdca.decisions import record_decision
from pdca.exceptions import Conflict, NotAllowed, RuleViolation, refuse
from pdca.history import atomic_as_actor
from pdca.notifications import Notice, resolve_tasks
from pdca.transitions import lock, record_creation, transition

from . import permissions, signals
from .models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Process, Responsibility
from .rules import submission_problems

Status = PlanVersion.Status
User = get_user_model()

__all__ = ["submission_problems"]  # re-exported: the pages show it as a checklist


# -- helpers ---------------------------------------------------------------


def _draft_for_edit(version, actor, expected_revision=None):
    """The draft, locked, after checking that `actor` may edit it and that
    nobody saved it since `expected_revision`."""
    version = lock(version, related=("plan__process",))
    refuse(permissions.edit_refusal(actor, version.plan))
    controlled.require_editable(version, expected_revision)
    return version


def current_smp():
    return Plan.objects.filter(kind=Plan.Kind.SMP).first()


def smp_version_to_conform_to():
    """The SMP version new process-plan drafts are written against: the one in
    force, or else the newest draft while no SMP version is approved yet."""
    smp = current_smp()
    if smp is None:
        return None
    return smp.current_version or smp.latest_version


def _comment_line(comment):
    return _("\n\nComment: %(comment)s") % {"comment": comment} if comment else ""


# -- creating plans --------------------------------------------------------


@atomic_as_actor
def create_service_management_plan(*, actor, title="Service Management Plan"):
    """P1: there is one SMP, created by top management."""
    if current_smp() is not None:
        raise RuleViolation(_("There is already a service management plan; there can only be one."))
    refuse(permissions.create_smp_refusal(actor))
    plan = Plan.objects.create(kind=Plan.Kind.SMP, title=title, created_by=actor)
    version = PlanVersion.objects.create(plan=plan, number=1, title=title, author=actor, last_editor=actor)
    version.editors.add(actor)
    Responsibility.objects.create(version=version, kind=Responsibility.Kind.UPDATING, user=actor)
    permissions.sync_plan_permissions(plan)
    return record_creation(plan, actor=actor, action="create", to_state=Status.DRAFT)


@atomic_as_actor
def create_csi_principle(*, actor, title="CSI principle"):
    """A1: management writes one CSI principle, which belongs to the SMP and
    defines the roles and responsibilities for improvement and the CSI owners."""
    smp = current_smp()
    if smp is None:
        raise RuleViolation(_("Create the service management plan first: the CSI principle belongs to it."))
    if Plan.objects.filter(kind=Plan.Kind.CSI).exists():
        raise RuleViolation(_("There is already a CSI principle; there can only be one."))
    refuse(permissions.create_smp_refusal(actor))
    plan = Plan.objects.create(kind=Plan.Kind.CSI, title=title, smp=smp, created_by=actor)
    version = PlanVersion.objects.create(plan=plan, number=1, title=title, author=actor, last_editor=actor)
    version.editors.add(actor)
    Responsibility.objects.create(version=version, kind=Responsibility.Kind.UPDATING, user=actor)
    permissions.sync_plan_permissions(plan)
    return record_creation(plan, actor=actor, action="create", to_state=Status.DRAFT)


@atomic_as_actor
def create_process_plan(*, process, actor, title=""):
    """P1: every process plan belongs to the SMP and records the SMP version it conforms to."""
    smp = current_smp()
    if smp is None:
        raise RuleViolation(_("Create the service management plan first: every process plan belongs to it."))
    refuse(permissions.create_process_plan_refusal(actor, process))
    if Plan.objects.filter(process=process).exists():
        raise RuleViolation(_("%(process)s already has a plan.") % {"process": process}, field="process")
    title = title or _("%(process)s plan") % {"process": process}
    plan = Plan.objects.create(
        kind=Plan.Kind.PROCESS, title=title, process=process, smp=smp, created_by=actor
    )
    version = PlanVersion.objects.create(
        plan=plan,
        number=1,
        title=title,
        author=actor,
        last_editor=actor,
        conforms_to=smp_version_to_conform_to(),
    )
    version.editors.add(actor)
    permissions.sync_plan_permissions(plan)
    return record_creation(plan, actor=actor, action="create", to_state=Status.DRAFT)


@atomic_as_actor
def save_process(*, actor, name, owner, deputies=(), description="", process=None):
    """Managers create processes and name their owner and deputies; the object
    permissions on the process's plan follow (a process owner changes only
    his or her own plans)."""
    refuse(permissions.manage_processes_refusal(actor, creating=process is None))
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("A process needs a name.")]
    elif Process.objects.filter(name__iexact=name).exclude(pk=getattr(process, "pk", None)).exists():
        errors["name"] = [_("There is already a process called “%(name)s”.") % {"name": name}]
    if owner is None:
        errors["owner"] = [_("A process needs an owner.")]
    deputies = [d for d in dict.fromkeys(deputies or []) if owner is None or d.pk != owner.pk]
    if errors:
        raise RuleViolation(
            _("The process cannot be saved: ") + " ".join(m for ms in errors.values() for m in ms),
            errors=errors,
        )
    people.require_eligible("owner", permissions.PROCESS_HOLDERS, owner)
    people.require_eligible("deputies", permissions.PROCESS_HOLDERS, *deputies)
    previous_owner = process.owner if process is not None and process.pk else None
    process = process or Process()
    process.name, process.description, process.owner = name, description or "", owner
    process.save()
    process.deputies.set(deputies)
    if previous_owner != owner:
        record_decision(
            subject=process,
            action="name_process_owner",
            actor=actor,
            comment=_("Owner: %(owner)s") % {"owner": owner}
            + (_(" (was %(previous)s)") % {"previous": previous_owner} if previous_owner else ""),
        )
    if hasattr(process, "plan"):
        permissions.sync_plan_permissions(process.plan)
    return process


def set_process_owner(*, process, owner, deputies, actor):
    """Name the owner and deputies of an existing process."""
    return save_process(
        actor=actor,
        process=process,
        name=process.name,
        description=process.description,
        owner=owner,
        deputies=deputies,
    )


# -- editing a draft (P4: only a draft changes) ---------------------------------------


@atomic_as_actor
def update_draft(*, version, actor, expected_revision, sections=None, title=None):
    """Save section texts (and the title) of a draft. A save based on an older
    revision is refused (Conflict) so that nobody overwrites somebody else's text."""
    version = _draft_for_edit(version, actor, expected_revision)
    fields = []
    known = {key for key, *_ in version.plan.section_definitions}
    if sections:
        unknown = set(sections) - known
        if unknown:
            raise RuleViolation(
                _("Unknown section(s): %(keys)s.") % {"keys": ", ".join(sorted(unknown))}, field="sections"
            )
        version.sections = {
            **version.sections,
            **{k: (v or "").replace("\r\n", "\n") for k, v in sections.items()},
        }
        fields.append("sections")
    if title is not None:
        title = title.strip()
        if not title:
            raise RuleViolation(_("A plan needs a title."), field="title")
        version.title = title
        fields.append("title")
        # The plan is called by its newest title; approved versions keep theirs.
        plan = version.plan
        plan.title = title
        plan.save(update_fields=["title"])
    return controlled.touch(version, actor=actor, fields=fields)


@atomic_as_actor
def set_responsibilities(*, version, actor, assignments, expected_revision=None, reviewer_may_approve=None):
    """P2: replace the five responsibilities of a draft. `assignments` maps a
    Responsibility.Kind to a list of users. P3: the approver is a manager and
    never the plan's author; `reviewer_may_approve` says whether one person may
    be named both reviewer and approver. The named updaters may edit the
    plan's drafts."""
    version = _draft_for_edit(version, actor, expected_revision)
    approvers = assignments.get(Responsibility.Kind.APPROVAL, [])
    not_managers = [str(u) for u in approvers if not permissions.is_manager(u)]
    if not_managers:
        raise RuleViolation(
            _("The approver must be a manager: %(names)s is not.") % {"names": ", ".join(not_managers)},
            field="approval",
        )
    if any(u.pk == version.author_id for u in approvers):
        raise RuleViolation(
            _("The approver is never the plan's author: name another manager."), field="approval"
        )
    for kind, users in assignments.items():
        people.require_eligible(kind, permissions.holders_of(kind), *users)
    version.responsibilities.all().delete()
    bulk_create_with_history(
        [
            Responsibility(version=version, kind=kind, user=user)
            for kind, users in assignments.items()
            for user in dict.fromkeys(users)
        ],
        Responsibility,
        default_user=actor,
    )
    fields = []
    if reviewer_may_approve is not None:
        version.reviewer_may_approve = bool(reviewer_may_approve)
        fields.append("reviewer_may_approve")
    controlled.touch(version, actor=actor, fields=fields)
    permissions.sync_plan_permissions(version.plan)
    return version


def _next_objective_code(version):
    codes = [o.code for o in version.objectives.all()]
    n = 1
    while f"O{n}" in codes:
        n += 1
    return f"O{n}"


def _check_trace(version, traces_to):
    """P1: a process plan's objective traces to an objective of the SMP version it conforms to."""
    if version.plan.is_smp:
        if traces_to is not None:
            raise RuleViolation(_("SMP objectives do not trace to other objectives."), field="traces_to")
        return
    if traces_to is None:
        return  # allowed while drafting; submission requires it
    if version.conforms_to_id is None or traces_to.version_id != version.conforms_to_id:
        raise RuleViolation(
            _("An objective traces to an objective of the SMP version this plan conforms to."),
            field="traces_to",
        )


@atomic_as_actor
def save_objective(
    *, version, actor, title, description="", traces_to=None, code="", objective=None, expected_revision=None
):
    version = _draft_for_edit(version, actor, expected_revision)
    _check_trace(version, traces_to)
    if not title.strip():
        raise RuleViolation(_("An objective needs a title."), field="title")
    code = (code or "").strip() or (objective.code if objective else _next_objective_code(version))
    clash = version.objectives.filter(code=code).exclude(pk=getattr(objective, "pk", None)).exists()
    if clash:
        raise RuleViolation(
            _("Another objective of this version already has the code %(code)s.") % {"code": code},
            field="code",
        )
    if objective is None:
        objective = Objective(version=version)
    elif objective.version_id != version.pk:
        raise RuleViolation(_("That objective belongs to another version."))
    objective.code, objective.title, objective.description, objective.traces_to = (
        code,
        title.strip(),
        description,
        traces_to,
    )
    objective.save()
    controlled.touch(version, actor=actor)
    return objective


@atomic_as_actor
def delete_objective(*, objective, actor):
    version = _draft_for_edit(objective.version, actor)
    if objective.traced_by.exists():
        raise RuleViolation(
            _("Process plan objectives trace to %(code)s: it cannot be removed from this version.")
            % {"code": objective.code}
        )
    objective.delete()
    controlled.touch(version, actor=actor)


@atomic_as_actor
def save_kpi(
    *, objective, actor, metric, unit, direction, target, owner, frequency, kpi=None, expected_revision=None
):
    """D1: a KPI has a metric, unit, direction, target, owner and frequency."""
    version = _draft_for_edit(objective.version, actor, expected_revision)
    errors = {}
    if not (metric or "").strip():
        errors["metric"] = [_("A KPI needs a metric.")]
    if not (unit or "").strip():
        errors["unit"] = [_("A KPI needs a unit.")]
    if owner is None:
        errors["owner"] = [_("A KPI needs an owner.")]
    if target is None:
        errors["target"] = [_("A KPI needs a numeric target.")]
    if errors:
        raise RuleViolation(_("The KPI is incomplete."), errors=errors)
    people.require_eligible("owner", permissions.KPI_HOLDERS, owner)
    if kpi is None:
        kpi = Kpi(objective=objective)
    elif kpi.objective_id != objective.pk:
        raise RuleViolation(_("That KPI belongs to another objective."))
    kpi.metric, kpi.unit, kpi.direction, kpi.target, kpi.owner, kpi.frequency = (
        metric.strip(),
        unit.strip(),
        direction,
        target,
        owner,
        frequency,
    )
    kpi.save()
    controlled.touch(version, actor=actor)
    return kpi


@atomic_as_actor
def delete_kpi(*, kpi, actor):
    version = _draft_for_edit(kpi.objective.version, actor)
    kpi.delete()
    controlled.touch(version, actor=actor)


@atomic_as_actor
def set_distribution(*, plan, actor, users, groups):
    """P6: who receives the plan when it is communicated."""
    refuse(permissions.distribution_refusal(actor, plan))
    people.require_eligible("users", permissions.DISTRIBUTION_HOLDERS, *users)
    plan.distribution_users.set(users)
    plan.distribution_groups.set(groups)
    record_decision(
        subject=plan,
        action="set_distribution",
        actor=actor,
        comment=_("%(people)s people, %(roles)s roles") % {"people": len(users), "roles": len(groups)},
    )
    return plan


# -- the workflow (P3) -----------------------------------------------------


@atomic_as_actor
def submit_plan(*, version, actor, comment=""):
    """draft -> in review. P2: all five responsibilities; P1: objectives trace."""

    def check(locked):
        refuse(permissions.edit_refusal(actor, locked.plan))
        problems = submission_problems(locked)
        if problems:
            raise RuleViolation(
                _("The plan cannot be submitted yet: ")
                + " ".join(message for messages in problems.values() for message in messages),
                errors=problems,
            )

    return transition(
        version,
        actor=actor,
        action="submit",
        source=Status.DRAFT,
        target=Status.IN_REVIEW,
        stamp="submitted_at",
        comment=comment,
        related=("plan__process",),
        check=check,
        conflict=lambda v: (
            _("Only a draft can be submitted; this version is %(status)s.")
            % {"status": v.get_status_display().lower()}
        ),
        resolves=("revise",),
        notices=lambda v: [
            Notice(
                recipients=v.responsible(Responsibility.Kind.REVIEW),
                subject=_("Review requested: %(version)s") % {"version": v},
                body=_("%(actor)s submitted %(version)s for your review before it goes to the approver.")
                % {"actor": actor, "version": v}
                + _comment_line(comment),
                url=v.get_absolute_url(),
                about=v,
                task="review",
            )
        ],
    )


@atomic_as_actor
def review_plan(*, version, actor, comment=""):
    """in review -> reviewed. P3: the named reviewer reviews the submitted plan
    before the approver decides on it."""

    def check(locked):
        refuse(permissions.review_refusal(actor, locked))

    return transition(
        version,
        actor=actor,
        action="review",
        source=Status.IN_REVIEW,
        target=Status.REVIEWED,
        stamp="reviewed_at",
        comment=comment,
        related=("plan__process",),
        check=check,
        changes={"reviewed_by": actor},
        conflict=lambda v: (
            _("This version is %(status)s, not waiting for its review.")
            % {"status": v.get_status_display().lower()}
        ),
        resolves=("review",),
        notices=lambda v: [
            Notice(
                recipients=v.responsible(Responsibility.Kind.APPROVAL),
                subject=_("Approval requested: %(version)s") % {"version": v},
                body=_("%(actor)s reviewed %(version)s; it waits for your approval.")
                % {"actor": actor, "version": v}
                + _comment_line(comment),
                url=v.get_absolute_url(),
                about=v,
                task="approve",
            )
        ],
    )


def _require_approved_smp(version):
    """P3: a process plan cannot be approved while the SMP has no approved version."""
    smp = current_smp()
    if smp is None or smp.current_version is None:
        raise RuleViolation(
            _(
                "The service management plan has no approved version yet: a process plan cannot be "
                "approved before it."
            )
        )
    if version.conforms_to is None or version.conforms_to.status not in (
        *PlanVersion.IN_FORCE,
        Status.SUPERSEDED,
    ):
        raise RuleViolation(
            _(
                "This plan was written against an SMP version that is not approved: revise it against "
                "the approved service management plan."
            )
        )


def _not_in_review(version):
    if version.status == Status.IN_REVIEW:
        return _(
            "This version waits for its review first: the named reviewer reviews it before it is approved."
        )
    return _("This version is %(status)s, not in review: it may have been decided already.") % {
        "status": version.get_status_display().lower()
    }


@atomic_as_actor
def approve_plan(*, version, actor, comment=""):
    """reviewed -> approved. P3: the approver is a named manager, never the
    author or an editor; the named reviewer reviewed it first; a process plan
    needs an approved SMP. P4: supersedes the previous version. P5: a new SMP
    version flags older process plans."""

    def check(locked):
        refuse(permissions.approval_refusal(actor, locked))
        if locked.plan.kind == Plan.Kind.PROCESS:
            _require_approved_smp(locked)

    locked = lock(version, related=("plan__process",))
    if permissions.reviews_and_approves_at_once(actor, locked):
        # Where the plan allows it, the approver who is also its reviewer
        # reviews and approves in one step; both decisions are recorded.
        check(locked)
        version = review_plan(version=locked, actor=actor, comment=comment)
    version = controlled.approve(
        version,
        actor=actor,
        source=Status.REVIEWED,
        target=Status.APPROVED,
        comment=comment,
        check=check,
        conflict=_not_in_review,
        related=("plan__process",),
        notices=lambda v: [
            Notice(
                recipients=[v.author, *v.responsible(Responsibility.Kind.COMMUNICATION)],
                subject=_("Approved: %(version)s") % {"version": v},
                body=_("%(actor)s approved %(version)s. It can now be communicated.")
                % {"actor": actor, "version": v}
                + _comment_line(comment),
                url=v.get_absolute_url(),
                about=v,
                task="communicate",
            )
        ],
    )
    plan = version.plan
    previous = _supersede_versions_in_force(version, actor)
    if plan.kind == Plan.Kind.PROCESS:
        plan.conforms_to = version.conforms_to
        plan.conformance_review_due = version.conforms_to.status == Status.SUPERSEDED
        plan.save(update_fields=["conforms_to", "conformance_review_due"])
        if not plan.conformance_review_due:
            resolve_tasks(plan, ["conformance_review"], actor=actor)
    if previous:
        from .do.services import carry_over_kpi_assignments

        carry_over_kpi_assignments(old_version=previous[-1], new_version=version)
    if plan.is_smp:
        permissions.sync_plan_permissions(plan)
        flag_conformance_reviews(smp_version=version, actor=actor)
    signals.version_approved.send(sender=PlanVersion, version=version, actor=actor)
    return version


def _supersede_versions_in_force(version, actor):
    """P4: approving a version supersedes the one in force; it is kept as it was."""
    superseded = []
    for old in PlanVersion.objects.filter(plan=version.plan, status__in=PlanVersion.IN_FORCE).exclude(
        pk=version.pk
    ):
        superseded.append(
            transition(
                old,
                actor=actor,
                action="supersede",
                source=PlanVersion.IN_FORCE,
                target=Status.SUPERSEDED,
                stamp="superseded_at",
                comment=_("Superseded by version %(number)s.") % {"number": version.number},
                # Nobody is asked any more to communicate or read a superseded version.
                withdraws=("communicate", "acknowledge"),
            )
        )
    return superseded


def flag_conformance_reviews(*, smp_version, actor):
    """P5: every process plan conforming to an older SMP version is flagged and its owner told."""
    stale = (
        Plan.objects.select_for_update(of=("self",))
        .filter(kind=Plan.Kind.PROCESS, conforms_to__isnull=False, conformance_review_due=False)
        .filter(archived_at__isnull=True)  # an archived plan is flagged when it is restored
        .exclude(conforms_to=smp_version)
        .select_related("process__owner", "conforms_to")
        .prefetch_related("process__deputies")
    )
    flagged = []
    for plan in stale:
        flagged.append(
            transition(
                plan,
                actor=actor,
                action="flag_conformance_review",
                field=None,
                locked=True,
                changes={"conformance_review_due": True},
                comment=_("SMP version %(new)s approved; plan conforms to version %(old)s.")
                % {"new": smp_version.number, "old": plan.conforms_to.number},
                notices=[
                    Notice(
                        recipients=[plan.process.owner, *plan.process.deputies.all()],
                        subject=_("Conformance review due: %(plan)s") % {"plan": plan},
                        body=_(
                            "Version %(number)s of the service management plan was approved. Check that "
                            "%(plan)s still conforms to it: confirm conformance or revise the plan."
                        )
                        % {"number": smp_version.number, "plan": plan},
                        url=plan.get_absolute_url(),
                        about=plan,
                        task="conformance_review",
                    )
                ],
            )
        )
    return flagged


@atomic_as_actor
def request_changes(*, version, actor, comment):
    """in review or reviewed -> draft, with the reviewer's or approver's comment (P3)."""

    def check(locked):
        refuse(permissions.request_changes_refusal(actor, locked))
        if not (comment or "").strip():
            raise RuleViolation(_("Say what has to change: a comment is required."), field="comment")

    return transition(
        version,
        actor=actor,
        action="request_changes",
        source=PlanVersion.AWAITING_DECISION,
        target=Status.DRAFT,
        comment=comment,
        check=check,
        changes={"submitted_at": None, "reviewed_at": None, "reviewed_by": None},
        conflict=lambda v: (
            _("This version is %(status)s, not in review.") % {"status": v.get_status_display().lower()}
        ),
        resolves=("review", "approve"),
        notices=lambda v: [
            Notice(
                recipients=[v.author, v.last_editor],
                subject=_("Changes requested: %(version)s") % {"version": v},
                body=_("%(actor)s requested changes to %(version)s:\n\n%(comment)s")
                % {"actor": actor, "version": v, "comment": comment},
                url=v.get_absolute_url(),
                about=v,
                task="revise",
            )
        ],
    )


@atomic_as_actor
def withdraw_submission(*, version, actor, comment=""):
    """in review or reviewed -> draft, before the approver decides (P3): the
    author, or whoever may edit the plan, takes a submission back; the named
    reviewers and approvers are told that it no longer waits for them."""

    def check(locked):
        refuse(permissions.withdraw_refusal(actor, locked))

    return transition(
        version,
        actor=actor,
        action="withdraw",
        source=PlanVersion.AWAITING_DECISION,
        target=Status.DRAFT,
        comment=comment,
        check=check,
        related=("plan__process",),
        changes={"submitted_at": None, "reviewed_at": None, "reviewed_by": None},
        conflict=lambda v: (
            _("This version is %(status)s: a submission can be withdrawn only before it is decided.")
            % {"status": v.get_status_display().lower()}
        ),
        withdraws=("review", "approve"),
        notices=lambda v: [
            Notice(
                recipients=[
                    *v.responsible(Responsibility.Kind.REVIEW),
                    *v.responsible(Responsibility.Kind.APPROVAL),
                ],
                subject=_("Submission withdrawn: %(version)s") % {"version": v},
                body=_("%(actor)s withdrew %(version)s: it is a draft again and waits for nobody's decision.")
                % {"actor": actor, "version": v}
                + _comment_line(comment),
                url=v.get_absolute_url(),
            )
        ],
    )


def distribution_recipients(plan):
    users = {u.pk: u for u in plan.distribution_users.filter(is_active=True)}
    for user in User.objects.filter(groups__in=plan.distribution_groups.all(), is_active=True).distinct():
        users.setdefault(user.pk, user)
    return list(users.values())


@atomic_as_actor
def communicate_plan(*, version, actor, comment=""):
    """approved -> communicated. P6: sends it to the distribution list; each
    recipient is asked to acknowledge."""
    recipients = []

    def check(locked):
        refuse(permissions.communicate_refusal(actor, locked))
        recipients.extend(distribution_recipients(locked.plan))
        if not recipients:
            raise RuleViolation(
                _("The distribution list is empty: add the people or roles who must read this plan."),
                field="distribution",
            )

    version = transition(
        version,
        actor=actor,
        action="communicate",
        source=Status.APPROVED,
        target=Status.COMMUNICATED,
        stamp="communicated_at",
        comment=comment,
        check=check,
        related=("plan__process",),
        conflict=lambda v: (
            _("Only an approved version is communicated; this one is %(status)s.")
            % {"status": v.get_status_display().lower()}
        ),
        resolves=("communicate",),
        notices=lambda v: [
            Notice(
                recipients=recipients,
                subject=_("Please read and acknowledge: %(version)s") % {"version": v},
                body=_("%(actor)s communicated %(version)s. Read it and confirm that you have read it.")
                % {"actor": actor, "version": v}
                + _comment_line(comment),
                url=v.get_absolute_url(),
                about=v,
                task="acknowledge",
            )
        ],
    )
    # The version is locked and was approved until now, so it has no requests
    # yet; those there are (none in practice) are kept, not duplicated. No
    # `ignore_conflicts`: with it, simple_history finds the rows again through
    # one OR filter per recipient, which SQLite refuses beyond ~1,000 people.
    asked = set(Acknowledgement.objects.filter(version=version).values_list("user_id", flat=True))
    bulk_create_with_history(
        [
            Acknowledgement(version=version, user=user, sent_at=version.communicated_at)
            for user in recipients
            if user.pk not in asked
        ],
        Acknowledgement,
        batch_size=500,
        default_user=actor,
    )
    # From now on everybody reads the plan (`Plan.readable_by_all`); what
    # builds on plans follows through `version_communicated`.
    Plan.objects.filter(pk=version.plan_id, readable_by_all=False).update(readable_by_all=True)
    version.plan.readable_by_all = True
    signals.version_communicated.send(sender=PlanVersion, version=version, actor=actor)
    return version


@atomic_as_actor
def acknowledge_plan(*, version, actor):
    """P6: a recipient confirms having read the communicated version, once; the
    acknowledgement is of that version. A superseded version is not
    acknowledged any more: its reader is sent to the version in force."""
    version = lock(version, related=("plan",))
    acknowledgement = Acknowledgement.objects.filter(version=version, user=actor).first()
    if acknowledgement is None:
        raise NotAllowed(_("You are not on the distribution list of this version."))
    if version.status != Status.COMMUNICATED and acknowledgement.acknowledged_at is None:
        newer = version.plan.versions.filter(status__in=PlanVersion.IN_FORCE).order_by("-number").first()
        raise Conflict(
            _(
                "Version %(number)s is %(status)s: read version %(newer)s, the one in force, "
                "and acknowledge it."
            )
            % {
                "number": version.number,
                "status": version.get_status_display().lower(),
                "newer": newer.number if newer else "?",
            }
        )
    return controlled.acknowledge(acknowledgement, actor=actor, subject=version)


@atomic_as_actor
def revise_plan(*, plan, actor, comment=""):
    """P4: a new draft revision (n+1) copied from the version in force; the
    approved version stays as it is."""
    plan = lock(plan)
    latest = plan.versions.order_by("-number").first()
    refusal = permissions.revise_refusal(actor, plan, latest)
    if refusal:
        raise (NotAllowed if permissions.edit_refusal(actor, plan) else Conflict)(refusal)
    source = plan.current_version or latest
    number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    conforms_to = source.conforms_to
    if plan.kind == Plan.Kind.PROCESS:
        conforms_to = smp_version_to_conform_to()
    draft = PlanVersion.objects.create(
        plan=plan,
        number=number,
        title=source.title or plan.title,
        sections=dict(source.sections),
        author=actor,
        last_editor=actor,
        conforms_to=conforms_to,
    )
    draft.editors.add(actor)
    # D3: after a handover the operators hold the implementation responsibility;
    # the new version names them by default.
    implementers = [u.pk for u in permissions.implementation_holders(plan)] if plan.process_id else []
    copied = [
        Responsibility(version=draft, kind=r.kind, user_id=r.user_id)
        for r in source.responsibilities.all()
        if not (implementers and r.kind == Responsibility.Kind.IMPLEMENTATION)
    ]
    copied += [
        Responsibility(version=draft, kind=Responsibility.Kind.IMPLEMENTATION, user_id=pk)
        for pk in implementers
    ]
    bulk_create_with_history(copied, Responsibility, default_user=actor)
    new_smp_objectives = (
        {o.code: o for o in conforms_to.objectives.all()} if (conforms_to and plan.process_id) else {}
    )
    for objective in source.objectives.prefetch_related("kpis").select_related("traces_to"):
        traces_to = None
        if objective.traces_to_id and plan.process_id:
            traces_to = new_smp_objectives.get(objective.traces_to.code)
        copy = Objective.objects.create(
            version=draft,
            code=objective.code,
            title=objective.title,
            description=objective.description,
            traces_to=traces_to,
        )
        bulk_create_with_history(
            [
                Kpi(
                    objective=copy,
                    key=k.key,
                    metric=k.metric,
                    unit=k.unit,
                    direction=k.direction,
                    target=k.target,
                    owner_id=k.owner_id,
                    frequency=k.frequency,
                )
                for k in objective.kpis.all()
            ],
            Kpi,
            default_user=actor,
        )
    return record_creation(
        draft, actor=actor, action="revise", comment=comment, from_state=source.status, to_state=Status.DRAFT
    )


@atomic_as_actor
def confirm_conformance(*, plan, actor, comment=""):
    """P5: the owner confirms that the plan conforms to the SMP version in force."""
    smp_version = current_smp().current_version

    def check(locked):
        refusal = permissions.confirm_conformance_refusal(actor, locked)
        if refusal:
            raise (
                NotAllowed
                if permissions.edit_refusal(actor, locked)
                else Conflict
                if not locked.conformance_review_due
                else RuleViolation
            )(refusal)
        version = locked.current_version
        codes = set(smp_version.objectives.values_list("code", flat=True))
        lost = sorted(
            {o.traces_to.code for o in version.objectives.select_related("traces_to") if o.traces_to_id}
            - codes
        )
        if lost:
            raise RuleViolation(
                _(
                    "Objectives of this plan trace to SMP objective(s) %(codes)s, which version %(number)s "
                    "no longer has: revise the plan instead."
                )
                % {"codes": ", ".join(lost), "number": smp_version.number}
            )

    return transition(
        plan,
        actor=actor,
        action="confirm_conformance",
        field=None,
        check=check,
        changes={"conforms_to": smp_version, "conformance_review_due": False},
        comment=comment or _("Conforms to SMP version %(number)s.") % {"number": smp_version.number},
        resolves=("conformance_review",),
    )


# -- archiving --------------------------------------------------------------------


def _people_of(plan):
    """Who works on `plan`: its process owner and deputies and everyone its
    newest version names."""
    people = {}
    if plan.process_id:
        for user in (plan.process.owner, *plan.process.deputies.all()):
            people[user.pk] = user
    latest = plan.versions.order_by("-number").first()
    for responsibility in latest.responsibilities.select_related("user") if latest else ():
        people.setdefault(responsibility.user_id, responsibility.user)
    return [user for user in people.values() if user.is_active]


@atomic_as_actor
def archive_plan(*, plan, actor, reason):
    """A plan with an approved version is never deleted (its versions, decisions
    and reports are evidence): a manager archives it when its process is
    retired, saying why. An archived plan changes no more and is reminded of
    nothing; everything it holds stays readable."""
    reason = (reason or "").strip()

    def check(locked):
        refusal = permissions.archive_refusal(actor, locked)
        if refusal:
            raise (
                NotAllowed
                if permissions.archiver_refusal(actor)
                else Conflict
                if locked.archived_at is not None
                else RuleViolation
            )(refusal)
        if not reason:
            raise RuleViolation(_("Say why the plan is archived: the reason stays on the plan for auditors."))

    return transition(
        plan,
        actor=actor,
        action="archive",
        field=None,
        check=check,
        related=("process__owner",),
        changes=lambda p: {"archived_at": timezone.now(), "archived_by": actor, "archive_reason": reason},
        comment=reason,
        withdraws=("conformance_review",),
        notices=lambda p: [
            Notice(
                recipients=[u for u in _people_of(p) if u.pk != actor.pk],
                subject=_("Plan archived: %(plan)s") % {"plan": p},
                body=_(
                    "%(actor)s archived %(plan)s: it changes no more and nobody is reminded of its reviews. "
                    "Its versions and decisions stay readable."
                )
                % {"actor": actor, "plan": p}
                + _comment_line(reason),
                url=p.get_absolute_url(),
            )
        ],
    )


@atomic_as_actor
def restore_plan(*, plan, actor, comment=""):
    """A manager puts an archived plan back in use: it changes again and its
    reviews are reminded again. If the SMP changed meanwhile, its conformance
    is reviewed (P5)."""
    smp = current_smp()
    smp_version = smp.current_version if smp else None

    def check(locked):
        refusal = permissions.restore_refusal(actor, locked)
        if refusal:
            raise (NotAllowed if permissions.restorer_refusal(actor) else Conflict)(refusal)

    def changes(locked):
        values = {"archived_at": None, "archived_by": None, "archive_reason": ""}
        if smp_version is not None and locked.conforms_to_id not in (None, smp_version.pk):
            values["conformance_review_due"] = True
        return values

    return transition(
        plan,
        actor=actor,
        action="restore",
        field=None,
        check=check,
        related=("process__owner",),
        changes=changes,
        comment=comment,
        notices=lambda p: [
            Notice(
                recipients=[u for u in _people_of(p) if u.pk != actor.pk],
                subject=_("Plan restored: %(plan)s") % {"plan": p},
                body=_("%(actor)s restored %(plan)s from the archive: it is in use again.")
                % {"actor": actor, "plan": p}
                + (
                    " "
                    + _(
                        "It conforms to an older version of the service management plan: review its conformance."
                    )
                    if p.conformance_review_due
                    else ""
                )
                + _comment_line(comment),
                url=p.get_absolute_url(),
                about=p if p.conformance_review_due else None,
                task="conformance_review" if p.conformance_review_due else "",
            )
        ],
    )
