"""Who acts next on a version, for each status (P3, P6): one function that the
plan page, the version page and the API render."""

import pytest

from accounts import roles
from accounts.tests.factories import UserFactory
from plans import services
from plans.models import PlanVersion, Responsibility
from plans.next_steps import next_step, step_for
from plans.tests import factories

pytestmark = pytest.mark.django_db
Status = PlanVersion.Status


def _fresh(version):
    return PlanVersion.objects.select_related("plan__process").get(pk=version.pk)


def test_a_draft_waits_for_the_process_owner_and_deputies(process_plan, owner):
    deputy = UserFactory(username="deputy", first_name="Dee", last_name="Puty", roles=[roles.PROCESS_OWNER])
    process_plan.process.deputies.add(deputy)
    step = next_step(_fresh(process_plan.latest_version))
    assert step.action == "submit" and step.since is None
    assert step.people == [owner, deputy]
    assert step.text == "Waits for Olivia Owen or Dee Puty to complete and submit it."


def test_a_version_in_review_waits_for_the_named_reviewer(process_plan, owner, manager):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    step = next_step(_fresh(version), user=manager)
    assert (step.action, step.people) == ("review", [owner])
    assert step.since == _fresh(version).submitted_at
    assert step.text.startswith("Waits for review by Olivia Owen since ")


def test_a_reviewer_who_may_approve_is_named_for_both(smp, owner, manager):
    plan = factories.draft_process_plan(owner, manager)
    version = plan.latest_version
    services.set_responsibilities(
        version=version,
        actor=owner,
        assignments={
            Responsibility.Kind.REVIEW: [manager],
            Responsibility.Kind.APPROVAL: [manager],
            Responsibility.Kind.COMMUNICATION: [owner],
            Responsibility.Kind.IMPLEMENTATION: [owner],
            Responsibility.Kind.UPDATING: [owner],
        },
        reviewer_may_approve=True,
    )
    services.submit_plan(version=version, actor=owner)
    step = next_step(_fresh(version), user=manager)
    assert step.people == [manager]
    assert step.text.startswith("Waits for review and approval by you since ")


def test_a_reviewed_version_waits_for_the_named_approver(process_plan, owner, manager):
    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    step = next_step(_fresh(version), user=owner)
    assert (step.action, step.people, step.group) == ("approve", [manager], "")
    assert step.since == _fresh(version).reviewed_at
    assert step.text.startswith("Waits for approval by Morgan Meyer since ")


def test_without_a_named_approver_it_waits_for_the_managers(process_plan, owner):
    version = process_plan.latest_version
    services.set_responsibilities(
        version=version,
        actor=owner,
        assignments={Responsibility.Kind.REVIEW: [owner], Responsibility.Kind.UPDATING: [owner]},
    )
    # A version is never submitted without its approver; were one reviewed without, any manager is asked.
    step = step_for(_fresh(version), Status.REVIEWED)
    assert (step.action, step.people, step.group) == ("approve", [], "managers")
    assert step.text == "Waits for approval by the managers."


def test_an_approved_version_waits_for_its_communication(approved_plan, owner, manager):
    version = _fresh(approved_plan.latest_version)
    step = next_step(version, user=manager)
    assert (step.action, step.people, step.since) == ("communicate", [owner], version.approved_at)
    assert step.text.startswith("Waits for communication by Olivia Owen since ")


def test_what_follows_an_approval_has_no_date_yet(process_plan, owner):
    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    step = step_for(_fresh(version), Status.APPROVED)
    assert step.text == "Waits for communication by Olivia Owen."


def test_a_communicated_version_counts_who_has_not_acknowledged(communicated_plan, staff):
    version = communicated_plan.latest_version
    step = next_step(_fresh(version))
    assert (step.action, step.waiting, step.people) == ("acknowledge", 1, [])  # counted, not named
    assert step.text.startswith("Waits for 1 recipient to acknowledge it since ")
    services.acknowledge_plan(version=version, actor=staff)
    step = next_step(_fresh(version))
    assert (step.action, step.text) == ("", "Every recipient has acknowledged it.")


def test_a_superseded_version_waits_for_nobody(approved_plan, owner, manager):
    draft = services.revise_plan(plan=approved_plan, actor=owner)
    factories.submit_and_review(draft, owner)
    services.approve_plan(version=draft, actor=manager)
    step = next_step(_fresh(approved_plan.versions.get(number=1)))
    assert step.action == "" and step.people == []
    assert "nothing waits for it" in step.text


def test_a_draft_sent_back_waits_since_the_change_request(process_plan, owner, manager):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    services.request_changes(version=version, actor=manager, comment="More detail.")
    step = next_step(_fresh(version), user=owner)
    assert step.since is not None
    assert step.text.startswith("Waits for you to revise and resubmit it since ")
