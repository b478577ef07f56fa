"""Check fixtures, shared by the tests of Check and Act (loaded by the root conftest)."""

import pytest

from reviews.tests import factories


@pytest.fixture
def kpi(communicated_plan):
    """The one KPI of the communicated incident management plan (target ≥ 95 %)."""
    return communicated_plan.current_version.objectives.get().kpis.get()


@pytest.fixture
def measured_kpi(kpi, owner):
    """`kpi` with six months of values, oldest first: 90, 92, 96, 97, 94, 98."""
    factories.record_monthly(kpi, owner, [90, 92, 96, 97, 94, 98])
    return kpi


@pytest.fixture
def planned_review(communicated_plan, owner):
    """A process review of the communicated plan, planned for today, led by its owner."""
    return factories.process_review(communicated_plan, owner)
