"""P2, P3: responsibilities, the approval workflow and its decision records."""

import pytest

from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.models import Decision
from plans import services
from plans.models import PlanVersion, Responsibility
from plans.tests import factories

Status = PlanVersion.Status


@pytest.mark.django_db
def test_submit_refused_without_all_five_responsibilities(smp, owner, manager):
    plan = factories.draft_process_plan(owner, manager)
    version = plan.latest_version
    services.set_responsibilities(
        version=version,
        actor=owner,
        assignments={Responsibility.Kind.APPROVAL: [manager], Responsibility.Kind.REVIEW: [owner]},
    )
    with pytest.raises(RuleViolation) as refused:
        services.submit_plan(version=version, actor=owner)
    message = refused.value.message
    assert "communication" in message and "implementation" in message and "updating" in message
    assert "responsibilities" in refused.value.errors
    version.refresh_from_db()
    assert version.status == Status.DRAFT


@pytest.mark.django_db
def test_submit_refused_when_an_objective_does_not_trace_to_the_smp(smp, owner, manager):
    plan = factories.draft_process_plan(owner, manager)
    version = plan.latest_version
    factories.add_objective_with_kpi(version, owner, title="Untraced objective", traces_to=None)
    with pytest.raises(RuleViolation) as refused:
        services.submit_plan(version=version, actor=owner)
    assert "traces to an SMP objective" in refused.value.message
    assert PlanVersion.objects.get(pk=version.pk).status == Status.DRAFT


@pytest.mark.django_db
def test_an_objective_cannot_trace_to_an_objective_outside_the_conformed_smp_version(
    smp, owner, manager, other_owner
):
    other = factories.draft_process_plan(other_owner, manager, name="Change management")
    plan = factories.draft_process_plan(owner, manager)
    foreign = other.latest_version.objectives.first()
    with pytest.raises(RuleViolation) as refused:
        services.save_objective(version=plan.latest_version, actor=owner, title="X", traces_to=foreign)
    assert refused.value.field == "traces_to"


@pytest.mark.django_db
def test_the_approver_must_be_a_manager(smp, owner, manager, other_owner):
    plan = factories.draft_process_plan(owner, manager)
    with pytest.raises(RuleViolation) as refused:
        factories.assign_all_responsibilities(plan.latest_version, owner, approver=other_owner)
    assert refused.value.field == "approval"
    assert "must be a manager" in refused.value.message


@pytest.mark.django_db
def test_author_cannot_approve_own_plan(manager, manager2):
    # manager writes the SMP; a second manager is the named approver, and the
    # author tries to approve it anyway.
    smp = factories.draft_smp(manager, manager2)
    version = smp.latest_version
    services.submit_plan(version=version, actor=manager)
    services.review_plan(version=version, actor=manager)
    with pytest.raises(NotAllowed):
        services.approve_plan(version=version, actor=manager)
    assert PlanVersion.objects.get(pk=version.pk).status == Status.REVIEWED


@pytest.mark.django_db
def test_the_named_approver_cannot_also_be_the_author(manager, manager2):
    smp = services.create_service_management_plan(actor=manager)
    with pytest.raises(RuleViolation) as refused:
        factories.assign_all_responsibilities(smp.latest_version, manager, approver=manager)
    assert "never the plan's author" in refused.value.message


@pytest.mark.django_db
def test_last_editor_cannot_approve(manager, manager2):
    smp = factories.draft_smp(manager, manager2)
    version = smp.latest_version
    # manager2 is the named approver but also edits the version: a conflict of interest.
    from guardian.shortcuts import assign_perm

    assign_perm("plans.change_plan", manager2, smp)
    services.update_draft(
        version=version,
        actor=manager2,
        expected_revision=version.revision,
        sections={"scope": "Edited by the approver."},
    )
    with pytest.raises(RuleViolation) as refused:
        services.submit_plan(version=version, actor=manager)
        services.review_plan(version=version, actor=manager)
    assert "author or last editor" in refused.value.message
    # And should such a version reach review anyway, the approval itself refuses.
    PlanVersion.objects.filter(pk=version.pk).update(status=Status.REVIEWED)
    with pytest.raises(NotAllowed) as refused:
        services.approve_plan(version=version, actor=manager2)
    assert "last editor" in refused.value.message
    assert PlanVersion.objects.get(pk=version.pk).status == Status.REVIEWED


@pytest.mark.django_db
def test_only_the_named_approver_approves(smp, owner, manager, manager2):
    plan = factories.draft_process_plan(owner, manager)
    version = plan.latest_version
    services.submit_plan(version=version, actor=owner)
    services.review_plan(version=version, actor=owner)
    with pytest.raises(NotAllowed) as refused:
        services.approve_plan(version=version, actor=manager2)
    assert "named approver" in refused.value.message


@pytest.mark.django_db
def test_process_plan_cannot_be_approved_while_the_smp_is_unapproved(manager, manager2, owner):
    factories.draft_smp(manager2, manager)  # drafted, never approved
    plan = factories.draft_process_plan(owner, manager)
    version = plan.latest_version
    services.submit_plan(version=version, actor=owner)
    services.review_plan(version=version, actor=owner)
    with pytest.raises(RuleViolation) as refused:
        services.approve_plan(version=version, actor=manager)
    assert "no approved version" in refused.value.message
    assert PlanVersion.objects.get(pk=version.pk).status == Status.REVIEWED


@pytest.mark.django_db
def test_full_workflow_records_every_transition(smp, owner, manager, staff):
    plan = factories.draft_process_plan(owner, manager)
    plan.distribution_users.add(staff)
    version = plan.latest_version
    services.submit_plan(version=version, actor=owner, comment="Ready")
    services.review_plan(version=version, actor=owner)
    services.approve_plan(version=version, actor=manager, comment="Fine")
    services.communicate_plan(version=version, actor=owner)
    version.refresh_from_db()
    assert version.status == Status.COMMUNICATED
    assert len(version.content_hash) == 64
    actions = list(Decision.objects.for_object(version).values_list("action", "actor__username", "to_state"))
    assert actions == [
        ("submit", "owner", "in_review"),
        ("review", "owner", "reviewed"),
        ("approve", "manager", "approved"),
        ("communicate", "owner", "communicated"),
    ]


@pytest.mark.django_db
def test_request_changes_returns_the_plan_to_draft_with_a_comment(process_plan, owner, manager):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    with pytest.raises(RuleViolation):
        services.request_changes(version=version, actor=manager, comment="  ")
    services.request_changes(version=version, actor=manager, comment="Add the major-incident procedure.")
    version.refresh_from_db()
    assert version.status == Status.DRAFT
    decision = Decision.objects.for_object(version).last()
    assert decision.action == "request_changes" and "major-incident" in decision.comment


@pytest.mark.django_db
def test_a_second_approval_of_the_same_version_is_refused(process_plan, owner, manager):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    services.review_plan(version=version, actor=owner)
    services.approve_plan(version=version, actor=manager)
    with pytest.raises(Conflict):
        services.approve_plan(version=version, actor=manager)
    assert Decision.objects.for_object(version).filter(action="approve").count() == 1


@pytest.mark.django_db
def test_auditor_cannot_change_or_transition(process_plan, auditor):
    version = process_plan.latest_version
    with pytest.raises(NotAllowed):
        services.update_draft(
            version=version, actor=auditor, expected_revision=version.revision, sections={"roles": "x"}
        )
    with pytest.raises(NotAllowed):
        services.submit_plan(version=version, actor=auditor)


@pytest.mark.django_db
def test_other_process_owner_cannot_edit(process_plan, other_owner):
    version = process_plan.latest_version
    with pytest.raises(NotAllowed):
        services.update_draft(
            version=version, actor=other_owner, expected_revision=version.revision, sections={"roles": "x"}
        )


@pytest.mark.django_db
def test_deputy_can_edit(process_plan, other_owner):
    process = process_plan.process
    services.set_process_owner(
        process=process,
        owner=process.owner,
        deputies=[other_owner],
        actor=factories.UserFactory(roles=["Manager"]),
    )
    version = process_plan.latest_version
    services.update_draft(
        version=version,
        actor=other_owner,
        expected_revision=version.revision,
        sections={"roles": "Deputy wrote this."},
    )
    assert PlanVersion.objects.get(pk=version.pk).sections["roles"] == "Deputy wrote this."
