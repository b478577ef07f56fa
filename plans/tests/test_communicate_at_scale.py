"""P6 at the size of a real organisation: a plan communicated to a role of
1,200 people asks each of them once, on SQLite as on PostgreSQL (SQLite
refuses a query of one condition per recipient)."""

import pytest
from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import User
from plans import services
from plans.models import Acknowledgement

pytestmark = pytest.mark.django_db


def test_a_plan_communicated_to_a_large_role_asks_everybody_once(approved_plan, owner):
    staff_role = Group.objects.get(name=roles.STAFF)
    people = User.objects.bulk_create(User(username=f"person{n}", is_active=True) for n in range(1200))
    staff_role.user_set.add(*people)
    services.set_distribution(plan=approved_plan, actor=owner, users=[], groups=[staff_role])
    version = services.communicate_plan(version=approved_plan.latest_version, actor=owner)
    asked = Acknowledgement.objects.filter(version=version)
    assert asked.count() == staff_role.user_set.count() >= 1200
    assert asked.values("user").distinct().count() == asked.count()
    assert Acknowledgement.history.filter(version_id=version.pk).count() == asked.count()
