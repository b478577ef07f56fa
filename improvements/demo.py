"""Demo data of Act: an approved and communicated CSI principle naming the
demo CSI owner (A1); the service improvement plan fed by the findings of
Check's approved demo reviews (A2: they entered it when their reviews were
approved), an observation promoted by hand and improvements proposed by
people; two projects (A3); and improvements in every state, with baselines
and results (one effective, one not), and a closed nonconformity with its
root cause (A4, A5). Everything goes through the services, so the demo obeys
the rules users do. Running it again changes nothing; `--scale N` adds
improvements to the processes of the scaled demo."""

import datetime
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from pdca.models import Notification
from plans import services as plan_services
from plans.models import Kpi, Plan, PlanVersion, Process, Responsibility
from reviews.models import Finding, Measurement

from . import services
from .models import Improvement, Project

PROJECT_REPORTING = "Service reporting recovery"
PROJECT_FEEDBACK = "Customer feedback automation"

PRINCIPLE_TEXT = {
    "purpose": (
        "Nordlicht IT Services improves its services and its service management system continually. "
        "This principle says who identifies, decides, carries out and verifies improvements, so that "
        "every nonconformity is eliminated and every improvement is measured."
    ),
    "roles": (
        "* **Top management** approves this principle and the improvement projects.\n"
        "* **CSI owners** run the service improvement plan (SIP): they approve or reject proposed "
        "improvements, check their effectiveness and close them.\n"
        "* **Process owners** carry out the improvements of their processes.\n"
        "* **Project managers** carry out the improvements that span processes or the whole company.\n"
        "* **Everybody** may propose an improvement."
    ),
    "identification": (
        "Nonconformities and opportunities for improvement from reviews and internal audits enter the "
        "SIP when their review is approved. Observations, measurements and suggestions enter it by hand."
    ),
    "evaluation": (
        "A CSI owner weighs benefit, size and urgency and sets the priority. An improvement of several "
        "processes, or a company-wide one, is carried out as a project."
    ),
    "measurement": (
        "Before implementation the owner documents a baseline from the KPI's measurements or with "
        "evidence; after it, the achieved values are measured for at least one full period."
    ),
    "reporting": "The SIP is reported to top management in every management review.",
}


def _months_back(count, today):
    """(start, end) of the `count` full months before `today`'s month, oldest first."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    periods = []
    for _ in range(count):
        start = end.replace(day=1)
        periods.append((start, end))
        end = start - datetime.timedelta(days=1)
    return list(reversed(periods))


def _seed_principle(users):
    """A1: the CSI principle, written by the second manager, approved by the
    first, naming the demo CSI owner, and communicated."""
    if Plan.objects.filter(kind=Plan.Kind.CSI).exists() or plan_services.current_smp() is None:
        return
    author, approver, csi = users["Manager (second)"], users["Manager"], users["CSI owner"]
    plan = plan_services.create_csi_principle(actor=author, title="Continual service improvement principle")
    version = plan.latest_version
    plan_services.update_draft(
        version=version, actor=author, expected_revision=version.revision, sections=PRINCIPLE_TEXT
    )
    plan_services.set_responsibilities(
        version=version,
        actor=author,
        assignments={
            Responsibility.Kind.REVIEW: [author],
            Responsibility.Kind.APPROVAL: [approver],
            Responsibility.Kind.COMMUNICATION: [author],
            Responsibility.Kind.IMPLEMENTATION: [csi],
            Responsibility.Kind.UPDATING: [author],
            Responsibility.Kind.CSI_OWNER: [csi],
        },
    )
    plan.distribution_groups.set(
        Group.objects.filter(name__in=[roles.MANAGER, roles.PROCESS_OWNER, roles.CSI_OWNER])
    )
    plan_services.submit_plan(version=version, actor=author, comment="The CSI principle for the SIP.")
    plan_services.review_plan(version=version, actor=author)
    plan_services.approve_plan(version=version, actor=approver, comment="Chris Imhof is our CSI owner.")
    plan_services.communicate_plan(version=PlanVersion.objects.get(pk=version.pk), actor=author)


def _from_finding(text):
    return (
        Improvement.objects.filter(finding__description__startswith=text)
        .select_related("finding", "owner")
        .first()
    )


def _kpi_of(process_name):
    return (
        Kpi.objects.filter(
            objective__version__plan__process__name=process_name,
            objective__version__status__in=PlanVersion.IN_FORCE,
        )
        .order_by("pk")
        .first()
    )


def _edit(improvement, actor, **values):
    improvement = Improvement.objects.get(pk=improvement.pk)
    return services.update_improvement(
        improvement=improvement, actor=actor, expected_revision=improvement.revision, **values
    )


def _mean(values):
    values = list(values)
    return (sum(values) / len(values)).quantize(Decimal("0.01")) if values else None


def _measured(kpi, start, end):
    return _mean(Measurement.objects.of_kpi(kpi).within(start, end).values_list("value", flat=True))


def _baseline_from_measurements(improvement, owner, kpi, baseline_on):
    services.take_baseline(improvement=improvement, actor=owner, baseline_on=baseline_on, kpis=[kpi])
    services.accept_baseline(improvement=improvement, actor=owner)


def _better(kpi, baseline, measured, step):
    """The achieved value of the demo: what was measured, or a little better
    than the baseline when the demo measurements happen not to show it."""
    better = baseline + step if kpi.direction == Kpi.Direction.HIGHER else baseline - step
    if measured is None:
        return better
    if kpi.direction == Kpi.Direction.HIGHER:
        return max(measured, better)
    return min(measured, better)


def _seed_register(users, today):
    csi, manager, manager2 = users["CSI owner"], users["Manager"], users["Manager (second)"]
    owner, owner2 = users["Process owner"], users["Process owner (second)"]
    last_two = _months_back(2, today)
    result_start, result_end = last_two[0][0], last_two[-1][1]
    # Before the implementations started: four months ago.
    baseline_on = today - datetime.timedelta(days=120)

    # -- closed: the minor nonconformity of the incident review, eliminated (A5)
    incident_kpi = _kpi_of("Incident management")
    late = _from_finding("Priority 2 incidents were escalated late")
    if late is not None and incident_kpi is not None:
        _edit(
            late,
            owner,
            kpi=incident_kpi,
            target=incident_kpi.target + Decimal("5"),
            required_by=today + datetime.timedelta(days=14),
            timescale="this quarter",
            expected_benefit="No late escalation of priority 2 incidents; resolution within target rises.",
        )
        services.approve_improvement(improvement=late, actor=csi, comment="Nonconformity: eliminate it.")
        _baseline_from_measurements(late, owner, incident_kpi, baseline_on)
        services.start_implementation(improvement=late, actor=owner)
        services.record_nonconformity_handling(
            improvement=late,
            actor=owner,
            correction="The four late tickets were escalated at once and the customers informed.",
            root_cause=(
                "Why late? The escalation timer did not fire. Why? It was not configured for priority 2. "
                "Why? The priority matrix changed in the spring and only priority 1 timers were migrated."
            ),
            root_cause_method="5 whys",
            similar_elsewhere="Service requests use the same timers: checked, all priorities configured.",
            corrective_action="Timers configured for every priority; a timer check is part of every matrix change.",
        )
        services.mark_implemented(improvement=late, actor=owner, comment="Timers live since last month.")
        baseline = late.baseline.get().value
        services.record_result(
            improvement=late,
            actor=owner,
            kpi=incident_kpi,
            label=incident_kpi.metric,
            unit=incident_kpi.unit,
            value=_better(
                incident_kpi, baseline, _measured(incident_kpi, result_start, result_end), Decimal("4")
            ),
            period_start=result_start,
            period_end=result_end,
            evidence="Monthly incident report of the last two months.",
        )
        services.check_effectiveness(
            improvement=late,
            actor=csi,
            effective=True,
            evidence="No late escalation of priority 2 incidents in two months (sampled 40 tickets).",
            result="Escalations on time; resolution within target above the baseline.",
        )
        services.close_improvement(improvement=late, actor=csi, comment="Nonconformity eliminated.")

    # -- in implementation again: the change audit's major nonconformity, found not effective
    change_kpi = _kpi_of("Change management")
    emergency = _from_finding("Emergency changes are implemented without")
    if emergency is not None and change_kpi is not None:
        _edit(
            emergency,
            owner2,
            kpi=change_kpi,
            target=change_kpi.target,
            required_by=today - datetime.timedelta(days=10),
            priority=Improvement.Priority.CRITICAL,
        )
        services.approve_improvement(improvement=emergency, actor=csi)
        _baseline_from_measurements(emergency, owner2, change_kpi, baseline_on)
        services.start_implementation(improvement=emergency, actor=owner2)
        services.record_nonconformity_handling(
            improvement=emergency,
            actor=owner2,
            correction="The five emergency changes were approved retrospectively by the CAB.",
            root_cause="The emergency procedure did not say who approves afterwards, nor by when.",
            root_cause_method="Fishbone (Ishikawa) diagram",
            similar_elsewhere="Release management has no emergency path: not affected.",
            corrective_action="The emergency change procedure names the ECAB and a 2-day deadline.",
        )
        services.mark_implemented(improvement=emergency, actor=owner2)
        baseline = emergency.baseline.get().value
        services.record_result(
            improvement=emergency,
            actor=owner2,
            kpi=change_kpi,
            label=change_kpi.metric,
            unit=change_kpi.unit,
            value=baseline,
            period_start=result_start,
            period_end=result_end,
            evidence="Change records of the last two months.",
        )
        services.check_effectiveness(
            improvement=emergency,
            actor=csi,
            effective=False,
            evidence="2 of 3 emergency changes last month still lack the retrospective approval.",
        )

    # -- implemented, waiting for its results: the audit's opportunity
    standard = _from_finding("Standard changes could be pre-approved")
    if standard is not None:
        _edit(standard, owner2, required_by=today + datetime.timedelta(days=45), size=Improvement.Size.SMALL)
        services.approve_improvement(improvement=standard, actor=csi)
        services.add_baseline_value(
            improvement=standard,
            actor=owner2,
            label="Normal changes that are repetitive configuration changes",
            value=Decimal("32"),
            unit="%",
            measured_on=baseline_on,
            evidence="Analysis of the 412 normal changes of the last two quarters.",
        )
        services.accept_baseline(improvement=standard, actor=owner2)
        services.start_implementation(improvement=standard, actor=owner2)
        services.mark_implemented(
            improvement=standard,
            actor=owner2,
            comment="Twelve standard changes are in the service catalogue.",
        )

    # -- approved, carried by an approved project: the management review's major nonconformity
    reports = _from_finding("Service reports for two customers")
    if reports is not None:
        _edit(
            reports,
            csi,
            owner=owner,
            required_by=today + datetime.timedelta(days=60),
            priority=Improvement.Priority.HIGH,
        )
        project = services.save_project(
            actor=csi,
            name=PROJECT_REPORTING,
            manager=manager2,
            starts_on=today - datetime.timedelta(days=20),
            ends_on=today + datetime.timedelta(days=70),
            description="Restore the monthly service reports for every customer and keep them on time.",
            improvements=[reports],
        )
        for title, due, done in [
            ("Missing reports produced", -10, -12),
            ("Report calendar automated", 20, None),
            ("Two months on time", 65, None),
        ]:
            services.save_project_milestone(
                project=project,
                actor=csi,
                title=title,
                due_on=today + datetime.timedelta(days=due),
                done_on=today + datetime.timedelta(days=done) if done is not None else None,
            )
        services.approve_project(project=project, actor=manager, comment="Funded from the SMS budget.")
        services.approve_improvement(improvement=reports, actor=csi)

    # -- proposed, with its planned project: the management review's opportunity
    surveys = _from_finding("Customer satisfaction surveys could be automated")
    if surveys is not None:
        _edit(surveys, csi, owner=owner, required_by=today + datetime.timedelta(days=120))
        feedback = services.save_project(
            actor=csi,
            name=PROJECT_FEEDBACK,
            manager=owner,
            starts_on=today + datetime.timedelta(days=14),
            ends_on=today + datetime.timedelta(days=120),
            description="A survey sent automatically when a ticket is closed, and a monthly satisfaction report.",
            improvements=[surveys],
        )
        services.save_project_milestone(
            project=feedback,
            actor=csi,
            title="Survey tool chosen",
            due_on=today + datetime.timedelta(days=40),
        )

    # -- approved: an observation promoted by its process owner
    workarounds = (
        Finding.objects.filter(description__startswith="Workarounds are not always linked", improvement=None)
        .select_related("review")
        .first()
    )
    if workarounds is not None:
        promoted = services.promote_observation(finding=workarounds, actor=owner)
        _edit(promoted, owner, priority=Improvement.Priority.LOW, timescale="within 6 months")
        services.approve_improvement(improvement=promoted, actor=csi)

    # -- rejected: a suggestion
    incident = Process.objects.filter(name="Incident management").first()
    if incident is not None:
        chat = services.propose_improvement(
            actor=users["Operator"],
            title="A chat channel for the service desk",
            description="Customers could chat with the service desk instead of calling.",
            processes=[incident],
            expected_benefit="Fewer calls at peak times.",
        )
        services.reject_improvement(
            improvement=chat,
            actor=csi,
            reason="The self-service portal of service request management covers this need; no second channel.",
        )

    # -- evaluated (effective), ready to close: a suggestion with a baseline entered by hand
    levels = Process.objects.filter(name="Service level management").first()
    if levels is not None:
        sla = services.propose_improvement(
            actor=owner,
            title="Automate the monthly SLA report",
            description="Produce the SLA report from the service desk tool instead of by hand.",
            processes=[levels],
            expected_benefit="The report takes under 4 hours instead of 2 days.",
            required_by=today + datetime.timedelta(days=10),
        )
        services.approve_improvement(improvement=sla, actor=csi)
        services.add_baseline_value(
            improvement=sla,
            actor=owner,
            label="Hours to compile the SLA report",
            value=Decimal("16"),
            unit="h",
            measured_on=baseline_on,
            evidence="Time sheets of the last three reports.",
        )
        services.accept_baseline(improvement=sla, actor=owner)
        services.start_implementation(improvement=sla, actor=owner)
        services.mark_implemented(improvement=sla, actor=owner)
        services.record_result(
            improvement=sla,
            actor=owner,
            label="Hours to compile the SLA report",
            unit="h",
            value=Decimal("3"),
            period_start=result_start,
            period_end=result_end,
            evidence="Time sheets of the last two reports.",
        )
        services.check_effectiveness(
            improvement=sla,
            actor=csi,
            effective=True,
            evidence="Both reports produced in 3 hours, on the 2nd working day.",
            result="The SLA report takes 3 hours instead of 16.",
        )

    # -- proposed, company-wide, without a project: it cannot be approved yet (A3)
    if not Improvement.objects.filter(title="Single sign-on for every service desk tool").exists():
        services.propose_improvement(
            actor=owner,
            title="Single sign-on for every service desk tool",
            description="Agents log in five times a day into four tools; one sign-on would save time.",
            scope=Improvement.Scope.COMPANY,
            owner=manager2,
            priority=Improvement.Priority.HIGH,
            size=Improvement.Size.LARGE,
            required_by=today + datetime.timedelta(days=180),
            expected_benefit="10 minutes per agent and day.",
        )


def seed(*, users, scale, stdout):
    started = timezone.now()
    today = timezone.localdate()
    _seed_principle(users)
    # The findings entered the plan by themselves; what people added marks a seeded register.
    if not Improvement.objects.exclude(source=Improvement.Source.FINDING).exists():
        _seed_register(users, today)
    if scale > 1:
        # Copies 2..N, for benchmarks: in bulk.
        from . import demo_scale

        demo_scale.seed_copies(copies=range(2, scale + 1), users=users, stdout=stdout)
    # Demo users have example addresses: their notifications count as sent.
    Notification.objects.filter(created_at__gte=started, emailed_at__isnull=True).update(
        emailed_at=timezone.now()
    )
    stdout.write(f"Act: {Improvement.objects.count()} improvements, {Project.objects.count()} projects.")
