"""Plan and Do of the scaled demo (`seed_demo --scale N`): copies 2..N of the
15 demo processes, each with its own people, inserted in bulk.

Each copy repeats the demo's mix of states (draft, in review, reviewed,
approved, communicated, revised, conformance review due), with earlier
versions superseded, two objectives of two KPIs each per version, the five
responsibilities, acknowledgements of the staff, the object permissions,
Do's milestones, KPI operators and handovers, and the decisions and
notifications the services would have recorded. Approved versions store the
canonical content of `PlanVersion.canonical_content()` and its SHA-256.
"""

import datetime
import uuid
from decimal import Decimal

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _
from guardian.models import UserObjectPermission

from pdca.controlled import content_hash, person
from pdca.demo import create_scale_users, scale_people
from pdca.scale import Ledger, copy_chunks, freeze, insert, insert_editable, link, progress_of, stamp, suffix

from . import sections as plan_sections
from .demo import IMPLEMENTATIONS, PROCESSES, _process_sections
from .do.models import Handover, KpiAssignment, Milestone
from .models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Process, Responsibility

Status = PlanVersion.Status
KIND = Responsibility.Kind
TARGET_PLACES = Decimal("0.0001")

# The second objective of every scaled plan, beside the demo's own: (title, SMP code, KPIs).
SECOND_OBJECTIVE = (
    "Run the process efficiently and with trained people",
    "O5",
    [
        ("Staff trained on the current procedure", "%", "higher", "90", "quarterly"),
        ("Cost per case", "EUR", "lower", "25", "monthly"),
    ],
)
RECORDS_KPI = ("Records complete and correct", "%", "higher", "95", "monthly")
# Of the staff a version is communicated to, this many acknowledge it.
ACKNOWLEDGING = 5


def _days(n):
    return datetime.timedelta(days=n)


def _version_specs(state, base, recent):
    """(number, status, SMP version number, created, submitted, reviewed,
    approved, communicated, superseded) of the versions of a plan in `state`."""
    old = [base, base + _days(7), base + _days(9), base + _days(10), base + _days(11)]
    new = [base + _days(300), base + _days(310), base + _days(312), base + _days(313), base + _days(314)]
    pending = [recent, recent + _days(5), recent + _days(8), None, None]
    if state in ("incomplete", "draft"):
        return [(1, Status.DRAFT, 2, recent, None, None, None, None, None)]
    if state == "in_review":
        return [(1, Status.IN_REVIEW, 2, *pending[:2], None, None, None, None)]
    if state == "reviewed":
        return [(1, Status.REVIEWED, 2, *pending[:3], None, None, None)]
    if state == "conformance_due":
        return [(1, Status.COMMUNICATED, 1, *old, None)]
    latest = Status.APPROVED if state == "approved" else Status.COMMUNICATED
    versions = [
        (1, Status.SUPERSEDED, 1, *old, new[3]),
        (2, latest, 2, *new[:4], new[4] if latest == Status.COMMUNICATED else None, None),
    ]
    if state == "revised":
        versions.append((3, Status.DRAFT, 2, base + _days(600), None, None, None, None, None))
    return versions


def _objectives(row):
    """(code, title, SMP code, [(metric, unit, direction, target, frequency)]) of a scaled plan."""
    _name, _owner, smp_code, title, metric, unit, direction, target, frequency, _state = row
    second_title, second_code, second_kpis = SECOND_OBJECTIVE
    if second_code == smp_code:
        second_code = "O1"
    return [
        ("O1", title, smp_code, [(metric, unit, direction, target, frequency), RECORDS_KPI]),
        ("O2", second_title, second_code, second_kpis),
    ]


class _Context:
    """What every chunk needs, read once."""

    def __init__(self, users):
        self.users = users
        self.smp = Plan.objects.get(kind=Plan.Kind.SMP)
        self.smp_versions = {v.number: v for v in self.smp.versions.all()}
        self.smp_objectives = {
            (o.version.number, o.code): o
            for o in Objective.objects.filter(version__plan=self.smp).select_related("version")
        }
        self.change_plan = Permission.objects.get(content_type__app_label="plans", codename="change_plan")
        self.plan_type = ContentType.objects.get_for_model(Plan)
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.flagged_at = self.smp_versions[max(self.smp_versions)].approved_at or self.now


def seed_copies(*, copies, users, stdout):
    """Seed the copies in `copies` that are not there yet; returns how many plans were added."""
    step = progress_of(stdout)
    first_process = PROCESSES[0][0]
    done = set(
        Process.objects.filter(name__in=[first_process + suffix(c) for c in copies]).values_list(
            "name", flat=True
        )
    )
    todo = [c for c in copies if first_process + suffix(c) not in done]
    if not todo:
        return 0
    context = _Context(users)
    added = 0
    for chunk in copy_chunks(todo):
        create_scale_users(chunk, processes=len(PROCESSES), progress=step)
        people = scale_people(chunk)
        added += _seed_chunk(chunk, people, context, step)
    return added


def _seed_chunk(chunk, people, ctx, step):
    ledger = Ledger()
    now, today = ctx.now, ctx.today
    # -- processes and plans ---------------------------------------------------------------
    specs = []
    for copy in chunk:
        group = people[copy]
        for i, row in enumerate(PROCESSES):
            base = now - _days(730) + datetime.timedelta(minutes=copy * 37 + i * 11)
            specs.append(
                {
                    "copy": copy,
                    "index": i,
                    "row": row,
                    "name": row[0] + suffix(copy),
                    "owner": group["owner"][i],
                    "deputy": group["deputy"][i],
                    "staff": group["staff"][i],
                    "approver": group["manager"][i % len(group["manager"])],
                    "base": base,
                    "versions": _version_specs(row[-1], base, now - _days(20 - i % 7)),
                }
            )
    processes = insert(
        Process,
        [
            stamp(
                Process(
                    name=s["name"],
                    owner=s["owner"],
                    description=_process_sections(s["name"])["purpose"],
                ),
                user=s["owner"],
                at=s["base"],
            )
            for s in specs
        ],
    )
    for spec, process in zip(specs, processes, strict=True):
        spec["process"] = process
    link(Process, "deputies", [(s["process"].pk, s["deputy"].pk) for s in specs])

    plans = []
    for s in specs:
        in_force = [v for v in s["versions"] if v[1] in PlanVersion.IN_FORCE]
        implementation = {name: state for name, state, _m in IMPLEMENTATIONS}.get(s["row"][0])
        started = in_force[-1][7] + _days(5) if implementation and in_force and in_force[-1][7] else None
        status = Plan.ImplementationStatus.NOT_STARTED
        if started and implementation != "not_started":
            status = (
                Plan.ImplementationStatus.IN_OPERATION
                if implementation == "in_operation"
                else Plan.ImplementationStatus.IN_IMPLEMENTATION
            )
        else:
            started = None
        s["implementation"] = implementation if started else None
        s["started"] = started
        plans.append(
            stamp(
                Plan(
                    kind=Plan.Kind.PROCESS,
                    title=f"{s['name']} plan",
                    process=s["process"],
                    smp=ctx.smp,
                    conforms_to=ctx.smp_versions[in_force[-1][2]] if in_force else None,
                    conformance_review_due=s["row"][-1] == "conformance_due",
                    created_by=s["owner"],
                    created_at=s["versions"][0][3],
                    implementation_status=status,
                    implementation_started_at=started,
                    in_operation_since=started + _days(60) if status == "in_operation" else None,
                    readable_by_all=any(v[7] for v in s["versions"]),  # a version communicated
                ),
                user=s["owner"],
                at=s["base"],
            )
        )
    plans = insert(Plan, plans)
    for spec, plan in zip(specs, plans, strict=True):
        spec["plan"] = plan
    link(Plan, "distribution_users", [(s["plan"].pk, u.pk) for s in specs for u in s["staff"]])
    UserObjectPermission.objects.bulk_create(
        UserObjectPermission(
            content_type=ctx.plan_type, object_pk=str(s["plan"].pk), user=user, permission=ctx.change_plan
        )
        for s in specs
        for user in (s["owner"], s["deputy"])
    )

    # -- versions with their content -----------------------------------------------------------
    versions = []
    for s in specs:
        plan, owner, deputy, approver = s["plan"], s["owner"], s["deputy"], s["approver"]
        incomplete = s["row"][-1] == "incomplete"
        keys = {
            (code, k): uuid.uuid4() for code, *_r, kpis in _objectives(s["row"]) for k in range(len(kpis))
        }
        s["keys"] = keys
        s["version_objects"] = []
        for number, status, smp_number, created, submitted, reviewed, approved, communicated, superseded in s[
            "versions"
        ]:
            sections = _process_sections(s["name"])
            if incomplete:
                sections = {k: v for k, v in sections.items() if k in ("purpose", "roles")}
            if number > 1:
                sections["procedures"] += f"\n* PR-{s['name'][:3].upper()}-0{number + 1} Revision {number}"
            responsibilities = (
                []
                if incomplete
                else [
                    (KIND.REVIEW, deputy),
                    (KIND.APPROVAL, approver),
                    (KIND.COMMUNICATION, owner),
                    (KIND.IMPLEMENTATION, owner),
                    (KIND.UPDATING, owner),
                ]
            )
            version = PlanVersion(
                plan=plan,
                number=number,
                status=status,
                title=plan.title,
                sections=sections,
                conforms_to=ctx.smp_versions[smp_number],
                author=owner,
                last_editor=owner,
                edited_at=created + _days(2),
                revision=2 if incomplete else 5,
                submitted_at=submitted,
                reviewed_at=reviewed,
                reviewed_by=deputy if reviewed else None,
                communicated_at=communicated,
                superseded_at=superseded,
            )
            version._responsibilities = responsibilities
            version._smp_number = smp_number
            version._created = created
            if approved:
                version.approved_by, version.approved_at = approver, approved
                content = {
                    **_canonical_content(version, s, responsibilities),
                    "approval": {"by": person(approver), "at": approved.isoformat()},
                }
                version.approved_content = content
                version.content_hash = content_hash(content)
            stamp(version, user=owner, at=created)
            s["version_objects"].append(version)
            versions.append(version)
    insert_editable(PlanVersion, versions)
    link(PlanVersion, "editors", [(v.pk, v.author_id) for v in versions])

    objectives, kpis_by_objective = [], []
    for s in specs:
        for version in s["version_objects"]:
            for code, title, smp_code, kpis in _objectives(s["row"]):
                objectives.append(
                    stamp(
                        Objective(
                            version=version,
                            code=code,
                            title=title,
                            traces_to=ctx.smp_objectives[(version._smp_number, smp_code)],
                        ),
                        user=s["owner"],
                        at=version._created,
                    )
                )
                kpis_by_objective.append((s, version, code, kpis))
    insert(Objective, objectives)
    kpis = []
    for objective, (s, version, code, specs_of_kpis) in zip(objectives, kpis_by_objective, strict=True):
        for k, (metric, unit, direction, target, frequency) in enumerate(specs_of_kpis):
            kpi = Kpi(
                objective=objective,
                key=s["keys"][(code, k)],
                metric=metric,
                unit=unit,
                direction=direction,
                target=Decimal(target),
                owner=s["owner"],
                frequency=frequency,
            )
            kpi._in_force = version._final_state in PlanVersion.IN_FORCE
            kpi._spec = s
            kpis.append(stamp(kpi, user=s["owner"], at=version._created))
    insert(Kpi, kpis)
    insert(
        Responsibility,
        [
            stamp(Responsibility(version=v, kind=kind, user=user), user=v.author, at=v._created)
            for v in versions
            for kind, user in v._responsibilities
        ],
    )
    freeze(PlanVersion, versions)

    # -- decisions, acknowledgements, notifications ---------------------------------------------------
    acknowledgements = []
    for s in specs:
        plan, owner, deputy, approver = s["plan"], s["owner"], s["deputy"], s["approver"]
        ledger.decide(plan, "create", owner, plan.created_at, to_state=Status.DRAFT)
        previous = None
        for v in s["version_objects"]:
            if previous is not None:
                ledger.decide(
                    v, "revise", owner, v._created, from_state=Status.COMMUNICATED, to_state=Status.DRAFT
                )
            _version_decisions(ledger, v, s, approver, previous)
            for k, user in enumerate(s["staff"] if v.communicated_at else []):
                acknowledged = v.communicated_at + _days(k + 1) if k < ACKNOWLEDGING else None
                acknowledgements.append(
                    stamp(
                        Acknowledgement(
                            version=v, user=user, sent_at=v.communicated_at, acknowledged_at=acknowledged
                        ),
                        user=owner,
                        at=v.communicated_at,
                    )
                )
                if acknowledged:
                    ledger.decide(v, "acknowledge", user, acknowledged)
                resolution = "done" if acknowledged else ("withdrawn" if v.superseded_at else "")
                ledger.notify(
                    user,
                    _("Please read and acknowledge: %(version)s") % {"version": v},
                    _("%(actor)s communicated %(version)s. Read it and confirm that you have read it.")
                    % {"actor": owner, "version": v},
                    at=v.communicated_at,
                    about=v,
                    url=v.get_absolute_url(),
                    task="acknowledge",
                    resolved=acknowledged or v.superseded_at,
                    resolution=resolution,
                )
            previous = v
        if plan.conformance_review_due:
            ledger.decide(plan, "flag_conformance_review", ctx.users["Manager"], ctx.flagged_at)
            for user in (owner, deputy):
                ledger.notify(
                    user,
                    _("Conformance review due: %(plan)s") % {"plan": plan},
                    _(
                        "Version %(number)s of the service management plan was approved. Check that %(plan)s "
                        "still conforms to it: confirm conformance or revise the plan."
                    )
                    % {"number": max(ctx.smp_versions), "plan": plan},
                    at=ctx.flagged_at,
                    about=plan,
                    url=plan.get_absolute_url(),
                    task="conformance_review",
                )
    insert(Acknowledgement, acknowledgements)
    _seed_do(specs, kpis, ledger, today)
    decisions, notifications = ledger.flush()
    step(
        f"Plan and Do: copies {chunk[0]}-{chunk[-1]}: {len(plans)} plans, {len(versions)} versions, "
        f"{len(kpis)} KPIs, {len(acknowledgements)} acknowledgements, {decisions} decisions, "
        f"{notifications} notifications."
    )
    return len(plans)


def _canonical_content(version, spec, responsibilities):
    """`PlanVersion.canonical_content()` of a version not yet saved, from the
    same parts (checked by `verify_records`)."""
    plan, process = spec["plan"], spec["process"]
    objectives = []
    for code, title, smp_code, kpis in _objectives(spec["row"]):
        objectives.append(
            {
                "code": code,
                "title": title,
                "description": "",
                "traces_to": smp_code,
                "kpis": [
                    {
                        "metric": metric,
                        "unit": unit,
                        "direction": direction,
                        "target": str(Decimal(target).quantize(TARGET_PLACES)),
                        "owner": person(spec["owner"]),
                        "frequency": frequency,
                    }
                    for metric, unit, direction, target, frequency in kpis
                ],
            }
        )
    conforms_to = version.conforms_to
    return {
        "plan": {"id": plan.pk, "kind": plan.kind, "process": {"id": process.pk, "name": str(process)}},
        "title": version.title,
        "number": version.number,
        "conforms_to": {"plan": conforms_to.plan_id, "number": conforms_to.number},
        "sections": {key: version.sections.get(key, "") for key, *_r in plan_sections.PROCESS_SECTIONS},
        "objectives": sorted(objectives, key=lambda o: o["code"]),
        "responsibilities": sorted(
            ({"kind": kind, "user": person(user)} for kind, user in responsibilities),
            key=lambda r: (r["kind"], r["user"]["id"]),
        ),
        "reviewer_may_approve": False,
        "review": {"by": person(version.reviewed_by), "at": version.reviewed_at.isoformat()},
        "author": person(version.author),
    }


def _version_decisions(ledger, v, spec, approver, previous):
    """The transitions of one version, as the services record them, with the
    notifications of the tasks they open (resolved when the next step was taken)."""
    owner, deputy = spec["owner"], spec["deputy"]
    if v.submitted_at:
        ledger.decide(v, "submit", owner, v.submitted_at, from_state=Status.DRAFT, to_state=Status.IN_REVIEW)
        ledger.notify(
            deputy,
            _("Review requested: %(version)s") % {"version": v},
            _("%(actor)s submitted %(version)s for your review before it goes to the approver.")
            % {"actor": owner, "version": v},
            at=v.submitted_at,
            about=v,
            url=v.get_absolute_url(),
            task="review",
            resolved=v.reviewed_at,
            resolution="done" if v.reviewed_at else "",
        )
    if v.reviewed_at:
        ledger.decide(
            v, "review", deputy, v.reviewed_at, from_state=Status.IN_REVIEW, to_state=Status.REVIEWED
        )
        ledger.notify(
            approver,
            _("Approval requested: %(version)s") % {"version": v},
            _("%(actor)s reviewed %(version)s; it waits for your approval.")
            % {"actor": deputy, "version": v},
            at=v.reviewed_at,
            about=v,
            url=v.get_absolute_url(),
            task="approve",
            resolved=v.approved_at,
            resolution="done" if v.approved_at else "",
        )
    if v.approved_at:
        ledger.decide(
            v, "approve", approver, v.approved_at, from_state=Status.REVIEWED, to_state=Status.APPROVED
        )
        if previous is not None and previous.superseded_at:
            ledger.decide(
                previous,
                "supersede",
                approver,
                v.approved_at,
                from_state=Status.COMMUNICATED,
                to_state=Status.SUPERSEDED,
            )
        ledger.notify(
            owner,
            _("Approved: %(version)s") % {"version": v},
            _("%(actor)s approved %(version)s. It can now be communicated.")
            % {"actor": approver, "version": v},
            at=v.approved_at,
            about=v,
            url=v.get_absolute_url(),
            task="communicate",
            resolved=v.communicated_at,
            resolution="done" if v.communicated_at else "",
        )
    if v.communicated_at:
        ledger.decide(
            v,
            "communicate",
            owner,
            v.communicated_at,
            from_state=Status.APPROVED,
            to_state=Status.COMMUNICATED,
        )


def _seed_do(specs, kpis, ledger, today):
    """D1-D3 for the plans the demo puts into practice: milestones, KPI
    operators and handovers, with their decisions."""
    milestones, assignments, handovers = [], [], []
    kpis_in_force = {}
    for kpi in kpis:
        if kpi._in_force:
            kpis_in_force.setdefault(kpi._spec["plan"].pk, []).append(kpi)
    plans_by_name = {name: (state, steps) for name, state, steps in IMPLEMENTATIONS}
    for s in specs:
        if not s["implementation"]:
            continue
        plan, owner, started = s["plan"], s["owner"], s["started"]
        state, steps = plans_by_name[s["row"][0]]
        ledger.decide(
            plan,
            "start_implementation",
            owner,
            started,
            from_state=Plan.ImplementationStatus.NOT_STARTED,
            to_state=Plan.ImplementationStatus.IN_IMPLEMENTATION,
        )
        for title, due_in, done_ago in steps:
            done_on = today - _days(done_ago) if done_ago is not None else None
            milestones.append(
                stamp(
                    Milestone(
                        plan=plan,
                        title=title,
                        owner=owner,
                        due_on=today + _days(due_in),
                        done_on=done_on,
                        evidence="Recorded in the service desk tool." if done_on else "",
                    ),
                    user=owner,
                    at=started,
                )
            )
            if done_on:
                ledger.decide(plan, "milestone_done", owner, started + _days(1))
        if state not in ("in_operation", "handover_proposed"):
            continue
        operator = s["staff"][0]
        for kpi in kpis_in_force.get(plan.pk, []):
            assignments.append(
                stamp(
                    KpiAssignment(kpi=kpi, operator=operator, assigned_by=owner, assigned_at=started),
                    user=owner,
                    at=started,
                )
            )
        accepted = state == "in_operation"
        handover = Handover(
            plan=plan,
            handed_over_by=owner,
            handover_on=started.date() + _days(50) if accepted else today,
            documents="Process description\nRunbook\nOn-call rota",
            open_points="" if accepted else "Reporting dashboard still being built.",
            status=Handover.Status.ACCEPTED if accepted else Handover.Status.PROPOSED,
            proposed_at=started + _days(50),
            decided_by=operator if accepted else None,
            decided_at=started + _days(60) if accepted else None,
        )
        handover._receivers = s["staff"][:2]
        handovers.append(stamp(handover, user=owner, at=started + _days(50)))
    insert(Milestone, milestones)
    insert(KpiAssignment, assignments)
    insert(Handover, handovers)
    link(Handover, "receivers", [(h.pk, u.pk) for h in handovers for u in h._receivers])
    for h in handovers:
        ledger.decide(
            h, "propose_handover", h.handed_over_by, h.proposed_at, to_state=Handover.Status.PROPOSED
        )
        for receiver in h._receivers:
            ledger.notify(
                receiver,
                _("Handover to accept: %(plan)s") % {"plan": h.plan},
                _(
                    "%(actor)s hands %(plan)s over to you. Accept it to take over the implementation "
                    "responsibility, or decline it with a reason."
                )
                % {"actor": h.handed_over_by, "plan": h.plan},
                at=h.proposed_at,
                about=h,
                url=h.get_absolute_url(),
                task="decide_handover",
                resolved=h.decided_at,
                resolution="done" if h.decided_at else "",
            )
        if h.decided_at:
            ledger.decide(
                h,
                "accept_handover",
                h.decided_by,
                h.decided_at,
                from_state=Handover.Status.PROPOSED,
                to_state=Handover.Status.ACCEPTED,
            )
            ledger.decide(
                h.plan,
                "in_operation",
                h.decided_by,
                h.decided_at,
                from_state=Plan.ImplementationStatus.IN_IMPLEMENTATION,
                to_state=Plan.ImplementationStatus.IN_OPERATION,
            )
