"""`seed_demo --scale N`: copies 2..N of the demo with data of every phase in
the demo's proportions, inserted in bulk but consistent with the rules (the
controlled records verify), idempotent, and with a number of queries that
grows far slower than the rows."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.models import User
from improvements.models import BaselineValue, Improvement, Project
from improvements.permissions import csi_owner_ids
from pdca.demo import STAFF_PER_PROCESS
from pdca.models import Decision, Notification
from pdca.verification import verify_records
from plans.demo import PROCESSES
from plans.do.models import Handover, KpiAssignment, Milestone
from plans.models import Acknowledgement, Kpi, Plan, PlanVersion, Process, Responsibility
from reviews.demo_scale import ACTIONS_PER_REVIEW, FINDINGS_PER_REVIEW, MEASUREMENT_MONTHS, REVIEWS_PER_PLAN
from reviews.models import Finding, Measurement, Review, ReviewAction, ReviewSchedule

pytestmark = pytest.mark.django_db

COPY = r" \(2\)$"
PER_COPY = len(PROCESSES)


def _rows():
    return {
        m._meta.label: m._base_manager.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "plans", "reviews", "improvements", "pdca", "guardian"}
    }


def test_scale_seeds_every_phase_in_proportion_in_bulk_and_the_records_verify():
    """One seeding for every assertion (seeding is the slow part): the demo,
    then one copy, then two more."""
    # Bulk inserts: doubling the copies added does not double the queries.
    call_command("seed_demo", quiet=True)
    before = sum(_rows().values())
    with CaptureQueriesContext(connection) as one_copy:
        call_command("seed_demo", quiet=True, scale=2)
    middle = sum(_rows().values())
    with CaptureQueriesContext(connection) as two_copies:
        call_command("seed_demo", quiet=True, scale=4)
    after = sum(_rows().values())
    rows_one, rows_two = middle - before, after - middle
    assert rows_two > 1.9 * rows_one
    assert len(two_copies) < 2 * len(one_copy)
    # A few queries per thousand rows (SQLite's bulk inserts take about 100
    # rows per statement), not several per row.
    assert len(two_copies) < rows_two / 20

    # Seeding again adds nothing and keeps the demo.
    rows = _rows()
    call_command("seed_demo", quiet=True, scale=4)
    call_command("seed_demo", quiet=True)
    assert _rows() == rows
    demo_names = [row[0] for row in PROCESSES]
    assert Process.objects.filter(name__in=demo_names).count() == PER_COPY

    # People: about 10 per process, in every role, per copy.
    scaled_users = User.objects.filter(username__regex=r"^[a-z]+-2-")
    assert scaled_users.count() >= 9 * PER_COPY
    for role in set(roles.ALL_ROLES) - {roles.CSI_OWNER}:
        assert scaled_users.filter(groups__name=role).exists(), role
    assert scaled_users.filter(groups__name=roles.PROCESS_OWNER).count() == 2 * PER_COPY
    assert scaled_users.filter(groups__name=roles.STAFF).count() >= STAFF_PER_PROCESS * PER_COPY
    # A1: the CSI owner role stays with the people the CSI principle names.
    assert set(User.objects.filter(groups__name=roles.CSI_OWNER).values_list("pk", flat=True)) == (
        csi_owner_ids()
    )

    # Plan: 15 process plans per copy with their own owners, several versions each.
    assert Plan.objects.filter(kind=Plan.Kind.PROCESS).count() == 4 * PER_COPY
    plans = Plan.objects.filter(process__name__regex=COPY)
    assert plans.count() == PER_COPY
    assert set(plans.values_list("process__owner__username", flat=True)) <= set(
        scaled_users.values_list("username", flat=True)
    )
    versions = PlanVersion.objects.filter(plan__in=plans)
    assert versions.count() > plans.count()
    assert {"draft", "in_review", "reviewed", "approved", "communicated", "superseded"} == set(
        versions.values_list("status", flat=True)
    )
    # P3: the approver is a manager who is not the author.
    approved = versions.filter(approved_by__isnull=False)
    assert approved.exists()
    for version in approved.select_related("approved_by"):
        assert version.approved_by_id != version.author_id
        assert version.approved_by.has_role(roles.MANAGER)
    assert Kpi.objects.filter(objective__version__in=versions).count() == 4 * versions.count()
    assert Responsibility.objects.filter(version__in=versions).count() >= 5 * (versions.count() - 2)
    assert Acknowledgement.objects.filter(version__in=versions, acknowledged_at__isnull=False).exists()
    # Do: milestones, KPI operators, a handover accepted and one proposed.
    assert Milestone.objects.filter(plan__in=plans).exists()
    assert KpiAssignment.objects.filter(kpi__objective__version__in=versions).exists()
    assert set(Handover.objects.filter(plan__in=plans).values_list("status", flat=True)) == {
        "accepted",
        "proposed",
    }

    # Check: monthly measurements of every KPI in force, reviews with findings and actions.
    in_force = versions.filter(status__in=PlanVersion.IN_FORCE)
    assert (
        Measurement.objects.filter(kpi__objective__version__in=in_force).count()
        == 4 * MEASUREMENT_MONTHS * in_force.count()
    )
    assert ReviewSchedule.objects.filter(plan__in=plans).count() == in_force.count()
    reviews = Review.objects.filter(processes__name__regex=COPY)
    assert reviews.count() == REVIEWS_PER_PLAN * in_force.count()
    assert {"process", "internal_audit"} == set(reviews.values_list("kind", flat=True))
    assert Finding.objects.filter(review__in=reviews).count() == FINDINGS_PER_REVIEW * reviews.count()
    assert ReviewAction.objects.filter(review__in=reviews).count() == ACTIONS_PER_REVIEW * reviews.count()
    assert set(Finding.objects.filter(review__in=reviews).values_list("grade", flat=True)) == set(
        Finding.Grade.values
    )

    # Act (A2): every nonconformity and opportunity of an approved review is in the plan, once.
    raised = Finding.objects.filter(
        review__status="approved", grade__in=[*Finding.NONCONFORMITIES, Finding.Grade.OPPORTUNITY]
    )
    assert not raised.filter(improvement=None).exists()
    scaled = Improvement.objects.filter(processes__name__regex=COPY)
    assert {
        "proposed",
        "approved",
        "in_implementation",
        "implemented",
        "evaluated",
        "closed",
        "rejected",
    } == set(scaled.values_list("status", flat=True))
    # A4, A5: a baseline before implementation; closed nonconformities closed their findings.
    started = scaled.filter(status__in=["in_implementation", "implemented", "evaluated", "closed"])
    assert not started.filter(baseline=None).exists()
    assert BaselineValue.objects.filter(improvement__in=started).count() == started.count()
    closed = scaled.filter(status="closed", finding__isnull=False)
    assert closed.exists() and not closed.exclude(finding__status="closed").exists()
    assert not closed.filter(finding__grade__in=Finding.NONCONFORMITIES, root_cause="").exists()
    assert Project.objects.filter(name__regex=COPY, improvements__scope="processes").exists()

    # Who reads what: the derived columns agree with what they derive from
    # (a communicated version; a link to such a plan's process), both ways.
    communicated = set(
        Plan.objects.filter(versions__communicated_at__isnull=False).values_list("pk", flat=True)
    )
    assert set(Plan.objects.filter(readable_by_all=True).values_list("pk", flat=True)) == communicated
    assert plans.filter(readable_by_all=False).exists()
    readable = set(
        Improvement.objects.filter(processes__plan__in=communicated).values_list("pk", flat=True).distinct()
    )
    assert set(Improvement.objects.filter(readable_by_all=True).values_list("pk", flat=True)) == readable
    assert scaled.filter(readable_by_all=True).exists()

    # Decisions and notifications of the copies.
    assert Decision.objects.filter(actor__username__regex=r"^[a-z]+-2-").count() > reviews.count()
    assert Notification.objects.filter(recipient__username__regex=r"^[a-z]+-2-").exists()

    # The controlled records (plan versions, reviews) and the decision chain verify.
    run = verify_records(notify_administrators=False)
    assert run.ok, run.problems[:5]
    assert run.records_checked > approved.count() + reviews.count()
