"""Plan and Do: the notification of a task resolves when the task is done, by
whoever does it (review, approval, handover decision, conformance review),
or only for the one who did it (acknowledgement); a superseded version
withdraws its pending acknowledgement requests."""

import pytest

from accounts.tests.factories import UserFactory
from pdca.models import Notification
from plans import services
from plans.do import selectors
from plans.do import services as implementation
from plans.models import Plan, Responsibility
from plans.tests import factories

pytestmark = pytest.mark.django_db

Resolution = Notification.Resolution


def _task(user, task, about):
    return Notification.objects.about(about).get(recipient=user, task=task)


def _resolution(user, task, about):
    notification = _task(user, task, about)
    return notification.resolution, notification.resolved_by


def _name(version, *, reviewers, approvers, author):
    return services.set_responsibilities(
        version=version,
        actor=author,
        assignments={
            Responsibility.Kind.REVIEW: reviewers,
            Responsibility.Kind.APPROVAL: approvers,
            Responsibility.Kind.COMMUNICATION: [author],
            Responsibility.Kind.IMPLEMENTATION: [author],
            Responsibility.Kind.UPDATING: [author],
        },
    )


def test_one_named_reviewer_reviewing_resolves_every_reviewers_request(
    process_plan, owner, other_owner, manager
):
    version = process_plan.latest_version
    _name(version, reviewers=[owner, other_owner], approvers=[manager], author=owner)
    services.submit_plan(version=version, actor=owner)
    services.review_plan(version=version, actor=other_owner)
    assert _resolution(owner, "review", version) == (Resolution.DONE, other_owner)
    assert _resolution(other_owner, "review", version) == (Resolution.DONE, other_owner)
    # The approval it asks for next is open.
    assert _task(manager, "approve", version).is_unread


def test_one_manager_approving_resolves_the_other_approvers_request(process_plan, owner, manager, manager2):
    version = process_plan.latest_version
    _name(version, reviewers=[owner], approvers=[manager, manager2], author=owner)
    factories.submit_and_review(version, owner)
    assert Notification.objects.filter(recipient=manager).unread().count() == 1
    services.approve_plan(version=version, actor=manager2)
    assert _resolution(manager, "approve", version) == (Resolution.DONE, manager2)
    assert not Notification.objects.filter(recipient=manager).unread().exists()
    # The author is told, and asked to communicate it.
    assert _task(owner, "communicate", version).is_unread


def test_a_change_request_resolves_the_approval_and_the_resubmission_resolves_the_request(
    process_plan, owner, manager
):
    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    services.request_changes(version=version, actor=manager, comment="Name the escalation path.")
    assert _resolution(manager, "approve", version) == (Resolution.DONE, manager)
    assert _task(owner, "revise", version).is_unread
    services.submit_plan(version=version, actor=owner)
    assert _resolution(owner, "revise", version) == (Resolution.DONE, owner)


def test_communicating_resolves_the_request_to_communicate(approved_plan, owner, staff):
    version = approved_plan.current_version
    assert _task(owner, "communicate", version).is_unread
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=version, actor=owner)
    assert _resolution(owner, "communicate", version) == (Resolution.DONE, owner)


def test_an_acknowledgement_resolves_only_the_acknowledgers_request(approved_plan, owner, staff):
    colleague = UserFactory(username="colleague")
    approved_plan.distribution_users.add(staff, colleague)
    version = approved_plan.current_version
    services.communicate_plan(version=version, actor=owner)
    services.acknowledge_plan(version=version, actor=staff)
    assert _resolution(staff, "acknowledge", version) == (Resolution.DONE, staff)
    assert _task(colleague, "acknowledge", version).is_unread


def test_a_superseded_version_withdraws_its_pending_acknowledgement_requests(
    communicated_plan, owner, manager, staff
):
    old = communicated_plan.current_version
    draft = services.revise_plan(plan=communicated_plan, actor=owner)
    factories.submit_and_review(draft, owner)
    services.approve_plan(version=draft, actor=manager)
    notification = _task(staff, "acknowledge", old)
    assert notification.resolution == Resolution.WITHDRAWN and not notification.is_unread


def test_one_receiver_deciding_a_handover_resolves_every_receivers_request(
    implementing_plan, owner, operators
):
    for kpi in selectors.current_kpis(implementing_plan):
        implementation.assign_kpi_operator(kpi=kpi, actor=owner, operator=operators[0])
    handover = implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    assert _task(operators[0], "decide_handover", handover).is_unread
    implementation.accept_handover(handover=handover, actor=operators[1])
    assert _resolution(operators[0], "decide_handover", handover) == (Resolution.DONE, operators[1])
    assert _resolution(operators[1], "decide_handover", handover) == (Resolution.DONE, operators[1])


def test_a_declined_handover_resolves_the_request_too(implementing_plan, owner, operators):
    handover = implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    implementation.decline_handover(handover=handover, actor=operators[0], reason="Not staffed yet.")
    assert _resolution(operators[1], "decide_handover", handover) == (Resolution.DONE, operators[0])


def test_confirming_conformance_resolves_the_conformance_review(smp, approved_plan, owner, manager, manager2):
    draft = services.revise_plan(plan=smp, actor=manager2)
    factories.submit_and_review(draft, manager2)
    services.approve_plan(version=draft, actor=manager)
    plan = Plan.objects.get(pk=approved_plan.pk)
    assert plan.conformance_review_due and _task(owner, "conformance_review", plan).is_unread
    services.confirm_conformance(plan=plan, actor=owner)
    assert _resolution(owner, "conformance_review", plan) == (Resolution.DONE, owner)
