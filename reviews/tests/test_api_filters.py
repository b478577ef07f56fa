"""The filters of Check's API lists: each narrows the list to what it says,
and names only what the user may see."""

import datetime

import pytest
from django.utils import timezone

from plans.tests import factories as plan_factories
from reviews import services
from reviews.models import Finding, Review, ReviewSchedule
from reviews.tests import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def scene(communicated_plan, smp, owner, other_owner, manager, manager2, auditor):
    """The owner's process review (approved, with a major and an old closed
    minor finding, and an overdue action), an internal audit by the auditor in
    progress (with an observation), and the other owner's plan, whose review
    is overdue."""
    review = factories.held(
        factories.process_review(communicated_plan, owner, planned_on=TODAY - datetime.timedelta(days=10)),
        owner,
    )
    major = services.save_finding(
        review=review,
        actor=owner,
        grade="major",
        clause="8.6.1",
        description="Unclassified incidents.",
        evidence="3 of 20.",
    )
    old = services.save_finding(
        review=review, actor=owner, grade="minor", description="Late reports.", evidence="Two months late."
    )
    Finding.objects.filter(pk=old.pk).update(raised_at=timezone.now() - datetime.timedelta(days=120))
    overdue = services.save_action(
        review=review,
        actor=owner,
        description="Classify",
        owner=owner,
        due_on=TODAY - datetime.timedelta(days=1),
    )
    later = services.save_action(
        review=review,
        actor=owner,
        description="Train",
        owner=manager2,
        due_on=TODAY + datetime.timedelta(days=30),
    )
    services.submit_review(review=review, actor=owner)
    services.approve_review(review=review, actor=manager)
    Finding.objects.filter(pk=old.pk).update(status=Finding.Status.CLOSED)

    audit = factories.held(
        services.plan_review(
            actor=manager,
            kind=Review.Kind.INTERNAL_AUDIT,
            processes=[communicated_plan.process],
            planned_on=TODAY + datetime.timedelta(days=20),
            reviewer=auditor,
        ),
        auditor,
    )
    observation = services.save_finding(
        review=audit,
        actor=auditor,
        grade="observation",
        description="Runbook unclear.",
        evidence="Interview.",
    )
    other_plan = plan_factories.approved_process_plan(other_owner, manager, name="Change management")
    other_schedule = services.save_schedule(
        plan=other_plan,
        actor=other_owner,
        interval_months=6,
        next_planned_on=TODAY - datetime.timedelta(days=3),
        reviewer=other_owner,
    )
    return {
        "review": review,
        "audit": audit,
        "major": major,
        "old": old,
        "observation": observation,
        "overdue": overdue,
        "later": later,
        "schedule": ReviewSchedule.objects.get(plan=communicated_plan),
        "other_schedule": other_schedule,
        "other_plan": other_plan,
    }


def _ids(api, url, params):
    response = api.get(url, params)
    assert response.status_code == 200, (params, response.json())
    return {row["id"] for row in response.json()["results"]}


def test_findings_filter_by_grade_process_review_status_age_and_kind(
    api_for, scene, manager, communicated_plan
):
    api = api_for(manager)
    major, old, observation = scene["major"].pk, scene["old"].pk, scene["observation"].pk
    cases = {
        (): {major, old, observation},
        (("grade", "major"),): {major},
        (("process", communicated_plan.process_id),): {major, old, observation},
        (("process", "null"),): set(),
        (("review", scene["audit"].pk),): {observation},
        (("status", "closed"),): {old},
        (("status", "open"),): {major, observation},
        (("review_kind", "internal_audit"),): {observation},
        (("review_kind", "process"), ("status", "open")): {major},
        (("older_than", "90"),): {old},
        (("older_than", "180"),): set(),
        (("raised_before", str(TODAY - datetime.timedelta(days=100))),): {old},
        (("raised_after", str(TODAY - datetime.timedelta(days=100))),): {major, observation},
        (("search", "RUNBOOK"),): {observation},
        (("search", "3 of 20"),): {major},
    }
    for params, expected in cases.items():
        assert _ids(api, "/api/v1/findings/", dict(params)) == expected, params
    assert api.get("/api/v1/findings/", {"grade": "worst"}).status_code == 400


def test_reviews_filter_by_kind_status_plan_process_reviewer_and_planned_dates(
    api_for, scene, manager, auditor, communicated_plan
):
    api = api_for(manager)
    review, audit = scene["review"].pk, scene["audit"].pk
    cases = {
        (("kind", "internal_audit"),): {audit},
        (("status", "approved"),): {review},
        (("plan", communicated_plan.pk),): {review},
        (("process", communicated_plan.process_id),): {review, audit},
        (("reviewer", auditor.pk),): {audit},
        (("planned_on_after", str(TODAY)),): {audit},
        (("planned_on_before", str(TODAY)),): {review},
        (
            ("planned_on_after", str(TODAY - datetime.timedelta(days=10))),
            ("planned_on_before", str(TODAY + datetime.timedelta(days=20))),
        ): {review, audit},
    }
    for params, expected in cases.items():
        assert _ids(api, "/api/v1/reviews/", dict(params)) == expected, params


def test_schedules_filter_by_plan_overdue_due_date_and_reviewer(
    api_for, scene, manager, owner, other_owner, communicated_plan
):
    api = api_for(manager)
    mine, other = scene["schedule"].pk, scene["other_schedule"].pk
    cases = {
        (("overdue", "true"),): {other},
        (("overdue", "false"),): {mine},
        (("due_before", str(TODAY)),): {other},
        (("reviewer", other_owner.pk),): {other},
        (("plan", communicated_plan.pk),): {mine},
    }
    for params, expected in cases.items():
        assert _ids(api, "/api/v1/review-schedules/", dict(params)) == expected, params
    listed = api.get(f"/api/v1/review-schedules/{other}/").json()
    assert listed["overdue"] is True and listed["plan_title"] == scene["other_plan"].title


def test_actions_filter_by_owner_status_due_date_overdue_and_review(api_for, scene, manager, manager2):
    api = api_for(manager)
    overdue, later = scene["overdue"].pk, scene["later"].pk
    cases = {
        (("owner", manager2.pk),): {later},
        (("status", "open"),): {overdue, later},
        (("status", "done"),): set(),
        (("due_before", str(TODAY)),): {overdue},
        (("overdue", "true"),): {overdue},
        (("overdue", "false"),): {later},
        (("review", scene["review"].pk),): {overdue, later},
        (("review", scene["audit"].pk),): set(),
    }
    for params, expected in cases.items():
        assert _ids(api, "/api/v1/review-actions/", dict(params)) == expected, params


def test_filters_name_only_what_the_user_may_see(api_for, scene, staff):
    """Staff read the approved review of the plan communicated to them, not the audit in progress."""
    api = api_for(staff)
    assert _ids(api, "/api/v1/findings/", {}) == {scene["major"].pk, scene["old"].pk}
    hidden = api.get("/api/v1/findings/", {"review": scene["audit"].pk})
    assert hidden.status_code == 400 and "review" in hidden.json()["errors"]
    assert api.get("/api/v1/reviews/", {"plan": scene["other_plan"].pk}).status_code == 400
