"""Demo data of the Plan phase: the SMP of a fictional IT service provider and
a plan for each ISO/IEC 20000 process, in varied states. Everything goes
through the services, so the demo obeys the same rules as users do."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from pdca.models import Notification

from . import services
from .do import selectors
from .do import services as implementation
from .models import Plan, Process, Responsibility

COMPANY = "Nordlicht IT Services"

SMP_TEXT = {
    "scope": (
        f"The service management system of **{COMPANY}** covers the managed workplace, hosting and "
        "business application services delivered from the Hamburg and Leipzig sites to all internal "
        "business units and to external customers under contract.\n\n"
        "Out of scope: the consulting business, which delivers projects and no ongoing services."
    ),
    "service_requirements": (
        "* Availability of critical services of at least 99.5 % per month\n"
        "* Service desk reachable 07:00-19:00 on working days, 24/7 for priority 1\n"
        "* Requirements of customers are agreed in SLAs and reviewed at least once a year"
    ),
    "known_limitations": (
        "The Leipzig data centre has a single power feed until the upgrade planned for Q3; "
        "continuity depends on the Hamburg site during that time."
    ),
    "obligations": (
        "| Obligation | Source | Covered by |\n|---|---|---|\n"
        "| ISO/IEC 20000-1:2018 | certification | this SMS |\n"
        "| GDPR | law | information security management |\n"
        "| Customer contracts and SLAs | contracts | service level management |\n"
        "| Group IT security policy | policy | information security management |"
    ),
    "authorities": (
        "Top management (the COO) is accountable for the SMS and approves this plan. "
        "Each process has a named process owner who plans, operates and improves it. "
        "The CSI manager runs the service improvement plan."
    ),
    "resources": (
        "Service operations: 42 people in two shifts; budget for the SMS tooling and training is part "
        "of the annual IT budget. Training needs are reviewed every six months."
    ),
    "risk_approach": (
        "Risks to the SMS and the services are recorded in the risk register, rated by likelihood and "
        "impact (1-5), and treated when the rating exceeds 12. Risk acceptance is a management decision."
    ),
    "interfaces": (
        "Incident, problem and change management share the service desk tool; configuration management "
        "supplies the CMDB to all processes; service level management reports to business relationship "
        "management. Suppliers are managed through supplier management."
    ),
    "technology": "Service desk and CMDB tool, monitoring platform, this PDCA portal for plans, reviews and improvements.",
    "effectiveness": (
        "Effectiveness is measured by the KPIs of the objectives below, reported monthly to process "
        "owners and quarterly in the management review; internal audits cover every process once a year."
    ),
}

SMP_OBJECTIVES = [
    ("O1", "Services meet the agreed service levels", "SLA targets met", "%", "higher", "95", "monthly"),
    (
        "O2",
        "Customers are satisfied with the services",
        "Customer satisfaction score",
        "points of 5",
        "higher",
        "4.2",
        "quarterly",
    ),
    (
        "O3",
        "Critical services are available",
        "Availability of critical services",
        "%",
        "higher",
        "99.5",
        "monthly",
    ),
    (
        "O4",
        "Operations are secure and compliant",
        "Major information security incidents",
        "count",
        "lower",
        "0",
        "quarterly",
    ),
    (
        "O5",
        "Services are delivered cost-efficiently",
        "Cost per resolved ticket",
        "EUR",
        "lower",
        "18",
        "quarterly",
    ),
]

# process: (owner key, SMP objective code, objective, KPI metric, unit, direction, target, frequency, state)
PROCESSES = [
    (
        "Incident management",
        "Process owner",
        "O1",
        "Restore normal service quickly",
        "Priority 1 incidents resolved within 4 hours",
        "%",
        "higher",
        "90",
        "monthly",
        "communicated",
    ),
    (
        "Service request management",
        "Process owner",
        "O2",
        "Fulfil requests as promised",
        "Requests fulfilled within the agreed time",
        "%",
        "higher",
        "92",
        "monthly",
        "communicated",
    ),
    (
        "Problem management",
        "Process owner",
        "O1",
        "Remove the causes of recurring incidents",
        "Known errors with a workaround documented",
        "%",
        "higher",
        "85",
        "quarterly",
        "in_review",
    ),
    (
        "Change management",
        "Process owner (second)",
        "O3",
        "Changes do not disrupt services",
        "Changes causing incidents",
        "%",
        "lower",
        "3",
        "monthly",
        "revised",
    ),
    (
        "Release and deployment management",
        "Process owner (second)",
        "O3",
        "Deploy releases safely",
        "Failed deployments",
        "%",
        "lower",
        "5",
        "monthly",
        "approved",
    ),
    (
        "Service configuration management",
        "Process owner (second)",
        "O4",
        "Keep the CMDB accurate",
        "CMDB records verified in audits",
        "%",
        "higher",
        "97",
        "quarterly",
        "incomplete",
    ),
    (
        "Service level management",
        "Process owner",
        "O1",
        "Agree and meet service levels",
        "SLAs reviewed within the year",
        "%",
        "higher",
        "100",
        "yearly",
        "conformance_due",
    ),
    (
        "Service reporting",
        "Process owner",
        "O2",
        "Report services reliably and on time",
        "Reports delivered by the 5th working day",
        "%",
        "higher",
        "95",
        "monthly",
        "draft",
    ),
    (
        "Service availability management",
        "Process owner",
        "O3",
        "Meet availability targets",
        "Availability of critical services",
        "%",
        "higher",
        "99.5",
        "monthly",
        "conformance_due",
    ),
    (
        "Capacity management",
        "Process owner",
        "O3",
        "Provide capacity ahead of demand",
        "Capacity-related incidents",
        "count",
        "lower",
        "2",
        "quarterly",
        "reviewed",
    ),
    (
        "Service continuity management",
        "Process owner (second)",
        "O3",
        "Recover critical services in time",
        "Continuity tests passed",
        "%",
        "higher",
        "100",
        "yearly",
        "communicated",
    ),
    (
        "Information security management",
        "Process owner (second)",
        "O4",
        "Protect information",
        "Major information security incidents",
        "count",
        "lower",
        "0",
        "quarterly",
        "approved",
    ),
    (
        "Supplier management",
        "Process owner (second)",
        "O5",
        "Suppliers deliver what was agreed",
        "Supplier contracts reviewed on time",
        "%",
        "higher",
        "100",
        "yearly",
        "draft",
    ),
    (
        "Business relationship management",
        "Process owner",
        "O2",
        "Understand customer needs",
        "Customer satisfaction score",
        "points of 5",
        "higher",
        "4.3",
        "quarterly",
        "communicated",
    ),
    (
        "Budgeting and accounting for services",
        "Process owner (second)",
        "O5",
        "Know what services cost",
        "Budget variance",
        "%",
        "lower",
        "5",
        "quarterly",
        "incomplete",
    ),
]


def _process_sections(name):
    return {
        "purpose": f"{name} at {COMPANY}: what it achieves for our customers and how it fits the SMS.",
        "interfaces": "* Inputs: events, requests and changes from the service desk\n* Outputs: records in the service desk tool, reports to service level management",
        "roles": "* **Process owner**: accountable for the process and its plan\n* **Process manager**: runs it day to day\n* **Practitioners**: carry out the procedures",
        "resources": "Service desk tool, two process managers (Hamburg, Leipzig), training budget of 5 days per person and year.",
        "procedures": f"* PR-{name[:3].upper()}-01 {name} procedure\n* WI-{name[:3].upper()}-02 Work instruction\n* Records: service desk tool",
        "milestones": "1. Procedures published\n2. Staff trained\n3. Tool configured\n4. First monthly report",
    }


def _responsibilities(version, actor, owner, approver, communicator, reviewer=None):
    services.set_responsibilities(
        version=version,
        actor=actor,
        assignments={
            Responsibility.Kind.REVIEW: [reviewer or owner],
            Responsibility.Kind.APPROVAL: [approver],
            Responsibility.Kind.COMMUNICATION: [communicator],
            Responsibility.Kind.IMPLEMENTATION: [owner],
            Responsibility.Kind.UPDATING: [owner],
        },
    )


def _seed_smp(users):
    author, approver = users["Manager (second)"], users["Manager"]
    smp = services.create_service_management_plan(actor=author, title=f"{COMPANY} service management plan")
    version = smp.latest_version
    services.update_draft(
        version=version, actor=author, expected_revision=version.revision, sections=SMP_TEXT
    )
    for code, title, metric, unit, direction, target, frequency in SMP_OBJECTIVES:
        objective = services.save_objective(version=version, actor=author, title=title, code=code)
        services.save_kpi(
            objective=objective,
            actor=author,
            metric=metric,
            unit=unit,
            direction=direction,
            target=Decimal(target),
            owner=approver,
            frequency=frequency,
        )
    _responsibilities(version, author, author, approver, author)
    smp.distribution_groups.set(
        Group.objects.filter(name__in=[roles.PROCESS_OWNER, roles.MANAGER, roles.STAFF])
    )
    services.submit_plan(version=version, actor=author, comment="First SMP for certification.")
    services.review_plan(version=version, actor=author, comment="Checked against ISO/IEC 20000-1 clause 4-6.")
    services.approve_plan(version=version, actor=approver, comment="Approved for the certification cycle.")
    services.communicate_plan(version=version, actor=author)
    return Plan.objects.get(pk=smp.pk)


def _revise_smp(smp, users):
    author, approver = users["Manager (second)"], users["Manager"]
    version = services.revise_plan(plan=smp, actor=author, comment="Yearly update: new site in Leipzig.")
    services.update_draft(
        version=version,
        actor=author,
        expected_revision=version.revision,
        sections={"scope": SMP_TEXT["scope"] + "\n\nSince this version the Leipzig site is in scope."},
    )
    services.submit_plan(version=version, actor=author)
    services.review_plan(version=version, actor=author)
    services.approve_plan(version=version, actor=approver, comment="Leipzig in scope.")
    services.communicate_plan(version=version, actor=author)


def _seed_process(row, users, suffix=""):
    (name, owner_key, smp_code, objective_title, metric, unit, direction, target, frequency, state) = row
    name = f"{name}{suffix}"
    owner = users[owner_key]
    approver = users["Manager"]
    process, _ = Process.objects.get_or_create(name=name, defaults={"owner": owner})
    if Plan.objects.filter(process=process).exists():
        return None
    if owner_key == "Process owner":
        process.deputies.add(users["Process owner (second)"])
    plan = services.create_process_plan(process=process, actor=owner, title=f"{name} plan")
    version = plan.latest_version
    sections = _process_sections(name)
    if state == "incomplete":
        sections = {k: v for k, v in sections.items() if k in ("purpose", "roles")}
    services.update_draft(version=version, actor=owner, expected_revision=version.revision, sections=sections)
    traced = version.conforms_to.objectives.get(code=smp_code)
    objective = services.save_objective(version=version, actor=owner, title=objective_title, traces_to=traced)
    services.save_kpi(
        objective=objective,
        actor=owner,
        metric=metric,
        unit=unit,
        direction=direction,
        target=Decimal(target),
        owner=owner,
        frequency=frequency,
    )
    plan.distribution_users.set([users["Operator"]])
    plan.distribution_groups.set(Group.objects.filter(name=roles.STAFF))
    if state == "incomplete":
        return plan
    # P3: the other process owner reviews each plan before the manager approves it.
    peer = users["Process owner (second)" if owner_key == "Process owner" else "Process owner"]
    _responsibilities(version, owner, owner, approver, owner, reviewer=peer)
    if state == "draft":
        return plan
    services.submit_plan(version=version, actor=owner, comment="Ready for approval.")
    if state == "in_review":
        return plan
    services.review_plan(version=version, actor=peer, comment="Targets match the SMP objectives.")
    if state == "reviewed":
        return plan
    services.approve_plan(version=version, actor=approver)
    if state in ("approved",):
        return plan
    services.communicate_plan(version=version, actor=owner)
    for ack in version.acknowledgements.select_related("user")[:1]:
        services.acknowledge_plan(version=version, actor=ack.user)
    if state == "revised":
        draft = services.revise_plan(plan=plan, actor=owner, comment="Add the emergency change procedure.")
        services.update_draft(
            version=draft,
            actor=owner,
            expected_revision=draft.revision,
            sections={
                "procedures": draft.sections["procedures"] + "\n* PR-CHA-03 Emergency change procedure"
            },
        )
    return plan


def seed(*, users, scale, stdout):
    if Plan.objects.filter(kind=Plan.Kind.SMP).exists() and scale == 1:
        return
    started = timezone.now()
    smp = Plan.objects.filter(kind=Plan.Kind.SMP).first() or _seed_smp(users)
    # Two plans are approved against SMP version 1 before version 2 arrives:
    # they show the conformance review (P5).
    early = [row for row in PROCESSES if row[-1] == "conformance_due"]
    for row in early:
        _seed_process(row, users)
    if smp.versions.count() == 1:
        _revise_smp(smp, users)
    for row in PROCESSES:
        if row not in early:
            _seed_process(row, users)
    _seed_implementation(users)
    if scale > 1:
        # Copies 2..N, for benchmarks: in bulk, with people of their own.
        from . import demo_scale

        demo_scale.seed_copies(copies=range(2, scale + 1), users=users, stdout=stdout)
    # Demo users have example addresses: their notifications count as sent.
    Notification.objects.filter(created_at__gte=started, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    stdout.write(f"Plan: {Plan.objects.count()} plans.")


# Do: (process, state, milestones as (title, days from today due, done days ago or None))
IMPLEMENTATIONS = [
    (
        "Incident management",
        "in_operation",
        [
            ("Major-incident procedure published", -120, 118),
            ("Service desk trained", -90, 85),
            ("Monitoring alerts routed to the desk", -60, 61),
            ("First monthly incident report", -30, 28),
        ],
    ),
    (
        "Service level management",
        "in_operation",
        [
            ("SLA template agreed with customers", -200, 195),
            ("SLA reviews scheduled", -150, 150),
        ],
    ),
    (
        "Service request management",
        "in_implementation",
        [
            ("Request catalogue published", -45, 40),
            ("Fulfilment workflows configured", -10, None),
            ("Self-service portal live", 30, None),
        ],
    ),
    (
        "Business relationship management",
        "handover_proposed",
        [
            ("Customer contact plan agreed", -60, 55),
            ("Satisfaction survey designed", -20, 18),
        ],
    ),
    (
        "Service availability management",
        "in_implementation",
        [
            ("Availability targets per service agreed", 14, None),
            ("Availability report automated", 45, None),
        ],
    ),
    ("Service continuity management", "not_started", []),
]


def _seed_implementation(users):
    owner_map = {
        "Process owner": users["Process owner"],
        "Process owner (second)": users["Process owner (second)"],
    }
    operator, staff = users["Operator"], users["Staff"]
    today = timezone.localdate()
    for name, state, milestones in IMPLEMENTATIONS:
        plan = Plan.objects.filter(process__name=name).first()
        if (
            plan is None
            or plan.implementation_status != Plan.ImplementationStatus.NOT_STARTED
            or plan.milestones.exists()
        ):
            continue
        if state == "not_started":
            continue
        implementer = next(iter(plan.current_version.responsible(Responsibility.Kind.IMPLEMENTATION)), None)
        implementer = implementer or owner_map["Process owner"]
        implementation.start_implementation(plan=plan, actor=implementer)
        for title, due_in, done_ago in milestones:
            milestone = implementation.save_milestone(
                plan=plan,
                actor=implementer,
                title=title,
                owner=implementer,
                due_on=today + datetime.timedelta(days=due_in),
            )
            if done_ago is not None:
                implementation.complete_milestone(
                    milestone=milestone,
                    actor=implementer,
                    done_on=today - datetime.timedelta(days=done_ago),
                    evidence="Recorded in the service desk tool.",
                )
        if state in ("in_operation", "handover_proposed"):
            for kpi in selectors.current_kpis(plan):
                implementation.assign_kpi_operator(kpi=kpi, actor=implementer, operator=operator)
            handover = implementation.propose_handover(
                plan=plan,
                actor=implementer,
                receivers=[operator, staff],
                handover_on=today - datetime.timedelta(days=7) if state == "in_operation" else today,
                documents="Process description\nRunbook\nOn-call rota",
                open_points="" if state == "in_operation" else "Reporting dashboard still being built.",
            )
            if state == "in_operation":
                implementation.accept_handover(
                    handover=handover, actor=operator, comment="Taken over by the desk."
                )
