"""Check's lists run a constant number of SQL queries, whatever the number of
reviews, schedules, findings and actions, and of their parts (processes,
participants, findings per review)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from plans import services as plan_services
from plans.tests import factories as plan_factories
from reviews import services
from reviews.models import Finding, Review
from reviews.tests import factories

# The fixed queries (session, user, roles, count, page, prefetches), far below
# what one query per row would cost with 20 rows.
MAX_QUERIES = 10

URLS = [
    "/api/v1/reviews/",
    "/api/v1/reviews/?status=approved&kind=process",
    "/api/v1/reviews/?awaiting_my_approval=true",
    "/api/v1/reviews/?awaiting_my_approval=false&ordering=-held_on",
    "/api/v1/findings/",
    "/api/v1/findings/?status=open&review_kind=process",
    "/api/v1/review-actions/",
    "/api/v1/review-actions/?overdue=false",
    "/api/v1/review-schedules/",
    "/api/v1/review-schedules/?overdue=false",
]


@pytest.fixture
def many_reviews(smp, manager, staff):
    """make(n) -> n more communicated process plans, each with a review in
    a different state, with 0 to 3 participants, findings and actions."""
    numbers = itertools.count()

    def make(n):
        for i in itertools.islice(numbers, n):
            process = plan_factories.ProcessFactory(name=f"Process {i:02d}")
            owner = process.owner
            plan = plan_factories.approved_process_plan(owner, manager, process=process)
            plan_services.set_distribution(plan=plan, actor=owner, users=[staff], groups=[])
            plan_services.communicate_plan(version=plan.latest_version, actor=owner)
            participants = [UserFactory(username=f"p{i}-{k}", roles=[roles.STAFF]) for k in range(i % 4)]
            review = factories.held(factories.process_review(plan, owner, participants=participants), owner)
            for k in range(i % 4):
                services.save_finding(
                    review=review,
                    actor=owner,
                    grade=Finding.Grade.values[k],
                    description=f"Finding {k} of {process}.",
                    evidence="Sampled tickets.",
                )
                services.save_action(
                    review=review,
                    actor=owner,
                    description=f"Action {k}",
                    owner=owner,
                    due_on=timezone.localdate(),
                )
            if i % 3 == 1:
                services.submit_review(review=review, actor=owner)
            elif i % 3 == 2:
                services.submit_review(review=review, actor=owner)
                services.approve_review(review=review, actor=manager)

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


@pytest.mark.django_db
def test_check_lists_run_a_constant_number_of_queries(api_for, many_reviews, manager, auditor, staff):
    apis = {"manager": api_for(manager), "auditor": api_for(auditor), "staff": api_for(staff)}
    many_reviews(3)
    _counts(apis, URLS)  # the users' roles are cached on first use
    few = _counts(apis, URLS)

    many_reviews(12)
    many = _counts(apis, URLS)
    assert Review.objects.count() == 15 and Finding.objects.count() > 15

    for key, (queries, rows) in many.items():
        few_queries, few_rows = few[key]
        assert queries <= MAX_QUERIES, (key, queries, rows)
        assert queries == few_queries, (
            key,
            f"{few_queries} queries for {few_rows} rows",
            f"{queries} for {rows}",
        )
    # The lists did grow (staff see only the approved reviews, and no schedules).
    for url in (
        "/api/v1/reviews/",
        "/api/v1/findings/",
        "/api/v1/review-actions/",
        "/api/v1/review-schedules/",
    ):
        assert many["manager", url][1] > few["manager", url][1], url
    assert many["staff", "/api/v1/reviews/"][1] == 5 and many["staff", "/api/v1/review-schedules/"][1] == 0
