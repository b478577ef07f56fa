"""Every change of a plan goes through one of these functions. Each checks its
rule, locks the row, writes the decision record and schedules notifications
after commit. Views and the API call them; neither repeats a rule."""

from django.contrib.auth import get_user_model
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from pdca.decisions import record_decision
from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.history import atomic_as_actor
from pdca.notifications import notify

from . import permissions
from .models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Process, Responsibility

Status = PlanVersion.Status
User = get_user_model()


# -- helpers ---------------------------------------------------------------


def _lock(version):
    return (
        PlanVersion.objects.select_for_update(of=("self",)).select_related("plan__process").get(pk=version.pk)
    )


def _require(allowed, message):
    if not allowed:
        raise NotAllowed(message)


def _require_edit(actor, plan):
    refusal = permissions.edit_refusal(actor, plan)
    if refusal:
        raise NotAllowed(refusal)


def _require_draft(version, expected_revision=None):
    if version.status != Status.DRAFT:
        from .models import ImmutableVersion

        raise ImmutableVersion(version)
    if expected_revision is not None and int(expected_revision) != version.revision:
        raise Conflict(
            f"{version.last_editor} saved this plan at {timezone.localtime(version.edited_at):%H:%M} "
            "after you opened it. Your text is kept below: compare it with the current version and save again.",
            field="revision",
        )


def _touch(version, actor):
    version.revision += 1
    version.last_editor = actor
    version.edited_at = timezone.now()


def current_smp():
    return Plan.objects.filter(kind=Plan.Kind.SMP).first()


def smp_version_to_conform_to():
    """The SMP version new process-plan drafts are written against: the one in
    force, or else the newest draft while no SMP version is approved yet."""
    smp = current_smp()
    if smp is None:
        return None
    return smp.current_version or smp.latest_version


# -- creating plans --------------------------------------------------------


@atomic_as_actor
def create_service_management_plan(*, actor, title="Service Management Plan"):
    """P1: there is one SMP."""
    if current_smp() is not None:
        raise RuleViolation("There is already a service management plan; there can only be one.")
    if permissions.is_read_only(actor) or not (actor.has_perm("plans.approve_plan") or actor.is_superuser):
        raise NotAllowed("Only top management (a manager) creates the service management plan.")
    plan = Plan.objects.create(kind=Plan.Kind.SMP, title=title, created_by=actor)
    version = PlanVersion.objects.create(plan=plan, number=1, author=actor, last_editor=actor)
    Responsibility.objects.create(version=version, kind=Responsibility.Kind.UPDATING, user=actor)
    permissions.sync_plan_permissions(plan)
    record_decision(subject=plan, action="create", actor=actor, to_state=Status.DRAFT)
    return plan


@atomic_as_actor
def create_process_plan(*, process, actor, title=""):
    """P1: every process plan belongs to the SMP and records the SMP version it conforms to."""
    smp = current_smp()
    if smp is None:
        raise RuleViolation("Create the service management plan first: every process plan belongs to it.")
    _require(
        permissions.can_create_process_plan(actor, process),
        f"Only the owner or a deputy of {process} can create its plan.",
    )
    if Plan.objects.filter(process=process).exists():
        raise RuleViolation(f"{process} already has a plan.", field="process")
    plan = Plan.objects.create(
        kind=Plan.Kind.PROCESS, title=title or f"{process} plan", process=process, smp=smp, created_by=actor
    )
    PlanVersion.objects.create(
        plan=plan, number=1, author=actor, last_editor=actor, conforms_to=smp_version_to_conform_to()
    )
    permissions.sync_plan_permissions(plan)
    record_decision(subject=plan, action="create", actor=actor, to_state=Status.DRAFT)
    return plan


@atomic_as_actor
def save_process(*, actor, name, owner, deputies=(), description="", process=None):
    """Managers create processes and name their owner and deputies; the object
    permissions on the process's plan follow (a process owner changes only
    his or her own plans)."""
    needed = "plans.add_process" if process is None else "plans.change_process"
    if permissions.is_read_only(actor) or not actor.has_perm(needed):
        raise NotAllowed("Only managers create processes and name their owners.")
    errors = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["A process needs a name."]
    elif Process.objects.filter(name__iexact=name).exclude(pk=getattr(process, "pk", None)).exists():
        errors["name"] = [f"There is already a process called “{name}”."]
    if owner is None:
        errors["owner"] = ["A process needs an owner."]
    deputies = [d for d in dict.fromkeys(deputies or []) if owner is None or d.pk != owner.pk]
    if errors:
        raise RuleViolation(
            "The process cannot be saved: " + " ".join(m for ms in errors.values() for m in ms), errors=errors
        )
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
            comment=f"Owner: {owner}" + (f" (was {previous_owner})" if previous_owner else ""),
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


# -- editing a draft -------------------------------------------------------


@atomic_as_actor
def update_draft(*, version, actor, expected_revision, sections=None, title=None):
    """Save section texts of a draft. A save based on an older revision is
    refused (Conflict) so that nobody overwrites somebody else's text."""
    version = _lock(version)
    _require_edit(actor, version.plan)
    _require_draft(version, expected_revision)
    known = {key for key, *_ in version.plan.section_definitions}
    if sections:
        unknown = set(sections) - known
        if unknown:
            raise RuleViolation(f"Unknown section(s): {', '.join(sorted(unknown))}.", field="sections")
        version.sections = {
            **version.sections,
            **{k: (v or "").replace("\r\n", "\n") for k, v in sections.items()},
        }
    if title is not None:
        title = title.strip()
        if not title:
            raise RuleViolation("A plan needs a title.", field="title")
        plan = version.plan
        plan.title = title
        plan.save(update_fields=["title"])
    _touch(version, actor)
    version.save()
    return version


@atomic_as_actor
def set_responsibilities(*, version, actor, assignments, expected_revision=None):
    """P2: replace the five responsibilities of a draft. `assignments` maps a
    Responsibility.Kind to a list of users."""
    version = _lock(version)
    _require_edit(actor, version.plan)
    _require_draft(version, expected_revision)
    approvers = assignments.get(Responsibility.Kind.APPROVAL, [])
    not_managers = [str(u) for u in approvers if not u.has_perm("plans.approve_plan")]
    if not_managers:
        raise RuleViolation(
            f"The approver must be a manager: {', '.join(not_managers)} is not.", field="approval"
        )
    if any(u.pk == version.author_id for u in approvers):
        raise RuleViolation(
            "The approver is never the plan's author: name another manager.", field="approval"
        )
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
    _touch(version, actor)
    version.save()
    if version.plan.is_smp:
        permissions.sync_plan_permissions(version.plan)
    return version


def _next_objective_code(version):
    codes = [o.code for o in version.objectives.all()]
    n = 1
    while f"O{n}" in codes:
        n += 1
    return f"O{n}"


def _check_trace(version, traces_to):
    if version.plan.is_smp:
        if traces_to is not None:
            raise RuleViolation("SMP objectives do not trace to other objectives.", field="traces_to")
        return
    if traces_to is None:
        return  # allowed while drafting; submission requires it
    if version.conforms_to_id is None or traces_to.version_id != version.conforms_to_id:
        raise RuleViolation(
            "An objective traces to an objective of the SMP version this plan conforms to.", field="traces_to"
        )


@atomic_as_actor
def save_objective(
    *, version, actor, title, description="", traces_to=None, code="", objective=None, expected_revision=None
):
    version = _lock(version)
    _require_edit(actor, version.plan)
    _require_draft(version, expected_revision)
    _check_trace(version, traces_to)
    if not title.strip():
        raise RuleViolation("An objective needs a title.", field="title")
    code = (code or "").strip() or (objective.code if objective else _next_objective_code(version))
    clash = version.objectives.filter(code=code).exclude(pk=getattr(objective, "pk", None)).exists()
    if clash:
        raise RuleViolation(f"Another objective of this version already has the code {code}.", field="code")
    if objective is None:
        objective = Objective(version=version)
    elif objective.version_id != version.pk:
        raise RuleViolation("That objective belongs to another version.")
    objective.code, objective.title, objective.description, objective.traces_to = (
        code,
        title.strip(),
        description,
        traces_to,
    )
    objective.save()
    _touch(version, actor)
    version.save()
    return objective


@atomic_as_actor
def delete_objective(*, objective, actor):
    version = _lock(objective.version)
    _require_edit(actor, version.plan)
    _require_draft(version)
    if objective.traced_by.exists():
        raise RuleViolation(
            f"Process plan objectives trace to {objective.code}: it cannot be removed from this version."
        )
    objective.delete()
    _touch(version, actor)
    version.save()


@atomic_as_actor
def save_kpi(
    *, objective, actor, metric, unit, direction, target, owner, frequency, kpi=None, expected_revision=None
):
    """D1: a KPI has a metric, unit, direction, target, owner and frequency."""
    version = _lock(objective.version)
    _require_edit(actor, version.plan)
    _require_draft(version, expected_revision)
    errors = {}
    if not (metric or "").strip():
        errors["metric"] = ["A KPI needs a metric."]
    if not (unit or "").strip():
        errors["unit"] = ["A KPI needs a unit."]
    if owner is None:
        errors["owner"] = ["A KPI needs an owner."]
    if target is None:
        errors["target"] = ["A KPI needs a numeric target."]
    if errors:
        raise RuleViolation("The KPI is incomplete.", errors=errors)
    if kpi is None:
        kpi = Kpi(objective=objective)
    elif kpi.objective_id != objective.pk:
        raise RuleViolation("That KPI belongs to another objective.")
    kpi.metric, kpi.unit, kpi.direction, kpi.target, kpi.owner, kpi.frequency = (
        metric.strip(),
        unit.strip(),
        direction,
        target,
        owner,
        frequency,
    )
    kpi.save()
    _touch(version, actor)
    version.save()
    return kpi


@atomic_as_actor
def delete_kpi(*, kpi, actor):
    version = _lock(kpi.objective.version)
    _require_edit(actor, version.plan)
    _require_draft(version)
    kpi.delete()
    _touch(version, actor)
    version.save()


@atomic_as_actor
def set_distribution(*, plan, actor, users, groups):
    """P6: who receives the plan when it is communicated."""
    _require(
        permissions.can_set_distribution(actor, plan),
        "Only the plan's editors and its communication responsibility set the distribution list.",
    )
    plan.distribution_users.set(users)
    plan.distribution_groups.set(groups)
    record_decision(
        subject=plan,
        action="set_distribution",
        actor=actor,
        comment=f"{len(users)} people, {len(groups)} roles",
    )
    return plan


# -- the workflow (P3) -----------------------------------------------------


def submission_problems(version):
    """What keeps a draft from being submitted; empty when it can be."""
    problems = {}
    present = {r.kind for r in version.responsibilities.all()}
    missing = [label for kind, label in Responsibility.Kind.choices if kind not in present]
    if missing:
        problems["responsibilities"] = [
            "Name who is responsible for: " + ", ".join(m.lower() for m in missing) + "."
        ]
    approvers = version.responsible(Responsibility.Kind.APPROVAL)
    if any(u.pk in (version.author_id, version.last_editor_id) for u in approvers):
        problems.setdefault("responsibilities", []).append(
            "The approver is the author or last editor of this version: name another manager."
        )
    objectives = list(version.objectives.select_related("traces_to").prefetch_related("kpis"))
    if not objectives:
        problems["objectives"] = ["Add at least one objective with a measurable KPI."]
    without_kpi = [o.code for o in objectives if not o.kpis.all()]
    if without_kpi:
        problems.setdefault("objectives", []).append(
            f"Give each objective at least one KPI (missing for {', '.join(without_kpi)})."
        )
    if not version.plan.is_smp:
        untraced = [o.code for o in objectives if o.traces_to_id is None]
        if untraced:
            problems.setdefault("objectives", []).append(
                f"Every objective traces to an SMP objective (not yet: {', '.join(untraced)})."
            )
        wrong = [
            o.code for o in objectives if o.traces_to_id and o.traces_to.version_id != version.conforms_to_id
        ]
        if wrong:
            problems.setdefault("objectives", []).append(
                f"Objectives {', '.join(wrong)} trace to another SMP version than the one this plan conforms to."
            )
    empty = [
        title
        for key, title, _ in version.plan.section_definitions
        if not version.sections.get(key, "").strip()
    ]
    if empty:
        problems["sections"] = ["Write the sections: " + ", ".join(empty) + "."]
    return problems


@atomic_as_actor
def submit_plan(*, version, actor, comment=""):
    """draft -> in review. P2: all five responsibilities; P1: objectives trace."""
    version = _lock(version)
    _require_edit(actor, version.plan)
    if version.status != Status.DRAFT:
        raise Conflict(
            f"Only a draft can be submitted; this version is {version.get_status_display().lower()}."
        )
    problems = submission_problems(version)
    if problems:
        raise RuleViolation(
            "The plan cannot be submitted yet: "
            + " ".join(message for messages in problems.values() for message in messages),
            errors=problems,
        )
    version.status = Status.IN_REVIEW
    version.submitted_at = timezone.now()
    version.save(update_fields=["status", "submitted_at"])
    record_decision(
        subject=version,
        action="submit",
        actor=actor,
        comment=comment,
        from_state=Status.DRAFT,
        to_state=Status.IN_REVIEW,
    )
    notify(
        recipients=version.responsible(Responsibility.Kind.APPROVAL),
        subject=f"Approval requested: {version}",
        body=f"{actor} submitted {version} for your approval.{_comment_line(comment)}",
        url=version.get_absolute_url(),
    )
    return version


@atomic_as_actor
def approve_plan(*, version, actor, comment=""):
    """in review -> approved. P3: the approver is a named manager, never the author
    or last editor; a process plan needs an approved SMP. P4: supersedes the
    previous version. P5: a new SMP version flags older process plans."""
    version = _lock(version)
    if version.status != Status.IN_REVIEW:
        raise Conflict(
            f"This version is {version.get_status_display().lower()}, not in review: "
            "it may have been decided already."
        )
    refusal = permissions.approval_refusal(actor, version)
    if refusal:
        raise NotAllowed(refusal)
    plan = version.plan
    if not plan.is_smp:
        smp = current_smp()
        if smp is None or smp.current_version is None:
            raise RuleViolation(
                "The service management plan has no approved version yet: a process plan cannot be "
                "approved before it."
            )
        if version.conforms_to is None or version.conforms_to.status not in (
            *PlanVersion.IN_FORCE,
            Status.SUPERSEDED,
        ):
            raise RuleViolation(
                "This plan was written against an SMP version that is not approved: revise it against "
                "the approved service management plan."
            )
    now = timezone.now()
    previous = list(
        PlanVersion.objects.select_for_update()
        .filter(plan=plan, status__in=PlanVersion.IN_FORCE)
        .exclude(pk=version.pk)
    )
    for old in previous:
        old_state = old.status
        old.status = Status.SUPERSEDED
        old.superseded_at = now
        old.save(update_fields=["status", "superseded_at"])
        record_decision(
            subject=old,
            action="supersede",
            actor=actor,
            from_state=old_state,
            to_state=Status.SUPERSEDED,
            comment=f"Superseded by version {version.number}.",
        )
    version.status = Status.APPROVED
    version.approved_at = now
    version.approved_by = actor
    version.content_hash = version.compute_hash()
    version.save(update_fields=["status", "approved_at", "approved_by", "content_hash"])
    if not plan.is_smp:
        plan.conforms_to = version.conforms_to
        plan.conformance_review_due = version.conforms_to.status == Status.SUPERSEDED
        plan.save(update_fields=["conforms_to", "conformance_review_due"])
    record_decision(
        subject=version,
        action="approve",
        actor=actor,
        comment=comment,
        from_state=Status.IN_REVIEW,
        to_state=Status.APPROVED,
    )
    notify(
        recipients=[version.author, *version.responsible(Responsibility.Kind.COMMUNICATION)],
        subject=f"Approved: {version}",
        body=f"{actor} approved {version}. It can now be communicated.{_comment_line(comment)}",
        url=version.get_absolute_url(),
    )
    if previous:
        from .implementation import carry_over_kpi_assignments

        carry_over_kpi_assignments(old_version=previous[-1], new_version=version)
    if plan.is_smp:
        permissions.sync_plan_permissions(plan)
        flag_conformance_reviews(smp_version=version, actor=actor)
    return version


def flag_conformance_reviews(*, smp_version, actor):
    """P5: every process plan conforming to an older SMP version is flagged and its owner told."""
    stale = (
        Plan.objects.select_for_update(of=("self",))
        .filter(kind=Plan.Kind.PROCESS, conforms_to__isnull=False)
        .exclude(conforms_to=smp_version)
        .select_related("process__owner", "conforms_to")
        .prefetch_related("process__deputies")
    )
    flagged = []
    for plan in stale:
        if plan.conformance_review_due:
            continue
        plan.conformance_review_due = True
        plan.save(update_fields=["conformance_review_due"])
        record_decision(
            subject=plan,
            action="flag_conformance_review",
            actor=actor,
            comment=f"SMP version {smp_version.number} approved; plan conforms to version "
            f"{plan.conforms_to.number}.",
        )
        notify(
            recipients=[plan.process.owner, *plan.process.deputies.all()],
            subject=f"Conformance review due: {plan}",
            body=(
                f"Version {smp_version.number} of the service management plan was approved. "
                f"Check that {plan} still conforms to it: confirm conformance or revise the plan."
            ),
            url=plan.get_absolute_url(),
        )
        flagged.append(plan)
    return flagged


@atomic_as_actor
def request_changes(*, version, actor, comment):
    """in review -> draft, with the approver's comment."""
    version = _lock(version)
    if version.status != Status.IN_REVIEW:
        raise Conflict(f"This version is {version.get_status_display().lower()}, not in review.")
    refusal = permissions.approval_refusal(actor, version)
    if refusal:
        raise NotAllowed(refusal)
    if not (comment or "").strip():
        raise RuleViolation("Say what has to change: a comment is required.", field="comment")
    version.status = Status.DRAFT
    version.submitted_at = None
    version.save(update_fields=["status", "submitted_at"])
    record_decision(
        subject=version,
        action="request_changes",
        actor=actor,
        comment=comment,
        from_state=Status.IN_REVIEW,
        to_state=Status.DRAFT,
    )
    notify(
        recipients=[version.author, version.last_editor],
        subject=f"Changes requested: {version}",
        body=f"{actor} requested changes to {version}:\n\n{comment}",
        url=version.get_absolute_url(),
    )
    return version


def distribution_recipients(plan):
    users = {u.pk: u for u in plan.distribution_users.filter(is_active=True)}
    for user in User.objects.filter(groups__in=plan.distribution_groups.all(), is_active=True).distinct():
        users.setdefault(user.pk, user)
    return list(users.values())


@atomic_as_actor
def communicate_plan(*, version, actor, comment=""):
    """approved -> communicated. P6: sends it to the distribution list; each
    recipient is asked to acknowledge."""
    version = _lock(version)
    if version.status != Status.APPROVED:
        raise Conflict(
            f"Only an approved version is communicated; this one is {version.get_status_display().lower()}."
        )
    _require(
        permissions.can_communicate(actor, version),
        "Only the plan's communication responsibility communicates it.",
    )
    recipients = distribution_recipients(version.plan)
    if not recipients:
        raise RuleViolation(
            "The distribution list is empty: add the people or roles who must read this plan.",
            field="distribution",
        )
    now = timezone.now()
    bulk_create_with_history(
        [Acknowledgement(version=version, user=user, sent_at=now) for user in recipients],
        Acknowledgement,
        ignore_conflicts=True,
        default_user=actor,
    )
    version.status = Status.COMMUNICATED
    version.communicated_at = now
    version.save(update_fields=["status", "communicated_at"])
    record_decision(
        subject=version,
        action="communicate",
        actor=actor,
        comment=comment,
        from_state=Status.APPROVED,
        to_state=Status.COMMUNICATED,
    )
    notify(
        recipients=recipients,
        subject=f"Please read and acknowledge: {version}",
        body=f"{actor} communicated {version}. Read it and confirm that you have read it.{_comment_line(comment)}",
        url=version.get_absolute_url(),
    )
    return version


@atomic_as_actor
def acknowledge_plan(*, version, actor):
    """P6: a recipient confirms having read the plan, once."""
    try:
        ack = Acknowledgement.objects.select_for_update().get(version=version, user=actor)
    except Acknowledgement.DoesNotExist:
        raise NotAllowed("You are not on the distribution list of this version.") from None
    if ack.acknowledged_at is not None:
        raise Conflict(
            f"You already acknowledged this version on {timezone.localtime(ack.acknowledged_at):%d %b %Y at %H:%M}."
        )
    ack.acknowledged_at = timezone.now()
    ack.save(update_fields=["acknowledged_at"])
    record_decision(subject=version, action="acknowledge", actor=actor)
    return ack


@atomic_as_actor
def revise_plan(*, plan, actor, comment=""):
    """P4: a new draft revision (n+1) copied from the version in force; the
    approved version stays as it is."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _require_edit(actor, plan)
    latest = plan.versions.order_by("-number").first()
    if latest.status in (Status.DRAFT, Status.IN_REVIEW):
        raise Conflict(
            f"Version {latest.number} is still {latest.get_status_display().lower()}: "
            "work on it instead of starting another revision."
        )
    source = plan.current_version or latest
    number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    conforms_to = source.conforms_to
    if not plan.is_smp:
        conforms_to = smp_version_to_conform_to()
    draft = PlanVersion.objects.create(
        plan=plan,
        number=number,
        sections=dict(source.sections),
        author=actor,
        last_editor=actor,
        conforms_to=conforms_to,
    )
    bulk_create_with_history(
        [
            Responsibility(version=draft, kind=r.kind, user_id=r.user_id)
            for r in source.responsibilities.all()
        ],
        Responsibility,
        default_user=actor,
    )
    new_smp_objectives = (
        {o.code: o for o in conforms_to.objectives.all()} if (conforms_to and not plan.is_smp) else {}
    )
    for objective in source.objectives.prefetch_related("kpis").select_related("traces_to"):
        traces_to = None
        if objective.traces_to_id and not plan.is_smp:
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
    record_decision(
        subject=draft,
        action="revise",
        actor=actor,
        comment=comment,
        from_state=source.status,
        to_state=Status.DRAFT,
    )
    return draft


@atomic_as_actor
def confirm_conformance(*, plan, actor, comment=""):
    """P5: the owner confirms that the plan conforms to the SMP version in force."""
    plan = Plan.objects.select_for_update().get(pk=plan.pk)
    _require_edit(actor, plan)
    if not plan.conformance_review_due:
        raise Conflict("No conformance review is due for this plan.")
    smp_version = current_smp().current_version
    version = plan.current_version
    if version is None:
        raise RuleViolation("The plan has no approved version to confirm: submit it for approval instead.")
    codes = set(smp_version.objectives.values_list("code", flat=True))
    lost = sorted(
        {o.traces_to.code for o in version.objectives.select_related("traces_to") if o.traces_to_id} - codes
    )
    if lost:
        raise RuleViolation(
            f"Objectives of this plan trace to SMP objective(s) {', '.join(lost)}, which version "
            f"{smp_version.number} no longer has: revise the plan instead."
        )
    plan.conforms_to = smp_version
    plan.conformance_review_due = False
    plan.save(update_fields=["conforms_to", "conformance_review_due"])
    record_decision(
        subject=plan,
        action="confirm_conformance",
        actor=actor,
        comment=comment or f"Conforms to SMP version {smp_version.number}.",
    )
    return plan


def _comment_line(comment):
    return f"\n\nComment: {comment}" if comment else ""
