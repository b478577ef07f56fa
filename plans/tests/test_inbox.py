"""Plan's and Do's tasks in the inbox: each kind lists exactly the user's open
tasks (not another user's, and not once done, by whoever did it), with the
reason that caused it; the inbox page and API run a constant number of
queries whatever the number of tasks."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from pdca.inbox import inbox
from plans import services
from plans.do import services as implementation
from plans.models import Plan
from plans.tests import factories

pytestmark = pytest.mark.django_db


def tasks(user, kind):
    return inbox(user, kind).tasks


def titles(user, kind):
    return [task.title for task in tasks(user, kind)]


# -- Plan ------------------------------------------------------------------------------


def test_the_named_reviewer_is_asked_to_review_with_the_submit_note(
    process_plan, owner, manager, other_owner
):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner, comment="Escalation path added.")
    [task] = tasks(owner, "plan_review")  # the builders name the owner as reviewer
    assert task.title == "Review Incident management plan, version 1"
    # Who submitted is not said when it is the reader: the builders name the author reviewer.
    assert task.reason == "Escalation path added." and task.actor_name == ""
    assert task.url == version.get_absolute_url()
    assert tasks(manager, "plan_review") == [] and tasks(other_owner, "plan_review") == []
    services.review_plan(version=version, actor=owner)
    assert tasks(owner, "plan_review") == []


def test_the_named_approver_is_asked_to_decide_until_somebody_decides(process_plan, owner, manager, manager2):
    version = process_plan.latest_version
    assert tasks(manager, "plan_approval") == []  # a draft waits for nobody's decision
    services.submit_plan(version=version, actor=owner, comment="Ready.")
    assert tasks(manager, "plan_approval") == []  # it waits for its review first
    services.review_plan(version=version, actor=owner)
    [task] = tasks(manager, "plan_approval")
    assert task.reason == "Ready." and task.url == version.get_absolute_url()
    assert tasks(manager2, "plan_approval") == []  # a manager not named as approver
    services.approve_plan(version=version, actor=manager)
    assert tasks(manager, "plan_approval") == []


def test_changes_requested_show_their_reason_to_the_author_until_resubmitted(
    process_plan, owner, manager, other_owner
):
    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    services.request_changes(version=version, actor=manager, comment="Name the escalation path.")
    [task] = tasks(owner, "plan_changes_requested")
    assert task.reason == "Name the escalation path."
    assert task.actor_name == str(manager) and task.url == version.get_absolute_url()
    assert tasks(other_owner, "plan_changes_requested") == []
    assert tasks(manager, "plan_changes_requested") == []
    services.submit_plan(version=version, actor=owner)
    assert tasks(owner, "plan_changes_requested") == []


def test_a_new_revision_is_not_a_draft_with_changes_requested(approved_plan, owner):
    services.revise_plan(plan=approved_plan, actor=owner)
    assert tasks(owner, "plan_changes_requested") == []


def test_recipients_are_asked_to_acknowledge_until_they_have(communicated_plan, owner, staff, manager):
    version = communicated_plan.current_version
    [task] = tasks(staff, "plan_acknowledge")
    assert task.url == version.get_absolute_url() and task.actor_name == str(owner)
    assert tasks(owner, "plan_acknowledge") == [] and tasks(manager, "plan_acknowledge") == []
    services.acknowledge_plan(version=version, actor=staff)
    assert tasks(staff, "plan_acknowledge") == []


def _approve_a_new_smp_version(manager, manager2):
    revision = services.revise_plan(plan=services.current_smp(), actor=manager2)
    services.update_draft(
        version=revision, actor=manager2, expected_revision=revision.revision, sections={"scope": "Wider."}
    )
    factories.submit_and_review(revision, manager2)
    services.approve_plan(version=revision, actor=manager)


def test_the_owner_is_asked_for_a_conformance_review_until_confirmed(
    approved_plan, owner, other_owner, manager, manager2
):
    _approve_a_new_smp_version(manager, manager2)
    [task] = tasks(owner, "plan_conformance")
    assert "SMP version 2 approved" in task.reason and task.url == approved_plan.get_absolute_url()
    assert tasks(other_owner, "plan_conformance") == [] and tasks(manager, "plan_conformance") == []
    services.confirm_conformance(plan=Plan.objects.get(pk=approved_plan.pk), actor=owner)
    assert tasks(owner, "plan_conformance") == []


# -- Do --------------------------------------------------------------------------------


def test_receivers_are_asked_to_decide_a_handover_until_one_accepts(implementing_plan, owner, operators):
    for kpi in factories_kpis(implementing_plan):
        implementation.assign_kpi_operator(kpi=kpi, actor=owner, operator=operators[0])
    handover = implementation.propose_handover(
        plan=implementing_plan, actor=owner, receivers=operators, open_points="The night shift rota."
    )
    for receiver in operators:
        [task] = tasks(receiver, "handover")
        assert task.reason == "The night shift rota." and task.actor_name == str(owner)
    assert tasks(owner, "handover") == []
    implementation.accept_handover(handover=handover, actor=operators[1])
    assert tasks(operators[0], "handover") == [] and tasks(operators[1], "handover") == []


def factories_kpis(plan):
    from plans.do.selectors import current_kpis

    return list(current_kpis(Plan.objects.get(pk=plan.pk)))


def test_milestone_owners_are_told_of_milestones_due_until_done(implementing_plan, owner, operators):
    today = timezone.localdate()
    overdue = implementation.save_milestone(
        plan=implementing_plan,
        actor=owner,
        title="Write the runbook",
        owner=owner,
        due_on=today - datetime.timedelta(1),
    )
    implementation.save_milestone(
        plan=implementing_plan, actor=owner, title="Later", owner=owner, due_on=today + datetime.timedelta(60)
    )
    implementation.save_milestone(
        plan=implementing_plan,
        actor=owner,
        title="Train",
        owner=operators[0],
        due_on=today + datetime.timedelta(3),
    )
    [task] = tasks(owner, "milestone")
    assert "Write the runbook" in task.title and task.is_overdue() and task.due_on == overdue.due_on
    assert ["Train" in t for t in titles(operators[0], "milestone")] == [True]
    implementation.complete_milestone(milestone=overdue, actor=owner)
    assert tasks(owner, "milestone") == []


def test_the_implementation_responsibility_is_asked_to_assign_kpi_operators(
    implementing_plan, owner, other_owner, operators
):
    [task] = tasks(owner, "kpi_operator")
    assert task.reason == "1 KPI of the version in force has no operator yet." and task.url.endswith("#kpis")
    assert tasks(other_owner, "kpi_operator") == [] and tasks(operators[0], "kpi_operator") == []
    for kpi in factories_kpis(implementing_plan):
        implementation.assign_kpi_operator(kpi=kpi, actor=owner, operator=operators[0])
    assert tasks(owner, "kpi_operator") == []


# -- the page and the API in a constant number of queries -----------------------------------


def submitted_plans(count, approver, start=0):
    for n in range(start, start + count):
        owner = UserFactory(username=f"po{n}", roles=[roles.PROCESS_OWNER])
        process = factories.ProcessFactory(name=f"Process {n:02d}", owner=owner)
        plan = factories.draft_process_plan(owner, approver, process=process)
        factories.submit_and_review(plan.latest_version, owner, reviewer=owner)
        if n % 2:  # every other one is sent back with a comment: a task of its author
            services.request_changes(version=plan.latest_version, actor=approver, comment=f"Fix {n}.")


def count_queries(client, url):
    cache.clear()  # the dashboard's panels as computed, not as kept for an unchanged version
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize("url", ["/tasks/", "/api/v1/tasks/", "/"])
def test_the_inbox_runs_a_constant_number_of_queries_whatever_the_number_of_tasks(
    url, smp, manager, client_for, api_for
):
    client = api_for(manager) if url.startswith("/api/") else client_for(manager)
    submitted_plans(2, manager)
    client.get(url)  # warm caches (content types, the session, its count of tasks)
    few, response = count_queries(client, url)
    submitted_plans(30, manager, start=2)
    client.get(url)  # the new count of tasks remembered, as above
    many, response = count_queries(client, url)
    assert many <= few
    if url == "/api/v1/tasks/":
        body = response.json()
        assert body["count"] == body["total"] == 16 and len(body["results"]) == 16
    elif url == "/tasks/":
        assert response.context["inbox"].total == 16
        assert len(response.context["page"].object_list) == 16
        assert response.content.decode().count('class="task"') == 16
    else:
        assert response.context["inbox"].total == 16 and len(response.context["top_tasks"]) == 5
