"""The superuser flag grants administration, not business decisions."""

import pytest
from django.contrib.auth.models import Permission

from accounts import roles
from accounts.roles import has_business_permission
from accounts.tests.factories import UserFactory


@pytest.mark.django_db
def test_a_superuser_without_the_role_holds_no_business_permission():
    superuser = UserFactory(is_superuser=True, roles=[roles.ADMINISTRATOR])

    assert superuser.has_perm("plans.approve_plan")  # Django's answer
    assert not has_business_permission(superuser, "plans.approve_plan")


def test_a_manager_holds_the_business_permission_of_the_role(manager):
    assert has_business_permission(manager, "plans.approve_plan")
    assert not has_business_permission(manager, "plans.delete_plan")


@pytest.mark.django_db
def test_a_direct_permission_counts_and_an_inactive_person_holds_none():
    user = UserFactory()
    user.user_permissions.add(Permission.objects.get(codename="approve_plan"))

    assert has_business_permission(user, "plans.approve_plan")
    user.is_active = False
    assert not has_business_permission(user, "plans.approve_plan")


def test_business_permissions_are_read_once_per_user(manager, django_assert_num_queries):
    with django_assert_num_queries(1):
        has_business_permission(manager, "plans.approve_plan")
        has_business_permission(manager, "plans.add_process")
        has_business_permission(manager, "plans.change_plan")


@pytest.mark.django_db
def test_the_superuser_flag_does_not_lift_an_auditors_read_only_role(api_for):
    """An auditor who also administers the portal (the superuser flag) still changes
    nothing of the SMS: asked to propose an improvement, the answer is a 403."""
    auditor = UserFactory(username="root-auditor", is_superuser=True, roles=[roles.AUDITOR])

    assert roles.is_read_only(auditor)
    response = api_for(auditor).post(
        "/api/v1/improvements/", {"title": "An idea", "description": "Why."}, format="json"
    )
    assert response.status_code == 403 and "Auditors" in response.json()["detail"]
