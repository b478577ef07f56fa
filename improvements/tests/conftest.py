import pytest

from plans import services as plan_services
from plans.models import Responsibility
from plans.tests import factories as plan_factories
from reviews import services as review_services
from reviews.models import Finding
from reviews.tests import factories as review_factories


def approved_csi_principle(author, approver, csi_owners):
    """A1: the CSI principle, written by `author`, naming `csi_owners`, approved by `approver`."""
    plan = plan_services.create_csi_principle(actor=author)
    version = plan.latest_version
    plan_factories.fill_sections(version, author)
    plan_services.set_responsibilities(
        version=version,
        actor=author,
        assignments={
            Responsibility.Kind.REVIEW: [author],
            Responsibility.Kind.APPROVAL: [approver],
            Responsibility.Kind.COMMUNICATION: [author],
            Responsibility.Kind.IMPLEMENTATION: [author],
            Responsibility.Kind.UPDATING: [author],
            Responsibility.Kind.CSI_OWNER: list(csi_owners),
        },
    )
    plan_factories.submit_and_review(version, author)
    plan_services.approve_plan(version=version, actor=approver)
    return plan


@pytest.fixture
def csi_principle(smp, manager, manager2, csi_owner):
    return approved_csi_principle(manager2, manager, [csi_owner])


@pytest.fixture
def reviewed_findings(communicated_plan, owner, manager, csi_principle):
    """An approved process review of the communicated plan with one finding of each grade."""
    review = review_factories.held(review_factories.process_review(communicated_plan, owner), owner)
    for grade in (
        Finding.Grade.MAJOR,
        Finding.Grade.MINOR,
        Finding.Grade.OBSERVATION,
        Finding.Grade.OPPORTUNITY,
    ):
        review_services.save_finding(
            review=review,
            actor=owner,
            grade=grade,
            clause="8.6.1",
            description=f"A {grade} finding.",
            evidence="Seen.",
        )
    review_services.submit_review(review=review, actor=owner)
    review_services.approve_review(review=review, actor=manager)
    return {f.grade: f for f in review.findings.all()}
