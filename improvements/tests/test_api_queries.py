"""Act's lists run a constant number of SQL queries, whatever the number of
improvements, projects, baseline values, results and effectiveness checks,
and of their parts (processes and projects per improvement, improvements and
milestones per project); so does one improvement, whatever it holds."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from improvements import services
from improvements.models import BaselineValue, Improvement, Project
from improvements.tests.test_api_workflow import advance, propose
from plans.tests.factories import ProcessFactory

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()

# The fixed queries (session, user, roles, count, page, prefetches), far below
# what one query per row would cost with 20 rows.
MAX_QUERIES = 12

URLS = [
    "/api/v1/improvements/",
    "/api/v1/improvements/?status=proposed&scope=processes",
    "/api/v1/improvements/?overdue=false&ordering=-priority",
    "/api/v1/improvements/?ordering=status&search=Single",
    "/api/v1/improvement-projects/",
    "/api/v1/improvement-projects/?status=planned&ordering=-name",
    "/api/v1/baselines/",
    "/api/v1/results/",
    "/api/v1/effectiveness-checks/",
    "/api/v1/effectiveness-checks/?effective=true",
]
STEPS = ("approved", "baseline", "result", "evaluated")


@pytest.fixture
def many_improvements(csi_principle, communicated_plan, owner, csi_owner):
    """make(n) -> n more rounds, each with an improvement of the owner's process
    at another step of the workflow, one spanning it and a new process, and a
    project carrying one or two of them with 0 to 2 milestones."""
    numbers = itertools.count()
    incident = communicated_plan.process

    def make(n):
        for k in itertools.islice(numbers, n):
            process = ProcessFactory(name=f"Process {k:02d}")
            single = advance(
                propose(
                    owner, incident, title=f"Single {k}", required_by=TODAY + datetime.timedelta(days=k - 2)
                ),
                STEPS[k % len(STEPS)],
                csi_owner=csi_owner,
                owner=owner,
            )
            wide = services.propose_improvement(
                actor=owner,
                title=f"Wide {k}",
                description="Across processes.",
                processes=[incident, process],
                scope=Improvement.Scope.PROCESSES,
                owner=process.owner,
            )
            project = services.save_project(
                actor=csi_owner,
                name=f"Project {k:02d}",
                manager=process.owner,
                starts_on=TODAY,
                ends_on=TODAY + datetime.timedelta(days=90),
                improvements=[wide, single] if k % 2 else [wide],
            )
            for m in range(k % 3):
                services.save_project_milestone(
                    project=project,
                    actor=csi_owner,
                    title=f"Step {m}",
                    due_on=TODAY + datetime.timedelta(days=m),
                )

    return make


def _counts(apis, urls):
    """{(role, url): (queries, rows)}; the status and the body are shown when a list fails."""
    counts = {}
    for role, api in apis.items():
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = api.get(url)
            assert response.status_code == 200, (role, url, response.status_code, response.json())
            counts[role, url] = (len(queries), response.json()["count"])
    return counts


def test_act_lists_run_a_constant_number_of_queries(
    api_for, many_improvements, manager, csi_owner, owner, auditor, staff
):
    apis = {
        "manager": api_for(manager),
        "csi_owner": api_for(csi_owner),
        "owner": api_for(owner),
        "auditor": api_for(auditor),
        "staff": api_for(staff),
    }
    many_improvements(4)  # a round at each step, so that every list has rows
    _counts(apis, URLS)  # the users' roles are cached on first use
    few = _counts(apis, URLS)

    many_improvements(11)
    many = _counts(apis, URLS)
    assert Improvement.objects.count() == 30 and Project.objects.count() == 15

    for key, (queries, rows) in many.items():
        few_queries, few_rows = few[key]
        assert queries <= MAX_QUERIES, (key, queries, rows)
        assert queries == few_queries, (
            key,
            f"{few_queries} queries for {few_rows} rows",
            f"{queries} for {rows}",
        )
    # The lists did grow, for staff too (they read the improvements of the process communicated to them).
    for role in apis:
        for url in ("/api/v1/improvements/", "/api/v1/improvement-projects/", "/api/v1/baselines/"):
            assert many[role, url][1] > few[role, url][1], (role, url)
    assert many["staff", "/api/v1/improvements/"][1] == 30


def test_one_improvement_runs_a_constant_number_of_queries_whatever_it_holds(
    api_for, many_improvements, csi_owner, owner, auditor
):
    many_improvements(4)
    small = Improvement.objects.get(title="Single 3")  # evaluated: one value, one result, one check
    big = Improvement.objects.get(title="Single 2")  # implemented; below, more of everything
    for label in ("Reopened tickets", "First-call resolution", "Waiting time"):
        BaselineValue.objects.create(
            improvement=big, label=label, value=Decimal("3"), measured_on=TODAY, evidence="Report."
        )
    services.check_effectiveness(improvement=big, actor=csi_owner, effective=False, evidence="Not yet.")
    services.mark_implemented(improvement=big, actor=owner)
    for label in ("Waiting time", "Reopened tickets"):
        services.record_result(
            improvement=big,
            actor=owner,
            label=label,
            value=Decimal("2"),
            period_start=TODAY,
            period_end=TODAY,
        )
    services.check_effectiveness(improvement=big, actor=csi_owner, effective=True, evidence="Now.")
    big = Improvement.objects.get(pk=big.pk)
    assert big.status == small.status == Improvement.Status.EVALUATED
    assert (big.baseline.count(), big.results.count(), big.checks.count()) == (4, 3, 2)

    for user in (csi_owner, owner, auditor):
        api = api_for(user)
        api.get(f"/api/v1/improvements/{small.number}/")  # the user's roles are cached on first use
        counts = {}
        for improvement in (small, big):
            with CaptureQueriesContext(connection) as queries:
                response = api.get(f"/api/v1/improvements/{improvement.number}/")
            assert response.status_code == 200, response.json()
            counts[improvement.title] = len(queries)
        assert counts["Single 3"] == counts["Single 2"], (user, counts)
