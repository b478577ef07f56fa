"""Check's tasks in the inbox: each kind lists exactly the user's open tasks
(not another user's, and not once done, by whoever did it), with the reason."""

import datetime

import pytest
from django.utils import timezone

from pdca.inbox import inbox
from reviews import services
from reviews.tests import factories

pytestmark = pytest.mark.django_db


def tasks(user, kind):
    return inbox(user, kind).tasks


def test_managers_who_took_no_part_are_asked_to_approve_a_submitted_review(
    planned_review, owner, manager, manager2, auditor
):
    review = factories.submitted(planned_review, owner)
    for approver in (manager, manager2):
        [task] = tasks(approver, "review_approval")
        assert task.url == review.get_absolute_url() and task.actor_name == str(owner)
    assert tasks(owner, "review_approval") == [] and tasks(auditor, "review_approval") == []
    services.approve_review(review=review, actor=manager)
    assert tasks(manager, "review_approval") == [] and tasks(manager2, "review_approval") == []


def test_a_participant_is_not_asked_to_approve(communicated_plan, owner, manager, manager2):
    review = factories.process_review(communicated_plan, owner, participants=[manager2])
    factories.submitted(review, owner)
    assert len(tasks(manager, "review_approval")) == 1
    assert tasks(manager2, "review_approval") == []


def test_the_reviewer_is_asked_to_hold_the_review_and_told_why_it_came_back(
    planned_review, owner, other_owner, manager
):
    [task] = tasks(owner, "review_carry_out")
    assert task.title.startswith("Hold ") and task.due_on == planned_review.planned_on
    assert tasks(other_owner, "review_carry_out") == [] and tasks(manager, "review_carry_out") == []
    review = factories.submitted(planned_review, owner)
    assert tasks(owner, "review_carry_out") == []
    services.return_review(review=review, actor=manager, comment="Record the attainment of every KPI.")
    [task] = tasks(owner, "review_carry_out")
    assert task.title.startswith("Rework ") and task.reason == "Record the attainment of every KPI."
    assert task.actor_name == str(manager)


def test_the_process_owner_is_asked_to_plan_a_review_that_falls_due(
    communicated_plan, owner, other_owner, manager
):
    due = timezone.localdate() + datetime.timedelta(days=10)
    services.save_schedule(
        plan=communicated_plan, actor=owner, interval_months=12, next_planned_on=due, reviewer=owner
    )
    [task] = tasks(owner, "review_schedule")
    assert task.due_on == due and f"plan={communicated_plan.pk}" in task.url
    assert tasks(other_owner, "review_schedule") == [] and tasks(manager, "review_schedule") == []
    factories.process_review(communicated_plan, owner, planned_on=due)
    assert tasks(owner, "review_schedule") == []


def test_a_review_schedule_far_ahead_is_no_task_yet(communicated_plan, owner):
    # The schedule made at communication falls due in twelve months.
    assert tasks(owner, "review_schedule") == []


def test_the_owner_of_a_review_action_is_asked_to_carry_it_out_until_done(planned_review, owner, other_owner):
    review = services.start_review(review=planned_review, actor=owner)
    due = timezone.localdate() + datetime.timedelta(days=14)
    action = services.save_action(
        review=review, actor=owner, description="Update the runbook", owner=other_owner, due_on=due
    )
    [task] = tasks(other_owner, "review_action")
    assert "Update the runbook" in task.title and task.due_on == due
    assert task.url == action.get_absolute_url()
    assert tasks(owner, "review_action") == []
    services.complete_action(action=action, actor=other_owner)
    assert tasks(other_owner, "review_action") == []


def test_checks_sources_run_a_constant_number_of_queries(
    planned_review, owner, other_owner, manager, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    review = services.start_review(review=planned_review, actor=owner)
    due = timezone.localdate() + datetime.timedelta(days=14)

    def add_actions(count):
        for n in range(count):
            services.save_action(
                review=review, actor=owner, description=f"A{n}", owner=other_owner, due_on=due
            )

    add_actions(1)
    with CaptureQueriesContext(connection) as few:
        assert len(inbox(other_owner).tasks) == 1
    add_actions(9)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert [t.kind for t in inbox(other_owner).tasks] == ["review_action"] * 10
