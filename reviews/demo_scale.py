"""Check of the scaled demo (`seed_demo --scale N`), in bulk: for each process
plan in force of copies 2..N, 3 1/2 years of monthly measurements of its KPIs,
a review schedule and a quarterly history of approved reviews (every third
an internal audit by an auditor of the copy) with findings of every grade and
actions. Approved reviews store `Review.canonical_content()` and its SHA-256
and carry the decisions the services would have recorded."""

import datetime

from django.utils import timezone

from pdca.controlled import content_hash, person
from pdca.demo import scale_people
from pdca.scale import Ledger, copy_chunks, freeze, insert, insert_editable, link, progress_of, stamp, suffix
from plans.demo import PROCESSES
from plans.models import Kpi, Plan, PlanVersion

from .dates import add_months
from .demo import _months_back, _series
from .models import Finding, Measurement, Review, ReviewAction, ReviewSchedule

# Per process plan in force: 42 months of its 4 KPIs and about 33 reviews, so that 1,005 process plans
# (9 of 15 in force) have about 100,000 measurements, 20,000 reviews and
# 100,000 findings.
MEASUREMENT_MONTHS = 42
REVIEWS_PER_PLAN = 33
FINDINGS_PER_REVIEW = 5
ACTIONS_PER_REVIEW = 2
# The grade of each review's first finding, in turn; the others are observations.
FIRST_GRADES = [
    Finding.Grade.MINOR,
    Finding.Grade.OPPORTUNITY,
    Finding.Grade.OBSERVATION,
    Finding.Grade.MAJOR,
    Finding.Grade.OPPORTUNITY,
]
SECOND_GRADES = [Finding.Grade.OBSERVATION, Finding.Grade.OPPORTUNITY, Finding.Grade.OBSERVATION]


def seed_copies(*, copies, stdout):
    step = progress_of(stdout)
    first_plan = f"{PROCESSES[0][0]}{{}} plan"
    todo = [
        c
        for c in copies
        if not Review.objects.filter(plan__title=first_plan.format(suffix(c))).exists()
        and Plan.objects.filter(title=first_plan.format(suffix(c))).exists()
    ]
    today, now = timezone.localdate(), timezone.now()
    for chunk in copy_chunks(todo):
        _seed_chunk(chunk, scale_people(chunk), today, now, step)


def _seed_chunk(chunk, people, today, now, step):
    ledger = Ledger()
    names = [row[0] + suffix(copy) for copy in chunk for row in PROCESSES]
    versions = list(
        PlanVersion.objects.filter(status__in=PlanVersion.IN_FORCE, plan__process__name__in=names)
        .select_related("plan__process__owner")
        .order_by("plan__process__name")
    )
    kpis = {}
    for kpi in Kpi.objects.filter(objective__version__in=versions).select_related("objective").order_by("pk"):
        kpis.setdefault(kpi.objective.version_id, []).append(kpi)

    # -- measurements (C1) -------------------------------------------------------------------------
    periods = _months_back(MEASUREMENT_MONTHS, today)
    measurements = []
    for seed, version in enumerate(versions):
        owner = version.plan.process.owner
        for k, kpi in enumerate(kpis.get(version.pk, [])):
            for n, (start, end) in enumerate(periods):
                recorded = datetime.datetime.combine(end, datetime.time(9), tzinfo=datetime.UTC)
                measurements.append(
                    stamp(
                        Measurement(
                            kpi=kpi,
                            kpi_key=kpi.key,
                            period_start=start,
                            period_end=end,
                            value=_series(kpi, n, len(periods), seed * 4 + k),
                            source="Service desk reporting",
                            recorded_by=owner,
                            recorded_at=recorded + datetime.timedelta(days=1),
                        ),
                        user=owner,
                        at=recorded + datetime.timedelta(days=1),
                    )
                )
    insert(Measurement, measurements)

    # -- schedules and reviews (C2-C4) ---------------------------------------------------------------
    schedules = []
    for i, version in enumerate(versions):
        owner = version.plan.process.owner
        last = add_months(today, -3) + datetime.timedelta(days=i % 20 - 10)
        schedules.append(
            stamp(
                ReviewSchedule(
                    plan=version.plan,
                    interval_months=3,
                    next_planned_on=add_months(last, 3),
                    reviewer=owner,
                    last_planned_on=last,
                ),
                user=owner,
                at=now,
            )
        )
    insert(ReviewSchedule, schedules)

    reviews = []
    for i, (version, schedule) in enumerate(zip(versions, schedules, strict=True)):
        process, owner = version.plan.process, version.plan.process.owner
        copy = int(process.name.rsplit("(", 1)[1].rstrip(")"))
        group = people[copy]
        for j in range(REVIEWS_PER_PLAN):
            audit = j % 3 == 2
            planned = add_months(schedule.last_planned_on, -3 * j)
            held = planned + datetime.timedelta(days=j % 4)
            reviewer = group["auditor"][j % len(group["auditor"])] if audit else owner
            approver = group["manager"][(i + j) % len(group["manager"])]
            at = datetime.datetime.combine(held, datetime.time(10), tzinfo=datetime.UTC)
            review = Review(
                kind=Review.Kind.INTERNAL_AUDIT if audit else Review.Kind.PROCESS,
                title=(
                    f"Internal audit of {process} {planned:%b %Y}"
                    if audit
                    else f"Process review of {process} {planned:%b %Y}"
                ),
                status=Review.Status.APPROVED,
                plan=None if audit else version.plan,
                version=None if audit else version,
                schedule=None if audit else schedule,
                planned_on=planned,
                held_on=held,
                period_start=add_months(planned, -3),
                period_end=planned,
                reviewer=reviewer,
                decisions="* Keep the targets.\n* Follow up the findings in the improvement plan.",
                minutes=f"Routine {'audit' if audit else 'review'} of {process}: records sampled, KPIs discussed.",
                author=reviewer,
                last_editor=reviewer,
                edited_at=at,
                revision=8,
                started_at=at,
                submitted_at=at + datetime.timedelta(hours=2),
                approved_by=approver,
                approved_at=at + datetime.timedelta(days=2),
            )
            review._process = process
            review._owner = owner
            review._findings = [
                (
                    n + 1,
                    FIRST_GRADES[(i + j) % len(FIRST_GRADES)]
                    if n == 0
                    else (SECOND_GRADES[j % len(SECOND_GRADES)] if n == 1 else Finding.Grade.OBSERVATION),
                    "8.1" if n else "10.2",
                    f"Finding {n + 1} of the {planned:%B %Y} {'audit' if audit else 'review'} of {process}.",
                    f"Sampled records {j * 10 + n}-{j * 10 + n + 9}.",
                )
                for n in range(FINDINGS_PER_REVIEW)
            ]
            review._actions = [
                (f"Follow up finding {n + 1}", owner, held + datetime.timedelta(days=30 * (n + 1)))
                for n in range(ACTIONS_PER_REVIEW)
            ]
            content = _canonical_content(review)
            review.approved_content = {
                **content,
                "approval": {"by": person(approver), "at": review.approved_at.isoformat()},
            }
            review.content_hash = content_hash(review.approved_content)
            reviews.append(stamp(review, user=reviewer, at=at))
    insert_editable(Review, reviews)
    link(Review, "processes", [(r.pk, r._process.pk) for r in reviews])
    link(Review, "editors", [(r.pk, r.reviewer_id) for r in reviews])
    findings, actions = [], []
    for r in reviews:
        for number, grade, clause, description, evidence in r._findings:
            findings.append(
                stamp(
                    Finding(
                        review=r,
                        number=number,
                        grade=grade,
                        clause=clause,
                        process=r._process,
                        description=description,
                        evidence=evidence,
                        raised_at=r.edited_at,
                    ),
                    user=r.reviewer,
                    at=r.edited_at,
                )
            )
        for description, owner, due_on in r._actions:
            done = due_on < today
            actions.append(
                stamp(
                    ReviewAction(
                        review=r,
                        description=description,
                        owner=owner,
                        due_on=due_on,
                        status=ReviewAction.Status.DONE if done else ReviewAction.Status.OPEN,
                        done_on=due_on if done else None,
                        done_by=owner if done else None,
                        done_note="Done as decided." if done else "",
                    ),
                    user=r.reviewer,
                    at=r.edited_at,
                )
            )
    insert(Finding, findings)
    insert(ReviewAction, actions)
    freeze(Review, reviews)
    for r in reviews:
        author = r.author
        ledger.decide(r, "plan_review", author, r.edited_at, to_state=Review.Status.PLANNED)
        ledger.decide(
            r,
            "start_review",
            r.reviewer,
            r.started_at,
            from_state=Review.Status.PLANNED,
            to_state="in_progress",
        )
        ledger.decide(
            r, "submit_review", r.reviewer, r.submitted_at, from_state="in_progress", to_state="submitted"
        )
        ledger.decide(r, "approve", r.approved_by, r.approved_at, from_state="submitted", to_state="approved")
    decisions, _notifications = ledger.flush()
    step(
        f"Check: copies {chunk[0]}-{chunk[-1]}: {len(measurements)} measurements, {len(schedules)} schedules, "
        f"{len(reviews)} reviews, {len(findings)} findings, {len(actions)} actions, {decisions} decisions."
    )


def _canonical_content(review):
    """`Review.canonical_content()` of a review not yet saved, from the same parts."""
    process = review._process
    return {
        "kind": review.kind,
        "title": review.title,
        "plan": {"id": review.plan_id, "title": review.version.title if review.version_id else None},
        "version": {"id": review.version_id, "number": review.version.number} if review.version_id else None,
        "processes": [{"id": process.pk, "name": process.name}],
        "planned_on": review.planned_on.isoformat(),
        "held_on": review.held_on.isoformat(),
        "period": [review.period_start.isoformat(), review.period_end.isoformat()],
        "reviewer": person(review.reviewer),
        "participants": [],
        "inputs": [],
        "attainment": [],
        "findings": [
            {
                "number": number,
                "grade": grade,
                "clause": clause,
                "process": {"id": process.pk, "name": process.name},
                "description": description,
                "evidence": evidence,
            }
            for number, grade, clause, description, evidence in review._findings
        ],
        "decisions": review.decisions,
        "actions": [
            {"description": description, "owner": person(owner), "due_on": due_on.isoformat()}
            for description, owner, due_on in review._actions
        ],
        "minutes": review.minutes,
        "author": person(review.author),
    }
