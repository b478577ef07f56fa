"""People who leave are deactivated, never deleted while they appear in records."""

import pytest

from accounts import services
from accounts.models import User
from accounts.tests.factories import UserFactory
from pdca.exceptions import RuleViolation
from pdca.models import Notification
from plans.models import Plan, Process


@pytest.fixture
def process_owner_in_records(owner, manager):
    """`owner` named by a record that protects him or her (a process) and one
    that would cascade away with him or her (a notification)."""
    Process.objects.create(name="Incident management", owner=owner)
    Notification.objects.create(recipient=owner, subject="A plan waits for you")
    return owner


def test_a_person_named_in_a_record_cannot_be_deleted(process_owner_in_records):
    with pytest.raises(RuleViolation, match="Deactivate the account instead"):
        process_owner_in_records.delete()
    with pytest.raises(RuleViolation, match="Deactivate the account instead"):
        User.objects.filter(pk=process_owner_in_records.pk).delete()

    assert User.objects.filter(pk=process_owner_in_records.pk).exists()
    assert Notification.objects.filter(recipient=process_owner_in_records).exists()


def test_a_person_named_only_by_a_notification_cannot_be_deleted(staff):
    Notification.objects.create(recipient=staff, subject="Read the plan")

    with pytest.raises(RuleViolation, match="notifications"):
        staff.delete()


def test_a_person_named_through_a_hidden_relation_cannot_be_deleted(manager):
    """A plan's creator is a relation without a reverse accessor (`related_name="+"`)."""
    Plan.objects.create(kind=Plan.Kind.SMP, title="Service management plan", created_by=manager)

    with pytest.raises(RuleViolation, match="plans"):
        manager.delete()


def test_a_person_who_made_a_recorded_change_cannot_be_deleted(administrator, staff):
    services.set_roles(user=staff, roles=[], actor=administrator)

    with pytest.raises(RuleViolation, match="change history"):
        administrator.delete()


@pytest.mark.django_db
def test_a_person_who_appears_nowhere_can_be_deleted():
    newcomer = UserFactory()
    pk = newcomer.pk

    newcomer.delete()

    assert not User.objects.filter(pk=pk).exists()
    assert User.history.filter(id=pk, history_type="-").exists()


def test_the_admin_refuses_to_delete_a_person_named_in_a_record(
    client_for, administrator, process_owner_in_records
):
    administrator.is_superuser = True  # may delete users, as far as Django is concerned
    administrator.save()
    owner = process_owner_in_records

    response = client_for(administrator).post(
        f"/admin/accounts/user/{owner.pk}/delete/", {"post": "yes"}, follow=True
    )

    assert "Deactivate the account instead" in response.content.decode()
    assert User.objects.filter(pk=owner.pk).exists()


def test_the_admin_delete_action_refuses_when_a_selected_person_is_named_in_a_record(
    client_for, administrator, process_owner_in_records
):
    administrator.is_superuser = True
    administrator.save()
    newcomer = UserFactory()

    response = client_for(administrator).post(
        "/admin/accounts/user/",
        {
            "action": "delete_selected",
            "_selected_action": [process_owner_in_records.pk, newcomer.pk],
            "post": "yes",
        },
        follow=True,
    )

    assert "Deactivate the account instead" in response.content.decode()
    assert User.objects.filter(pk__in=[process_owner_in_records.pk, newcomer.pk]).count() == 2


def test_the_admin_deletes_a_person_who_appears_nowhere(client_for, administrator):
    administrator.is_superuser = True
    administrator.save()
    newcomer = UserFactory()

    response = client_for(administrator).post(f"/admin/accounts/user/{newcomer.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not User.objects.filter(pk=newcomer.pk).exists()


def test_the_deactivate_action_deactivates_and_is_recorded(client_for, administrator, owner, staff):
    response = client_for(administrator).post(
        "/admin/accounts/user/",
        {"action": "deactivate_selected", "_selected_action": [owner.pk, staff.pk]},
        follow=True,
    )

    assert "2 people deactivated." in response.content.decode()
    assert not User.objects.filter(pk__in=[owner.pk, staff.pk], is_active=True).exists()
    latest = owner.history.first()
    assert (latest.is_active, latest.history_user) == (False, administrator)
