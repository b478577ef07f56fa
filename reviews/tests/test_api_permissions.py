"""The API refuses what the pages refuse: who may list, read, plan, edit,
start, submit, return, approve and add addenda to the reviews of a process,
and who keeps its schedule and writes its findings and actions.

The roles: the manager (top management, who approved the plan), the owner
of the reviewed process (the reviewer), the owner of another process, an
auditor and a member of staff on the plan's distribution list. Each role
asks in turn on the same records (what one role changes is rolled back
before the next asks); a refusal says why and changes nothing."""

from contextlib import contextmanager

import pytest
from django.db import transaction
from django.utils import timezone

from pdca.models import Decision
from plans.tests.factories import ProcessFactory
from reviews import services
from reviews.models import Addendum, Finding, Review, ReviewAction, ReviewSchedule
from reviews.tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["manager", "owner", "other_owner", "auditor", "staff"]


@pytest.fixture
def reviews(communicated_plan, owner, other_owner, manager):
    """A review of the owner's process in each state, led by the owner; the
    one in progress with a finding and an action."""
    ProcessFactory(name="Change management", owner=other_owner)
    in_progress = factories.held(factories.process_review(communicated_plan, owner), owner)
    services.save_finding(
        review=in_progress, actor=owner, grade="minor", description="Late.", evidence="Log."
    )
    services.save_action(
        review=in_progress, actor=owner, description="Train.", owner=owner, due_on=timezone.localdate()
    )
    return {
        "planned": factories.process_review(communicated_plan, owner),
        "in_progress": in_progress,
        "submitted": factories.submitted(factories.process_review(communicated_plan, owner), owner),
        "approved": factories.approved(factories.process_review(communicated_plan, owner), owner, manager),
    }


@pytest.fixture
def users(request):
    return {role: request.getfixturevalue(role) for role in ROLES}


def _state():
    """Everything a request on a review could change."""
    return (
        list(Review.objects.order_by("pk").values_list("status", "revision", "minutes", "approved_by")),
        list(Finding.objects.order_by("pk").values_list("grade", "description")),
        list(ReviewAction.objects.order_by("pk").values_list("description", "status")),
        list(ReviewSchedule.objects.order_by("pk").values_list("interval_months", "next_planned_on")),
        Addendum.objects.count(),
        Decision.objects.count(),
    )


@contextmanager
def _rolled_back():
    """What the block changes is undone, so that the next role finds the same records."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _ask_every_role(api_for, users, matrix, send):
    """`send(api, role)` for each role in turn; {role: status} as answered."""
    answers = {}
    for role in ROLES:
        with _rolled_back():
            before = _state()
            response = send(api_for(users[role]), role)
            answers[role] = response.status_code
            if response.status_code >= 400:
                assert response.json()["detail"], (role, response.json())
                assert _state() == before, role
            elif matrix[role] < 400:
                assert _state() != before or response.request["REQUEST_METHOD"] == "GET", role
    return answers


# -- reading --------------------------------------------------------------------------------------

# role -> the states of the reviews listed to him or her
LISTED = {
    "manager": {"planned", "in_progress", "submitted", "approved"},
    "owner": {"planned", "in_progress", "submitted", "approved"},
    "other_owner": {"planned", "in_progress", "submitted", "approved"},
    "auditor": {"planned", "in_progress", "submitted", "approved"},
    "staff": {"approved"},  # of the plans communicated to him or her
}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_list_and_read_reviews_and_their_findings(api_for, users, reviews, role):
    api = api_for(users[role])
    listed = LISTED[role]
    response = api.get("/api/v1/reviews/")
    assert response.status_code == 200
    assert {row["status"] for row in response.json()["results"]} == listed
    for state, review in reviews.items():
        expected = 200 if state in listed else 404
        assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == expected, state
        for finding in review.findings.all():
            assert api.get(f"/api/v1/findings/{finding.pk}/").status_code == expected, state
        for action in review.actions.all():
            assert api.get(f"/api/v1/review-actions/{action.pk}/").status_code == expected, state
    findings = api.get("/api/v1/findings/").json()["results"]
    assert {f["review_status"] for f in findings} <= listed


# -- planning, writing and the workflow ------------------------------------------------------------

# endpoint -> {role: status}. The reviewer (the process owner) writes and submits
# the review; a manager who neither led, took part nor edited it decides; an
# approved review is completed by addenda; staff do not see a review before
# approval (404), and cannot name one they do not see (400 on `review`).
MATRIX = {
    "plan a process review": {"manager": 201, "owner": 201, "other_owner": 403, "auditor": 403, "staff": 403},
    "plan a management review": {
        "manager": 201,
        "owner": 403,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "edit": {"manager": 403, "owner": 200, "other_owner": 403, "auditor": 403, "staff": 404},
    "start": {"manager": 403, "owner": 200, "other_owner": 403, "auditor": 403, "staff": 404},
    "submit": {"manager": 403, "owner": 200, "other_owner": 403, "auditor": 403, "staff": 404},
    "return": {"manager": 200, "owner": 403, "other_owner": 403, "auditor": 403, "staff": 404},
    "approve": {"manager": 200, "owner": 403, "other_owner": 403, "auditor": 403, "staff": 404},
    "add an addendum": {"manager": 201, "owner": 201, "other_owner": 403, "auditor": 403, "staff": 403},
    "address an attainment": {"manager": 403, "owner": 200, "other_owner": 403, "auditor": 403, "staff": 404},
    "keep the schedule": {"manager": 200, "owner": 200, "other_owner": 403, "auditor": 403, "staff": 404},
    "record a finding": {"manager": 403, "owner": 201, "other_owner": 403, "auditor": 403, "staff": 400},
    "change a finding": {"manager": 403, "owner": 200, "other_owner": 403, "auditor": 403, "staff": 404},
    "delete a finding": {"manager": 403, "owner": 204, "other_owner": 403, "auditor": 403, "staff": 404},
    "record an action": {"manager": 403, "owner": 201, "other_owner": 403, "auditor": 403, "staff": 400},
    "change an action": {"manager": 403, "owner": 200, "other_owner": 403, "auditor": 403, "staff": 404},
    "mark an action done": {"manager": 403, "owner": 200, "other_owner": 403, "auditor": 403, "staff": 404},
}


def _sender(name, reviews, plan, owner, manager2):
    """How each endpoint is asked, as `send(api, role)`."""
    in_progress, submitted = reviews["in_progress"], reviews["submitted"]
    finding, action = in_progress.findings.get(), in_progress.actions.get()
    today = str(timezone.localdate())
    requests = {
        "plan a process review": lambda api: api.post(
            "/api/v1/reviews/",
            {"kind": "process", "plan": plan.pk, "reviewer": owner.pk, "planned_on": today},
            format="json",
        ),
        "plan a management review": lambda api: api.post(
            "/api/v1/reviews/",
            {"kind": "management", "reviewer": manager2.pk, "planned_on": today},
            format="json",
        ),
        "edit": lambda api: api.patch(
            f"/api/v1/reviews/{in_progress.pk}/",
            {"revision": Review.objects.get(pk=in_progress.pk).revision, "minutes": "Through the API."},
            format="json",
        ),
        "start": lambda api: api.post(f"/api/v1/reviews/{reviews['planned'].pk}/start/"),
        "submit": lambda api: api.post(f"/api/v1/reviews/{in_progress.pk}/submit/"),
        "return": lambda api: api.post(
            f"/api/v1/reviews/{submitted.pk}/return/", {"comment": "Add the trend."}, format="json"
        ),
        "approve": lambda api: api.post(f"/api/v1/reviews/{submitted.pk}/approve/"),
        "add an addendum": lambda api: api.post(
            f"/api/v1/reviews/{reviews['approved'].pk}/addenda/",
            {"text": "The period was Q1."},
            format="json",
        ),
        "address an attainment": lambda api: api.patch(
            f"/api/v1/reviews/{in_progress.pk}/attainment/{in_progress.attainments.get().pk}/",
            {"measured": "96.5", "comment": "Counted again."},
            format="json",
        ),
        "keep the schedule": lambda api: api.patch(
            f"/api/v1/review-schedules/{ReviewSchedule.objects.get(plan=plan).pk}/",
            {"interval_months": 6},
            format="json",
        ),
        "record a finding": lambda api: api.post(
            "/api/v1/findings/",
            {
                "review": in_progress.pk,
                "grade": "major",
                "description": "Unclassified.",
                "evidence": "3 of 20.",
            },
            format="json",
        ),
        "change a finding": lambda api: api.patch(
            f"/api/v1/findings/{finding.pk}/", {"grade": "major"}, format="json"
        ),
        "delete a finding": lambda api: api.delete(f"/api/v1/findings/{finding.pk}/"),
        "record an action": lambda api: api.post(
            "/api/v1/review-actions/",
            {"review": in_progress.pk, "description": "Audit the desk.", "owner": owner.pk, "due_on": today},
            format="json",
        ),
        "change an action": lambda api: api.patch(
            f"/api/v1/review-actions/{action.pk}/", {"description": "Train the desk."}, format="json"
        ),
        "mark an action done": lambda api: api.post(f"/api/v1/review-actions/{action.pk}/done/"),
    }
    return lambda api, role: requests[name](api)


@pytest.mark.parametrize("name", list(MATRIX))
def test_who_may_plan_edit_submit_return_approve_add_addenda_and_write_the_parts(
    api_for, users, reviews, communicated_plan, owner, manager2, name
):
    answers = _ask_every_role(
        api_for, users, MATRIX[name], _sender(name, reviews, communicated_plan, owner, manager2)
    )
    assert answers == MATRIX[name]


# -- what each role is told he or she may do ---------------------------------------------------------


def test_the_detail_lists_what_each_role_may_do_with_the_reasons(api_for, reviews, owner, manager, auditor):
    submitted = reviews["submitted"].pk
    as_manager = api_for(manager).get(f"/api/v1/reviews/{submitted}/").json()
    assert as_manager["available_actions"] == ["approve", "return"]
    as_owner = api_for(owner).get(f"/api/v1/reviews/{submitted}/").json()
    assert as_owner["available_actions"] == [] and as_owner["refused_actions"] == {}
    in_progress = reviews["in_progress"].pk
    assert api_for(owner).get(f"/api/v1/reviews/{in_progress}/").json()["available_actions"] == [
        "edit",
        "submit",
    ]
    as_auditor = api_for(auditor).get(f"/api/v1/reviews/{in_progress}/").json()
    assert as_auditor["available_actions"] == []
    assert "Auditors read reviews" in as_auditor["refused_actions"]["edit"]


def test_the_owner_of_an_action_reads_and_completes_it_without_reading_the_review(
    api_for, reviews, owner, staff
):
    review = reviews["in_progress"]
    mine = services.save_action(
        review=review, actor=owner, description="Update the runbook", owner=staff, due_on="2030-01-31"
    )
    api = api_for(staff)
    assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert [row["id"] for row in api.get("/api/v1/review-actions/").json()["results"]] == [mine.pk]
    done = api.post(f"/api/v1/review-actions/{mine.pk}/done/", {"note": "Published."}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done"
