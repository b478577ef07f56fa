"""The rules of Check through the API: the same services, so the same
answers as the pages. Schedules (C2), the kinds of review and the inputs of
a management review (C3), what a review records, who approves it and that it
never changes afterwards (C4), findings (C6)."""

import datetime

import pytest
from django.utils import timezone

from pdca.exceptions import RuleViolation
from pdca.models import Decision
from plans.tests import factories as plan_factories
from reviews import selectors, services
from reviews.models import Addendum, Finding, Review, ReviewAction, ReviewInput, ReviewSchedule
from reviews.permissions import decide_refusal
from reviews.tests import factories

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _review_state(review):
    review = Review.objects.get(pk=review.pk)
    return (
        review.status,
        review.revision,
        review.minutes,
        review.held_on,
        review.content_hash,
        list(review.findings.order_by("pk").values_list("grade", "description", "evidence")),
        list(review.actions.order_by("pk").values_list("description", "due_on")),
        list(review.attainments.order_by("pk").values_list("measured", "comment")),
        list(review.participants.values_list("pk", flat=True)),
    )


# -- the whole way through (C3, C4) ---------------------------------------------------------------


def test_a_process_review_is_planned_held_submitted_and_approved_through_the_api(
    api_for, communicated_plan, measured_kpi, owner, manager
):
    api = api_for(owner)
    planned = api.post(
        "/api/v1/reviews/",
        {"kind": "process", "plan": communicated_plan.pk, "reviewer": owner.pk, "planned_on": str(TODAY())},
        format="json",
    )
    assert planned.status_code == 201, planned.json()
    review = planned.json()
    assert (review["status"], review["plan"], review["version"]["number"]) == (
        "planned",
        communicated_plan.pk,
        1,
    )
    assert review["processes"] == [{"id": communicated_plan.process_id, "name": "Incident management"}]
    assert review["available_actions"] == ["edit", "start"]
    url = f"/api/v1/reviews/{review['id']}/"

    started = api.post(f"{url}start/").json()
    assert started["status"] == "in_progress"
    assert started["submission_problems"] == {"held_on": ["Say when the review was held."]}
    row = started["attainment"][0]
    assert (row["measured"], row["met"]) == ("98.0000", True)  # from the period's measurements (C1)

    edited = api.patch(
        url,
        {
            "revision": started["revision"],
            "held_on": str(TODAY()),
            "minutes": "**Agreed**: triage rules.\n\n<script>alert(1)</script>",
            "decisions": "Keep the target.",
        },
        format="json",
    )
    assert edited.status_code == 200, edited.json()
    assert edited.json()["minutes_html"].startswith("<p><strong>Agreed</strong>")
    assert "<script" not in edited.json()["minutes_html"]
    assert edited.json()["submission_problems"] == {}

    corrected = api.patch(
        f"{url}attainment/{row['id']}/", {"measured": "90", "comment": "Re-counted."}, format="json"
    )
    assert corrected.status_code == 200, corrected.json()
    assert corrected.json()["attainment"][0]["met"] is False

    finding = api.post(
        "/api/v1/findings/",
        {
            "review": review["id"],
            "grade": "minor",
            "clause": "8.6.1",
            "description": "Late.",
            "evidence": "Log.",
        },
        format="json",
    )
    assert finding.status_code == 201, finding.json()
    assert (finding.json()["code"], finding.json()["process"]["name"]) == (
        f"F{review['id']}-1",
        "Incident management",
    )
    action = api.post(
        "/api/v1/review-actions/",
        {"review": review["id"], "description": "Train the desk.", "owner": owner.pk, "due_on": "2030-01-31"},
        format="json",
    )
    assert action.status_code == 201, action.json()

    assert api.post(f"{url}submit/").json()["status"] == "submitted"
    approved = api_for(manager).post(f"{url}approve/", {"comment": "Agreed."}, format="json")
    assert approved.status_code == 200, approved.json()
    body = approved.json()
    assert body["status"] == "approved"
    assert body["approval"]["by"]["username"] == "manager" and body["approval"]["at"]
    assert len(body["content_hash"]) == 64
    assert body["approved_content"]["findings"][0]["clause"] == "8.6.1"
    assert [f["grade"] for f in body["findings"]] == ["minor"] and body["findings_count"] == 1
    assert api.get("/api/v1/reviews/").json()["results"][0]["findings_count"] == 1
    assert [a["description"] for a in body["actions"]] == ["Train the desk."]
    assert Review.objects.get(pk=review["id"]).verification_problems() == []
    # C2: the schedule's next date counts from this review's planned date.
    assert ReviewSchedule.objects.get(plan=communicated_plan).last_planned_on == TODAY()


# -- an approved review never changes (C4) ----------------------------------------------------------


def test_an_approved_review_never_changes_through_the_api(api_for, planned_review, owner, manager):
    review = factories.held(planned_review, owner)
    finding = services.save_finding(
        review=review, actor=owner, grade="minor", description="Late.", evidence="Log."
    )
    action = services.save_action(
        review=review, actor=owner, description="Train.", owner=owner, due_on=TODAY()
    )
    services.submit_review(review=review, actor=owner)
    services.approve_review(review=review, actor=manager)
    review = Review.objects.get(pk=review.pk)
    attainment = review.attainments.get()
    before = _review_state(review)
    api = api_for(owner)  # the reviewer, who wrote it

    refused = [
        api.patch(
            f"/api/v1/reviews/{review.pk}/", {"revision": review.revision, "minutes": "Later."}, format="json"
        ),
        api.post(
            "/api/v1/findings/",
            {"review": review.pk, "grade": "major", "description": "New.", "evidence": "New."},
            format="json",
        ),
        api.patch(f"/api/v1/findings/{finding.pk}/", {"description": "Rewritten."}, format="json"),
        api.put(
            f"/api/v1/findings/{finding.pk}/",
            {"grade": "major", "description": "Rewritten.", "evidence": "Other."},
            format="json",
        ),
        api.delete(f"/api/v1/findings/{finding.pk}/"),
        api.post(
            "/api/v1/review-actions/",
            {"review": review.pk, "description": "New.", "owner": owner.pk, "due_on": "2030-01-01"},
            format="json",
        ),
        api.patch(f"/api/v1/review-actions/{action.pk}/", {"description": "Rewritten."}, format="json"),
        api.delete(f"/api/v1/review-actions/{action.pk}/"),
        api.patch(
            f"/api/v1/reviews/{review.pk}/attainment/{attainment.pk}/", {"measured": "1"}, format="json"
        ),
    ]
    for response in refused:
        assert response.status_code == 400, (
            response.request["REQUEST_METHOD"],
            response.request["PATH_INFO"],
        )
        assert "approved and never changes" in response.json()["detail"]
    assert api.post(f"/api/v1/reviews/{review.pk}/start/").status_code == 409
    assert _review_state(review) == before
    assert Review.objects.get(pk=review.pk).verification_problems() == []
    # What may still happen: an addendum, and the action's progress.
    added = api.post(f"/api/v1/reviews/{review.pk}/addenda/", {"text": "The period was Q1."}, format="json")
    assert added.status_code == 201 and added.json()["author"]["username"] == "owner"
    assert (
        api.post(f"/api/v1/review-actions/{action.pk}/done/", {"note": "Done."}, format="json").status_code
        == 200
    )
    assert api.get(f"/api/v1/reviews/{review.pk}/").json()["addenda"][0]["text"] == "The period was Q1."
    assert Review.objects.get(pk=review.pk).verification_problems() == []


def test_a_submitted_review_is_frozen_until_it_is_returned(api_for, planned_review, owner, manager):
    review = factories.submitted(planned_review, owner)
    api = api_for(owner)
    response = api.post(
        "/api/v1/findings/",
        {"review": review.pk, "grade": "observation", "description": "x", "evidence": "y"},
        format="json",
    )
    assert response.status_code == 400 and "submitted and cannot be changed" in response.json()["detail"]
    returned = api_for(manager).post(
        f"/api/v1/reviews/{review.pk}/return/", {"comment": "Add the trend."}, format="json"
    )
    assert returned.json()["status"] == "in_progress"
    response = api.post(
        "/api/v1/findings/",
        {"review": review.pk, "grade": "observation", "description": "x", "evidence": "y"},
        format="json",
    )
    assert response.status_code == 201, response.json()


def test_returning_a_review_needs_a_comment(api_for, planned_review, owner, manager):
    review = factories.submitted(planned_review, owner)
    response = api_for(manager).post(f"/api/v1/reviews/{review.pk}/return/", {"comment": "  "}, format="json")
    assert response.status_code == 400
    assert "comment is required" in response.json()["errors"]["comment"][0]
    assert Review.objects.get(pk=review.pk).status == Review.Status.SUBMITTED


# -- stale saves (C4) ------------------------------------------------------------------------------------


def test_a_save_from_a_stale_revision_is_refused_with_409(api_for, planned_review, owner):
    api = api_for(owner)
    url = f"/api/v1/reviews/{planned_review.pk}/"
    opened = api.get(url).json()["revision"]
    assert api.patch(url, {"revision": opened, "minutes": "First."}, format="json").status_code == 200
    stale = api.patch(url, {"revision": opened, "minutes": "Second."}, format="json")
    assert stale.status_code == 409
    assert "saved this review" in stale.json()["detail"] and "revision" in stale.json()["errors"]
    assert Review.objects.get(pk=planned_review.pk).minutes == "First."
    row = planned_review.attainments.get()
    stale = api.patch(f"{url}attainment/{row.pk}/", {"measured": "1", "revision": opened}, format="json")
    assert stale.status_code == 409
    missing = api.patch(url, {"minutes": "No revision."}, format="json")
    assert missing.status_code == 400 and "revision" in missing.json()["errors"]


# -- schedules (C2) -----------------------------------------------------------------------------------


@pytest.mark.parametrize("interval", [13, 24, 0])
def test_an_interval_over_twelve_months_is_refused_on_interval_months(
    api_for, communicated_plan, owner, interval
):
    schedule = ReviewSchedule.objects.get(plan=communicated_plan)
    before = (schedule.interval_months, schedule.next_planned_on, schedule.reviewer_id)
    api = api_for(owner)
    for response in (
        api.patch(f"/api/v1/review-schedules/{schedule.pk}/", {"interval_months": interval}, format="json"),
        api.put(
            f"/api/v1/review-schedules/{schedule.pk}/",
            {"interval_months": interval, "next_planned_on": "2030-01-01", "reviewer": owner.pk},
            format="json",
        ),
    ):
        assert response.status_code == 400, response.json()
        assert "at least once a year" in response.json()["errors"]["interval_months"][0]
    schedule.refresh_from_db()
    assert (schedule.interval_months, schedule.next_planned_on, schedule.reviewer_id) == before


def test_a_schedule_says_whether_it_is_overdue(api_for, communicated_plan, owner):
    schedule = ReviewSchedule.objects.get(plan=communicated_plan)
    api = api_for(owner)
    url = f"/api/v1/review-schedules/{schedule.pk}/"
    assert api.get(url).json()["overdue"] is False
    yesterday = TODAY() - datetime.timedelta(days=1)
    response = api.put(
        url, {"interval_months": 6, "next_planned_on": str(yesterday), "reviewer": owner.pk}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["interval_months"], response.json()["overdue"]) == (6, True)


# -- the kinds of review (C3) ---------------------------------------------------------------------------


def test_a_management_review_with_an_unaddressed_input_is_not_submitted(api_for, smp, manager, manager2):
    planned = api_for(manager).post(
        "/api/v1/reviews/",
        {"kind": "management", "reviewer": manager2.pk, "planned_on": str(TODAY())},
        format="json",
    )
    assert planned.status_code == 201, planned.json()
    review = Review.objects.get(pk=planned.json()["id"])
    assert review.plan == smp and len(planned.json()["inputs"]) == 13
    factories.held(review, manager2)
    api = api_for(manager2)
    url = f"/api/v1/reviews/{review.pk}/"

    refused = api.post(f"{url}submit/")
    assert refused.status_code == 400
    assert "Address every input" in refused.json()["errors"]["inputs"][0]
    assert api.get(url).json()["submission_problems"]["inputs"]

    not_applicable = api.put(f"{url}inputs/feedback/", {"status": "not_applicable"}, format="json")
    assert not_applicable.status_code == 400 and "notes" in not_applicable.json()["errors"]
    for item in ReviewInput.objects.filter(review=review):
        response = api.put(
            f"{url}inputs/{item.key}/", {"status": "addressed", "notes": "Discussed."}, format="json"
        )
        assert response.status_code == 200, response.json()
    assert (
        api.put(
            f"{url}inputs/no_such_input/", {"status": "addressed", "notes": "x"}, format="json"
        ).status_code
        == 404
    )
    submitted = api.post(f"{url}submit/")
    assert submitted.status_code == 200, submitted.json()
    assert {i["status"] for i in submitted.json()["inputs"]} == {"addressed"}


def test_an_internal_audit_is_led_by_an_independent_auditor(
    api_for, communicated_plan, manager, owner, auditor
):
    api = api_for(manager)
    body = {"kind": "internal_audit", "processes": [communicated_plan.process_id], "planned_on": str(TODAY())}
    by_owner = api.post("/api/v1/reviews/", {**body, "reviewer": owner.pk}, format="json")
    assert (
        by_owner.status_code == 400
        and "carried out by an auditor" in by_owner.json()["errors"]["reviewer"][0]
    )
    no_processes = api.post(
        "/api/v1/reviews/", {**body, "processes": [], "reviewer": auditor.pk}, format="json"
    )
    assert no_processes.status_code == 400 and "processes" in no_processes.json()["errors"]
    audit = api.post("/api/v1/reviews/", {**body, "reviewer": auditor.pk}, format="json")
    assert audit.status_code == 201, audit.json()
    # The auditor writes the audit he or she leads, and nothing else.
    assert api_for(auditor).post(f"/api/v1/reviews/{audit.json()['id']}/start/").status_code == 200


# -- who approves (C4) -------------------------------------------------------------------------------------


def test_the_approver_who_took_part_is_refused_with_403(api_for, communicated_plan, owner, manager, manager2):
    review = factories.submitted(
        factories.process_review(communicated_plan, owner, participants=[manager]), owner
    )
    url = f"/api/v1/reviews/{review.pk}/"
    detail = api_for(manager).get(url).json()
    assert detail["available_actions"] == []
    assert "took part" in detail["refused_actions"]["approve"]
    refused = api_for(manager).post(f"{url}approve/")
    assert refused.status_code == 403 and "took part" in refused.json()["detail"]
    assert api_for(manager).post(f"{url}return/", {"comment": "No."}, format="json").status_code == 403
    assert Review.objects.get(pk=review.pk).status == Review.Status.SUBMITTED
    assert not Decision.objects.for_object(review).filter(action__in=["approve", "return_review"]).exists()
    assert api_for(manager2).post(f"{url}approve/").status_code == 200


def test_the_same_review_is_approved_once(api_for, planned_review, owner, manager, manager2):
    review = factories.submitted(planned_review, owner)
    assert api_for(manager).post(f"/api/v1/reviews/{review.pk}/approve/").status_code == 200
    again = api_for(manager2).post(f"/api/v1/reviews/{review.pk}/approve/")
    assert again.status_code == 409 and "approved" in again.json()["detail"]


def test_awaiting_my_approval_lists_what_decide_refusal_allows(
    api_for, communicated_plan, owner, manager, manager2, auditor
):
    led_by_manager2 = factories.submitted(
        factories.process_review(communicated_plan, owner, reviewer=manager2), manager2
    )
    with_manager = factories.submitted(
        factories.process_review(communicated_plan, owner, participants=[manager]), owner
    )
    plain = factories.submitted(factories.process_review(communicated_plan, owner), owner)
    factories.held(factories.process_review(communicated_plan, owner), owner)  # not submitted
    with_manager2 = factories.submitted(
        factories.process_review(communicated_plan, owner, participants=[manager2]), owner
    )
    submitted = [led_by_manager2, with_manager, plain, with_manager2]
    for user in (manager, manager2, owner, auditor):
        listed = api_for(user).get("/api/v1/reviews/", {"awaiting_my_approval": "true"}).json()["results"]
        expected = {r.pk for r in submitted if decide_refusal(user, Review.objects.get(pk=r.pk)) == ""}
        assert {row["id"] for row in listed} == expected, user
        others = api_for(user).get("/api/v1/reviews/", {"awaiting_my_approval": "false"}).json()["results"]
        assert not expected & {row["id"] for row in others}
    assert {r.pk for r in selectors.awaiting_decision(manager)} == {
        led_by_manager2.pk,
        plain.pk,
        with_manager2.pk,
    }


# -- staff read approved reviews of the plans they read ------------------------------------------------------


def test_staff_see_only_approved_reviews_of_plans_they_can_read(
    api_for, communicated_plan, owner, other_owner, manager, staff
):
    readable = factories.approved(factories.process_review(communicated_plan, owner), owner, manager)
    in_progress = factories.held(factories.process_review(communicated_plan, owner), owner)
    services.save_finding(
        review=in_progress, actor=owner, grade="major", description="Open.", evidence="Log."
    )
    hidden_plan = plan_factories.approved_process_plan(other_owner, manager, name="Change management")
    services.save_schedule(
        plan=hidden_plan, actor=other_owner, interval_months=6, next_planned_on=TODAY(), reviewer=other_owner
    )
    hidden = factories.approved(factories.process_review(hidden_plan, other_owner), other_owner, manager)

    api = api_for(staff)
    assert [r["id"] for r in api.get("/api/v1/reviews/").json()["results"]] == [readable.pk]
    assert api.get(f"/api/v1/reviews/{readable.pk}/").status_code == 200
    for review in (in_progress, hidden):
        assert api.get(f"/api/v1/reviews/{review.pk}/").status_code == 404
    assert api.get("/api/v1/findings/").json()["count"] == 0
    assert api.get("/api/v1/review-schedules/").json()["count"] == 0
    assert api_for(owner).get("/api/v1/reviews/").json()["count"] == 3


# -- findings (C6) and actions (C4) -------------------------------------------------------------------------------


def test_a_finding_needs_grade_description_and_objective_evidence(api_for, planned_review, owner):
    review = factories.held(planned_review, owner)
    response = api_for(owner).post(
        "/api/v1/findings/",
        {"review": review.pk, "grade": "major", "description": " ", "evidence": ""},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"description", "evidence"}
    assert "objective evidence" in response.json()["errors"]["evidence"][0]
    wrong_grade = api_for(owner).post(
        "/api/v1/findings/",
        {"review": review.pk, "grade": "severe", "description": "x", "evidence": "y"},
        format="json",
    )
    assert wrong_grade.status_code == 400 and "grade" in wrong_grade.json()["errors"]
    assert not Finding.objects.exists()


def test_an_action_is_marked_done_once(api_for, planned_review, owner):
    review = factories.held(planned_review, owner)
    action = services.save_action(
        review=review, actor=owner, description="Train.", owner=owner, due_on=TODAY()
    )
    api = api_for(owner)
    future = api.post(f"/api/v1/review-actions/{action.pk}/done/", {"done_on": "2999-01-01"}, format="json")
    assert future.status_code == 400 and "done_on" in future.json()["errors"]
    done = api.post(f"/api/v1/review-actions/{action.pk}/done/", {"note": "Trained."}, format="json")
    assert done.status_code == 200 and (done.json()["status"], done.json()["done_by"]["username"]) == (
        "done",
        "owner",
    )
    again = api.post(f"/api/v1/review-actions/{action.pk}/done/")
    assert again.status_code == 409
    assert ReviewAction.objects.get(pk=action.pk).done_note == "Trained."
    assert Addendum.objects.count() == 0


def test_an_action_names_a_finding_of_its_own_review_only(api_for, planned_review, owner, communicated_plan):
    review = factories.held(planned_review, owner)
    finding = services.save_finding(
        review=review, actor=owner, grade="minor", description="Late escalations.", evidence="4 of 30."
    )
    other = factories.held(factories.process_review(communicated_plan, owner), owner)
    foreign = services.save_finding(
        review=other, actor=owner, grade="minor", description="Elsewhere.", evidence="Seen."
    )
    with pytest.raises(RuleViolation) as refused:
        services.save_action(
            review=review, actor=owner, description="Fix.", owner=owner, due_on=TODAY(), finding=foreign
        )
    assert "finding" in refused.value.errors
    api = api_for(owner)
    body = {
        "review": review.pk,
        "description": "Fix timers.",
        "owner": owner.pk,
        "due_on": TODAY().isoformat(),
    }
    unknown = api.post("/api/v1/review-actions/", {**body, "finding": 7}, format="json")
    assert unknown.status_code == 400 and "finding" in unknown.json()["errors"]
    assert not ReviewAction.objects.exists()
    created = api.post("/api/v1/review-actions/", {**body, "finding": finding.number}, format="json")
    assert created.status_code == 201 and created.json()["finding"] == finding.number
    cleared = api.patch(f"/api/v1/review-actions/{created.json()['id']}/", {"finding": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["finding"] is None
    kept = api.patch(
        f"/api/v1/review-actions/{created.json()['id']}/", {"description": "Fix all timers."}, format="json"
    )
    assert kept.status_code == 200 and kept.json()["finding"] is None
