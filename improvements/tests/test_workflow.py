"""The rules of Act at the service level (A1-A5)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts import roles
from improvements import permissions, services
from improvements.models import Improvement, Project
from pdca.exceptions import NotAllowed, RuleViolation
from pdca.models import Notification
from plans import services as plan_services
from reviews.models import Finding
from reviews.tests import factories as review_factories

pytestmark = pytest.mark.django_db
Status = Improvement.Status


def _approved_with_baseline(improvement, csi_owner, owner, kpi):
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    review_factories.record_monthly(kpi, owner, [91, 92, 93])
    services.take_baseline(improvement=improvement, actor=owner, baseline_on=timezone.localdate(), kpis=[kpi])
    services.accept_baseline(improvement=improvement, actor=owner)
    return Improvement.objects.get(pk=improvement.pk)


# -- A1 ----------------------------------------------------------------------------------


def test_the_csi_owners_named_in_the_principle_in_force_hold_the_rights(
    csi_principle, csi_owner, manager, manager2, owner
):
    assert permissions.is_csi_owner(csi_owner)
    assert csi_owner.groups.filter(name=roles.CSI_OWNER).exists()
    # A new version names somebody else: the rights go with it.
    draft = plan_services.revise_plan(plan=csi_principle, actor=manager2)
    plan_services.set_responsibilities(
        version=draft,
        actor=manager2,
        assignments={kind: [manager2] for kind in ("review", "communication", "implementation", "updating")}
        | {"approval": [manager], "csi_owner": [owner]},
    )
    from plans.tests import factories as plan_factories

    plan_factories.submit_and_review(draft, manager2)
    plan_services.approve_plan(version=draft, actor=manager)
    csi_owner.refresh_from_db()
    assert not permissions.is_csi_owner(type(csi_owner).objects.get(pk=csi_owner.pk))
    assert not csi_owner.groups.filter(name=roles.CSI_OWNER).exists()
    assert permissions.is_csi_owner(type(owner).objects.get(pk=owner.pk))


def test_without_a_csi_principle_in_force_nobody_approves_improvements(
    smp, owner, csi_owner, communicated_plan
):
    improvement = services.propose_improvement(
        actor=owner, title="Faster triage", description="Triage rules", processes=[communicated_plan.process]
    )
    with pytest.raises(NotAllowed, match="CSI principle in force"):
        services.approve_improvement(improvement=improvement, actor=csi_owner)


# -- A2 ----------------------------------------------------------------------------------------


def test_a_nonconformity_or_opportunity_creates_exactly_one_improvement(reviewed_findings, manager):
    improvements = Improvement.objects.order_by("number")
    sources = {i.finding.grade for i in improvements}
    assert sources == {Finding.Grade.MAJOR, Finding.Grade.MINOR, Finding.Grade.OPPORTUNITY}
    major = reviewed_findings[Finding.Grade.MAJOR]
    assert major.improvement.finding == major and major.improvement.status == Status.PROPOSED
    assert major.improvement.owner == major.process.owner  # A3: one process, its owner
    # The approval's work retried: nothing more.
    services.raise_from_approved_review(review=major.review, actor=manager)
    assert Improvement.objects.count() == 3


def test_an_observation_is_promoted_by_hand(reviewed_findings, csi_owner, staff):
    observation = reviewed_findings[Finding.Grade.OBSERVATION]
    with pytest.raises(NotAllowed):
        services.promote_observation(finding=observation, actor=staff)
    improvement = services.promote_observation(finding=observation, actor=csi_owner)
    assert improvement.finding == observation and Improvement.objects.count() == 4


# -- A3 ---------------------------------------------------------------------------------------


def test_a_multi_process_or_company_wide_improvement_is_approved_only_with_a_project(
    csi_principle, owner, other_owner, csi_owner, manager, communicated_plan
):
    from plans.tests.factories import ProcessFactory

    second = ProcessFactory(name="Change management", owner=other_owner)
    improvement = services.propose_improvement(
        actor=owner,
        title="One toolchain",
        description="Incidents and changes in one tool",
        processes=[communicated_plan.process, second],
        scope=Improvement.Scope.PROCESSES,
        owner=other_owner,
    )
    with pytest.raises(RuleViolation, match="project"):
        services.approve_improvement(improvement=improvement, actor=csi_owner)
    assert Improvement.objects.get(pk=improvement.pk).status == Status.PROPOSED
    project = services.save_project(
        actor=csi_owner,
        name="Toolchain 2027",
        manager=other_owner,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=120),
        improvements=[improvement],
    )
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    services.approve_project(project=project, actor=manager)
    assert Project.objects.get(pk=project.pk).status == Project.Status.RUNNING


# -- A4 --------------------------------------------------------------------------------------------


def test_implementation_is_refused_without_a_baseline(reviewed_findings, csi_owner, owner):
    improvement = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    with pytest.raises(RuleViolation, match="baseline"):
        services.start_implementation(improvement=improvement, actor=owner)
    assert Improvement.objects.get(pk=improvement.pk).status == Status.APPROVED


def test_the_baseline_is_the_last_measurement_before_its_date(reviewed_findings, csi_owner, owner, kpi):
    improvement = _approved_with_baseline(
        reviewed_findings[Finding.Grade.OPPORTUNITY].improvement, csi_owner, owner, kpi
    )
    value = improvement.baseline.get()
    assert (value.value, value.from_measurements, value.label) == (Decimal("93"), True, kpi.metric)
    with pytest.raises(Exception, match="accepted"):
        services.take_baseline(
            improvement=improvement, actor=owner, baseline_on=timezone.localdate(), kpis=[kpi]
        )


# -- A5 ------------------------------------------------------------------------------------------------


def _implemented_nonconformity(reviewed_findings, csi_owner, owner, kpi):
    improvement = _approved_with_baseline(
        reviewed_findings[Finding.Grade.MINOR].improvement, csi_owner, owner, kpi
    )
    services.start_implementation(improvement=improvement, actor=owner)
    with pytest.raises(RuleViolation, match="root cause"):
        services.mark_implemented(improvement=improvement, actor=owner)
    services.record_nonconformity_handling(
        improvement=improvement,
        actor=owner,
        correction="Escalated the open tickets.",
        root_cause="The escalation timer was not configured for priority 2.",
        root_cause_method="5 whys",
        similar_elsewhere="Checked service requests: not affected.",
        corrective_action="Timers configured for every priority.",
    )
    services.mark_implemented(improvement=improvement, actor=owner)
    today = timezone.localdate()
    services.record_result(
        improvement=improvement,
        actor=owner,
        kpi=kpi,
        label=kpi.metric,
        value=Decimal("97"),
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
    )
    return Improvement.objects.get(pk=improvement.pk)


def test_a_failed_effectiveness_check_reopens_and_notifies(reviewed_findings, csi_owner, owner, kpi):
    improvement = _implemented_nonconformity(reviewed_findings, csi_owner, owner, kpi)
    services.check_effectiveness(
        improvement=improvement, actor=csi_owner, effective=False, evidence="Still 3 late escalations."
    )
    improvement = Improvement.objects.get(pk=improvement.pk)
    assert improvement.status == Status.IN_IMPLEMENTATION and improvement.effective is False
    assert Notification.objects.filter(recipient=owner, subject__startswith="Not effective").exists()


def test_a_nonconformity_closes_only_when_eliminated_and_its_finding_closes_with_it(
    reviewed_findings, csi_owner, owner, kpi
):
    improvement = _implemented_nonconformity(reviewed_findings, csi_owner, owner, kpi)
    with pytest.raises(RuleViolation):
        services.close_improvement(improvement=improvement, actor=csi_owner)  # not evaluated yet
    services.check_effectiveness(
        improvement=improvement, actor=csi_owner, effective=True, evidence="No late escalation in 30 days."
    )
    Improvement.objects.filter(pk=improvement.pk).update(corrective_action="")
    with pytest.raises(RuleViolation, match="corrective action"):
        services.close_improvement(improvement=improvement, actor=csi_owner)
    Improvement.objects.filter(pk=improvement.pk).update(
        corrective_action="Timers configured for every priority."
    )
    services.close_improvement(improvement=improvement, actor=csi_owner)
    improvement = Improvement.objects.get(pk=improvement.pk)
    assert improvement.status == Status.CLOSED
    finding = Finding.objects.get(pk=improvement.finding_id)
    assert finding.status == Finding.Status.CLOSED and finding.closed_by == csi_owner


def test_a_nonconformity_is_never_rejected(reviewed_findings, csi_owner):
    with pytest.raises(RuleViolation, match="eliminated"):
        services.reject_improvement(
            improvement=reviewed_findings[Finding.Grade.MAJOR].improvement, actor=csi_owner, reason="No."
        )


def test_nobody_decides_on_what_he_proposed(csi_principle, csi_owner, communicated_plan, manager2):
    improvement = services.propose_improvement(
        actor=csi_owner, title="x", description="y", processes=[communicated_plan.process]
    )
    with pytest.raises(NotAllowed, match="proposed"):
        services.approve_improvement(improvement=improvement, actor=csi_owner)


def test_the_owner_of_the_observations_process_promotes_it_and_the_answer_is_one(
    reviewed_findings, owner, other_owner, staff
):
    observation = reviewed_findings[Finding.Grade.OBSERVATION]
    # The same predicate answers the service, the page and the API.
    assert permissions.promote_refusal(staff, observation)
    assert permissions.promote_refusal(staff)  # owns no process at all
    from plans.tests.factories import ProcessFactory

    ProcessFactory(name="Change management", owner=other_owner)
    assert permissions.promote_refusal(other_owner, observation)  # owns another process
    assert not permissions.promote_refusal(other_owner)  # ... but may promote some observation
    assert not permissions.promote_refusal(owner, observation)
    improvement = services.promote_observation(finding=observation, actor=owner)
    assert improvement.finding == observation


def test_a_stale_save_of_the_root_cause_is_refused_and_changes_nothing(reviewed_findings, csi_owner, owner):
    from pdca.exceptions import Conflict

    improvement = reviewed_findings[Finding.Grade.MAJOR].improvement
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    improvement = Improvement.objects.get(pk=improvement.pk)
    read = improvement.revision
    services.record_nonconformity_handling(
        improvement=improvement, actor=owner, expected_revision=read, root_cause="Timers off."
    )
    with pytest.raises(Conflict):
        services.record_nonconformity_handling(
            improvement=improvement, actor=owner, expected_revision=read, root_cause="Overwritten."
        )
    assert Improvement.objects.get(pk=improvement.pk).root_cause == "Timers off."


def test_a_project_milestone_says_which_field_is_missing(csi_principle, csi_owner, other_owner):
    project = services.save_project(
        actor=csi_owner,
        name="Toolchain 2027",
        manager=other_owner,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate() + datetime.timedelta(days=120),
    )
    with pytest.raises(RuleViolation) as missing_date:
        services.save_project_milestone(project=project, actor=csi_owner, title="Pilot", due_on=None)
    assert missing_date.value.field == "due_on"
    with pytest.raises(RuleViolation) as missing_title:
        services.save_project_milestone(
            project=project, actor=csi_owner, title=" ", due_on=timezone.localdate()
        )
    assert missing_title.value.field == "title"
    assert not project.milestones.exists()
    actions = permissions.project_actions(csi_owner, project)
    assert "edit" in actions.allowed() and "approve" in actions.refused()  # a manager approves
