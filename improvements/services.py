"""Every change of the service improvement plan goes through one of these
functions (A1-A5). Each names its rule, asks `improvements.permissions` who
may, and changes state through `pdca.transitions.transition` (lock, state
check, save, decision record, notification after commit).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import people, roles
from pdca.exceptions import Conflict, RuleViolation, refuse
from pdca.history import atomic_as_actor
from pdca.notifications import Notice
from pdca.transitions import lock, record_creation, transition
from reviews.models import Finding, Measurement

from . import permissions
from .models import BaselineValue, EffectivenessCheck, Improvement, Project, ProjectMilestone, ResultValue

Status = Improvement.Status
Scope = Improvement.Scope
User = get_user_model()


def _csi_owners():
    return list(User.objects.filter(pk__in=permissions.csi_owner_ids(), is_active=True))


def _next_number():
    return (Improvement.objects.aggregate(n=Max("number"))["n"] or 0) + 1


def _owner_for(scope, processes, owner=None):
    """A3: a one-process improvement is owned by that process's owner."""
    if scope == Scope.PROCESS and len(processes) == 1:
        return processes[0].owner
    return owner


def _check_scope(scope, processes):
    if scope not in Scope.values:
        raise RuleViolation(_("Choose the scope."), field="scope")
    if scope == Scope.PROCESS and len(processes) != 1:
        raise RuleViolation(_("An improvement of one process names exactly that process."), field="processes")
    if scope == Scope.PROCESSES and len(processes) < 2:
        raise RuleViolation(_("An improvement of several processes names at least two."), field="processes")


# -- the CSI owners (A1) ------------------------------------------------------------------


def sync_csi_owner_role(*, version, actor):
    """A1: once a CSI principle version is approved, exactly the CSI owners it
    names hold the CSI owner role; removing one in a new version takes it away
    (recorded in the people-and-roles history with the approver as actor)."""
    if not version.plan.is_csi_principle:
        return
    group = Group.objects.get(name=roles.CSI_OWNER)
    named = set(permissions.csi_owner_ids())
    members = set(group.user_set.values_list("pk", flat=True))
    for user in User.objects.filter(pk__in=named - members):
        user.groups.add(group)
    for user in User.objects.filter(pk__in=members - named):
        user.groups.remove(group)


# -- raising improvements (A2) ----------------------------------------------------------------


def _raise(*, actor, title, description, source, processes, scope, owner=None, finding=None, **details):
    _check_scope(scope, processes)
    improvement = Improvement.objects.create(
        number=_next_number(),
        title=title[:200],
        description=description,
        source=source,
        finding=finding,
        raised_by=actor,
        scope=scope,
        owner=_owner_for(scope, processes, owner),
        **details,
    )
    improvement.processes.set(processes)
    return improvement


def raise_from_finding(*, finding, actor):
    """A2: a nonconformity or an opportunity for improvement creates exactly
    one improvement, linked both ways, when its review is approved (a second
    call finds it and creates nothing)."""
    existing = Improvement.objects.filter(finding=finding).first()
    if existing is not None:
        return existing
    processes = [finding.process] if finding.process_id else []
    scope = Scope.PROCESS if processes else Scope.COMPANY
    improvement = _raise(
        actor=actor,
        title=finding.description.splitlines()[0][:160],
        description=finding.description,
        source=Improvement.Source.FINDING,
        processes=processes,
        scope=scope,
        finding=finding,
        priority=Improvement.Priority.HIGH
        if finding.grade == Finding.Grade.MAJOR
        else Improvement.Priority.MEDIUM,
        justification=_("%(grade)s %(code)s, clause %(clause)s: %(evidence)s")
        % {
            "grade": finding.get_grade_display(),
            "code": finding.code,
            "clause": finding.clause or "—",
            "evidence": finding.evidence,
        },
    )
    return record_creation(
        improvement,
        actor=actor,
        action="raise_improvement",
        to_state=Status.PROPOSED,
        comment=_("From finding %(code)s.") % {"code": finding.code},
        notices=[
            Notice(
                recipients=[improvement.owner, *_csi_owners()],
                subject=_("New in the improvement plan: %(improvement)s") % {"improvement": improvement},
                body=_("%(grade)s %(code)s of %(review)s is in the service improvement plan.")
                % {"grade": finding.get_grade_display(), "code": finding.code, "review": finding.review},
                url=improvement.get_absolute_url(),
                about=improvement,
                task="approve",
            )
        ],
    )


def raise_from_approved_review(*, review, actor):
    """A2: every nonconformity and opportunity for improvement of an approved review."""
    for finding in review.findings.filter(
        grade__in=[*Finding.NONCONFORMITIES, Finding.Grade.OPPORTUNITY]
    ).select_related("process__owner", "review"):
        raise_from_finding(finding=finding, actor=actor)


@atomic_as_actor
def promote_observation(*, finding, actor):
    """A2: an observation enters the improvement plan by hand (a CSI owner, or
    the owner of its process)."""
    finding = Finding.objects.select_related("review", "process").get(pk=finding.pk)
    if finding.grade != Finding.Grade.OBSERVATION:
        raise RuleViolation(
            _("Nonconformities and opportunities enter the plan when their review is approved.")
        )
    if finding.review.status != finding.review.Status.APPROVED:
        raise RuleViolation(_("Observations are promoted once their review is approved."))
    refuse(permissions.promote_refusal(actor, finding))
    if Improvement.objects.filter(finding=finding).exists():
        raise Conflict(_("This observation is already in the improvement plan."))
    return raise_from_finding(finding=finding, actor=actor)


@atomic_as_actor
def propose_improvement(
    *,
    actor,
    title,
    description,
    processes=(),
    scope=Scope.PROCESS,
    source=Improvement.Source.SUGGESTION,
    owner=None,
    priority=Improvement.Priority.MEDIUM,
    size=Improvement.Size.MEDIUM,
    timescale="",
    required_by=None,
    justification="",
    expected_benefit="",
    kpi=None,
    target=None,
):
    """A2: anyone may propose an improvement; it starts as proposed, in the SIP.
    An owner named is one who may be responsible (`accounts.people.RESPONSIBLE`)."""
    refuse(permissions.propose_refusal(actor))
    errors = {}
    if not (title or "").strip():
        errors["title"] = [_("Give the improvement a title.")]
    if not (description or "").strip():
        errors["description"] = [_("Describe the improvement.")]
    if source not in Improvement.Source.values or source == Improvement.Source.FINDING:
        errors["source"] = [_("Findings enter the plan from their review; choose another source.")]
    if refusal := people.eligibility_refusal(owner, people.RESPONSIBLE):
        errors["owner"] = [refusal]
    if errors:
        raise RuleViolation(_("The improvement is incomplete."), errors=errors)
    processes = list(dict.fromkeys(processes or []))
    improvement = _raise(
        actor=actor,
        title=title.strip(),
        description=description.strip(),
        source=source,
        processes=processes,
        scope=scope,
        owner=owner,
        priority=priority,
        size=size,
        timescale=timescale or "",
        required_by=required_by,
        justification=justification or "",
        expected_benefit=expected_benefit or "",
        kpi=kpi,
        kpi_key=kpi.key if kpi else None,
        target=target,
    )
    return record_creation(
        improvement,
        actor=actor,
        action="raise_improvement",
        to_state=Status.PROPOSED,
        notices=[
            Notice(
                recipients=_csi_owners(),
                subject=_("Improvement proposed: %(improvement)s") % {"improvement": improvement},
                body=_("%(actor)s proposed %(improvement)s.") % {"actor": actor, "improvement": improvement},
                url=improvement.get_absolute_url(),
                about=improvement,
                task="approve",
            )
        ],
    )


EDITABLE_FIELDS = (
    "title",
    "description",
    "owner",
    "priority",
    "size",
    "timescale",
    "required_by",
    "justification",
    "expected_benefit",
    "kpi",
    "target",
)


@atomic_as_actor
def update_improvement(*, improvement, actor, expected_revision, processes=None, scope=None, **values):
    """The details of an open improvement; a save from a stale page is refused.
    A new owner is one who may be responsible (`accounts.people.RESPONSIBLE`)."""
    improvement = lock(improvement)
    refuse(permissions.edit_refusal(actor, improvement))
    if expected_revision is not None and int(expected_revision) != improvement.revision:
        raise Conflict(
            _("Somebody saved this improvement after you opened it: look at it again."), field="revision"
        )
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise RuleViolation(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    if "title" in values and not (values["title"] or "").strip():
        raise RuleViolation(_("Give the improvement a title."), field="title")
    if values.get("owner") is not None and values["owner"] != improvement.owner:
        people.require_eligible("owner", people.RESPONSIBLE, values["owner"])
    if scope is not None or processes is not None:
        if improvement.status != Status.PROPOSED:
            raise RuleViolation(
                _("Scope and processes are settled once the improvement is approved."), field="scope"
            )
        scope = scope or improvement.scope
        processes = list(processes if processes is not None else improvement.processes.all())
        _check_scope(scope, processes)
        improvement.scope = scope
        improvement.processes.set(processes)
        values["owner"] = _owner_for(scope, processes, values.get("owner", improvement.owner))
    elif "owner" in values and improvement.scope == Scope.PROCESS:
        values.pop("owner")  # A3: a one-process improvement is owned by its process owner
    for name, value in values.items():
        setattr(improvement, name, value)
    if "kpi" in values:
        improvement.kpi_key = values["kpi"].key if values["kpi"] else None
    improvement.revision += 1
    improvement.save()
    return improvement


# -- deciding (A2, A3) ----------------------------------------------------------------------


@atomic_as_actor
def approve_improvement(*, improvement, actor, comment=""):
    """proposed -> approved, by a CSI owner. A3: an improvement spanning
    processes, or a company-wide one, is approved only with a project."""

    def check(locked):
        refuse(permissions.decide_refusal(actor, locked))
        if locked.needs_project and not locked.projects.exclude(status=Project.Status.CANCELLED).exists():
            raise RuleViolation(
                _(
                    "An improvement of several processes, or a company-wide one, is carried out as a project: "
                    "set up its project first."
                ),
                field="projects",
            )
        if locked.owner_id is None:
            raise RuleViolation(_("Name the owner who carries the improvement out."), field="owner")

    return transition(
        improvement,
        actor=actor,
        action="approve_improvement",
        source=Status.PROPOSED,
        target=Status.APPROVED,
        stamp="approved_at",
        comment=comment,
        check=check,
        changes={"approved_by": actor},
        conflict=_not_proposed,
        resolves=("approve",),
        notices=lambda i: [
            Notice(
                recipients=[i.owner],
                subject=_("Improvement approved: %(improvement)s") % {"improvement": i},
                body=_(
                    "%(actor)s approved %(improvement)s. Record its baseline, then start the implementation."
                )
                % {"actor": actor, "improvement": i},
                url=i.get_absolute_url(),
                about=i,
                task="implement",
            )
        ],
    )


def _not_proposed(improvement):
    return _("This improvement is %(status)s, not proposed: it may have been decided already.") % {
        "status": improvement.get_status_display().lower()
    }


@atomic_as_actor
def reject_improvement(*, improvement, actor, reason):
    """proposed -> rejected, with the reason. A5: a nonconformity is never
    rejected: it must be eliminated."""

    def check(locked):
        refuse(permissions.decide_refusal(actor, locked))
        if locked.is_nonconformity:
            raise RuleViolation(_("A nonconformity must be eliminated: it cannot be rejected."))
        if not (reason or "").strip():
            raise RuleViolation(_("Say why the improvement is rejected."), field="reason")

    return transition(
        improvement,
        actor=actor,
        action="reject_improvement",
        source=Status.PROPOSED,
        target=Status.REJECTED,
        comment=reason,
        check=check,
        changes={"rejection_reason": (reason or "").strip()},
        conflict=_not_proposed,
        resolves=("approve",),
        notices=lambda i: [
            Notice(
                recipients=[i.raised_by, i.owner],
                subject=_("Improvement rejected: %(improvement)s") % {"improvement": i},
                body=_("%(actor)s rejected %(improvement)s:\n\n%(reason)s")
                % {"actor": actor, "improvement": i, "reason": reason},
                url=i.get_absolute_url(),
                about=i,
            )
        ],
    )


# -- the baseline (A4) --------------------------------------------------------------------------


@atomic_as_actor
def take_baseline(*, improvement, actor, baseline_on, kpis=None):
    """A4: the baseline from the KPIs' measurements: the last value of each on
    or before the baseline date."""
    improvement = lock(improvement)
    refuse(permissions.act_refusal(actor, improvement))
    _baseline_open(improvement)
    kpis = list(kpis) if kpis else ([improvement.kpi] if improvement.kpi_id else [])
    if not kpis:
        raise RuleViolation(
            _("Name the KPI to take the baseline from, or enter the values with evidence."), field="kpi"
        )
    errors, rows = [], []
    for kpi in kpis:
        last = (
            Measurement.objects.filter(kpi_key=kpi.key, period_end__lte=baseline_on)
            .order_by("-period_end", "-pk")
            .first()
        )
        if last is None:
            errors.append(
                _("“%(metric)s” has no measurement on or before %(date)s.")
                % {"metric": kpi.metric, "date": baseline_on}
            )
            continue
        rows.append(
            BaselineValue(
                improvement=improvement,
                kpi=kpi,
                kpi_key=kpi.key,
                label=kpi.metric,
                unit=kpi.unit,
                value=last.value,
                measured_on=last.period_end,
                from_measurements=True,
                evidence=_("Measurement of %(start)s – %(end)s (%(source)s)")
                % {"start": last.period_start, "end": last.period_end, "source": last.source or "—"},
            )
        )
    if errors:
        raise RuleViolation(" ".join(errors), field="kpi")
    BaselineValue.objects.bulk_create(rows)
    improvement.baseline_on = baseline_on
    improvement.save(update_fields=["baseline_on"])
    return rows


@atomic_as_actor
def add_baseline_value(*, improvement, actor, label, value, unit="", measured_on=None, evidence="", kpi=None):
    """A4: a baseline value entered by hand, with its evidence."""
    improvement = lock(improvement)
    refuse(permissions.act_refusal(actor, improvement))
    _baseline_open(improvement)
    errors = {}
    if not (label or "").strip():
        errors["label"] = [_("Say what the value measures.")]
    if value in (None, ""):
        errors["value"] = [_("Give the value.")]
    if not (evidence or "").strip():
        errors["evidence"] = [_("A value entered by hand needs its evidence.")]
    if errors:
        raise RuleViolation(_("The baseline value is incomplete."), errors=errors)
    measured_on = measured_on or timezone.localdate()
    row = BaselineValue.objects.create(
        improvement=improvement,
        kpi=kpi,
        kpi_key=kpi.key if kpi else None,
        label=label.strip(),
        unit=unit or (kpi.unit if kpi else ""),
        value=value,
        measured_on=measured_on,
        evidence=evidence.strip(),
    )
    if improvement.baseline_on is None:
        improvement.baseline_on = measured_on
        improvement.save(update_fields=["baseline_on"])
    return row


def _baseline_open(improvement):
    if improvement.baseline_accepted_at is not None:
        raise Conflict(_("The baseline is accepted and no longer changes."))
    if improvement.status not in (Status.PROPOSED, Status.APPROVED):
        raise RuleViolation(_("The baseline is recorded before the implementation starts."))


@atomic_as_actor
def accept_baseline(*, improvement, actor):
    """A4: the owner accepts the baseline; from then on it never changes."""

    def check(locked):
        refuse(permissions.act_refusal(actor, locked))
        if locked.baseline_accepted_at is not None:
            raise Conflict(_("The baseline is accepted already."))
        if not locked.baseline.exists():
            raise RuleViolation(_("Record the baseline values first."))

    return transition(
        improvement,
        actor=actor,
        action="accept_baseline",
        field=None,
        check=check,
        changes=lambda i: {"baseline_accepted_by": actor, "baseline_accepted_at": timezone.now()},
    )


# -- implementation and the elimination of nonconformities (A4, A5) ---------------------------------


@atomic_as_actor
def start_implementation(*, improvement, actor, comment=""):
    """approved -> in implementation. A4: not without an accepted baseline."""

    def check(locked):
        refuse(permissions.act_refusal(actor, locked))
        refusal = permissions.baseline_missing(locked)
        if refusal:
            raise RuleViolation(refusal, field="baseline")

    return transition(
        improvement,
        actor=actor,
        action="start_improvement",
        source=Status.APPROVED,
        target=Status.IN_IMPLEMENTATION,
        stamp="implementation_started_at",
        comment=comment,
        check=check,
        conflict=lambda i: _("This improvement is %(status)s.") % {"status": i.get_status_display().lower()},
        resolves=("implement",),
    )


NONCONFORMITY_FIELDS = (
    "correction",
    "root_cause",
    "root_cause_method",
    "similar_elsewhere",
    "corrective_action",
)


@atomic_as_actor
def record_nonconformity_handling(*, improvement, actor, expected_revision=None, **values):
    """A5: the correction, the root cause (with its method), similar
    nonconformities elsewhere, and the corrective action; a save from a stale
    page is refused."""
    improvement = lock(improvement)
    refuse(permissions.act_refusal(actor, improvement))
    if expected_revision is not None and int(expected_revision) != improvement.revision:
        raise Conflict(
            _("Somebody saved this improvement after you opened it: look at it again."), field="revision"
        )
    if improvement.status not in (Status.APPROVED, Status.IN_IMPLEMENTATION):
        raise RuleViolation(
            _("The root cause and corrective action are recorded while the improvement is carried out.")
        )
    unknown = set(values) - set(NONCONFORMITY_FIELDS)
    if unknown:
        raise RuleViolation(_("Unknown field(s): %(fields)s.") % {"fields": ", ".join(sorted(unknown))})
    for name, value in values.items():
        setattr(improvement, name, (value or "").strip())
    improvement.revision += 1
    improvement.save(update_fields=[*values, "revision"])
    return improvement


def nonconformity_problems(improvement):
    """A5: what a nonconformity still lacks before it can close."""
    missing = []
    if not improvement.correction.strip():
        missing.append(_("the correction"))
    if not improvement.root_cause.strip():
        missing.append(_("the root cause"))
    if not improvement.corrective_action.strip():
        missing.append(_("the corrective action"))
    if not improvement.checks.filter(effective=True).exists():
        missing.append(_("a positive effectiveness check"))
    return missing


@atomic_as_actor
def mark_implemented(*, improvement, actor, comment=""):
    """in implementation -> implemented. A5: a nonconformity's corrective action is recorded first."""

    def check(locked):
        refuse(permissions.act_refusal(actor, locked))
        if locked.is_nonconformity and not (locked.root_cause.strip() and locked.corrective_action.strip()):
            raise RuleViolation(
                _("Record the root cause and the corrective action of the nonconformity first."),
                field="root_cause",
            )

    return transition(
        improvement,
        actor=actor,
        action="improvement_implemented",
        source=Status.IN_IMPLEMENTATION,
        target=Status.IMPLEMENTED,
        stamp="implemented_at",
        comment=comment,
        check=check,
        conflict=lambda i: _("This improvement is %(status)s.") % {"status": i.get_status_display().lower()},
        resolves=("implement",),
        notices=lambda i: [
            Notice(
                recipients=[u for u in _csi_owners() if u.pk != i.owner_id],
                subject=_("Implemented, to evaluate: %(improvement)s") % {"improvement": i},
                body=_(
                    "%(actor)s implemented %(improvement)s. Record the achieved values and check its effectiveness."
                )
                % {"actor": actor, "improvement": i},
                url=i.get_absolute_url(),
                about=i,
                task="evaluate",
            )
        ],
    )


@atomic_as_actor
def record_result(
    *, improvement, actor, label, value, period_start, period_end, unit="", evidence="", kpi=None
):
    """A4: a value achieved after implementation, measured for a set period."""
    improvement = lock(improvement)
    refuse(permissions.act_refusal(actor, improvement))
    if improvement.status not in (Status.IMPLEMENTED, Status.EVALUATED):
        raise RuleViolation(_("Achieved values are recorded once the improvement is implemented."))
    errors = {}
    if not (label or "").strip():
        errors["label"] = [_("Say what the value measures.")]
    if value in (None, ""):
        errors["value"] = [_("Give the value.")]
    if period_start is None or period_end is None:
        errors["period_start"] = [_("Give the period it was measured in.")]
    elif period_end < period_start:
        errors["period_end"] = [_("The period ends before it starts.")]
    if errors:
        raise RuleViolation(_("The achieved value is incomplete."), errors=errors)
    return ResultValue.objects.create(
        improvement=improvement,
        kpi=kpi,
        kpi_key=kpi.key if kpi else None,
        label=label.strip(),
        unit=unit or (kpi.unit if kpi else ""),
        value=value,
        period_start=period_start,
        period_end=period_end,
        evidence=(evidence or "").strip(),
        recorded_by=actor,
    )


@atomic_as_actor
def check_effectiveness(*, improvement, actor, effective, evidence, result=""):
    """implemented -> evaluated (effective), or back to in implementation (not
    effective: A5 reopens it and tells its owner and the CSI owners). A CSI
    owner other than the owner checks, with evidence."""

    def check(locked):
        refuse(permissions.decide_refusal(actor, locked))
        if not (evidence or "").strip():
            raise RuleViolation(_("An effectiveness check rests on evidence: record it."), field="evidence")
        if not locked.results.exists():
            raise RuleViolation(_("Record the achieved values first."), field="results")

    target = Status.EVALUATED if effective else Status.IN_IMPLEMENTATION
    improvement = transition(
        improvement,
        actor=actor,
        action="effective" if effective else "not_effective",
        source=Status.IMPLEMENTED,
        target=target,
        comment=evidence,
        check=check,
        changes=lambda i: {
            "effective": bool(effective),
            "evaluated_at": timezone.now(),
            "result": (result or i.result or "").strip(),
        },
        conflict=lambda i: (
            _("Only an implemented improvement is evaluated; this one is %(status)s.")
            % {"status": i.get_status_display().lower()}
        ),
        resolves=("evaluate",),
        notices=lambda i: (
            []
            if effective
            else [
                Notice(
                    recipients=[i.owner, *_csi_owners()],
                    subject=_("Not effective, reopened: %(improvement)s") % {"improvement": i},
                    body=_(
                        "%(actor)s found %(improvement)s not effective:\n\n%(evidence)s\n\nIt is back in implementation."
                    )
                    % {"actor": actor, "improvement": i, "evidence": evidence},
                    url=i.get_absolute_url(),
                    about=i,
                    task="implement",
                )
            ]
        ),
    )
    EffectivenessCheck.objects.create(
        improvement=improvement, checked_by=actor, effective=bool(effective), evidence=evidence.strip()
    )
    return improvement


@atomic_as_actor
def close_improvement(*, improvement, actor, comment=""):
    """evaluated -> closed, by a CSI owner. A5: a nonconformity closes only with
    its correction, root cause, corrective action and a positive
    effectiveness check; its finding closes with it."""

    def check(locked):
        refuse(permissions.decide_refusal(actor, locked))
        if not locked.effective:
            raise RuleViolation(_("Only an effective improvement is closed."))
        if locked.is_nonconformity:
            missing = nonconformity_problems(locked)
            if missing:
                raise RuleViolation(
                    _("The nonconformity is not eliminated yet: record %(missing)s.")
                    % {"missing": ", ".join(missing)}
                )

    improvement = transition(
        improvement,
        actor=actor,
        action="close_improvement",
        source=Status.EVALUATED,
        target=Status.CLOSED,
        stamp="closed_at",
        comment=comment,
        check=check,
        changes={"closed_by": actor},
        conflict=lambda i: (
            _("Only an evaluated improvement is closed; this one is %(status)s.")
            % {"status": i.get_status_display().lower()}
        ),
    )
    if improvement.finding_id:
        finding = Finding.objects.select_for_update().get(pk=improvement.finding_id)
        transition(
            finding,
            actor=actor,
            action="close_finding",
            source=Finding.Status.OPEN,
            target=Finding.Status.CLOSED,
            stamp="closed_at",
            locked=True,
            changes={
                "closed_by": actor,
                "closure_note": _("Closed with %(improvement)s.") % {"improvement": improvement.code},
            },
            subject=lambda f: f.review,
            comment=_("Finding %(code)s closed with %(improvement)s.")
            % {"code": finding.code, "improvement": improvement.code},
        )
    return improvement


# -- projects (A3) ---------------------------------------------------------------------------------


@atomic_as_actor
def save_project(*, actor, name, manager, starts_on, ends_on, description="", improvements=(), project=None):
    """A3: a project that carries improvements spanning processes or the
    company, managed by one who may be responsible (`accounts.people.RESPONSIBLE`)."""
    refuse(permissions.project_refusal(actor, project))
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("Give the project a name.")]
    elif Project.objects.filter(name__iexact=name.strip()).exclude(pk=getattr(project, "pk", None)).exists():
        errors["name"] = [_("There is already a project called “%(name)s”.") % {"name": name.strip()}]
    if manager is None:
        errors["manager"] = [_("Name the project manager.")]
    elif refusal := people.eligibility_refusal(manager, people.RESPONSIBLE):
        errors["manager"] = [refusal]
    if starts_on is None or ends_on is None:
        errors["starts_on"] = [_("Give the start and end of the project.")]
    elif ends_on < starts_on:
        errors["ends_on"] = [_("The project ends before it starts.")]
    if errors:
        raise RuleViolation(
            _("The project cannot be saved: ") + " ".join(m for ms in errors.values() for m in ms),
            errors=errors,
        )
    created = project is None
    project = project or Project(created_by=actor)
    project.name, project.manager, project.description = name.strip(), manager, description or ""
    project.starts_on, project.ends_on = starts_on, ends_on
    project.save()
    project.improvements.set(improvements)
    if created:
        record_creation(project, actor=actor, action="create_project", to_state=project.status)
    return project


@atomic_as_actor
def approve_project(*, project, actor, comment=""):
    """A3: managers approve the projects that carry improvements."""

    def check(locked):
        refuse(permissions.project_approval_refusal(actor, locked))

    return transition(
        project,
        actor=actor,
        action="approve_project",
        source=Project.Status.PLANNED,
        target=Project.Status.RUNNING,
        stamp="approved_at",
        comment=comment,
        check=check,
        changes={"approved_by": actor},
        conflict=lambda p: _("This project is %(status)s.") % {"status": p.get_status_display().lower()},
        notices=lambda p: [
            Notice(
                recipients=[p.manager],
                subject=_("Project approved: %(project)s") % {"project": p},
                body=_("%(actor)s approved the project %(project)s.") % {"actor": actor, "project": p},
                url=p.get_absolute_url(),
                about=p,
            )
        ],
    )


@atomic_as_actor
def save_project_milestone(*, project, actor, title, due_on, done_on=None, milestone=None):
    refuse(permissions.project_refusal(actor, project))
    if not (title or "").strip():
        raise RuleViolation(_("Give the milestone a title."), field="title")
    if due_on is None:
        raise RuleViolation(_("Give the milestone a due date."), field="due_on")
    milestone = milestone or ProjectMilestone(project=project)
    milestone.title, milestone.due_on, milestone.done_on = title.strip(), due_on, done_on
    milestone.save()
    return milestone
