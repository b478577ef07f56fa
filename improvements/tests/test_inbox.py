"""Act's tasks in the inbox: each kind lists exactly the user's open tasks (not
another user's, and not once done, by whoever did it), with the reason."""

import datetime

import pytest
from django.utils import timezone

from improvements import services
from improvements.models import Improvement
from pdca.inbox import inbox
from reviews.models import Finding
from reviews.tests import factories as review_factories

from .test_views_improvements import approve_with_baseline, handle_nonconformity, implemented_with_result

pytestmark = pytest.mark.django_db


def tasks(user, kind):
    return inbox(user, kind).tasks


def codes(user, kind):
    return sorted(task.object_label.split(":")[0] for task in tasks(user, kind))


def improvement_of(findings, grade):
    return Improvement.objects.get(finding=findings[grade])


def test_a_csi_owner_is_asked_to_approve_the_proposed_improvements(
    reviewed_findings, csi_owner, owner, manager
):
    proposed = Improvement.objects.filter(status=Improvement.Status.PROPOSED).order_by("number")
    assert codes(csi_owner, "improvement_approval") == sorted(i.code for i in proposed) != []
    listed = {task.object_label: task for task in tasks(csi_owner, "improvement_approval")}
    for improvement in proposed:
        task = listed[str(improvement)]
        assert task.title == f"Approve or reject {improvement}" and task.url == improvement.get_absolute_url()
        assert task.reason == (improvement.justification or improvement.description)
        assert task.actor_name == (str(improvement.raised_by) if improvement.raised_by else "")
        assert task.since == improvement.raised_on and task.due_on == improvement.required_by
    assert tasks(owner, "improvement_approval") == [] and tasks(manager, "improvement_approval") == []
    for improvement in proposed:
        services.approve_improvement(improvement=improvement, actor=csi_owner)
    assert tasks(csi_owner, "improvement_approval") == []


def test_a_csi_owner_is_not_asked_to_approve_what_he_proposed(csi_principle, csi_owner, communicated_plan):
    services.propose_improvement(
        actor=csi_owner, title="Mine", description="x", processes=[communicated_plan.process]
    )
    assert tasks(csi_owner, "improvement_approval") == []


def test_the_owner_carries_out_an_approved_improvement_step_by_step(
    reviewed_findings, csi_owner, owner, other_owner, kpi
):
    improvement = improvement_of(reviewed_findings, Finding.Grade.OPPORTUNITY)
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    [task] = tasks(owner, "improvement_carry_out")
    assert task.title.startswith("Document the baseline") and task.url == improvement.get_absolute_url()
    assert tasks(other_owner, "improvement_carry_out") == []
    assert tasks(csi_owner, "improvement_carry_out") == []
    assert tasks(owner, "nonconformity") == []  # an opportunity is no nonconformity
    review_factories.record_monthly(kpi, owner, [91, 92, 93])
    services.take_baseline(improvement=improvement, actor=owner, baseline_on=timezone.localdate(), kpis=[kpi])
    services.accept_baseline(improvement=improvement, actor=owner)
    assert tasks(owner, "improvement_carry_out")[0].title.startswith("Start implementing")
    services.start_implementation(improvement=improvement, actor=owner)
    assert tasks(owner, "improvement_carry_out")[0].title.startswith("Implement ")
    services.mark_implemented(improvement=improvement, actor=owner)
    assert tasks(owner, "improvement_carry_out")[0].title.startswith("Record the achieved values")
    today = timezone.localdate()
    services.record_result(
        improvement=improvement,
        actor=owner,
        kpi=kpi,
        label=kpi.metric,
        value=97,
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
    )
    assert tasks(owner, "improvement_carry_out") == []


def test_the_owner_is_asked_to_eliminate_a_nonconformity(
    reviewed_findings, csi_owner, owner, other_owner, kpi
):
    improvement = improvement_of(reviewed_findings, Finding.Grade.MAJOR)
    improvement = approve_with_baseline(improvement, csi_owner, owner, kpi)
    services.start_implementation(improvement=improvement, actor=owner)
    [task] = tasks(owner, "nonconformity")
    assert "root cause" in task.reason and task.url == improvement.get_absolute_url()
    assert tasks(other_owner, "nonconformity") == [] and tasks(owner, "improvement_carry_out") == []
    handle_nonconformity(Improvement.objects.get(pk=improvement.pk), owner)
    [task] = tasks(owner, "nonconformity")
    assert "mark it implemented" in task.reason
    services.mark_implemented(improvement=Improvement.objects.get(pk=improvement.pk), actor=owner)
    assert tasks(owner, "nonconformity")[0].title.startswith("Record the achieved values")


def test_a_csi_owner_is_asked_to_check_the_effectiveness_then_to_close(
    reviewed_findings, csi_owner, owner, kpi
):
    improvement = improvement_of(reviewed_findings, Finding.Grade.OPPORTUNITY)
    improvement = implemented_with_result(improvement, csi_owner, owner, kpi)
    [task] = tasks(csi_owner, "improvement_verify")
    # Read as plain rows (a CSI owner has a thousand): the same words as the object would give.
    assert task.title == f"Check the effectiveness of {improvement}"
    assert task.object_label == str(improvement) and task.url == improvement.get_absolute_url()
    assert task.actor_name == str(owner) and task.due_on == improvement.required_by
    assert task.since == improvement.implemented_at
    assert tasks(owner, "improvement_verify") == []
    services.check_effectiveness(improvement=improvement, actor=csi_owner, effective=True, evidence="Met.")
    [task] = tasks(csi_owner, "improvement_verify")
    assert task.title == f"Close {improvement}" and task.reason == "Found effective: close it."
    assert task.since == Improvement.objects.get(pk=improvement.pk).evaluated_at
    services.close_improvement(improvement=Improvement.objects.get(pk=improvement.pk), actor=csi_owner)
    assert tasks(csi_owner, "improvement_verify") == []


def test_managers_who_neither_manage_nor_set_up_a_project_are_asked_to_approve_it(
    csi_principle, csi_owner, other_owner, manager, manager2
):
    today = timezone.localdate()
    project = services.save_project(
        actor=csi_owner,
        name="Identity 2026",
        manager=other_owner,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=90),
        description="One sign-on for every service desk tool.",
    )
    for approver in (manager, manager2):
        [task] = tasks(approver, "project_approval")
        assert (
            task.reason == "One sign-on for every service desk tool."
            and task.url == project.get_absolute_url()
        )
    assert tasks(csi_owner, "project_approval") == [] and tasks(other_owner, "project_approval") == []
    services.approve_project(project=project, actor=manager)
    assert tasks(manager, "project_approval") == [] and tasks(manager2, "project_approval") == []


def test_acts_sources_run_a_constant_number_of_queries(
    reviewed_findings, csi_owner, owner, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    process = improvement_of(reviewed_findings, Finding.Grade.MAJOR).processes.get()
    with CaptureQueriesContext(connection) as few:
        before = len(inbox(csi_owner, "improvement_approval").tasks)
    for n in range(8):
        services.propose_improvement(actor=owner, title=f"More {n}", description="x", processes=[process])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(inbox(csi_owner, "improvement_approval").tasks) == before + 8
