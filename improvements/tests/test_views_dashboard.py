"""Act on the dashboard: a CSI owner sees what waits for his or her decision
(tasks), what is overdue and what was found not effective; whoever carries
improvements out sees his or her own among the tasks. A bounded number of
queries."""

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from improvements import services
from improvements.models import Improvement
from reviews.models import Finding

from .test_views_improvements import implemented_with_result

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("dashboard")


def panels(response):
    return {panel["title"]: panel for panel in response.context["panels"]}


def labels(panel):
    return [item["label"] for item in panel["items"]]


@pytest.fixture
def reopened(reviewed_findings, csi_owner, owner, kpi):
    """The minor nonconformity, found not effective and back in implementation, overdue."""
    improvement = reviewed_findings[Finding.Grade.MINOR].improvement
    services.update_improvement(
        improvement=improvement,
        actor=owner,
        expected_revision=improvement.revision,
        required_by=timezone.localdate() - datetime.timedelta(days=2),
    )
    improvement = implemented_with_result(Improvement.objects.get(pk=improvement.pk), csi_owner, owner, kpi)
    services.check_effectiveness(
        improvement=improvement, actor=csi_owner, effective=False, evidence="Not yet."
    )
    return Improvement.objects.get(pk=improvement.pk)


def test_a_csi_owner_sees_what_waits_for_approval_what_is_overdue_and_what_is_not_effective(
    client_for, reviewed_findings, reopened, csi_owner
):
    response = client_for(csi_owner).get(DASHBOARD)
    shown = panels(response)
    # What waits for the CSI owner's approval is among his or her tasks.
    proposed = [reviewed_findings[g].improvement for g in (Finding.Grade.MAJOR, Finding.Grade.OPPORTUNITY)]
    waiting = [t for t in response.context["inbox"].tasks if t.kind == "improvement_approval"]
    assert {t.object_label.split(":")[0] for t in waiting} == {i.code for i in proposed}
    assert labels(shown["Overdue improvements"]) == [f"{reopened.code} {reopened.title}"]
    assert labels(shown["Improvements found not effective"]) == [f"{reopened.code} {reopened.title}"]
    stats = {stat["label"]: stat for stat in response.context["stats"]}
    assert stats["Improvements to approve"]["value"] == 2
    assert stats["Improvements to approve"]["url"] == "/tasks/?kind=improvement_approval"
    assert stats["improvements overdue"]["value"] == 1


def test_the_owner_sees_the_improvements_he_carries_out(
    client_for, reviewed_findings, reopened, owner, other_owner
):
    response = client_for(owner).get(DASHBOARD)
    assert [(t.kind, t.object_label) for t in response.context["top_tasks"]] == [
        ("nonconformity", str(reopened))
    ]
    assert "Found not effective" in response.content.decode()
    assert client_for(other_owner).get(DASHBOARD).context["top_tasks"] == []


def test_a_csi_owner_is_not_asked_to_approve_what_he_proposed(
    client_for, csi_principle, csi_owner, communicated_plan
):
    services.propose_improvement(
        actor=csi_owner, title="Mine", description="x", processes=[communicated_plan.process]
    )
    assert client_for(csi_owner).get(DASHBOARD).context["top_tasks"] == []


def test_the_panels_run_a_bounded_number_of_queries(
    client_for, reviewed_findings, reopened, csi_owner, owner
):
    client = client_for(csi_owner)
    client.get(DASHBOARD)

    def count():
        client.get(DASHBOARD)  # the session remembers the count of tasks (pdca.inbox)
        cache.clear()  # the panels as computed, not as kept for an unchanged version
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured)

    few = count()
    process = reopened.processes.get()
    for n in range(8):
        services.propose_improvement(
            actor=owner,
            title=f"More {n}",
            description="x",
            processes=[process],
            required_by=timezone.localdate() - datetime.timedelta(days=1),
        )
    assert count() == few
