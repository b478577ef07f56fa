"""D1-D3: implementation status, milestones, KPI operators and handover."""

import datetime

import pytest
from django.utils import timezone

from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.models import Decision
from plans import permissions, services
from plans.do import selectors
from plans.do import services as implementation
from plans.models import Handover, Kpi, Plan
from plans.tests import factories

InOperation = Plan.ImplementationStatus.IN_OPERATION


def _assign_all_kpis(plan, actor, operator):
    for kpi in selectors.current_kpis(plan):
        implementation.assign_kpi_operator(kpi=kpi, actor=actor, operator=operator)


@pytest.mark.django_db
def test_implementation_starts_only_for_a_communicated_plan(approved_plan, owner):
    with pytest.raises(RuleViolation) as refused:
        implementation.start_implementation(plan=approved_plan, actor=owner)
    assert "communicated" in refused.value.message
    assert Plan.objects.get(pk=approved_plan.pk).implementation_status == "not_started"


@pytest.mark.django_db
def test_only_the_implementation_responsibility_starts_and_plans_milestones(
    communicated_plan, other_owner, auditor
):
    for user in (other_owner, auditor):
        with pytest.raises(NotAllowed):
            implementation.start_implementation(plan=communicated_plan, actor=user)
        with pytest.raises(NotAllowed):
            implementation.save_milestone(
                plan=communicated_plan, actor=user, title="X", owner=user, due_on=timezone.localdate()
            )
    assert communicated_plan.milestones.count() == 0


@pytest.mark.django_db
def test_milestones_are_planned_done_and_overdue_ones_are_found(implementing_plan, owner):
    today = timezone.localdate()
    late = implementation.save_milestone(
        plan=implementing_plan,
        actor=owner,
        title="Train staff",
        owner=owner,
        due_on=today - datetime.timedelta(days=3),
    )
    later = implementation.save_milestone(
        plan=implementing_plan,
        actor=owner,
        title="Configure tool",
        owner=owner,
        due_on=today + datetime.timedelta(days=10),
    )
    assert late.is_overdue and not later.is_overdue
    assert list(implementing_plan.milestones.overdue()) == [late]
    implementation.complete_milestone(milestone=late, actor=owner, evidence="Training records in HR system")
    late.refresh_from_db()
    assert late.done_on == today and not late.is_overdue
    assert selectors.progress(implementing_plan) == {"done": 1, "total": 2, "percent": 50}
    with pytest.raises(Conflict):
        implementation.complete_milestone(milestone=late, actor=owner)


@pytest.mark.django_db
def test_milestone_needs_title_owner_and_due_date(implementing_plan, owner):
    with pytest.raises(RuleViolation) as refused:
        implementation.save_milestone(plan=implementing_plan, actor=owner, title="", owner=None, due_on=None)
    assert set(refused.value.errors) == {"title", "owner", "due_on"}
    assert implementing_plan.milestones.count() == 0


@pytest.mark.django_db
def test_in_operation_is_refused_without_an_accepted_handover(implementing_plan, owner):
    with pytest.raises(RuleViolation) as refused:
        implementation.change_implementation_status(plan=implementing_plan, actor=owner, status=InOperation)
    assert "handover" in refused.value.message
    assert Plan.objects.get(pk=implementing_plan.pk).implementation_status == "in_implementation"


@pytest.mark.django_db
def test_handover_without_acceptance_changes_nothing(implementing_plan, owner, operators):
    implementation.propose_handover(
        plan=implementing_plan, actor=owner, receivers=operators, open_points="None"
    )
    plan = Plan.objects.get(pk=implementing_plan.pk)
    assert plan.implementation_status == "in_implementation"
    assert permissions.implementation_holders(plan) == [owner]


@pytest.mark.django_db
def test_only_receivers_can_accept_or_decline(implementing_plan, owner, operators, other_owner):
    _assign_all_kpis(implementing_plan, owner, operators[0])
    handover = implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    for user in (owner, other_owner):
        with pytest.raises(NotAllowed):
            implementation.accept_handover(handover=handover, actor=user)
        with pytest.raises(NotAllowed):
            implementation.decline_handover(handover=handover, actor=user, reason="No")
    assert Handover.objects.get(pk=handover.pk).status == "proposed"


@pytest.mark.django_db
def test_accepted_handover_makes_receivers_responsible_and_the_plan_in_operation(
    implementing_plan, owner, operators
):
    _assign_all_kpis(implementing_plan, owner, operators[0])
    handover = implementation.propose_handover(
        plan=implementing_plan, actor=owner, receivers=operators, documents="Runbook\nOn-call rota"
    )
    implementation.accept_handover(handover=handover, actor=operators[1])
    plan = Plan.objects.get(pk=implementing_plan.pk)
    assert plan.implementation_status == InOperation
    assert set(permissions.implementation_holders(plan)) == set(operators)
    # The operators now hold the responsibility: they plan milestones, the implementer no longer does.
    implementation.save_milestone(
        plan=plan,
        actor=operators[0],
        title="First monthly report",
        owner=operators[0],
        due_on=timezone.localdate(),
    )
    with pytest.raises(NotAllowed):
        implementation.save_milestone(
            plan=plan, actor=owner, title="X", owner=owner, due_on=timezone.localdate()
        )
    timeline = selectors.responsibility_timeline(plan)
    assert [entry["holders"] for entry in timeline] == [[owner], list(handover.receivers.all())]
    assert Decision.objects.for_object(handover).filter(action="accept_handover", actor=operators[1]).exists()
    with pytest.raises(Conflict):
        implementation.accept_handover(handover=handover, actor=operators[0])


@pytest.mark.django_db
def test_decline_keeps_the_old_responsibility(implementing_plan, owner, operators):
    handover = implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    with pytest.raises(RuleViolation):
        implementation.decline_handover(handover=handover, actor=operators[0], reason=" ")
    implementation.decline_handover(handover=handover, actor=operators[0], reason="Runbook is missing.")
    plan = Plan.objects.get(pk=implementing_plan.pk)
    assert plan.implementation_status == "in_implementation"
    assert permissions.implementation_holders(plan) == [owner]
    assert owner.notifications.filter(subject__startswith="Handover declined").exists()
    # A new proposal is possible after the decline.
    implementation.propose_handover(plan=plan, actor=owner, receivers=operators[:1])


@pytest.mark.django_db
def test_a_process_in_operation_needs_an_operator_for_each_kpi(implementing_plan, owner, operators):
    handover = implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    with pytest.raises(RuleViolation) as refused:
        implementation.accept_handover(handover=handover, actor=operators[0])
    assert "operator for each KPI" in refused.value.message
    assert Plan.objects.get(pk=implementing_plan.pk).implementation_status == "in_implementation"
    assert Handover.objects.get(pk=handover.pk).status == "proposed"


@pytest.mark.django_db
def test_only_one_open_handover_at_a_time(implementing_plan, owner, operators):
    implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    with pytest.raises(Conflict):
        implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)


@pytest.mark.django_db
def test_handover_needs_a_receiver_and_a_started_implementation(communicated_plan, owner, operators):
    with pytest.raises(RuleViolation):
        implementation.propose_handover(plan=communicated_plan, actor=owner, receivers=operators)
    implementation.start_implementation(plan=communicated_plan, actor=owner)
    with pytest.raises(RuleViolation) as refused:
        implementation.propose_handover(plan=communicated_plan, actor=owner, receivers=[])
    assert refused.value.field == "receivers"


@pytest.mark.django_db
def test_kpi_operators_carry_over_to_the_next_approved_version(implementing_plan, owner, manager, operators):
    _assign_all_kpis(implementing_plan, owner, operators[0])
    draft = services.revise_plan(plan=implementing_plan, actor=owner)
    services.submit_plan(version=draft, actor=owner)
    services.review_plan(version=draft, actor=owner)
    services.approve_plan(version=draft, actor=manager)
    new_kpis = Kpi.objects.filter(objective__version=draft)
    assert new_kpis.exists()
    assert all(k.assignment.operator == operators[0] for k in new_kpis)


def _handed_over(plan, owner, operators):
    _assign_all_kpis(plan, owner, operators[0])
    handover = implementation.propose_handover(plan=plan, actor=owner, receivers=operators)
    implementation.accept_handover(handover=handover, actor=operators[0])
    return Plan.objects.get(pk=plan.pk)


@pytest.mark.django_db
def test_after_a_handover_the_next_version_names_the_receivers_as_implementers(
    implementing_plan, owner, operators, client_for
):
    plan = _handed_over(implementing_plan, owner, operators)
    assert set(permissions.implementation_holders(plan)) == set(operators)
    html = client_for(owner).get(plan.get_absolute_url()).content.decode()
    assert "Omar Ortiz" in html and "since the handover of" in html
    draft = services.revise_plan(plan=plan, actor=owner)
    assert set(draft.responsible("implementation")) == set(operators)
    assert draft.responsible("review") == [owner]  # the other responsibilities are copied as they were


@pytest.mark.django_db
def test_a_handover_under_an_older_version_does_not_outrank_a_newer_approved_version(
    implementing_plan, owner, manager, operators
):
    plan = _handed_over(implementing_plan, owner, operators)
    draft = services.revise_plan(plan=plan, actor=owner)
    factories.assign_all_responsibilities(draft, owner, manager)  # the owner implements again
    factories.submit_and_review(draft, owner)
    services.approve_plan(version=draft, actor=manager)
    plan = Plan.objects.get(pk=plan.pk)
    assert permissions.implementation_holders(plan) == [owner]
