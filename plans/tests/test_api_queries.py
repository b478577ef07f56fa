"""Lists run a constant number of SQL queries, whatever the number of plans."""

import itertools

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from plans import services
from plans.tests import factories

# Generous enough for the fixed queries (session, groups, count, page, prefetches),
# far below what one query per plan would cost with 25 plans.
MAX_QUERIES = 8


@pytest.fixture
def many_plans(smp, manager, staff):
    """make(n) -> n process plans in different states, each with its own owner,
    distribution list and responsibilities."""
    staff_role = Group.objects.get(name=roles.STAFF)
    numbers = itertools.count()

    def make(n):
        for i in itertools.islice(numbers, n):
            process = factories.ProcessFactory(name=f"Process {i:02d}")
            owner = process.owner
            if i % 2:
                plan = factories.approved_process_plan(owner, manager, process=process)
                services.set_distribution(plan=plan, actor=owner, users=[staff], groups=[staff_role])
                if i % 4 == 1:
                    services.communicate_plan(version=plan.latest_version, actor=owner)
                    services.revise_plan(plan=plan, actor=owner)
            else:
                factories.draft_process_plan(owner, manager, process=process)

    return make


def _counts(apis, urls):
    counts = {}
    for role, api in apis.items():
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = api.get(url)
            assert response.status_code == 200, response.json()
            counts[role, url] = (len(queries), response.json()["count"])
    return counts


@pytest.mark.django_db
def test_plan_and_version_lists_run_a_constant_number_of_queries(
    api_for, many_plans, manager, owner, staff, django_assert_max_num_queries
):
    apis = {"manager": api_for(manager), "owner": api_for(owner), "staff": api_for(staff)}
    urls = [
        "/api/v1/plans/",
        "/api/v1/versions/",
        "/api/v1/plans/?kind=process&status=draft",
        "/api/v1/versions/?awaiting_my_approval=false",
    ]
    many_plans(3)
    _counts(apis, urls)  # the users' roles are cached on first use
    few = _counts(apis, urls)

    many_plans(22)
    with django_assert_max_num_queries(MAX_QUERIES * len(few)):
        many = _counts(apis, urls)

    for key, (queries, rows) in many.items():
        assert queries <= MAX_QUERIES, key
        assert queries == few[key][0], key
        assert rows > few[key][1] or "status=" in key[1], key


@pytest.mark.django_db
def test_the_other_lists_run_a_constant_number_of_queries(api_for, manager, many_plans):
    apis = {"manager": api_for(manager)}
    urls = [
        "/api/v1/objectives/",
        "/api/v1/kpis/",
        "/api/v1/responsibilities/",
        "/api/v1/acknowledgements/",
        "/api/v1/processes/",
    ]
    many_plans(3)
    _counts(apis, urls)
    few = _counts(apis, urls)
    many_plans(22)
    many = _counts(apis, urls)
    for key, (queries, rows) in many.items():
        assert queries == few[key][0] <= MAX_QUERIES, key
        assert rows > few[key][1], key
