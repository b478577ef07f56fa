"""Demo data of Check: two years of monthly measurements for the KPIs in force
(some targets met, some missed, a visible trend), review schedules that are
due, overdue and fine, approved reviews of each kind with findings of every
grade and actions, one review in progress and one awaiting approval.
Everything goes through the services, so the demo obeys the rules users do."""

import datetime
import math
from decimal import Decimal

from django.utils import timezone

from pdca.scale import COPY_NAME_REGEX
from plans.models import Kpi, Plan, PlanVersion

from . import measurements, services
from .dates import add_months
from .models import Finding, Measurement, Review, ReviewInput, ReviewSchedule

MONTHS = 24


def _months_back(count, today):
    """(start, end) of the `count` full months before `today`'s month, oldest first."""
    end = today.replace(day=1) - datetime.timedelta(days=1)
    periods = []
    for _ in range(count):
        start = end.replace(day=1)
        periods.append((start, end))
        end = start - datetime.timedelta(days=1)
    return list(reversed(periods))


def _series(kpi, n, count, seed):
    """A plausible monthly series around the target: improving for most KPIs,
    sliding below the target for every fourth, with a little noise."""
    target = float(kpi.target)
    spread = max(abs(target) * 0.06, 0.5)
    worsening = seed % 4 == 3
    sign = 1 if kpi.direction == Kpi.Direction.HIGHER else -1
    progress = (n / max(count - 1, 1)) - 0.5  # -0.5 .. 0.5
    drift = (-progress if worsening else progress) * 2 * spread * sign
    noise = math.sin(n * 1.7 + seed) * spread * 0.35
    value = target + drift + noise
    if kpi.unit.strip() == "%":
        value = min(value, 100.0)
    if kpi.unit.strip() in ("count", "tickets"):
        value = max(round(value), 0)
    return Decimal(str(round(max(value, 0), 2)))


def _seed_measurements(today):
    periods = _months_back(MONTHS, today)
    # The scaled copies (seed_demo --scale) get theirs in bulk (reviews/demo_scale.py).
    versions = (
        PlanVersion.objects.filter(status__in=PlanVersion.IN_FORCE)
        .exclude(plan__process__name__regex=COPY_NAME_REGEX)
        .select_related("plan__process__owner")
    )
    seed = 0
    for version in versions:
        plan = version.plan
        for kpi in Kpi.objects.filter(objective__version=version).select_related(
            "objective__version__plan", "owner"
        ):
            seed += 1
            if Measurement.objects.filter(kpi_key=kpi.key).exists():
                continue
            recorder = kpi.owner
            for n, (start, end) in enumerate(periods):
                measurements.record_measurement(
                    kpi=kpi,
                    actor=recorder,
                    period_start=start,
                    period_end=end,
                    value=_series(kpi, n, len(periods), seed),
                    source="Service desk reporting" if plan.process_id else "SMS dashboard",
                )


def _schedule(plan, actor, *, interval, next_planned_on, reviewer):
    return services.save_schedule(
        plan=plan, actor=actor, interval_months=interval, next_planned_on=next_planned_on, reviewer=reviewer
    )


def _finish(review, actor, *, held_on, decisions, minutes, findings=(), actions=()):
    review = services.start_review(review=review, actor=actor)
    review = services.update_review(
        review=review,
        actor=actor,
        expected_revision=review.revision,
        held_on=held_on,
        decisions=decisions,
        minutes=minutes,
    )
    for grade, clause, process, description, evidence in findings:
        services.save_finding(
            review=review,
            actor=actor,
            grade=grade,
            clause=clause,
            process=process,
            description=description,
            evidence=evidence,
        )
    for description, owner, due_on in actions:
        services.save_action(review=review, actor=actor, description=description, owner=owner, due_on=due_on)
    return Review.objects.get(pk=review.pk)


def seed(*, users, scale, stdout):
    if not Review.objects.exists():
        _seed_demo(users)
    if scale > 1:
        # Copies 2..N, for benchmarks: in bulk.
        from . import demo_scale

        demo_scale.seed_copies(copies=range(2, scale + 1), stdout=stdout)


def _seed_demo(users):
    today = timezone.localdate()
    manager, manager2 = users["Manager"], users["Manager (second)"]
    owner, owner2, auditor = users["Process owner"], users["Process owner (second)"], users["Auditor"]
    _seed_measurements(today)

    smp = Plan.objects.filter(kind=Plan.Kind.SMP).first()
    plans = {p.process.name: p for p in Plan.objects.filter(kind=Plan.Kind.PROCESS).select_related("process")}
    incident = plans.get("Incident management")
    requests = plans.get("Service request management")
    change = plans.get("Change management")
    continuity = plans.get("Service continuity management")
    relationship = plans.get("Business relationship management")
    level = plans.get("Service level management")

    # -- an approved management review of last year, with every input addressed
    planned = add_months(today, -11)
    _schedule(smp, manager, interval=12, next_planned_on=planned, reviewer=manager2)
    review = services.plan_review(
        actor=manager,
        kind=Review.Kind.MANAGEMENT,
        planned_on=planned,
        reviewer=manager2,
        participants=[owner, owner2, users["CSI owner"]],
    )
    review = _finish(
        review,
        manager2,
        held_on=planned + datetime.timedelta(days=3),
        decisions="* Keep the SMS scope as it is.\n* Fund a second on-call rotation for priority-1 incidents.",
        minutes="Top management reviewed the SMS against its objectives. Availability and customer "
        "satisfaction are on target; incident resolution times slipped in the winter months.",
        findings=[
            (
                Finding.Grade.MAJOR,
                "9.1",
                None,
                "Service reports for two customers were not produced for three months.",
                "Reporting calendar and the missing reports for Q3 (checked in the reporting archive).",
            ),
            (
                Finding.Grade.OPPORTUNITY,
                "10.2",
                None,
                "Customer satisfaction surveys could be automated after ticket closure.",
                "Survey return rate of 11 % in the last two quarters.",
            ),
        ],
        actions=[
            ("Restore the monthly service reports for all customers", owner, add_months(today, -9)),
            ("Propose a budget for a second on-call rotation", manager2, add_months(today, -8)),
        ],
    )
    for item in review.inputs.all():
        services.address_input(
            review=review,
            actor=manager2,
            key=item.key,
            status=ReviewInput.Status.ADDRESSED
            if item.key != "parties_performance"
            else ReviewInput.Status.NOT_APPLICABLE,
            notes="Discussed and minuted; see the decisions."
            if item.key != "parties_performance"
            else "No supplier delivers part of the services in this period.",
        )
    services.submit_review(review=review, actor=manager2)
    services.approve_review(review=review, actor=manager, comment="Approved for the record.")

    # -- an approved process review of incident management, held late
    if incident is not None:
        planned = add_months(today, -5)
        _schedule(incident, owner, interval=6, next_planned_on=planned, reviewer=owner)
        review = services.plan_review(
            actor=owner,
            kind=Review.Kind.PROCESS,
            plan=incident,
            planned_on=planned,
            reviewer=owner,
            participants=[users["Operator"]],
        )
        review = _finish(
            review,
            owner,
            held_on=planned + datetime.timedelta(days=12),
            decisions="* Introduce a major-incident checklist.\n* Review the priority matrix with the service desk.",
            minutes="The process owner and the service desk supervisor reviewed six months of incidents.",
            findings=[
                (
                    Finding.Grade.MINOR,
                    "8.6.1",
                    incident.process,
                    "Priority 2 incidents were escalated late in 4 of 30 sampled cases.",
                    "Tickets INC-4411, INC-4502, INC-4630, INC-4718: escalation after 3 h instead of 1 h.",
                ),
                (
                    Finding.Grade.OBSERVATION,
                    "8.6.1",
                    incident.process,
                    "Workarounds are not always linked to known errors.",
                    "7 of 20 resolved incidents cite a workaround without a known-error reference.",
                ),
            ],
            actions=[
                ("Publish a major-incident checklist", owner, add_months(today, -4)),
                (
                    "Retrain the service desk on the priority matrix",
                    users["Operator"],
                    today + datetime.timedelta(days=20),
                ),
            ],
        )
        services.submit_review(review=review, actor=owner)
        services.approve_review(review=review, actor=manager)

    # -- an approved internal audit of change management, findings of every grade
    if change is not None and change.current_version is not None:
        planned = add_months(today, -3)
        audit = services.plan_review(
            actor=manager,
            kind=Review.Kind.INTERNAL_AUDIT,
            processes=[change.process],
            planned_on=planned,
            reviewer=auditor,
        )
        audit = _finish(
            audit,
            auditor,
            held_on=planned + datetime.timedelta(days=1),
            decisions="* Corrective actions for the nonconformities within 60 days.",
            minutes="The auditor sampled 25 changes of the last quarter and interviewed the change manager.",
            findings=[
                (
                    Finding.Grade.MAJOR,
                    "8.5.1.3",
                    change.process,
                    "Emergency changes are implemented without a retrospective approval.",
                    "5 of 6 emergency changes (CHG-221 to CHG-226) have no approval record.",
                ),
                (
                    Finding.Grade.MINOR,
                    "8.5.1.2",
                    change.process,
                    "Change records do not state the remediation plan.",
                    "9 of 25 sampled changes: remediation field empty.",
                ),
                (
                    Finding.Grade.OBSERVATION,
                    "8.5.1",
                    change.process,
                    "The change schedule is published late on Friday afternoons.",
                    "Publication times of the last 8 schedules.",
                ),
                (
                    Finding.Grade.OPPORTUNITY,
                    "10.2",
                    change.process,
                    "Standard changes could be pre-approved in the service catalogue.",
                    "32 % of normal changes are repetitive configuration changes.",
                ),
            ],
            actions=[
                (
                    "Record retrospective approvals for emergency changes",
                    owner2,
                    today - datetime.timedelta(days=10),
                )
            ],
        )
        services.submit_review(review=audit, actor=auditor)
        services.approve_review(review=audit, actor=manager2)

    # -- a process review in progress (service request management)
    if requests is not None:
        _schedule(
            requests, owner, interval=12, next_planned_on=today + datetime.timedelta(days=7), reviewer=owner
        )
        review = services.plan_review(
            actor=owner,
            kind=Review.Kind.PROCESS,
            plan=requests,
            planned_on=today - datetime.timedelta(days=2),
            reviewer=owner,
        )
        review = services.start_review(review=review, actor=owner)
        services.save_finding(
            review=review,
            actor=owner,
            grade=Finding.Grade.OPPORTUNITY,
            clause="8.6.2",
            process=requests.process,
            description="Most access requests could be fulfilled automatically.",
            evidence="61 % of requests in the last quarter were standard access requests.",
        )

    # -- a process review awaiting approval (business relationship management)
    if relationship is not None:
        review = services.plan_review(
            actor=owner,
            kind=Review.Kind.PROCESS,
            plan=relationship,
            planned_on=today - datetime.timedelta(days=10),
            reviewer=owner,
        )
        review = _finish(
            review,
            owner,
            held_on=today - datetime.timedelta(days=9),
            decisions="* Meet the two largest customers quarterly instead of yearly.",
            minutes="Customer complaints and satisfaction were reviewed with the account managers.",
            findings=[
                (
                    Finding.Grade.MINOR,
                    "8.3.2",
                    relationship.process,
                    "Two customer complaints were closed without telling the customer.",
                    "Complaints CMP-031 and CMP-044: no closure note sent.",
                )
            ],
            actions=[("Send closure notes for every complaint", owner, today + datetime.timedelta(days=30))],
        )
        services.submit_review(review=review, actor=owner)

    # -- schedules: one overdue, one fine
    if continuity is not None:
        _schedule(
            continuity,
            owner2,
            interval=12,
            next_planned_on=today - datetime.timedelta(days=20),
            reviewer=owner2,
        )
    if level is not None and ReviewSchedule.objects.filter(plan=level).exists():
        _schedule(level, owner, interval=6, next_planned_on=add_months(today, 2), reviewer=owner)
