"""The filters and orders of Act's API lists: each narrows the list to what it
says, an invalid value is a 400 naming the parameter, and the choices name
only what the user may see."""

import datetime

import pytest
from django.utils import timezone

from improvements import services
from improvements.models import Improvement
from improvements.tests.test_api_workflow import advance, propose
from plans.tests.factories import ProcessFactory
from reviews.models import Finding

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def register(reviewed_findings, communicated_plan, owner, other_owner, csi_owner, manager):
    """The review's major (high), minor and opportunity (proposed); a suggestion
    of the owner's process that is overdue, one required later, one closed
    although its date has passed, a critical one of the other owner's process,
    and a low company-wide one in a project."""
    incident = communicated_plan.process
    change = ProcessFactory(name="Change management", owner=other_owner)
    late = propose(owner, incident, title="Late", required_by=TODAY - DAY)
    later = advance(
        propose(owner, incident, title="Later", required_by=TODAY + 30 * DAY),
        "approved",
        csi_owner=csi_owner,
        owner=owner,
    )
    closed = advance(
        propose(owner, incident, title="Closed", required_by=TODAY - 10 * DAY),
        "closed",
        csi_owner=csi_owner,
        owner=owner,
    )
    critical = propose(manager, change, title="Critical", priority=Improvement.Priority.CRITICAL)
    company = services.propose_improvement(
        actor=manager,
        title="Company",
        description="Everybody.",
        scope=Improvement.Scope.COMPANY,
        owner=other_owner,
        priority=Improvement.Priority.LOW,
        source=Improvement.Source.MEASUREMENT,
    )
    services.save_project(
        actor=csi_owner,
        name="Culture",
        manager=other_owner,
        starts_on=TODAY,
        ends_on=TODAY + 90 * DAY,
        improvements=[company],
    )
    services.save_project(
        actor=csi_owner,
        name="Another",
        manager=csi_owner,
        starts_on=TODAY + DAY,
        ends_on=TODAY + 90 * DAY,
    )
    return {
        "major": reviewed_findings[Finding.Grade.MAJOR].improvement,
        "minor": reviewed_findings[Finding.Grade.MINOR].improvement,
        "opportunity": reviewed_findings[Finding.Grade.OPPORTUNITY].improvement,
        "late": late,
        "later": later,
        "closed": closed,
        "critical": critical,
        "company": company,
        "change": change,
    }


def _numbers(api, params, url="/api/v1/improvements/"):
    response = api.get(url, params)
    assert response.status_code == 200, (params, response.json())
    return [row["number"] for row in response.json()["results"]]


def test_the_register_filters_by_status_scope_owner_process_source_priority_finding_and_dates(
    api_for, register, manager, owner, other_owner, communicated_plan
):
    api = api_for(manager)
    n = {
        name: improvement.number
        for name, improvement in register.items()
        if isinstance(improvement, Improvement)
    }
    own = {n["major"], n["minor"], n["opportunity"], n["late"], n["later"], n["closed"]}
    cases = {
        (): set(n.values()),
        (("status", "approved"),): {n["later"]},
        (("status", "closed"),): {n["closed"]},
        (("status", "open"),): set(n.values()) - {n["closed"]},
        (("scope", "company"),): {n["company"]},
        (("owner", owner.pk),): own,
        (("owner", other_owner.pk),): {n["critical"], n["company"]},
        (("process", communicated_plan.process_id),): own,
        (("process", register["change"].pk),): {n["critical"]},
        (("source", "finding"),): {n["major"], n["minor"], n["opportunity"]},
        (("source", "measurement"),): {n["company"]},
        (("priority", "high"),): {n["major"]},
        (("priority", "critical"),): {n["critical"]},
        (("finding", register["minor"].finding_id),): {n["minor"]},
        (("overdue", "true"),): {n["late"]},
        (("overdue", "false"),): set(n.values()) - {n["late"]},
        (("required_before", str(TODAY)),): {n["late"], n["closed"]},
        (("required_after", str(TODAY)),): {n["later"]},
        (("required_after", str(TODAY - 10 * DAY)), ("required_before", str(TODAY - DAY))): {
            n["late"],
            n["closed"],
        },
        (("search", "I-{}".format(n["late"])),): {n["late"]},
        (("status", "proposed"), ("process", communicated_plan.process_id)): {
            n["major"],
            n["minor"],
            n["opportunity"],
            n["late"],
        },
    }
    for params, expected in cases.items():
        assert set(_numbers(api, dict(params))) == expected, params


def test_the_register_sorts_as_its_page_does(api_for, register, manager):
    api = api_for(manager)
    n = {
        name: improvement.number
        for name, improvement in register.items()
        if isinstance(improvement, Improvement)
    }
    assert _numbers(api, {}) == sorted(n.values(), reverse=True)
    assert _numbers(api, {"ordering": "number"}) == sorted(n.values())
    by_priority = _numbers(api, {"ordering": "-priority"})
    assert (
        by_priority[0] == n["critical"] and by_priority[1] == n["major"] and by_priority[-1] == n["company"]
    )
    by_date = _numbers(api, {"ordering": "required_by"})
    assert by_date[:3] == [n["closed"], n["late"], n["later"]]  # without a date: last
    rows = api.get("/api/v1/improvements/", {"ordering": "-status"}).json()["results"]
    assert [row["status"] for row in rows] == ["closed", "approved", *["proposed"] * 6]


def test_an_invalid_filter_value_is_a_400_naming_the_parameter(api_for, register, manager):
    api = api_for(manager)
    for params in (
        {"status": "done"},
        {"scope": "galaxy"},
        {"source": "rumour"},
        {"priority": "urgent"},
        {"owner": "me"},
        {"owner": 987654},
        {"process": "incident"},
        {"finding": "F1-1"},
        {"overdue": "maybe"},
        {"required_before": "soon"},
        {"required_after": "2026-13-01"},
        {"ordering": "title"},
        {"ordering": "--number"},
    ):
        response = api.get("/api/v1/improvements/", params)
        assert response.status_code == 400, (params, response.status_code)
        assert set(params) <= set(response.json()["errors"]), (params, response.json())
    for url, params in (
        ("/api/v1/improvement-projects/", {"status": "late"}),
        ("/api/v1/improvement-projects/", {"improvement": "I-1"}),
        ("/api/v1/improvement-projects/", {"ordering": "budget"}),
        ("/api/v1/baselines/", {"improvement": "first"}),
        ("/api/v1/baselines/", {"from_measurements": "sometimes"}),
        ("/api/v1/results/", {"improvement": 987654}),
        ("/api/v1/effectiveness-checks/", {"effective": "perhaps"}),
    ):
        response = api.get(url, params)
        assert response.status_code == 400, (url, params, response.status_code)
        assert set(params) <= set(response.json()["errors"]), (url, params, response.json())


def test_projects_baselines_results_and_checks_filter_by_improvement(api_for, register, manager, other_owner):
    api = api_for(manager)

    def names(params):
        response = api.get("/api/v1/improvement-projects/", params)
        assert response.status_code == 200, response.json()
        return [row["name"] for row in response.json()["results"]]

    assert names({}) == ["Culture", "Another"]
    assert names({"ordering": "-starts_on"}) == ["Another", "Culture"]
    assert names({"improvement": register["company"].number}) == ["Culture"]
    assert names({"manager": other_owner.pk, "status": "planned"}) == ["Culture"]
    closed = register["closed"].number
    for url, count in (
        ("/api/v1/baselines/", 1),
        ("/api/v1/results/", 1),
        ("/api/v1/effectiveness-checks/", 1),
    ):
        rows = api.get(url, {"improvement": closed}).json()["results"]
        assert len(rows) == count and {row["improvement"] for row in rows} == {closed}, url
        assert api.get(url, {"improvement": register["late"].number}).json()["count"] == 0, url
    assert api.get("/api/v1/effectiveness-checks/", {"effective": "false"}).json()["count"] == 0
    assert api.get("/api/v1/baselines/", {"from_measurements": "false"}).json()["count"] == 1
    assert api.get("/api/v1/baselines/", {"from_measurements": "true"}).json()["count"] == 0


def test_filters_name_only_what_the_user_may_see(api_for, register, staff):
    """Staff read the improvements of the process whose plan was communicated to them."""
    api = api_for(staff)
    numbers = set(_numbers(api, {}))
    assert register["company"].number not in numbers and register["critical"].number not in numbers
    assert register["late"].number in numbers
    hidden = api.get("/api/v1/improvements/", {"process": register["change"].pk})
    assert hidden.status_code == 400 and "process" in hidden.json()["errors"]
    assert (
        api.get("/api/v1/improvement-projects/", {"improvement": register["company"].number}).status_code
        == 400
    )
    assert api.get("/api/v1/improvement-projects/").json()["count"] == 0
