"""State transitions lock the row: two decisions at once give one transition
and one clear refusal (real threads, real transactions)."""

import threading

import pytest
from django.db import connection

from pdca.exceptions import Conflict, RuleViolation
from pdca.models import Decision
from plans import services
from plans.models import PlanVersion
from plans.tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def _at_once(*calls):
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except RuleViolation as exc:
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_approvals_at_once_give_one_transition_and_one_refusal(owner, manager, manager2):
    factories.approved_smp(manager2, manager)
    plan = factories.draft_process_plan(owner, manager)
    version = plan.latest_version
    services.submit_plan(version=version, actor=owner)
    services.review_plan(version=version, actor=owner)

    results = _at_once(
        lambda: services.approve_plan(version=version, actor=manager),
        lambda: services.approve_plan(version=version, actor=manager),
    )
    refusals = [r for r in results if isinstance(r, Conflict)]
    approvals = [r for r in results if isinstance(r, PlanVersion)]
    assert len(approvals) == 1 and len(refusals) == 1, results
    assert "not in review" in refusals[0].message
    assert Decision.objects.for_object(version).filter(action="approve").count() == 1


def test_approval_and_request_for_changes_at_once_give_one_decision(owner, manager, manager2):
    factories.approved_smp(manager2, manager)
    plan = factories.draft_process_plan(owner, manager)
    version = plan.latest_version
    services.submit_plan(version=version, actor=owner)
    services.review_plan(version=version, actor=owner)

    results = _at_once(
        lambda: services.approve_plan(version=version, actor=manager),
        lambda: services.request_changes(version=version, actor=manager, comment="Please add X."),
    )
    assert sum(isinstance(r, Conflict) for r in results) == 1, results
    decisions = Decision.objects.for_object(version).filter(action__in=["approve", "request_changes"])
    assert decisions.count() == 1
    assert PlanVersion.objects.get(pk=version.pk).status in ("approved", "draft")
