import pytest
from django.contrib.auth.models import Group

from accounts import roles
from accounts.tests.factories import UserFactory


@pytest.mark.django_db
def test_every_role_exists_as_a_group_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= set(roles.ALL_ROLES)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "permission"),
    [
        (roles.MANAGER, "plans.approve_plan"),
        (roles.PROCESS_OWNER, "plans.change_plan"),
        (roles.AUDITOR, "plans.view_plan"),
        (roles.AUDITOR, "pdca.view_decision"),
        (roles.STAFF, "plans.view_plan"),
        (roles.ADMINISTRATOR, "accounts.change_user"),
    ],
)
def test_roles_hold_their_model_permissions(role, permission):
    user = UserFactory(roles=[role])
    assert user.has_perm(permission)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "permission", ["plans.change_plan", "plans.add_plan", "plans.approve_plan", "plans.delete_plan"]
)
def test_auditors_hold_no_permission_to_change_anything(permission):
    auditor = UserFactory(roles=[roles.AUDITOR])
    assert not auditor.has_perm(permission)
    changing = [
        p for p in auditor.get_all_permissions() if not p.split(".")[1].startswith(("view_", "export_"))
    ]
    assert changing == []


@pytest.mark.django_db
def test_staff_cannot_change_or_approve_plans():
    staff = UserFactory(roles=[roles.STAFF])
    assert not staff.has_perm("plans.change_plan")
    assert not staff.has_perm("plans.approve_plan")


@pytest.mark.django_db
def test_sync_roles_is_idempotent():
    roles.sync_roles()
    before = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    roles.sync_roles()
    after = {g.name: set(g.permissions.values_list("pk", flat=True)) for g in Group.objects.all()}
    assert before == after


@pytest.mark.django_db
def test_administrators_manage_users_in_the_admin_site_and_others_cannot(client):
    admin = UserFactory(roles=[roles.ADMINISTRATOR])
    admin.refresh_from_db()
    assert admin.is_staff
    client.force_login(admin)
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/auth/group/").status_code == 200

    manager = UserFactory(roles=[roles.MANAGER])
    client.force_login(manager)
    assert client.get("/admin/accounts/user/").status_code == 302  # to the admin login


@pytest.mark.django_db
def test_leaving_the_administrator_role_closes_the_admin_site():
    from django.contrib.auth.models import Group

    admin = UserFactory(roles=[roles.ADMINISTRATOR])
    admin.groups.remove(Group.objects.get(name=roles.ADMINISTRATOR))
    admin.refresh_from_db()
    assert not admin.is_staff
