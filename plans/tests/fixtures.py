"""Plan and Do fixtures, shared by every app's tests (loaded by the root conftest)."""

import pytest

from accounts import roles
from accounts.tests.factories import UserFactory
from plans import services
from plans.do import services as implementation
from plans.models import Plan
from plans.tests import factories


@pytest.fixture
def smp(manager2, manager):
    """An approved SMP written by manager2 and approved by manager."""
    return factories.approved_smp(manager2, manager)


@pytest.fixture
def process_plan(smp, owner, manager):
    """A complete draft process plan of `owner`, approver `manager`."""
    return factories.draft_process_plan(owner, manager)


@pytest.fixture
def approved_plan(smp, owner, manager):
    return factories.approved_process_plan(owner, manager)


@pytest.fixture
def operators(db):
    """Two people who will operate a process (D3 receivers)."""
    return [
        UserFactory(username="op1", first_name="Omar", last_name="Ortiz", roles=[roles.STAFF]),
        UserFactory(username="op2", first_name="Ola", last_name="Olsen", roles=[roles.STAFF]),
    ]


@pytest.fixture
def communicated_plan(approved_plan, owner, staff):
    """`approved_plan`, communicated to `staff` by its owner."""
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.current_version, actor=owner)
    return Plan.objects.get(pk=approved_plan.pk)


@pytest.fixture
def implementing_plan(communicated_plan, owner):
    """`communicated_plan`, with its implementation started by the owner."""
    return implementation.start_implementation(plan=communicated_plan, actor=owner)
