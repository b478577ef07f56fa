"""The service improvement plan (A2) at /improvements/: every improvement the
user may read, filtered, sorted and paginated, with the counts by status
under the same filters, in a fixed number of queries; and the way to the CSI
principle (A1)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from improvements import services
from improvements.models import Improvement
from improvements.selectors import ImprovementFilter
from improvements.views.register import PER_PAGE
from plans.models import Plan
from plans.tests.factories import ProcessFactory
from reviews.models import Finding

pytestmark = pytest.mark.django_db
URL = reverse("improvements:register")
Status = Improvement.Status


def rows(response):
    return re.findall(r'<tr id="improvement-(\d+)"', response.content.decode())


def _propose(actor, process, n, **details):
    return services.propose_improvement(
        actor=actor, title=f"Improvement {n}", description="Better.", processes=[process], **details
    )


@pytest.fixture
def register(reviewed_findings, owner, other_owner, csi_owner, communicated_plan):
    """The three improvements from the approved review (major, minor and
    opportunity of the incident process), a suggestion for another owner's
    process (overdue, high), and a company-wide one of no process."""
    changes = ProcessFactory(name="Change management", owner=other_owner)
    suggestion = _propose(
        owner,
        changes,
        "for changes",
        priority=Improvement.Priority.HIGH,
        required_by=timezone.localdate() - datetime.timedelta(days=3),
    )
    company = services.propose_improvement(
        actor=other_owner,
        title="Single sign-on",
        description="Everywhere.",
        scope=Improvement.Scope.COMPANY,
        owner=other_owner,
        required_by=timezone.localdate() + datetime.timedelta(days=30),
    )
    services.approve_improvement(
        improvement=reviewed_findings[Finding.Grade.MINOR].improvement, actor=csi_owner
    )
    return {"suggestion": suggestion, "company": company, **reviewed_findings}


def test_the_register_lists_every_improvement_with_its_source_and_counts_by_status(
    client_for, register, csi_owner
):
    response = client_for(csi_owner).get(URL)
    assert response.status_code == 200
    assert len(rows(response)) == 5
    html = response.content.decode()
    minor = register[Finding.Grade.MINOR]
    # A2: the source links to the finding and its review.
    assert f'href="{minor.get_absolute_url()}"' in html
    assert f'href="{reverse("reviews:detail", args=[minor.review_id])}"' in html
    counts = {count.value: count.count for count, _url in response.context["status_counts"]}
    assert counts["proposed"] == 4 and counts["approved"] == 1 and counts["closed"] == 0
    assert response.context["overdue_count"] == 1
    # Each count links to its list.
    link = {count.value: link for count, link in response.context["status_counts"]}["approved"]
    assert rows(client_for(csi_owner).get(URL + link)) == [str(minor.improvement.number)]
    assert "overdue" in html and "Propose an improvement" in html


def test_the_register_filters_by_status_scope_owner_process_source_priority_and_overdue(
    client_for, register, csi_owner, other_owner, communicated_plan
):
    client = client_for(csi_owner)
    suggestion, company = register["suggestion"], register["company"]

    def numbers(**params):
        return sorted(int(n) for n in rows(client.get(URL, params)))

    findings = sorted(register[g].improvement.number for g in ("major", "minor", "opportunity"))
    assert numbers(status="approved") == [register["minor"].improvement.number]
    assert numbers(status="open") == sorted([*findings, suggestion.number, company.number])
    assert numbers(scope="company") == [company.number]
    assert numbers(owner=other_owner.pk) == sorted([suggestion.number, company.number])
    assert numbers(process=communicated_plan.process.pk) == findings
    assert numbers(source="suggestion") == sorted([suggestion.number, company.number])
    assert numbers(priority="high") == sorted([suggestion.number, register["major"].improvement.number])
    assert numbers(overdue="true") == [suggestion.number]
    assert numbers(search=f"I-{company.number}") == [company.number]
    # The counts follow the other filters.
    response = client.get(URL, {"scope": "company", "status": "approved"})
    counts = {count.value: count.count for count, _url in response.context["status_counts"]}
    assert counts["proposed"] == 1 and counts["approved"] == 0
    assert "No improvement matches these filters." in response.content.decode()


def test_the_register_sorts_by_number_required_by_priority_and_status(client_for, register, csi_owner):
    client = client_for(csi_owner)
    suggestion, company = register["suggestion"], register["company"]
    by_number = [int(n) for n in rows(client.get(URL))]
    assert by_number == sorted(by_number, reverse=True)  # newest first by default
    assert [int(n) for n in rows(client.get(URL, {"sort": "number"}))] == sorted(by_number)
    by_date = [int(n) for n in rows(client.get(URL, {"sort": "required_by"}))]
    assert by_date[:2] == [suggestion.number, company.number]  # dated first, the earliest first
    by_priority = [int(n) for n in rows(client.get(URL, {"sort": "-priority"}))]
    assert set(by_priority[:2]) == {suggestion.number, register["major"].improvement.number}
    assert int(rows(client.get(URL, {"sort": "-status"}))[0]) == register["minor"].improvement.number
    # The sort link of the column sorted ascending reverses it.
    response = client.get(URL, {"sort": "priority"})
    assert response.context["sort"]["priority"]["url"].endswith("sort=-priority")
    assert response.context["sort"]["priority"]["direction"] == "ascending"


def test_the_register_runs_a_constant_number_of_queries_whatever_the_number_of_improvements(
    client_for, csi_owner, owner, csi_principle, communicated_plan
):
    client = client_for(csi_owner)
    process = communicated_plan.process

    def count(params=None):
        client.get(URL)  # warm caches
        with CaptureQueriesContext(connection) as captured:
            response = client.get(URL, params or {})
        assert response.status_code == 200
        return len(captured), response

    filters = {"status": "approved", "sort": "priority", "process": process.pk, "overdue": "false"}
    for n in range(2):
        improvement = _propose(owner, process, n)
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    few, response = count()
    assert len(rows(response)) == 2
    few_filtered, response = count(filters)
    assert len(rows(response)) == 1
    second = ProcessFactory(name="Change management")
    for n in range(2, PER_PAGE + 5):
        improvement = _propose(owner, second if n % 2 else process, n, required_by=timezone.localdate())
        if n % 3 == 0:
            services.approve_improvement(improvement=improvement, actor=csi_owner)
    many, response = count()
    assert len(rows(response)) == PER_PAGE  # the rows shown: a full page
    assert many == few
    many_filtered, response = count(filters)
    assert len(rows(response)) == 5
    assert many_filtered == few_filtered


def test_staff_see_the_improvements_of_the_plans_they_read(client_for, register, staff):
    """Staff read the improvements of the processes whose plans were
    communicated to them; a company-wide one is not among them."""
    response = client_for(staff).get(URL)
    assert response.status_code == 200
    shown = {int(n) for n in rows(response)}
    assert shown == {register[g].improvement.number for g in ("major", "minor", "opportunity")}
    assert "Propose an improvement" in response.content.decode()


def test_the_process_and_owner_filters_offer_what_the_register_holds(
    client_for, register, staff, csi_owner, communicated_plan
):
    """Staff are offered the processes of the plans they read that have
    improvements, and the processes of the improvements they raised or own;
    not the processes whose plans they do not read. Readers of the whole
    register are offered every process with improvements."""

    def offered(user, name):
        response = client_for(user).get(URL)
        field = response.context["filter_fields"][ImprovementFilter.PAGE_FILTERS.index(name)]
        return {label for value, label in field.field.choices if value != ""}

    incidents, changes = communicated_plan.process.name, register["suggestion"].processes.get().name
    ProcessFactory(name="Problem management")  # no improvement
    assert offered(staff, "process") == {incidents}
    assert offered(csi_owner, "process") == {incidents, changes}
    own = ProcessFactory(name="Capacity management")
    services.propose_improvement(actor=staff, title="Mine", description="x", processes=[own])
    assert offered(staff, "process") == {incidents, own.name}
    owners = {str(i.owner) for i in Improvement.objects.visible_to(staff) if i.owner}
    assert offered(staff, "owner") == owners


def test_auditors_read_the_register_but_are_not_offered_to_propose(client_for, register, auditor):
    response = client_for(auditor).get(URL)
    assert len(rows(response)) == 5
    assert "Propose an improvement" not in response.content.decode()


# -- the CSI principle (A1) ----------------------------------------------------------------------------------


def test_the_csi_principle_link_leads_to_its_plan(client_for, csi_principle, owner):
    response = client_for(owner).get(reverse("improvements:principle"))
    assert response.status_code == 302 and response["Location"] == csi_principle.get_absolute_url()


def test_a_manager_starts_the_csi_principle_from_the_plan_when_there_is_none(client_for, smp, manager):
    client = client_for(manager)
    page = client.get(reverse("improvements:principle"))
    assert page.status_code == 200 and "Start the CSI principle" in page.content.decode()
    response = client.post(reverse("improvements:principle"))
    principle = Plan.objects.get(kind=Plan.Kind.CSI)
    assert response.status_code == 302 and response["Location"] == principle.latest_version.get_absolute_url()


def test_others_are_told_that_top_management_writes_the_csi_principle(client_for, smp, owner):
    client = client_for(owner)
    page = client.get(reverse("improvements:principle"))
    assert page.status_code == 200
    assert "top management (a manager) writes and approves it" in page.content.decode()
    assert "Start the CSI principle" not in page.content.decode()
    assert client.post(reverse("improvements:principle")).status_code == 403
    assert not Plan.objects.filter(kind=Plan.Kind.CSI).exists()
