"""Managers create processes and name owners and deputies; the plan's
object permissions follow the owner."""

import pytest

from plans.models import Plan, Process
from plans.tests import factories
from plans.tests.factories import ProcessFactory


@pytest.mark.django_db
def test_manager_creates_a_process_with_owner_and_deputies(client_for, manager, owner, other_owner):
    client = client_for(manager)
    response = client.post(
        "/plans/processes/new/",
        {
            "name": "Problem management",
            "description": "Finds root causes.",
            "owner": owner.pk,
            "deputies": [other_owner.pk],
        },
    )
    assert response.status_code == 302
    process = Process.objects.get(name="Problem management")
    assert process.owner == owner and list(process.deputies.all()) == [other_owner]
    assert "Problem management" in client.get("/plans/processes/").content.decode()


@pytest.mark.django_db
def test_duplicate_process_name_is_refused_and_the_input_kept(client_for, manager, owner):
    ProcessFactory(name="Incident management", owner=owner)
    response = client_for(manager).post(
        "/plans/processes/new/",
        {
            "name": "incident management",
            "description": "Typed text",
            "owner": owner.pk,
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is already a process called" in html and "Typed text" in html
    assert Process.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["owner", "auditor", "staff"])
def test_only_managers_create_or_change_processes(request, client_for, who, other_owner):
    user = request.getfixturevalue(who)
    process = ProcessFactory(name="Change management", owner=other_owner)
    client = client_for(user)
    client.post("/plans/processes/new/", {"name": "Mine", "owner": user.pk})
    client.post(f"/plans/processes/{process.pk}/", {"name": "Change management", "owner": user.pk})
    assert not Process.objects.filter(name="Mine").exists()
    assert Process.objects.get(pk=process.pk).owner == other_owner


@pytest.mark.django_db
def test_a_new_owner_takes_over_the_plan_in_the_browser(
    client_for, manager, process_plan, owner, other_owner
):
    from plans import permissions

    process = process_plan.process
    client_for(manager).post(
        f"/plans/processes/{process.pk}/", {"name": process.name, "owner": other_owner.pk}
    )
    assert permissions.can_edit_plan(other_owner, process_plan)
    # P2: the old owner is still the draft's named updater, and keeps editing it
    # until the new owner names someone else.
    assert permissions.can_edit_plan(owner, process_plan)
    factories.assign_all_responsibilities(process_plan.latest_version, other_owner, manager)
    assert not permissions.can_edit_plan(owner, Plan.objects.get(pk=process_plan.pk))


@pytest.mark.django_db
def test_process_list_runs_a_constant_number_of_queries(
    client_for, manager, owner, other_owner, django_assert_max_num_queries
):
    client = client_for(manager)
    for i in range(3):
        ProcessFactory(name=f"P{i}", owner=owner).deputies.add(other_owner)
    client.get("/plans/processes/")
    with django_assert_max_num_queries(20) as small:
        client.get("/plans/processes/")
    for i in range(3, 30):
        ProcessFactory(name=f"P{i}", owner=owner).deputies.add(other_owner)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get("/plans/processes/")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 25  # a page, not all 30
    assert response.context["page"].paginator.count == 30


@pytest.mark.django_db
def test_process_list_searches_the_process_and_owner_names(client_for, manager, owner, other_owner):
    ProcessFactory(name="Change management", owner=owner)
    ProcessFactory(name="Capacity management", owner=other_owner)
    client = client_for(manager)

    def names(q):
        response = client.get("/plans/processes/", {"q": q})
        assert response.status_code == 200
        return {process.name for process in response.context["page"]}

    assert names("change") == {"Change management"}
    assert names(other_owner.last_name) == {"Capacity management"}
    assert names("management") == {"Change management", "Capacity management"}
    assert "No process matches" in client.get("/plans/processes/", {"q": "nothing"}).content.decode()


@pytest.mark.django_db
def test_staff_see_on_the_processes_page_only_the_plans_they_may_read(
    client_for, communicated_plan, staff, other_owner, manager
):
    """Staff read the plan communicated to them, not another process's draft: the
    draft is neither named nor linked, nobody's e-mail address is shown, and no
    button offers what only managers do."""
    draft = factories.draft_process_plan(other_owner, manager, name="Change management")
    response = client_for(staff).get("/plans/processes/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{communicated_plan.get_absolute_url()}"' in html
    assert "Change management" in html and str(other_owner) in html  # the process and its owner
    assert f'href="{draft.get_absolute_url()}"' not in html and draft.title not in html
    assert "not yet communicated" in html
    assert other_owner.email not in html and communicated_plan.process.owner.email not in html
    assert "/plans/processes/new/" not in html and f"/plans/processes/{draft.process_id}/" not in html
    # A manager reads the draft and manages the processes.
    html = client_for(manager).get("/plans/processes/").content.decode()
    assert f'href="{draft.get_absolute_url()}"' in html and "/plans/processes/new/" in html
