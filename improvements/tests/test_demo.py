"""Act's demo: an approved CSI principle naming the demo CSI owner, the
register fed by the demo findings, two projects, improvements in every state
with baselines and results (one effective, one not) and a closed
nonconformity with its root cause; idempotent, and scaled by --scale."""

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import User
from improvements import permissions
from improvements.models import Improvement, Project
from plans.models import Plan, PlanVersion
from reviews.models import Finding

pytestmark = pytest.mark.django_db
Status = Improvement.Status


def _counts():
    return {m.__name__: m.objects.count() for m in apps.get_models() if m._meta.app_label == "improvements"}


def test_the_demo_runs_the_improvement_plan_in_every_state():
    call_command("seed_demo", quiet=True)
    principle = Plan.objects.get(kind=Plan.Kind.CSI)
    assert principle.current_version.status == PlanVersion.Status.COMMUNICATED
    csi = User.objects.get(username="csi")
    assert permissions.csi_owner_ids() == {csi.pk}
    # A2: every nonconformity and opportunity of an approved review is in the plan.
    raised = Finding.objects.filter(
        review__status="approved", grade__in=[*Finding.NONCONFORMITIES, Finding.Grade.OPPORTUNITY]
    )
    assert raised.exists() and not raised.filter(improvement=None).exists()
    assert set(Improvement.objects.values_list("status", flat=True)) == set(Status.values)
    assert Project.objects.count() == 2
    assert set(Project.objects.values_list("status", flat=True)) == {"planned", "running"}
    # A4: baselines and results; one effective, one not.
    assert Improvement.objects.filter(baseline_accepted_at__isnull=False, baseline__isnull=False).exists()
    assert Improvement.objects.filter(effective=True, results__isnull=False).exists()
    not_effective = Improvement.objects.get(effective=False)
    assert not_effective.status == Status.IN_IMPLEMENTATION and not_effective.checks.filter(effective=False)
    # A5: a closed nonconformity with its root cause; its finding closed with it.
    closed = Improvement.objects.get(status=Status.CLOSED)
    assert closed.is_nonconformity and closed.root_cause and closed.corrective_action
    assert closed.finding.status == Finding.Status.CLOSED
    # A3: a company-wide improvement without a project waits, as the rule says.
    assert Improvement.objects.filter(scope="company", status=Status.PROPOSED, projects=None).exists()

    counts = _counts()
    call_command("seed_demo", quiet=True)
    assert _counts() == counts


def test_the_demo_scales():
    call_command("seed_demo", quiet=True, scale=2)
    scaled = Improvement.objects.filter(processes__name__endswith=" (2)")
    assert scaled.count() >= 5
    assert {Status.PROPOSED, Status.APPROVED, Status.IN_IMPLEMENTATION} <= set(
        scaled.values_list("status", flat=True)
    )
