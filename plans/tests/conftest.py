import pytest

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
