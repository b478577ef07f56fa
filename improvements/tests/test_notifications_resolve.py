"""Act: the notification of a task resolves when the task is done, by whoever
does it: one CSI owner deciding on an improvement resolves the other CSI
owners' requests, starting the implementation resolves the owner's request."""

import pytest
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from improvements import services
from improvements.tests.conftest import approved_csi_principle
from pdca.models import Notification
from reviews.models import Finding
from reviews.tests import factories as review_factories

pytestmark = pytest.mark.django_db

Resolution = Notification.Resolution


@pytest.fixture
def second_csi_owner(db):
    return UserFactory(username="csi2", first_name="Chris", last_name="Cole", roles=[roles.CSI_OWNER])


@pytest.fixture
def csi_principle(smp, manager, manager2, csi_owner, second_csi_owner):
    """The CSI principle in force names two CSI owners."""
    return approved_csi_principle(manager2, manager, [csi_owner, second_csi_owner])


def _resolutions(task, about):
    return {
        (n.recipient, n.resolution, n.resolved_by)
        for n in Notification.objects.about(about).filter(task=task)
    }


def test_one_csi_owner_approving_resolves_the_other_csi_owners_request(
    reviewed_findings, csi_owner, second_csi_owner, owner
):
    improvement = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    assert {r for r, resolution, _by in _resolutions("approve", improvement) if not resolution} >= {
        csi_owner,
        second_csi_owner,
    }
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    assert {(resolution, by) for _r, resolution, by in _resolutions("approve", improvement)} == {
        (Resolution.DONE, csi_owner)
    }
    assert not Notification.objects.about(improvement).filter(recipient=second_csi_owner).unread().exists()
    # The requests about the other improvements stay open.
    assert Notification.objects.filter(recipient=second_csi_owner, task="approve").unread().count() == 2
    assert _resolutions("implement", improvement) == {(owner, "", None)}


def test_a_rejection_resolves_the_approval_requests(reviewed_findings, csi_owner, second_csi_owner):
    improvement = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    services.reject_improvement(improvement=improvement, actor=second_csi_owner, reason="Out of scope.")
    assert (csi_owner, Resolution.DONE, second_csi_owner) in _resolutions("approve", improvement)


def test_starting_the_implementation_resolves_the_owners_request(reviewed_findings, csi_owner, owner, kpi):
    improvement = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    review_factories.record_monthly(kpi, owner, [91, 92, 93])
    services.take_baseline(improvement=improvement, actor=owner, baseline_on=timezone.localdate(), kpis=[kpi])
    services.accept_baseline(improvement=improvement, actor=owner)
    services.start_implementation(improvement=improvement, actor=owner)
    assert _resolutions("implement", improvement) == {(owner, Resolution.DONE, owner)}
