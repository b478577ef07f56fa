"""Who held which rights when: the history page for auditors."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from guardian.shortcuts import assign_perm, remove_perm

from accounts import roles, services
from accounts.tests.factories import PASSWORD, UserFactory
from pdca.history import acting_as
from plans.models import Plan

URL = "/accounts/history/"


def _rows(response):
    return [
        (str(entry.user), entry.subject, list(map(str, entry.changes))) for entry in response.context["page"]
    ]


def test_role_changes_appear_with_the_actor(client_for, administrator, auditor, staff):
    services.set_roles(user=staff, roles=[roles.STAFF, roles.MANAGER], actor=administrator)

    response = client_for(auditor).get(URL)

    assert response.status_code == 200
    assert (str(administrator), "Sam Stone", ["roles: + Manager"]) in _rows(response)
    assert "roles: + Manager" in response.content.decode()


def test_superuser_and_active_flags_appear_with_the_actor(client_for, administrator, auditor, staff):
    with acting_as(administrator):
        staff.is_superuser = True
        staff.save()
        staff.is_active = False
        staff.save()

    rows = _rows(client_for(auditor).get(URL))

    assert (str(administrator), "Sam Stone", ["superuser: no → yes"]) in rows
    assert (str(administrator), "Sam Stone", ["active: yes → no"]) in rows


def test_object_permissions_granted_and_withdrawn_appear_with_the_actor(client_for, manager, owner, auditor):
    plan = Plan.objects.create(kind=Plan.Kind.SMP, title="Incident management plan", created_by=manager)
    with acting_as(manager):
        assign_perm("plans.change_plan", owner, plan)
        remove_perm("plans.change_plan", owner, plan)

    rows = _rows(client_for(auditor).get(URL))

    granted = "object permission plans.change_plan on “Incident management plan” granted to Olivia Owen"
    withdrawn = "object permission plans.change_plan on “Incident management plan” withdrawn from Olivia Owen"
    assert (str(manager), "Olivia Owen", [granted]) in rows
    assert (str(manager), "Olivia Owen", [withdrawn]) in rows


def test_role_permission_changes_appear(client_for, administrator, auditor):
    role = Group.objects.get(name=roles.STAFF)
    with acting_as(administrator):
        role.permissions.remove(*role.permissions.filter(codename="view_planversion"))

    rows = _rows(client_for(auditor).get(URL))

    assert (str(administrator), "role “Staff”", ["permissions: − plans.view_planversion"]) in rows


def test_a_login_or_a_password_change_writes_no_history(client, staff):
    before = staff.history.count()

    assert client.login(username=staff.username, password=PASSWORD)
    staff.refresh_from_db()
    assert staff.last_login is not None
    staff.set_password("another-pass-2")
    staff.save()

    assert staff.history.count() == before


def _changes(count, actor, plan, role):
    """`count` rounds of every kind of change the page shows."""
    view_process = Permission.objects.get(codename="view_process")
    with acting_as(actor):
        for _ in range(count):
            person = UserFactory()
            services.set_roles(user=person, roles=[roles.MANAGER], actor=actor)
            person.is_superuser = True
            person.save()
            assign_perm("plans.change_plan", person, plan)
            assign_perm("plans.view_plan", role, plan)
            remove_perm("plans.view_plan", role, plan)
            role.name = f"Role of {person.username}"
            role.save()
            if role.permissions.filter(pk=view_process.pk).exists():
                role.permissions.remove(view_process)
            else:
                role.permissions.add(view_process)


def test_the_history_page_runs_a_constant_number_of_queries(client_for, administrator, auditor, manager):
    plan = Plan.objects.create(kind=Plan.Kind.SMP, title="Incident management plan", created_by=manager)
    role = Group.objects.create(name="Reviewers")
    client = client_for(auditor)
    _changes(3, administrator, plan, role)
    client.get(URL)  # warm the content-type cache
    with CaptureQueriesContext(connection) as few:
        response = client.get(URL)
    assert response.status_code == 200
    # Each round: created, roles, superuser, object permission; a role's object
    # permission granted and withdrawn, the role renamed, its permissions changed.
    assert sum(entry.user == administrator for entry in response.context["page"]) == 3 * 8

    _changes(27, administrator, plan, role)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)

    assert response.status_code == 200
    page = response.context["page"]
    assert len(page.object_list) == 50 and page.has_next()
    assert all(entry.user == administrator for entry in page)
    assert len(many) == len(few)
    assert client.get(URL, {"page": 2}).status_code == 200


def test_auditors_administrators_and_managers_read_the_history_and_staff_get_403(
    client_for, auditor, administrator, manager, staff
):
    for reader in (auditor, administrator, manager):
        assert client_for(reader).get(URL).status_code == 200

    response = client_for(staff).get(URL)

    assert response.status_code == 403
    assert "open to auditors, administrators and managers" in response.content.decode()


def test_the_profile_links_to_the_history_for_those_who_may_read_it(client_for, auditor, staff):
    assert URL in client_for(auditor).get("/accounts/profile/").content.decode()
    assert URL not in client_for(staff).get("/accounts/profile/").content.decode()


@pytest.mark.django_db
def test_the_history_page_needs_a_login(client):
    response = client.get(URL)
    assert response.status_code == 302


def test_a_membership_changed_from_the_role_side_is_recorded_on_the_person(
    client_for, administrator, auditor
):
    newcomer = UserFactory(first_name="Nina", last_name="New")
    role = Group.objects.get(name=roles.ADMINISTRATOR)
    with acting_as(administrator):
        role.user_set.add(newcomer)
        role.user_set.clear()

    rows = _rows(client_for(auditor).get(URL))

    assert (str(administrator), "Nina New", ["roles: + Administrator"]) in rows
    assert (str(administrator), "Nina New", ["roles: − Administrator"]) in rows
    assert (str(administrator), "Nina New", ["admin site access: no → yes"]) in rows
    assert (str(administrator), "Nina New", ["admin site access: yes → no"]) in rows
    newcomer.refresh_from_db()
    assert not newcomer.is_staff
