"""Segregation of duties end to end (P3, DESIGN "Cross-cutting"): the named
reviewer reviews before the approver decides, one person is both only where
the plan allows it, nobody approves what he or she wrote or edited, the
superuser flag is no business right, and the named updaters edit the drafts."""

import pytest
from guardian.shortcuts import assign_perm

from accounts import roles
from accounts.tests.factories import UserFactory
from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.models import Decision
from plans import permissions, services
from plans.models import PlanVersion, Responsibility
from plans.tests import factories

pytestmark = pytest.mark.django_db
Status = PlanVersion.Status


def _assign(version, actor, **people):
    kinds = {kind: people.get(kind, [actor]) for kind in Responsibility.Kind.values}
    return services.set_responsibilities(
        version=version,
        actor=actor,
        assignments=kinds,
        reviewer_may_approve=people.get("reviewer_may_approve"),
    )


# -- the review step ----------------------------------------------------------------------


def test_the_approver_decides_only_after_the_named_reviewer_reviewed(process_plan, owner, manager):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    with pytest.raises(Conflict, match="review first"):
        services.approve_plan(version=version, actor=manager)
    services.review_plan(version=version, actor=owner, comment="Checked.")
    services.approve_plan(version=version, actor=manager)
    actions = list(Decision.objects.for_object(version).values_list("action", "actor__username"))
    assert actions[-2:] == [("review", "owner"), ("approve", "manager")]
    stored = PlanVersion.objects.get(pk=version.pk)
    assert stored.reviewed_by == owner and stored.approved_content["review"]["by"]["id"] == owner.pk


def test_only_the_named_reviewer_reviews(process_plan, owner, other_owner, manager, auditor):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    for outsider in (other_owner, manager, auditor):
        with pytest.raises(NotAllowed):
            services.review_plan(version=version, actor=outsider)
    assert PlanVersion.objects.get(pk=version.pk).status == Status.IN_REVIEW


def test_reviewer_and_approver_are_two_people_unless_the_plan_allows_one(smp, owner, manager):
    plan = factories.draft_process_plan(owner, manager, name="Problem management")
    version = plan.latest_version
    _assign(version, owner, review=[manager], approval=[manager])
    problems = services.submission_problems(PlanVersion.objects.get(pk=version.pk))
    assert any("both reviewer and approver" in p for p in problems["responsibilities"])
    with pytest.raises(RuleViolation):
        services.submit_plan(version=version, actor=owner)

    _assign(
        PlanVersion.objects.get(pk=version.pk),
        owner,
        review=[manager],
        approval=[manager],
        reviewer_may_approve=True,
    )
    services.submit_plan(version=version, actor=owner)
    # Allowed: the one person reviews and approves in a single step; both decisions are recorded.
    services.approve_plan(version=version, actor=manager)
    assert PlanVersion.objects.get(pk=version.pk).status == Status.APPROVED
    actions = list(Decision.objects.for_object(version).values_list("action", "actor__username"))
    assert actions[-2:] == [("review", "manager"), ("approve", "manager")]


def test_the_reviewer_or_the_approver_can_send_a_version_in_review_back(process_plan, owner, manager):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    services.request_changes(version=version, actor=owner, comment="I found a gap myself.")
    assert PlanVersion.objects.get(pk=version.pk).status == Status.DRAFT
    factories.submit_and_review(version, owner)
    services.request_changes(version=version, actor=manager, comment="Name the escalation path.")
    stored = PlanVersion.objects.get(pk=version.pk)
    assert (stored.status, stored.reviewed_by, stored.reviewed_at) == (Status.DRAFT, None, None)


# -- nobody approves what he or she wrote or edited ---------------------------------------


def test_an_editor_of_any_part_of_the_draft_cannot_approve_it(smp, owner, manager):
    plan = factories.draft_process_plan(owner, manager, name="Problem management")
    version = plan.latest_version
    assign_perm("plans.change_plan", manager, plan)
    # The approver edits one KPI, and the owner edits after him: he is not the last editor.
    kpi = version.objectives.get().kpis.get()
    services.save_kpi(
        objective=kpi.objective,
        kpi=kpi,
        actor=manager,
        metric=kpi.metric,
        unit=kpi.unit,
        direction=kpi.direction,
        target=kpi.target,
        owner=kpi.owner,
        frequency=kpi.frequency,
    )
    factories.fill_sections(PlanVersion.objects.get(pk=version.pk), owner)
    version = PlanVersion.objects.get(pk=version.pk)
    assert version.last_editor == owner and manager in version.editors.all()
    assert any("edited it before" in p for p in services.submission_problems(version)["responsibilities"])
    # Should it reach a decision anyway, the approval itself refuses.
    PlanVersion.objects.filter(pk=version.pk).update(status=Status.REVIEWED)
    with pytest.raises(NotAllowed, match="editors"):
        services.approve_plan(version=version, actor=manager)
    assert PlanVersion.objects.get(pk=version.pk).status == Status.REVIEWED


def test_a_superuser_who_is_not_a_manager_cannot_approve(smp, owner, manager):
    root = UserFactory(username="root", is_superuser=True, is_staff=True, roles=[roles.ADMINISTRATOR])
    assert root.has_perm("plans.approve_plan") and not permissions.is_manager(root)
    plan = factories.draft_process_plan(owner, manager, name="Problem management")
    version = plan.latest_version
    with pytest.raises(RuleViolation, match="must be a manager"):
        _assign(version, owner, approval=[root])
    # Named behind the services' back while a draft, and brought to a decision: the approval still refuses him.
    Responsibility.objects.filter(version=version, kind="approval").update(user=root)
    PlanVersion.objects.filter(pk=version.pk).update(status=Status.REVIEWED)
    with pytest.raises(NotAllowed, match="Only a manager"):
        services.approve_plan(version=version, actor=root)


def test_a_superuser_does_not_edit_plans_he_holds_no_responsibility_for(process_plan):
    root = UserFactory(username="root", is_superuser=True, is_staff=True, roles=[roles.ADMINISTRATOR])
    version = process_plan.latest_version
    with pytest.raises(NotAllowed):
        services.update_draft(
            version=version, actor=root, expected_revision=version.revision, sections={"roles": "x"}
        )


def test_the_named_updater_edits_the_plans_drafts(smp, owner, other_owner, manager):
    plan = factories.draft_process_plan(owner, manager, name="Problem management")
    version = plan.latest_version
    assert not permissions.can_edit_plan(other_owner, plan)
    _assign(version, owner, updating=[owner, other_owner], approval=[manager])
    version = PlanVersion.objects.get(pk=version.pk)
    services.update_draft(
        version=version, actor=other_owner, expected_revision=version.revision, sections={"roles": "Updated."}
    )
    assert PlanVersion.objects.get(pk=version.pk).sections["roles"] == "Updated."
