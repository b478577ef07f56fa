"""Bad input gets a clear message and changes nothing, in Check's API too.

Every write reads its input through a serializer, so a JSON array, `null` or
a value of the wrong type is a 400 with a message per field, never a 500 and
never a half-made change. Who may act is asked before what is asked for: an
auditor's garbage is a 403, and a review he or she may not see a 404."""

import json

import pytest
from django.utils import timezone

from pdca.models import Decision
from reviews import services
from reviews.models import Addendum, Finding, Review, ReviewAction, ReviewInput, ReviewSchedule
from reviews.tests import factories

pytestmark = pytest.mark.django_db

# An empty array, an array of objects, null, a string.
NOT_A_JSON_OBJECT = [[], [{"comment": "fine"}], None, "text"]


def _send(api, method, url, body):
    """`body` as the raw JSON text of the request (so `None` is sent as `null`)."""
    return getattr(api, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def scene(communicated_plan, smp, owner, manager, manager2):
    """A process review in progress with a finding and an action, one submitted,
    one approved, and a management review in progress."""
    in_progress = factories.held(factories.process_review(communicated_plan, owner), owner)
    finding = services.save_finding(
        review=in_progress, actor=owner, grade="minor", description="Late.", evidence="Log."
    )
    action = services.save_action(
        review=in_progress, actor=owner, description="Train.", owner=owner, due_on=timezone.localdate()
    )
    management = factories.held(
        services.plan_review(
            actor=manager, kind=Review.Kind.MANAGEMENT, planned_on=timezone.localdate(), reviewer=manager2
        ),
        manager2,
    )
    return {
        "plan": communicated_plan,
        "schedule": ReviewSchedule.objects.get(plan=communicated_plan),
        "in_progress": in_progress,
        "submitted": factories.submitted(factories.process_review(communicated_plan, owner), owner),
        "approved": factories.approved(factories.process_review(communicated_plan, owner), owner, manager),
        "management": management,
        "finding": finding,
        "action": action,
        "attainment": in_progress.attainments.get(),
    }


def _state():
    """Everything the writes of Check could change."""
    return (
        list(Review.objects.order_by("pk").values_list("status", "revision", "minutes", "held_on")),
        list(ReviewSchedule.objects.order_by("pk").values_list("interval_months", "next_planned_on")),
        list(Finding.objects.order_by("pk").values_list("grade", "description", "evidence", "process")),
        list(ReviewAction.objects.order_by("pk").values_list("description", "owner", "due_on", "status")),
        list(ReviewInput.objects.order_by("pk").values_list("status", "notes")),
        Addendum.objects.count(),
        Decision.objects.count(),
    )


def _assert_refused_with_messages(response, fields, name):
    assert response.status_code == 400, (name, response.status_code, response.content)
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"], (name, body)
    assert fields <= set(body["errors"]), (name, body)
    assert all(messages and all(messages) for messages in body["errors"].values()), (name, body)


def _writes(scene, owner, manager, manager2):
    """{name: (who, method, url, [(a body with wrong types, the fields at fault)])} per write."""
    review, submitted, approved = scene["in_progress"], scene["submitted"], scene["approved"]
    plan, schedule = scene["plan"], scene["schedule"]
    return {
        "plan": (
            "owner",
            "post",
            "/api/v1/reviews/",
            [
                ({"kind": "yearly", "plan": plan.pk, "reviewer": owner.pk}, {"kind"}),
                ({"kind": "process", "plan": "incident", "reviewer": owner.pk}, {"plan"}),
                ({"kind": "process", "plan": plan.pk, "reviewer": [owner.pk]}, {"reviewer"}),
                ({"kind": "process", "plan": plan.pk, "planned_on": "next week"}, {"planned_on"}),
                ({"kind": "process", "plan": plan.pk, "participants": owner.pk}, {"participants"}),
            ],
        ),
        "edit": (
            "owner",
            "patch",
            f"/api/v1/reviews/{review.pk}/",
            [
                ({"revision": "latest", "minutes": "x"}, {"revision"}),
                ({"revision": review.revision, "minutes": ["x"]}, {"minutes"}),
                ({"revision": review.revision, "held_on": "yesterday"}, {"held_on"}),
                ({"revision": review.revision, "period_start": None}, {"period_start"}),
                ({"revision": review.revision, "participants": [{"id": owner.pk}]}, {"participants"}),
            ],
        ),
        "start": (
            "owner",
            "post",
            f"/api/v1/reviews/{review.pk}/start/",
            [({"comment": ["x"]}, {"comment"})],
        ),
        "submit": (
            "owner",
            "post",
            f"/api/v1/reviews/{review.pk}/submit/",
            [({"comment": {"a": 1}}, {"comment"})],
        ),
        "return": (
            "manager",
            "post",
            f"/api/v1/reviews/{submitted.pk}/return/",
            [({"comment": ["Add the trend."]}, {"comment"})],
        ),
        "approve": (
            "manager",
            "post",
            f"/api/v1/reviews/{submitted.pk}/approve/",
            [({"comment": ["Agreed."]}, {"comment"})],
        ),
        "addenda": (
            "owner",
            "post",
            f"/api/v1/reviews/{approved.pk}/addenda/",
            [({"text": ["x"]}, {"text"})],
        ),
        "input": (
            "manager2",
            "put",
            f"/api/v1/reviews/{scene['management'].pk}/inputs/feedback/",
            [
                ({"status": "done", "notes": "x"}, {"status"}),
                ({"status": "addressed", "notes": ["x"]}, {"notes"}),
                ({"notes": "x"}, {"status"}),
            ],
        ),
        "attainment": (
            "owner",
            "patch",
            f"/api/v1/reviews/{review.pk}/attainment/{scene['attainment'].pk}/",
            [({"measured": "ninety"}, {"measured"}), ({"measured": "1" * 20}, {"measured"})],
        ),
        "schedule": (
            "owner",
            "put",
            f"/api/v1/review-schedules/{schedule.pk}/",
            [
                (
                    {"interval_months": "yearly", "next_planned_on": "2030-01-01", "reviewer": owner.pk},
                    {"interval_months"},
                ),
                (
                    {"interval_months": 6, "next_planned_on": "soon", "reviewer": owner.pk},
                    {"next_planned_on"},
                ),
                ({"interval_months": 6}, {"next_planned_on", "reviewer"}),
            ],
        ),
        "finding-create": (
            "owner",
            "post",
            "/api/v1/findings/",
            [
                ({"review": "the last one", "grade": "minor"}, {"review"}),
                ({"review": review.pk, "grade": ["minor"], "description": "x", "evidence": "y"}, {"grade"}),
                (
                    {"review": review.pk, "grade": "minor", "process": "incident", "description": "x"},
                    {"process"},
                ),
            ],
        ),
        "finding-update": (
            "owner",
            "patch",
            f"/api/v1/findings/{scene['finding'].pk}/",
            [({"grade": "worst"}, {"grade"}), ({"evidence": {"file": "x"}}, {"evidence"})],
        ),
        "action-create": (
            "owner",
            "post",
            "/api/v1/review-actions/",
            [
                ({"review": review.pk, "description": "x", "owner": "me", "due_on": "2030-01-01"}, {"owner"}),
                ({"review": review.pk, "description": "x", "owner": owner.pk, "due_on": "soon"}, {"due_on"}),
            ],
        ),
        "action-update": (
            "owner",
            "put",
            f"/api/v1/review-actions/{scene['action'].pk}/",
            [({"due_on": ["2030-01-01"]}, {"due_on"})],
        ),
        "action-done": (
            "owner",
            "post",
            f"/api/v1/review-actions/{scene['action'].pk}/done/",
            [({"done_on": "today"}, {"done_on"}), ({"note": ["x"]}, {"note"})],
        ),
    }


WRITES = [
    "plan",
    "edit",
    "start",
    "submit",
    "return",
    "approve",
    "addenda",
    "input",
    "attainment",
    "schedule",
    "finding-create",
    "finding-update",
    "action-create",
    "action-update",
    "action-done",
]


def _actor(name, owner, manager, manager2):
    return {"owner": owner, "manager": manager, "manager2": manager2}[name]


def test_a_write_refuses_a_body_that_is_not_an_object(api_for, scene, owner, manager, manager2):
    for name, (who, method, url, _wrong) in _writes(scene, owner, manager, manager2).items():
        api = api_for(_actor(who, owner, manager, manager2))
        for body in NOT_A_JSON_OBJECT:
            before = _state()
            response = _send(api, method, url, body)
            _assert_refused_with_messages(response, set(), name)
            assert _state() == before, (name, body)


def test_a_write_refuses_values_of_the_wrong_type_field_by_field(api_for, scene, owner, manager, manager2):
    for name, (who, method, url, wrong) in _writes(scene, owner, manager, manager2).items():
        api = api_for(_actor(who, owner, manager, manager2))
        for body, fields in wrong:
            before = _state()
            response = _send(api, method, url, body)
            _assert_refused_with_messages(response, fields, name)
            assert _state() == before, (name, body)


def test_a_body_that_is_not_json_is_refused(api_for, scene, manager):
    before = _state()
    response = api_for(manager).post(
        f"/api/v1/reviews/{scene['submitted'].pk}/approve/", "{comment: ", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["detail"]
    assert _state() == before


def test_who_may_not_act_learns_nothing_from_garbage(api_for, scene, auditor, owner, manager, manager2):
    """The auditor reads every review and changes none: his or her garbage is a 403, not a 400."""
    writes = _writes(scene, owner, manager, manager2)
    for name in WRITES:
        _who, method, url, _wrong = writes[name]
        if name in ("plan", "finding-create", "action-create"):
            continue  # the review is named in the body: see the tests of planning and of staff below
        before = _state()
        response = _send(api_for(auditor), method, url, [{"garbage": True}])
        assert response.status_code == 403, (name, response.status_code, response.json())
        assert _state() == before, name


def test_a_review_staff_may_not_see_is_a_404_before_anything_else(
    api_for, scene, staff, owner, manager, manager2
):
    writes = _writes(scene, owner, manager, manager2)
    for name in ("edit", "start", "submit", "attainment", "finding-update", "action-update", "action-done"):
        _who, method, url, _wrong = writes[name]
        before = _state()
        response = _send(api_for(staff), method, url, None)
        assert response.status_code == 404, (name, response.status_code, response.json())
        assert _state() == before, name


def test_planning_is_refused_before_the_input_is_read(api_for, scene, staff, auditor):
    for user in (staff, auditor):
        assert _send(api_for(user), "post", "/api/v1/reviews/", []).status_code == 403
        assert _send(api_for(user), "post", "/api/v1/reviews/", {"kind": "x"}).status_code == 403
