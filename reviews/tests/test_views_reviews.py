"""The review pages (C2-C4, C6): planning, the review page filled in section by
section, decisions, the calendar, the plan page's review card and the
dashboard. Every refusal shows its message and changes nothing; nothing typed
is lost."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from reviews import permissions, services
from reviews.dates import add_months
from reviews.models import Addendum, Finding, Review, ReviewAction, ReviewSchedule
from reviews.tests import factories

pytestmark = pytest.mark.django_db
Status = Review.Status


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


def test_a_process_owner_plans_a_review_of_his_plan_in_the_browser(client_for, owner, communicated_plan):
    client = client_for(owner)
    page = client.get(reverse("reviews:create") + f"?plan={communicated_plan.pk}")
    assert page.status_code == 200
    schedule = ReviewSchedule.objects.get(plan=communicated_plan)
    assert page.context["form"].initial["planned_on"] == schedule.next_planned_on
    response = client.post(
        reverse("reviews:create"),
        {"kind": "process", "plan": communicated_plan.pk, "planned_on": "2026-12-01", "reviewer": owner.pk},
    )
    review = Review.objects.get()
    assert response.status_code == 302 and response["Location"] == review.get_absolute_url()
    assert (review.kind, review.plan, review.version) == (
        "process",
        communicated_plan,
        communicated_plan.current_version,
    )


def test_planning_a_review_of_somebody_elses_process_is_refused(client_for, other_owner, communicated_plan):
    response = client_for(other_owner).post(
        reverse("reviews:create"),
        {
            "kind": "process",
            "plan": communicated_plan.pk,
            "planned_on": "2026-12-01",
            "reviewer": other_owner.pk,
        },
    )
    assert response.status_code in (400, 403)
    assert not Review.objects.exists()


def test_planning_an_internal_audit_with_a_dependent_auditor_names_the_reason(
    client_for, manager, owner, communicated_plan
):
    response = client_for(manager).post(
        reverse("reviews:create"),
        {
            "kind": "internal_audit",
            "processes": [communicated_plan.process_id],
            "planned_on": "2026-12-01",
            "reviewer": owner.pk,
        },
    )
    assert response.status_code == 400
    assert "carried out by an auditor" in response.content.decode()
    assert not Review.objects.exists()


def test_the_review_page_shows_attainment_findings_actions_and_what_to_do(
    client_for, owner, measured_kpi, planned_review
):
    client = client_for(owner)
    html = client.get(planned_review.get_absolute_url()).content.decode()
    assert "Start the review" in html and measured_kpi.metric in html and "✓ Met" in html
    client.post(reverse("reviews:transition", args=[planned_review.pk, "start"]))
    html = client.get(planned_review.get_absolute_url()).content.decode()
    assert "Say when the review was held." in html  # what is left before submitting
    assert "Record a finding" in html and "Add an action" in html


def test_a_refused_submission_keeps_the_note_and_changes_nothing(client_for, owner, planned_review):
    review = services.start_review(review=planned_review, actor=owner)
    response = client_for(owner).post(
        reverse("reviews:transition", args=[review.pk, "submit"]), {"comment": "Please approve soon."}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Say when the review was held." in html and "Please approve soon." in html
    assert Review.objects.get(pk=review.pk).status == Status.IN_PROGRESS


def test_a_stale_save_of_the_review_keeps_what_was_typed(client_for, owner, planned_review):
    client = client_for(owner)
    opened = planned_review.revision
    services.update_review(
        review=planned_review, actor=owner, expected_revision=opened, minutes="Saved first."
    )
    response = client.post(
        reverse("reviews:edit", args=[planned_review.pk]),
        {
            "title": planned_review.title,
            "period_start": planned_review.period_start.isoformat(),
            "period_end": planned_review.period_end.isoformat(),
            "minutes": "Typed on a stale page.",
            "revision": opened,
        },
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Typed on a stale page." in html and "Saved first." in html
    assert Review.objects.get(pk=planned_review.pk).minutes == "Saved first."


def test_findings_and_actions_are_recorded_in_the_browser(client_for, owner, planned_review):
    review = factories.held(planned_review, owner)
    client = client_for(owner)
    refused = client.post(
        reverse("reviews:finding_create", args=[review.pk]), {"grade": "minor", "description": "Late."}
    )
    assert refused.status_code == 400 and "objective evidence" in refused.content.decode()
    assert "Late." in refused.content.decode()
    done = client.post(
        reverse("reviews:finding_create", args=[review.pk]),
        {
            "grade": "minor",
            "clause": "8.6.1",
            "description": "Late escalations.",
            "evidence": "4 of 30 tickets.",
        },
    )
    assert done.status_code == 302
    assert Finding.objects.get(review=review).grade == Finding.Grade.MINOR
    due = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
    action = client.post(
        reverse("reviews:action_create", args=[review.pk]),
        {"description": "Retrain the desk", "owner": owner.pk, "due_on": due},
    )
    assert action.status_code == 302 and review.actions.count() == 1
    # An action for a finding: offered from the finding, linked both ways on the page.
    finding = Finding.objects.get(review=review)
    form = client.get(reverse("reviews:action_create", args=[review.pk]), {"finding": finding.pk})
    assert form.context["form"]["finding"].value() == str(finding.pk)
    client.post(
        reverse("reviews:action_create", args=[review.pk]),
        {"description": "Fix the timers", "owner": owner.pk, "due_on": due, "finding": finding.pk},
    )
    assert review.actions.get(description="Fix the timers").finding == finding
    page = client.get(review.get_absolute_url()).content.decode()
    assert f'href="#finding-{finding.number}">{finding.code}</a>' in page
    assert "Action: Fix the timers" in page and "Add an action for this finding" in page


def test_only_a_manager_who_took_no_part_approves_in_the_browser(
    client_for, owner, manager, manager2, planned_review
):
    review = factories.process_review(planned_review.plan, owner, participants=[manager])
    review = factories.submitted(review, owner)
    refused = client_for(manager).post(reverse("reviews:transition", args=[review.pk, "approve"]))
    assert refused.status_code == 403 and "took part" in refused.content.decode()
    assert Review.objects.get(pk=review.pk).status == Status.SUBMITTED
    queue = client_for(manager2).get(reverse("reviews:approvals")).content.decode()
    assert review.title in queue
    assert review.title not in client_for(manager).get(reverse("reviews:approvals")).content.decode()
    approved = client_for(manager2).post(reverse("reviews:transition", args=[review.pk, "approve"]))
    assert approved.status_code == 302 and Review.objects.get(pk=review.pk).status == Status.APPROVED


def test_an_approved_review_cannot_be_edited_in_the_browser(client_for, owner, manager, planned_review):
    review = factories.approved(planned_review, owner, manager)
    client = client_for(owner)
    for url in (
        reverse("reviews:edit", args=[review.pk]),
        reverse("reviews:finding_create", args=[review.pk]),
        reverse("reviews:attainment", args=[review.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 400 and "addendum" in response.content.decode()
    response = client.post(
        reverse("reviews:finding_create", args=[review.pk]),
        {"grade": "minor", "description": "Late", "evidence": "Seen"},
    )
    assert response.status_code == 400
    assert not review.findings.exists()
    added = client.post(reverse("reviews:addendum", args=[review.pk]), {"text": "The period ends in May."})
    assert added.status_code == 302 and review.addenda.count() == 1


def test_auditors_read_reviews_but_change_nothing(client_for, auditor, owner, planned_review):
    client = client_for(auditor)
    assert client.get(planned_review.get_absolute_url()).status_code == 200
    assert client.get(reverse("reviews:edit", args=[planned_review.pk])).status_code == 403
    response = client.post(reverse("reviews:transition", args=[planned_review.pk, "start"]))
    assert response.status_code == 403
    assert Review.objects.get(pk=planned_review.pk).status == Status.PLANNED


def test_staff_see_only_approved_reviews_of_plans_they_can_read(
    client_for, staff, owner, manager, planned_review
):
    client = client_for(staff)
    assert client.get(planned_review.get_absolute_url()).status_code == 404
    review = factories.approved(planned_review, owner, manager)
    assert client.get(review.get_absolute_url()).status_code == 200


def test_the_plan_page_shows_the_last_review_and_the_next_one_from_the_planned_date(
    client_for, owner, manager, communicated_plan
):
    planned = timezone.localdate() - datetime.timedelta(days=30)
    services.save_schedule(
        plan=communicated_plan, actor=owner, interval_months=12, next_planned_on=planned, reviewer=owner
    )
    html = client_for(owner).get(communicated_plan.get_absolute_url()).content.decode()
    assert "is overdue" in html
    review = factories.process_review(communicated_plan, owner, planned_on=planned)
    factories.approved(review, owner, manager)
    html = client_for(owner).get(communicated_plan.get_absolute_url()).content.decode()
    assert f"{add_months(planned, 12):%-d %b %Y}" in html
    assert review.get_absolute_url() in html and "is overdue" not in html


def test_the_plans_list_marks_an_overdue_review(client_for, owner, communicated_plan):
    services.save_schedule(
        plan=communicated_plan,
        actor=owner,
        interval_months=12,
        next_planned_on=timezone.localdate() - datetime.timedelta(days=1),
        reviewer=owner,
    )
    html = client_for(owner).get(reverse("plans:list")).content.decode()
    assert "Review overdue" in html


def test_an_interval_over_twelve_months_is_refused_on_the_schedule_page(client_for, owner, communicated_plan):
    response = client_for(owner).post(
        reverse("reviews:schedule", args=[communicated_plan.pk]),
        {"interval_months": 18, "next_planned_on": "2027-01-01", "reviewer": owner.pk},
    )
    assert response.status_code == 400 and "at least once a year" in response.content.decode()
    assert ReviewSchedule.objects.get(plan=communicated_plan).interval_months == 12


def test_the_dashboard_tells_the_manager_what_to_approve(client_for, owner, manager, planned_review):
    factories.submitted(planned_review, owner)
    response = client_for(manager).get(reverse("dashboard"))
    assert [task.kind for task in response.context["top_tasks"]] == ["review_approval"]
    tile = next(s for s in response.context["stats"] if s["label"] == "Reviews to approve")
    assert tile["value"] == 1 and tile["url"] == "/tasks/?kind=review_approval"


def test_the_calendar_shows_reviews_and_due_dates_in_a_constant_number_of_queries(
    client_for, manager, owner, communicated_plan
):
    client = client_for(manager)
    review = factories.process_review(communicated_plan, owner)
    client.get(reverse("reviews:calendar"))  # warm the content-type cache
    few, response = _queries(client, reverse("reviews:calendar"))
    assert review.title in response.content.decode()
    for _ in range(6):
        factories.process_review(communicated_plan, owner)
    many, response = _queries(client, reverse("reviews:calendar"))
    assert many == few
    assert len([e for _day, e in response.context["entries"] if e["kind"] == "review"]) == 7


def test_the_review_page_runs_a_constant_number_of_queries(client_for, owner, planned_review):
    review = factories.held(planned_review, owner)
    client = client_for(owner)
    few, _ = _queries(client, review.get_absolute_url())
    for n in range(5):
        services.save_finding(
            review=review, actor=owner, grade="observation", description=f"F{n}", evidence="Seen"
        )
        services.save_action(
            review=review, actor=owner, description=f"A{n}", owner=owner, due_on=timezone.localdate()
        )
    many, response = _queries(client, review.get_absolute_url())
    assert many == few
    assert len(response.context["findings"]) == 5 and len(response.context["review_actions"]) == 5


def test_the_review_is_started_with_the_day_it_is_held(client_for, owner, planned_review):
    client = client_for(owner)
    url = reverse("reviews:transition", args=[planned_review.pk, "start"])
    page = client.get(planned_review.get_absolute_url()).content.decode()
    assert f'name="held_on" value="{timezone.localdate().isoformat()}"' in page  # today, ready to confirm
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    for bad, message in ((tomorrow, "not held in the future"), ("31.02.", "valid date")):
        refused = client.post(url, {"held_on": bad})
        assert refused.status_code == 400 and message in refused.content.decode()
        assert Review.objects.get(pk=planned_review.pk).status == Status.PLANNED
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assert client.post(url, {"held_on": yesterday.isoformat()}).status_code == 302
    review = Review.objects.get(pk=planned_review.pk)
    assert (review.status, review.held_on) == (Status.IN_PROGRESS, yesterday)
    assert "Say when the review was held." not in client.get(review.get_absolute_url()).content.decode()


def test_the_calendar_invitation_is_offered_only_while_the_review_is_planned(
    client_for, owner, planned_review
):
    client = client_for(owner)
    invite = reverse("reviews:invite", args=[planned_review.pk])
    assert invite in client.get(planned_review.get_absolute_url()).content.decode()
    services.start_review(review=planned_review, actor=owner)
    assert invite not in client.get(planned_review.get_absolute_url()).content.decode()


# Whatever a refused form holds: nothing, or nonsense.
ANY_FORM = [
    {},
    {"revision": "latest", "grade": "worst", "due_on": "soon", "interval_months": "yearly", "text": ""},
]


@pytest.mark.parametrize("role", ["auditor", "other_owner"])
def test_a_refused_form_says_why_whatever_it_holds(
    request, role, client_for, owner, manager, communicated_plan, planned_review
):
    """The auditor and another process owner read every review but write none of
    these: a POST is refused with the reason (403) whatever the form holds, never
    with which field is missing, and changes nothing."""
    user = request.getfixturevalue(role)
    finding = services.save_finding(
        review=planned_review, actor=owner, grade="minor", description="Late.", evidence="Log."
    )
    action = services.save_action(
        review=planned_review, actor=owner, description="Train.", owner=owner, due_on=timezone.localdate()
    )
    approved = factories.approved(factories.process_review(communicated_plan, owner), owner, manager)
    editing = escape(permissions.edit_refusal(user, planned_review))
    pages = {
        reverse("reviews:edit", args=[planned_review.pk]): editing,
        reverse("reviews:finding_create", args=[planned_review.pk]): editing,
        reverse("reviews:finding_edit", args=[planned_review.pk, finding.number]): editing,
        reverse("reviews:action_create", args=[planned_review.pk]): editing,
        reverse("reviews:action_edit", args=[planned_review.pk, action.pk]): editing,
        reverse("reviews:addendum", args=[approved.pk]): escape(permissions.addendum_refusal(user, approved)),
        reverse("reviews:schedule", args=[communicated_plan.pk]): escape(
            permissions.schedule_refusal(user, communicated_plan)
        ),
    }

    def state():
        return (
            list(Review.objects.order_by("pk").values_list("status", "revision", "minutes", "held_on")),
            list(Finding.objects.order_by("pk").values_list("grade", "description", "evidence")),
            list(ReviewAction.objects.order_by("pk").values_list("description", "owner", "due_on")),
            list(ReviewSchedule.objects.order_by("pk").values_list("interval_months", "next_planned_on")),
            Addendum.objects.count(),
        )

    client = client_for(user)
    before = state()
    for url, why in pages.items():
        for data in ANY_FORM:
            response = client.post(url, data)
            html = response.content.decode()
            assert response.status_code == 403, (url, data, response.status_code)
            assert why and why in html, (url, data)
            assert "This field is required" not in html and "Enter a whole number" not in html, (url, data)
    assert state() == before


def test_the_overdue_tile_leads_to_the_calendars_list_of_overdue_reviews(
    client_for, manager, owner, communicated_plan
):
    services.save_schedule(
        plan=communicated_plan,
        actor=owner,
        interval_months=12,
        next_planned_on=timezone.localdate() - datetime.timedelta(days=3),
        reviewer=owner,
    )
    client = client_for(manager)
    tile = next(
        s for s in client.get(reverse("dashboard")).context["stats"] if s["label"] == "reviews overdue"
    )
    assert tile["value"] == 1
    path, anchor = tile["url"].split("#")
    page = client.get(path).content.decode()
    assert f'id="{anchor}"' in page and "Overdue reviews" in page
