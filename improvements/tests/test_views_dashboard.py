"""Act's dashboard panels: a CSI owner sees what waits for his or her decision,
what is overdue and what was found not effective; whoever carries
improvements out sees his or her own. A bounded number of queries."""

import datetime

import pytest
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
    waiting = shown["Improvements waiting for your approval"]
    proposed = [reviewed_findings[g].improvement for g in (Finding.Grade.MAJOR, Finding.Grade.OPPORTUNITY)]
    assert waiting["count"] == 2 and {i.code for i in proposed} == {
        label.split()[0] for label in labels(waiting)
    }
    assert labels(shown["Overdue improvements"]) == [f"{reopened.code} {reopened.title}"]
    assert labels(shown["Improvements found not effective"]) == [f"{reopened.code} {reopened.title}"]
    stats = {stat["label"]: stat["value"] for stat in response.context["stats"]}
    assert stats["improvements to approve"] == 2 and stats["improvements overdue"] == 1


def test_the_owner_sees_the_improvements_he_carries_out(
    client_for, reviewed_findings, reopened, owner, other_owner
):
    shown = panels(client_for(owner).get(DASHBOARD))
    assert labels(shown["Your improvements to carry out"]) == [f"{reopened.code} {reopened.title}"]
    assert "Improvements waiting for your approval" not in shown
    assert "Your improvements to carry out" not in panels(client_for(other_owner).get(DASHBOARD))


def test_a_csi_owner_is_not_asked_to_approve_what_he_proposed(
    client_for, csi_principle, csi_owner, communicated_plan
):
    services.propose_improvement(
        actor=csi_owner, title="Mine", description="x", processes=[communicated_plan.process]
    )
    assert "Improvements waiting for your approval" not in panels(client_for(csi_owner).get(DASHBOARD))


def test_the_panels_run_a_bounded_number_of_queries(
    client_for, reviewed_findings, reopened, csi_owner, owner
):
    client = client_for(csi_owner)
    client.get(DASHBOARD)

    def count():
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
