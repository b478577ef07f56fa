"""Segregation of duties: nobody grants roles to himself or herself."""

import pytest
from django.contrib.auth.models import Group, Permission
from guardian.models import UserObjectPermission

from accounts import roles, services
from accounts.tests.factories import UserFactory
from accounts.tests.helpers import user_form_data
from pdca.exceptions import NotAllowed

REFUSAL = "Nobody grants rights to himself or herself"


@pytest.fixture
def administrator2(db):
    return UserFactory(username="admin2", first_name="Ben", last_name="Baker", roles=[roles.ADMINISTRATOR])


def _manager_role():
    return Group.objects.get(name=roles.MANAGER)


def _post_change(client, user, **changes):
    return client.post(f"/admin/accounts/user/{user.pk}/change/", user_form_data(user, **changes))


def test_an_administrator_cannot_grant_himself_a_role_in_the_admin(client_for, administrator):
    before = set(administrator.groups.values_list("name", flat=True))
    groups = [*administrator.groups.values_list("pk", flat=True), _manager_role().pk]

    response = _post_change(client_for(administrator), administrator, groups=groups)

    assert response.status_code == 200  # the form again, with the refusal
    assert REFUSAL in response.content.decode()
    administrator.refresh_from_db()
    assert set(administrator.groups.values_list("name", flat=True)) == before


def test_another_administrator_can_grant_the_role(client_for, administrator, administrator2):
    groups = [*administrator.groups.values_list("pk", flat=True), _manager_role().pk]

    response = _post_change(client_for(administrator2), administrator, groups=groups)

    assert response.status_code == 302
    assert set(administrator.groups.values_list("name", flat=True)) == {roles.ADMINISTRATOR, roles.MANAGER}


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_an_administrator_cannot_change_his_own_superuser_or_staff_flag(client_for, administrator, flag):
    wanted = not getattr(administrator, flag)

    response = _post_change(client_for(administrator), administrator, **{flag: wanted})

    assert response.status_code == 200
    assert REFUSAL in response.content.decode()
    administrator.refresh_from_db()
    assert getattr(administrator, flag) is not wanted


def test_another_administrator_can_make_him_superuser(client_for, administrator, administrator2):
    response = _post_change(client_for(administrator2), administrator, is_superuser=True)

    assert response.status_code == 302
    administrator.refresh_from_db()
    assert administrator.is_superuser


def test_an_administrator_cannot_give_himself_a_direct_permission(client_for, administrator):
    approve = Permission.objects.get(codename="approve_plan")

    response = _post_change(client_for(administrator), administrator, user_permissions=[approve.pk])

    assert REFUSAL in response.content.decode()
    assert not administrator.user_permissions.exists()


def test_an_administrator_may_still_change_his_own_name(client_for, administrator):
    response = _post_change(client_for(administrator), administrator, job_title="SMS administrator")

    assert response.status_code == 302
    administrator.refresh_from_db()
    assert administrator.job_title == "SMS administrator"


def test_set_roles_refuses_a_grant_to_oneself_and_changes_nothing(administrator):
    with pytest.raises(NotAllowed, match=REFUSAL):
        services.set_roles(
            user=administrator, roles=[roles.ADMINISTRATOR, roles.MANAGER], actor=administrator
        )
    assert set(administrator.groups.values_list("name", flat=True)) == {roles.ADMINISTRATOR}


def test_set_roles_by_another_person_is_recorded_with_that_person(administrator, administrator2, staff):
    services.set_roles(user=staff, roles=[roles.MANAGER], actor=administrator2)

    assert staff.role_names == [roles.MANAGER]
    latest = staff.history.first()
    assert latest.history_user == administrator2


def test_a_member_of_a_role_cannot_change_the_role_s_permissions(client_for, administrator):
    role = Group.objects.get(name=roles.ADMINISTRATOR)
    wanted = [
        *role.permissions.values_list("pk", flat=True),
        Permission.objects.get(codename="approve_plan").pk,
    ]

    response = client_for(administrator).post(
        f"/admin/auth/group/{role.pk}/change/", {"name": role.name, "permissions": wanted}
    )

    assert REFUSAL in response.content.decode()
    assert not role.permissions.filter(codename="approve_plan").exists()


def test_an_administrator_cannot_grant_himself_an_object_permission_in_the_admin(client_for, administrator):
    response = client_for(administrator).post(
        f"/admin/accounts/user/{administrator.pk}/permissions/user-manage/{administrator.pk}/",
        {"permissions": ["change_user"]},
        follow=True,
    )

    assert REFUSAL in response.content.decode()
    assert not UserObjectPermission.objects.filter(user=administrator).exists()
