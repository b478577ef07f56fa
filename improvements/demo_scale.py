"""Act of the scaled demo (`seed_demo --scale N`), in bulk: every
nonconformity and opportunity of an approved review of copies 2..N enters
the service improvement plan as exactly one improvement (A2), in a state
that follows its age (old ones closed with a verified effective result,
recent ones proposed or approved), with baselines before implementation
(A4), the correction, root cause and corrective action of nonconformities
(A5), the decisions of every transition, and per copy a project carrying an
improvement that spans two processes (A3)."""

import datetime
from decimal import Decimal

from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from pdca.demo import scale_people
from pdca.scale import Ledger, copy_chunks, insert, link, progress_of, stamp, suffix
from plans.demo import PROCESSES
from plans.models import Process
from reviews.models import Finding

from .models import BaselineValue, EffectivenessCheck, Improvement, Project, ProjectMilestone, ResultValue

Status = Improvement.Status
RAISED = (*Finding.NONCONFORMITIES, Finding.Grade.OPPORTUNITY)


def _days(n):
    return datetime.timedelta(days=n)


def _state(age_days, index):
    """The state of an improvement raised `age_days` ago: old ones are closed."""
    if index % 11 == 10:
        return Status.REJECTED
    for limit, state in [
        (95, Status.PROPOSED),
        (150, Status.APPROVED),
        (300, Status.IN_IMPLEMENTATION),
        (380, Status.IMPLEMENTED),
        (470, Status.EVALUATED),
    ]:
        if age_days < limit:
            return state
    return Status.CLOSED


ORDER = [
    Status.PROPOSED,
    Status.APPROVED,
    Status.IN_IMPLEMENTATION,
    Status.IMPLEMENTED,
    Status.EVALUATED,
    Status.CLOSED,
]


def seed_copies(*, copies, users, stdout):
    step = progress_of(stdout)
    todo = [
        c
        for c in copies
        if Process.objects.filter(name=PROCESSES[0][0] + suffix(c)).exists()
        and not Project.objects.filter(name=_project_name(c)).exists()
    ]
    for chunk in copy_chunks(todo):
        _seed_chunk(chunk, scale_people(chunk), users["CSI owner"], step)


def _project_name(copy):
    return f"Service desk consolidation{suffix(copy)}"


def _seed_chunk(chunk, people, csi, step):
    ledger = Ledger()
    today, now = timezone.localdate(), timezone.now()
    names = [row[0] + suffix(copy) for copy in chunk for row in PROCESSES]
    findings = list(
        Finding.objects.filter(
            review__status="approved", grade__in=RAISED, improvement=None, process__name__in=names
        )
        .select_related("review__approved_by", "process__owner")
        .order_by("pk")
    )
    number = (Improvement.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    improvements = []
    for index, finding in enumerate(findings):
        review, owner = finding.review, finding.process.owner
        raised = review.approved_at
        state = _state((now - raised).days, index)
        if state == Status.REJECTED and finding.grade in Finding.NONCONFORMITIES:
            state = Status.CLOSED  # A5: a nonconformity is eliminated, not rejected
        reached = ORDER.index(state) if state in ORDER else 0
        nonconformity = finding.grade in Finding.NONCONFORMITIES
        improvement = Improvement(
            number=number + index,
            title=finding.description[:200],
            description=finding.description,
            source=Improvement.Source.FINDING,
            finding=finding,
            raised_on=raised.date(),
            raised_by=review.approved_by,
            scope=Improvement.Scope.PROCESS,
            owner=owner,
            required_by=raised.date() + _days(90),
            justification=_("%(grade)s %(code)s, clause %(clause)s: %(evidence)s")
            % {
                "grade": finding.get_grade_display(),
                "code": finding.code,
                "clause": finding.clause,
                "evidence": finding.evidence,
            },
            status=state,
            revision=1 + reached,
            created_at=raised,
        )
        steps = {}
        if state == Status.REJECTED:
            improvement.rejection_reason = "Covered by an improvement already in the plan."
            steps["reject"] = raised + _days(7)
        if reached >= 1:
            improvement.approved_by, improvement.approved_at = csi, raised + _days(7)
        if reached >= 2:
            improvement.baseline_on = raised.date() + _days(10)
            improvement.baseline_accepted_by, improvement.baseline_accepted_at = owner, raised + _days(10)
            improvement.implementation_started_at = raised + _days(11)
            if nonconformity:
                improvement.correction = "The sampled records were corrected at once."
                improvement.root_cause = "The procedure did not say who checks the records, nor when."
                improvement.root_cause_method = "5 whys"
                improvement.similar_elsewhere = "Checked in the neighbouring processes: not affected."
                improvement.corrective_action = "The procedure names the check, its owner and its frequency."
        if reached >= 3:
            improvement.implemented_at = raised + _days(100)
        if reached >= 4:
            improvement.evaluated_at, improvement.effective = raised + _days(160), True
            improvement.result = "Records complete in every sample since the change."
        if reached >= 5:
            improvement.closed_at, improvement.closed_by = raised + _days(170), csi
        improvement._process = finding.process
        improvements.append(stamp(improvement, user=review.approved_by, at=raised))

    # A3: per copy, an improvement of two processes, carried by a project.
    projects = []
    for copy in chunk:
        group = people[copy]
        processes = list(Process.objects.filter(name__in=[row[0] + suffix(copy) for row in PROCESSES[:2]]))
        raised = now - _days(45)
        improvement = Improvement(
            number=number + len(improvements),
            title="One service desk for incidents and requests",
            description="Incidents and service requests are taken by two desks; one desk would answer faster.",
            source=Improvement.Source.SUGGESTION,
            raised_on=raised.date(),
            raised_by=group["owner"][0],
            scope=Improvement.Scope.PROCESSES,
            owner=group["manager"][1],
            priority=Improvement.Priority.HIGH,
            size=Improvement.Size.LARGE,
            required_by=today + _days(120),
            expected_benefit="First answer within 2 minutes for every call.",
            status=Status.APPROVED,
            approved_by=csi,
            approved_at=raised + _days(14),
            revision=2,
            created_at=raised,
        )
        improvement._processes = processes
        improvements.append(stamp(improvement, user=group["owner"][0], at=raised))
        project = Project(
            name=_project_name(copy),
            manager=group["manager"][1],
            starts_on=today - _days(30),
            ends_on=today + _days(90),
            status=Project.Status.RUNNING,
            description="Merge the two service desks and their tools.",
            approved_by=group["manager"][0],
            approved_at=raised + _days(10),
            created_by=csi,
            created_at=raised + _days(5),
        )
        project._improvement = improvement
        projects.append(stamp(project, user=csi, at=raised + _days(5)))

    insert(Improvement, improvements)
    link(
        Improvement,
        "processes",
        [
            (i.pk, process.pk)
            for i in improvements
            for process in (getattr(i, "_processes", None) or [i._process])
        ],
    )
    Improvement.objects.filter(pk__in=[i.pk for i in improvements]).refresh_readable_by_all()
    insert(Project, projects)
    link(Project, "improvements", [(p.pk, p._improvement.pk) for p in projects])
    insert(
        ProjectMilestone,
        [
            stamp(
                ProjectMilestone(project=p, title=title, due_on=today + _days(due), done_on=done),
                user=csi,
                at=now,
            )
            for p in projects
            for title, due, done in [
                ("Desks merged", -5, today - _days(6)),
                ("Tools merged", 40, None),
                ("Two months at target", 85, None),
            ]
        ],
    )

    baselines, results, checks, closed = [], [], [], []
    for i in improvements:
        if i.baseline_accepted_at:
            baselines.append(
                stamp(
                    BaselineValue(
                        improvement=i,
                        label="Records complete",
                        unit="%",
                        value=Decimal("80"),
                        measured_on=i.baseline_on,
                        evidence="Sampled records.",
                    ),
                    user=i.owner,
                    at=i.baseline_accepted_at,
                )
            )
        if i.evaluated_at:
            results.append(
                stamp(
                    ResultValue(
                        improvement=i,
                        label="Records complete",
                        unit="%",
                        value=Decimal("96"),
                        period_start=i.implemented_at.date(),
                        period_end=i.implemented_at.date() + _days(50),
                        evidence="Sampled records.",
                        recorded_by=i.owner,
                        recorded_at=i.evaluated_at,
                    ),
                    user=i.owner,
                    at=i.evaluated_at,
                )
            )
            checks.append(
                stamp(
                    EffectivenessCheck(
                        improvement=i,
                        checked_by=csi,
                        checked_on=i.evaluated_at.date(),
                        effective=True,
                        evidence="Sampled 40 records: all complete.",
                        recorded_at=i.evaluated_at,
                    ),
                    user=csi,
                    at=i.evaluated_at,
                )
            )
        if i.closed_at and i.finding_id:
            finding = i.finding
            finding.status, finding.closed_at, finding.closed_by = Finding.Status.CLOSED, i.closed_at, csi
            finding.closure_note = _("Closed with %(improvement)s.") % {"improvement": i.code}
            closed.append(finding)
    insert(BaselineValue, baselines)
    insert(ResultValue, results)
    insert(EffectivenessCheck, checks)
    # A5: the finding is closed with its improvement (only the fields a frozen finding may change).
    for start in range(0, len(closed), 500):
        batch = closed[start : start + 500]
        Finding.objects.filter(pk__in=[f.pk for f in batch]).update(
            status=Finding.Status.CLOSED,
            closed_by=csi,
            closed_at=Case(*(When(pk=f.pk, then=Value(f.closed_at)) for f in batch)),
            closure_note=Case(*(When(pk=f.pk, then=Value(f.closure_note)) for f in batch)),
        )

    for project in projects:
        ledger.decide(project, "create_project", csi, project.created_at, to_state=Project.Status.PLANNED)
        ledger.decide(
            project,
            "approve_project",
            project.approved_by,
            project.approved_at,
            from_state=Project.Status.PLANNED,
            to_state=Project.Status.RUNNING,
        )
    for i in improvements:
        _decisions(ledger, i, csi)
    decisions, notifications = ledger.flush()
    step(
        f"Act: copies {chunk[0]}-{chunk[-1]}: {len(improvements)} improvements, {len(projects)} projects, "
        f"{len(closed)} findings closed, {decisions} decisions, {notifications} notifications."
    )


def _decisions(ledger, i, csi):
    """The transitions of an improvement, as the services record them."""
    ledger.decide(i, "raise_improvement", i.raised_by, i.created_at, to_state=Status.PROPOSED)
    if i.status == Status.REJECTED:
        ledger.decide(
            i,
            "reject_improvement",
            csi,
            i.created_at + _days(7),
            from_state=Status.PROPOSED,
            to_state=Status.REJECTED,
        )
        return
    if i.status == Status.PROPOSED:
        ledger.notify(
            csi,
            _("Improvement proposed: %(improvement)s") % {"improvement": i},
            _("%(actor)s proposed %(improvement)s.") % {"actor": i.raised_by, "improvement": i},
            at=i.created_at,
            about=i,
            url=i.get_absolute_url(),
            task="approve",
        )
        return
    ledger.decide(
        i, "approve_improvement", csi, i.approved_at, from_state=Status.PROPOSED, to_state=Status.APPROVED
    )
    if i.status == Status.APPROVED:
        ledger.notify(
            i.owner,
            _("Improvement approved: %(improvement)s") % {"improvement": i},
            _("%(actor)s approved %(improvement)s. Record its baseline, then start the implementation.")
            % {"actor": csi, "improvement": i},
            at=i.approved_at,
            about=i,
            url=i.get_absolute_url(),
            task="implement",
        )
        return
    ledger.decide(i, "accept_baseline", i.owner, i.baseline_accepted_at)
    ledger.decide(
        i,
        "start_improvement",
        i.owner,
        i.implementation_started_at,
        from_state=Status.APPROVED,
        to_state=Status.IN_IMPLEMENTATION,
    )
    if i.implemented_at:
        ledger.decide(
            i,
            "improvement_implemented",
            i.owner,
            i.implemented_at,
            from_state=Status.IN_IMPLEMENTATION,
            to_state=Status.IMPLEMENTED,
        )
    if i.evaluated_at:
        ledger.decide(
            i, "effective", csi, i.evaluated_at, from_state=Status.IMPLEMENTED, to_state=Status.EVALUATED
        )
    if i.closed_at:
        ledger.decide(
            i, "close_improvement", csi, i.closed_at, from_state=Status.EVALUATED, to_state=Status.CLOSED
        )
        if i.finding_id:
            ledger.decide(
                i.finding.review, "close_finding", csi, i.closed_at, from_state="open", to_state="closed"
            )
