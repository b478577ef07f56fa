"""The plan list, the approval queue and the dashboard: what each user sees, in
a constant number of queries (quality bar)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.tests.factories import UserFactory
from plans import services
from plans.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def process_plan_of_other(smp, other_owner, manager):
    return factories.draft_process_plan(other_owner, manager, name="Change management")


@pytest.fixture
def approved_plan_of_other(smp, other_owner, manager):
    return factories.approved_process_plan(other_owner, manager, name="Change management")


def submitted_plans(count, approver, start=0):
    """`count` process plans reviewed and waiting for approval, each of another
    process owner, all naming `approver`."""
    plans = []
    for n in range(start, start + count):
        owner = UserFactory(username=f"po{n}", roles=[roles.PROCESS_OWNER])
        process = factories.ProcessFactory(name=f"Process {n:02d}", owner=owner)
        plan = factories.draft_process_plan(owner, approver, process=process)
        factories.submit_and_review(plan.latest_version, owner)
        plans.append(plan)
    return plans


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_plan_list_shows_the_smp_first_then_the_process_plans(smp, approved_plan, client_for, manager):
    response = client_for(manager).get(reverse("plans:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index(smp.title) < html.index(approved_plan.title)
    assert "Incident management" in html and "Olivia Owen" in html


def test_plan_list_runs_a_constant_number_of_queries(smp, manager, client_for, django_assert_max_num_queries):
    client = client_for(manager)
    submitted_plans(3, manager)
    few = queries_for(client, reverse("plans:list"))
    few_queue = queries_for(client, reverse("plans:approvals"))
    submitted_plans(27, manager, start=3)
    with django_assert_max_num_queries(few):
        response = client.get(reverse("plans:list"))
    assert len(response.context["page"].object_list) == 25
    with django_assert_max_num_queries(few_queue):
        response = client.get(reverse("plans:approvals"))
    assert response.context["page"].paginator.count == 30


def test_plan_list_runs_a_constant_number_of_queries_for_staff(
    smp, manager, staff, client_for, django_assert_max_num_queries
):
    client = client_for(staff)
    few = queries_for(client, reverse("plans:list"))
    submitted_plans(5, manager)
    with django_assert_max_num_queries(few):
        client.get(reverse("plans:list"))


def test_staff_see_only_plans_with_a_communicated_version(smp, process_plan, client_for, staff):
    response = client_for(staff).get(reverse("plans:list"))
    titles = [plan.title for plan in response.context["page"]]
    assert process_plan.title not in titles  # a draft
    assert smp.title not in titles  # approved, never communicated


def test_plan_list_filters_by_status_process_and_owner(
    smp, process_plan, approved_plan_of_other, client_for, manager, other_owner
):
    client = client_for(manager)

    def titles(**query):
        return {plan.title for plan in client.get(reverse("plans:list"), query).context["page"]}

    assert titles(status="draft") == {process_plan.title}
    assert titles(status="approved") == {smp.title, approved_plan_of_other.title}
    assert titles(owner=other_owner.pk) == {approved_plan_of_other.title}
    assert titles(process=process_plan.process_id) == {process_plan.title}


def test_plan_list_searches_title_process_and_owner_without_listing_every_process(
    smp, process_plan, approved_plan_of_other, client_for, manager, other_owner
):
    client = client_for(manager)

    def titles(q):
        response = client.get(reverse("plans:list"), {"q": q})
        assert response.status_code == 200
        return {plan.title for plan in response.context["page"]}

    assert titles("change") == {approved_plan_of_other.title}  # the process name
    assert titles(other_owner.last_name.upper()) == {approved_plan_of_other.title}  # the owner
    assert titles("incident plan") == {process_plan.title}  # every word, anywhere
    assert titles("nothing-like-this") == set()
    # The form offers a search field, not a select with every process or owner.
    html = client.get(reverse("plans:list")).content.decode()
    assert 'name="q"' in html
    assert "Change management</option>" not in html and f"{other_owner}</option>" not in html


def test_new_process_plan_button_only_for_owners_of_a_process_without_plan(
    smp, process_plan, client_for, owner, other_owner
):
    assert "New process plan" not in client_for(owner).get(reverse("plans:list")).content.decode()
    factories.ProcessFactory(name="Change management", owner=other_owner)
    assert "New process plan" in client_for(other_owner).get(reverse("plans:list")).content.decode()


def test_approval_queue_lists_versions_awaiting_the_users_approval(
    process_plan, client_for, owner, manager, manager2
):
    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    html = client_for(manager).get(reverse("plans:approvals")).content.decode()
    assert process_plan.title in html and "Olivia Owen" in html
    assert version.get_absolute_url() in html
    # manager2 is a manager, but not this plan's named approver.
    assert process_plan.title not in client_for(manager2).get(reverse("plans:approvals")).content.decode()


def test_dashboard_shows_plan_tasks_in_a_constant_number_of_queries(
    smp, manager, client_for, django_assert_max_num_queries
):
    client = client_for(manager)
    submitted_plans(2, manager)
    few = queries_for(client, reverse("dashboard"))
    submitted_plans(10, manager, start=2)
    with django_assert_max_num_queries(few):
        response = client.get(reverse("dashboard"))
    # The approvals are the manager's tasks: the first five shown, the tile counts all 12.
    assert response.context["inbox"].total == 12 and len(response.context["top_tasks"]) == 5
    tile = next(s for s in response.context["stats"] if s["label"] == "Plans to approve")
    assert tile["value"] == 12 and tile["url"] == "/tasks/?kind=plan_approval"


def test_dashboard_tells_recipients_what_to_acknowledge(approved_plan, client_for, owner, staff):
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.latest_version, actor=owner)
    response = client_for(staff).get(reverse("dashboard"))
    [task] = response.context["top_tasks"]
    assert task.kind == "plan_acknowledge" and task.url == approved_plan.latest_version.get_absolute_url()
    tile = next(s for s in response.context["stats"] if s["label"] == "Plans to acknowledge")
    assert tile["value"] == 1 and tile["url"] == "/tasks/?kind=plan_acknowledge"


def test_dashboard_shows_the_owner_a_conformance_review_due(
    approved_plan, client_for, owner, manager, manager2
):
    smp = services.current_smp()
    revision = services.revise_plan(plan=smp, actor=manager2)
    services.update_draft(
        version=revision,
        actor=manager2,
        expected_revision=revision.revision,
        sections={"scope": "A wider scope."},
    )
    services.submit_plan(version=revision, actor=manager2)
    services.review_plan(version=revision, actor=manager2)
    services.approve_plan(version=revision, actor=manager)
    response = client_for(owner).get(reverse("dashboard"))
    assert [task.kind for task in response.context["top_tasks"]] == ["plan_conformance"]
    assert "Your plans" in [p["title"] for p in response.context["panels"]]
    # Top management sees every plan that has one due, and the tile lists exactly those.
    response = client_for(manager).get(reverse("dashboard"))
    tile = next(s for s in response.context["stats"] if s["label"] == "conformance reviews due")
    assert tile["value"] == 1 and tile["url"] == "/plans/?conformance_review_due=true"
    listed = client_for(manager).get(tile["url"])
    assert [p.pk for p in listed.context["page"].object_list] == [approved_plan.pk]


def test_plan_list_flags_conformance_review_due(approved_plan, client_for, owner):
    type(approved_plan).objects.filter(pk=approved_plan.pk).update(conformance_review_due=True)
    assert "Review due" in client_for(owner).get(reverse("plans:list")).content.decode()


def test_the_plan_nav_entry_is_current_on_plan_pages(client_for, owner):
    html = client_for(owner).get(reverse("plans:list")).content.decode()
    assert f'<a href="{reverse("plans:list")}" aria-current="page">' in html
    html = client_for(owner).get(reverse("do:overview")).content.decode()
    assert f'<a href="{reverse("do:overview")}" aria-current="page">' in html


@pytest.mark.django_db
def test_staff_do_not_learn_of_versions_that_were_never_communicated(client_for, staff, owner, manager, smp):
    from plans import services
    from plans.tests import factories as plan_factories

    plan = plan_factories.approved_process_plan(owner, manager)
    plan.distribution_users.add(staff)
    services.communicate_plan(version=plan.current_version, actor=owner)
    draft = services.revise_plan(plan=plan, actor=owner)
    services.submit_plan(version=draft, actor=owner)
    services.review_plan(version=draft, actor=owner)
    services.approve_plan(version=draft, actor=manager)  # approved, not yet communicated
    html = client_for(staff).get("/plans/").content.decode()
    row = html[html.index(plan.title) :]
    row = row[: row.index("</tr>")]
    assert "v1" in row
    assert "v2" not in row and "status--approved" not in row
