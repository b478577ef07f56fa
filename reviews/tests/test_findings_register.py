"""The findings register (C6) at /reviews/findings/: every finding the user
may read, filtered, sorted and paginated, with the counts by grade and by
process under the same filters, in a fixed number of queries."""

import datetime
import re

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from plans.models import Process
from plans.tests import factories as plan_factories
from reviews import services
from reviews.api.filters import FindingFilter
from reviews.models import Finding, Review
from reviews.tests import factories
from reviews.views.findings import FINDINGS_PER_PAGE

pytestmark = pytest.mark.django_db
URL = reverse("reviews:findings")


def _raise(
    review, actor, grade, description, *, evidence="Sampled tickets.", days_ago=0, process=None, clause=""
):
    finding = services.save_finding(
        review=review,
        actor=actor,
        grade=grade,
        description=description,
        evidence=evidence,
        process=process,
        clause=clause,
    )
    if days_ago:
        # Noon of the local day `days_ago` days back: an age in days whatever the hour
        # of the run and whatever daylight saving time lies between.
        day = timezone.localdate() - datetime.timedelta(days=days_ago)
        Finding.objects.filter(pk=finding.pk).update(
            raised_at=timezone.make_aware(datetime.datetime.combine(day, datetime.time(12)))
        )
    return Finding.objects.get(pk=finding.pk)


def _approve(review, reviewer, approver):
    services.submit_review(review=review, actor=reviewer)
    services.approve_review(review=review, actor=approver)


@pytest.fixture
def register(communicated_plan, smp, owner, other_owner, manager, manager2, auditor):
    """Findings of four reviews:
    - the owner's approved process review (communicated to staff): a major
      nonconformity of 200 days and a minor one of 40 days, closed since;
    - an internal audit in progress of two processes: an observation and an
      opportunity, one per process;
    - a management review in progress: an opportunity of no single process;
    - the other owner's approved process review (of a plan staff do not read):
      a minor nonconformity."""
    incidents = communicated_plan.process
    review = factories.held(factories.process_review(communicated_plan, owner), owner)
    major = _raise(
        review,
        owner,
        "major",
        "Incidents are not classified.",
        clause="8.6.1",
        days_ago=200,
        evidence="3 of 20 sampled tickets had no category; " + "the desk said so. " * 10,
    )
    closed = _raise(review, owner, "minor", "Reports are late.", clause="9.1", days_ago=40)
    _approve(review, owner, manager)
    Finding.objects.filter(pk=closed.pk).update(status=Finding.Status.CLOSED)

    changes_plan = plan_factories.approved_process_plan(other_owner, manager, name="Change management")
    services.save_schedule(
        plan=changes_plan,
        actor=other_owner,
        interval_months=12,
        next_planned_on=timezone.localdate(),
        reviewer=other_owner,
    )
    changes_review = factories.held(factories.process_review(changes_plan, other_owner), other_owner)
    hidden = _raise(changes_review, other_owner, "minor", "Changes without approval.", days_ago=10)
    _approve(changes_review, other_owner, manager)

    audit = factories.held(
        services.plan_review(
            actor=manager,
            kind=Review.Kind.INTERNAL_AUDIT,
            processes=[incidents, changes_plan.process],
            planned_on=timezone.localdate(),
            reviewer=auditor,
        ),
        auditor,
    )
    observation = _raise(
        audit, auditor, "observation", "The runbook is unclear.", process=incidents, days_ago=5
    )
    opportunity = _raise(
        audit, auditor, "opportunity", "Automate the change calendar.", process=changes_plan.process
    )

    management = factories.held(
        services.plan_review(
            actor=manager, kind=Review.Kind.MANAGEMENT, planned_on=timezone.localdate(), reviewer=manager2
        ),
        manager2,
    )
    sms = _raise(management, manager2, "opportunity", "One tool for every process.")
    return {
        "major": major,
        "closed": closed,
        "hidden": hidden,
        "observation": observation,
        "opportunity": opportunity,
        "sms": sms,
        "incidents": incidents,
        "changes": changes_plan.process,
    }


def _listed(response):
    assert response.status_code == 200, response.status_code
    return {finding.pk for finding, _age in response.context["rows"]}


def _counts(response):
    grades = {count.value: count.count for count, _url in response.context["grade_counts"]}
    processes = {
        count.label or count.value: count.count for count, _url in response.context["process_counts"]
    }
    return grades, processes


# -- who reads what -------------------------------------------------------------------------------


def test_the_register_lists_every_finding_of_the_reviews_the_user_may_read(
    client_for, register, manager, auditor, staff
):
    everything = {f.pk for f in Finding.objects.all()}
    assert _listed(client_for(manager).get(URL)) == everything
    assert _listed(client_for(auditor).get(URL)) == everything
    # Staff read the approved reviews of the plans communicated to them: nothing in progress, nothing else.
    response = client_for(staff).get(URL)
    assert _listed(response) == {register["major"].pk, register["closed"].pk}
    assert _counts(response) == (
        {"major": 1, "minor": 1, "observation": 0, "opportunity": 0},
        {"Incident management": 2},
    )
    assert b"Change management" not in response.content and b"runbook" not in response.content


def test_the_register_needs_a_login(client, register):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# -- what a row shows ---------------------------------------------------------------------------------


def test_a_row_shows_grade_clause_process_finding_evidence_review_raised_date_age_and_status(
    client_for, register, manager
):
    major = register["major"]
    response = client_for(manager).get(URL, {"grade": "major"})
    [(finding, age)] = response.context["rows"]
    assert (finding, age) == (major, 200)
    html = response.content.decode()
    row = re.search(rf'<tr id="finding-{major.pk}">(.*?)</tr>', html, re.S).group(1)
    assert (
        major.code in row and "Major nonconformity" in row and "8.6.1" in row and "Incident management" in row
    )
    assert "Incidents are not classified." in row
    assert "3 of 20 sampled tickets" in row and "…" in row and major.evidence not in row  # shortened
    assert (
        f'href="{major.get_absolute_url()}"' in row and major.review.title in row and "Process review" in row
    )
    assert "200 days" in row and timezone.localtime(major.raised_at).strftime("%-d %b %Y") in row
    assert ">Open<" in row


# -- filters and counts ------------------------------------------------------------------------------------


def test_the_register_filters_by_grade_process_kind_status_age_and_search(client_for, register, manager):
    client = client_for(manager)
    r = register
    cases = {
        (("grade", "opportunity"),): {r["opportunity"].pk, r["sms"].pk},
        (("process", r["changes"].pk),): {r["opportunity"].pk, r["hidden"].pk},
        (("process", "null"),): {r["sms"].pk},
        (("review_kind", "internal_audit"),): {r["observation"].pk, r["opportunity"].pk},
        (("review_kind", "management"),): {r["sms"].pk},
        (("status", "closed"),): {r["closed"].pk},
        (("status", "open"), ("review_kind", "process")): {r["major"].pk, r["hidden"].pk},
        (("older_than", "30"),): {r["major"].pk, r["closed"].pk},
        (("older_than", "180"),): {r["major"].pk},
        (("search", "runbook"),): {r["observation"].pk},
        (("search", "SAMPLED desk"),): {r["major"].pk},
        (("search", "no such words"),): set(),
    }
    for params, expected in cases.items():
        assert _listed(client.get(URL, dict(params))) == expected, params
    # A blank filter form is no filter; a bad value is said at its field and filters nothing.
    blank = client.get(
        URL, {"grade": "", "process": "", "review_kind": "", "status": "", "older_than": "", "search": ""}
    )
    assert len(_listed(blank)) == Finding.objects.count()
    bad = client.get(URL, {"grade": "worst"})
    assert "grade" in bad.context["filter_fields"][1].form.errors


def test_the_counts_follow_the_filters_and_each_links_to_its_list(client_for, register, manager):
    client = client_for(manager)
    response = client.get(URL)
    assert _counts(response) == (
        {"major": 1, "minor": 2, "observation": 1, "opportunity": 2},
        {"Change management": 2, "Incident management": 3, "null": 1},
    )
    response = client.get(URL, {"status": "open", "review_kind": "process"})
    assert _counts(response) == (
        {"major": 1, "minor": 1, "observation": 0, "opportunity": 0},
        {"Change management": 1, "Incident management": 1},
    )
    # Each count is the length of the list it links to: the same filters, with its grade or process.
    for count, url in [*response.context["grade_counts"], *response.context["process_counts"]]:
        assert url.startswith("?") and "status=open" in url and "review_kind=process" in url
        assert len(_listed(client.get(URL + url))) == count.count, url
    # With a grade chosen, the grades still count what choosing another would list.
    response = client.get(URL, {"grade": "minor"})
    grades, processes = _counts(response)
    assert grades == {"major": 1, "minor": 2, "observation": 1, "opportunity": 2}
    assert processes == {"Change management": 1, "Incident management": 1}
    html = response.content.decode()
    assert (
        'aria-current="true"><span class="stat__value">2</span> <span class="stat__label">Minor nonconformity'
        in html
    )


def test_the_process_filter_offers_the_processes_the_register_holds(client_for, register, manager, owner):
    """Not every process the user may read (a thousand at scale): those with
    findings under the other filters, and the one chosen."""
    client = client_for(manager)

    def offered(params):
        response = client.get(URL, params)
        field = response.context["filter_fields"][FindingFilter.PAGE_FILTERS.index("process")]
        return {label for value, label in field.field.choices if value not in ("", "null")}

    plan_factories.draft_process_plan(owner, manager, name="Problem management")
    without_findings = Process.objects.exclude(pk__in=[register["incidents"].pk, register["changes"].pk])
    assert without_findings.exists()  # readable processes that have no findings
    assert offered({}) == {"Change management", "Incident management"}
    assert offered({"review_kind": "internal_audit"}) == {"Change management", "Incident management"}
    assert offered({"grade": "major"}) == {"Incident management"}
    # The one chosen stays offered, even where nothing under the other filters concerns it.
    chosen = without_findings.first()
    assert chosen.name in offered({"process": chosen.pk})
    html = client.get(URL, {"process": chosen.pk}).content.decode()
    assert f'<option value="{chosen.pk}" selected>' in html


# -- sorting and pages -------------------------------------------------------------------------------------


def test_the_register_sorts_by_each_column_both_ways(client_for, register, manager):
    client = client_for(manager)

    def order(sort):
        response = client.get(URL, {"sort": sort} if sort else {})
        return [finding.pk for finding, _age in response.context["rows"]]

    r = register
    newest_first = order(None)
    assert newest_first[-1] == r["major"].pk and newest_first[-2] == r["closed"].pk
    assert order("raised") == list(reversed(newest_first))
    assert order("grade")[0] == r["major"].pk and order("-grade")[-1] == r["major"].pk
    assert order("status")[0] == r["closed"].pk and order("-status")[-1] == r["closed"].pk
    assert order("process")[-1] == r["sms"].pk  # no process sorts last
    assert order("nonsense") == newest_first
    response = client.get(URL, {"sort": "grade", "status": "open"})
    assert response.context["sort"]["grade"]["direction"] == "ascending"
    assert QueryDict(response.context["sort"]["grade"]["url"][1:]).dict() == {
        "sort": "-grade",
        "status": "open",
    }
    assert 'aria-sort="ascending"' in response.content.decode()


def test_the_register_is_paginated_keeping_filters_and_sort(client_for, communicated_plan, owner):
    review = factories.held(factories.process_review(communicated_plan, owner), owner)
    for n in range(FINDINGS_PER_PAGE + 3):
        _raise(review, owner, "observation", f"Observation {n}.")
    client = client_for(owner)
    first = client.get(URL, {"grade": "observation", "sort": "raised"})
    assert len(first.context["rows"]) == FINDINGS_PER_PAGE and first.context["total"] == FINDINGS_PER_PAGE + 3
    assert 'href="?grade=observation&amp;sort=raised&amp;page=2"' in first.content.decode()
    second = client.get(URL, {"grade": "observation", "sort": "raised", "page": 2})
    assert [f.description for f, _age in second.context["rows"]] == [
        f"Observation {n}." for n in range(FINDINGS_PER_PAGE, FINDINGS_PER_PAGE + 3)
    ]


def test_the_register_works_without_javascript_and_says_when_nothing_matches(client_for, register, manager):
    response = client_for(manager).get(URL, {"search": "no such words"})
    html = response.content.decode()
    assert "<script" not in html and '<form method="get"' in html
    assert "No finding matches these filters." in html


def test_a_user_without_findings_is_told_where_they_come_from(client_for, smp, staff):
    response = client_for(staff).get(URL)
    assert (
        response.status_code == 200 and "There are no findings you can read yet" in response.content.decode()
    )


# -- a fixed number of queries ---------------------------------------------------------------------------------


def test_the_register_runs_a_constant_number_of_queries(
    client_for, communicated_plan, owner, manager, auditor
):
    review = factories.held(factories.process_review(communicated_plan, owner), owner)
    client = client_for(manager)
    urls = [URL, f"{URL}?grade=minor&status=open&sort=process", f"{URL}?older_than=30&search=late"]
    process = communicated_plan.process

    def grow(n):
        for k in range(n):
            _raise(
                review, owner, Finding.Grade.values[k % 4], f"Late {k}.", process=process if k % 2 else None
            )

    def measure():
        counts = {}
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            counts[url] = (len(queries), response.status_code, len(response.context["rows"]))
        return counts

    grow(2)
    measure()  # sessions and roles are read once
    few = measure()
    grow(30)
    many = measure()
    for url in urls:
        assert many[url][1] == 200, (url, many[url])
        assert many[url][0] == few[url][0], (url, f"few: {few[url]}", f"many: {many[url]}")
    assert many[URL][2] == FINDINGS_PER_PAGE > few[URL][2]
