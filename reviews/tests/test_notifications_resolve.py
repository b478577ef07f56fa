"""Check: the notification of a task resolves when the task is done, by
whoever does it: a review's approval by one manager (or its return), holding
and approving the review a reminder is about, completing a reminded action;
a due date moved withdraws the reminders of the old one."""

import datetime

import pytest

from pdca.models import Notification
from pdca.reminders import raise_reminders
from reviews import services
from reviews.tests import factories

pytestmark = pytest.mark.django_db

Resolution = Notification.Resolution
DUE = datetime.date(2027, 3, 31)


def _tasks(task, about):
    return Notification.objects.about(about).filter(task=task)


def _resolutions(task, about):
    return {(n.recipient, n.resolution, n.resolved_by) for n in _tasks(task, about)}


@pytest.fixture
def schedule(communicated_plan, owner):
    return services.save_schedule(
        plan=communicated_plan, actor=owner, interval_months=12, next_planned_on=DUE, reviewer=owner
    )


def test_one_manager_approving_a_review_resolves_the_other_managers_request(
    planned_review, owner, manager, manager2
):
    review = factories.submitted(planned_review, owner)
    assert {n.recipient for n in _tasks("approve", review).filter(resolved_at__isnull=True)} == {
        manager,
        manager2,
    }
    services.approve_review(review=review, actor=manager)
    assert _resolutions("approve", review) == {
        (manager, Resolution.DONE, manager),
        (manager2, Resolution.DONE, manager),
    }
    assert not Notification.objects.filter(recipient=manager2).unread().filter(task="approve").exists()


def test_a_returned_review_resolves_the_approval_and_its_resubmission_the_return(
    planned_review, owner, manager, manager2
):
    review = factories.submitted(planned_review, owner)
    services.return_review(review=review, actor=manager2, comment="Add the minutes.")
    assert (manager, Resolution.DONE, manager2) in _resolutions("approve", review)
    assert _resolutions("revise", review) == {(owner, "", None)}
    services.submit_review(review=review, actor=owner)
    assert _resolutions("revise", review) == {(owner, Resolution.DONE, owner)}


def test_holding_the_review_resolves_its_reminders_for_everyone_reminded(
    schedule, communicated_plan, owner, manager, manager2
):
    # A week overdue: the managers are reminded too.
    raise_reminders(today=DUE + datetime.timedelta(days=7))
    assert {n.recipient for n in _tasks("hold_review", schedule)} == {owner, manager, manager2}
    review = factories.process_review(communicated_plan, owner, planned_on=DUE)
    assert _resolutions("hold_review", review) == {(owner, "", None)}  # "review planned"
    services.start_review(review=review, actor=owner)
    assert {(n.resolution, n.resolved_by) for n in _tasks("hold_review", schedule)} == {
        (Resolution.DONE, owner)
    }
    assert _resolutions("hold_review", review) == {(owner, Resolution.DONE, owner)}
    assert not Notification.objects.filter(recipient=manager).unread().exists()


def test_the_approved_review_resolves_the_reminders_raised_while_it_was_held(
    schedule, communicated_plan, owner, manager
):
    review = factories.held(factories.process_review(communicated_plan, owner, planned_on=DUE), owner)
    raise_reminders(today=DUE + datetime.timedelta(days=14))
    assert _tasks("hold_review", schedule).filter(resolved_at__isnull=True).exists()
    services.submit_review(review=review, actor=owner)
    services.approve_review(review=review, actor=manager)
    assert not _tasks("hold_review", schedule).filter(resolved_at__isnull=True).exists()
    assert {n.resolved_by for n in _tasks("hold_review", schedule)} == {manager}


def test_a_moved_due_date_withdraws_the_reminders_of_the_old_one(schedule, owner):
    raise_reminders(today=DUE - datetime.timedelta(days=7))
    services.save_schedule(
        plan=schedule.plan,
        actor=owner,
        interval_months=12,
        next_planned_on=DUE + datetime.timedelta(days=30),
        reviewer=owner,
    )
    assert _resolutions("hold_review", schedule) == {(owner, Resolution.WITHDRAWN, owner)}


def test_completing_an_action_resolves_its_reminders(planned_review, owner, other_owner):
    review = factories.held(planned_review, owner)
    action = services.save_action(
        review=review, actor=owner, description="Update the runbook", owner=other_owner, due_on=DUE
    )
    raise_reminders(today=DUE - datetime.timedelta(days=7))
    assert _resolutions("complete_action", action) == {(other_owner, "", None)}
    services.complete_action(action=action, actor=other_owner, done_on=review.held_on)
    assert _resolutions("complete_action", action) == {(other_owner, Resolution.DONE, other_owner)}


def test_a_deleted_action_withdraws_its_reminders(planned_review, owner, other_owner):
    review = factories.held(planned_review, owner)
    action = services.save_action(
        review=review, actor=owner, description="Update the runbook", owner=other_owner, due_on=DUE
    )
    raise_reminders(today=DUE - datetime.timedelta(days=7))
    reminder = Notification.objects.get(recipient=other_owner, task="complete_action")
    services.delete_action(action=action, actor=owner)
    reminder.refresh_from_db()
    assert (reminder.resolution, reminder.is_unread) == (Resolution.WITHDRAWN, False)
