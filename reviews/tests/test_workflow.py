"""The rules of Check at the service level: schedules (C2), the kinds of review
(C3), what a review records and who approves it (C4), findings (C6)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from pdca.controlled import ImmutableRecord
from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.models import Decision
from plans.do import services as implementation
from plans.models import Plan
from reviews import services
from reviews.dates import add_months
from reviews.models import Finding, Review, ReviewInput, ReviewSchedule
from reviews.tests import factories

pytestmark = pytest.mark.django_db
Status = Review.Status


# -- review schedules (C2) ----------------------------------------------------------------------


def test_communicating_a_plan_for_the_first_time_creates_its_yearly_schedule(communicated_plan, owner):
    schedule = ReviewSchedule.objects.get(plan=communicated_plan)
    assert schedule.interval_months == 12
    assert schedule.next_planned_on == add_months(timezone.localdate(), 12)
    assert schedule.reviewer == owner  # the plan's review responsibility


@pytest.mark.parametrize("interval", [13, 24, 0, -1])
def test_an_interval_over_twelve_months_is_refused(communicated_plan, owner, interval):
    before = ReviewSchedule.objects.get(plan=communicated_plan)
    with pytest.raises(RuleViolation) as refused:
        services.save_schedule(
            plan=communicated_plan,
            actor=owner,
            interval_months=interval,
            next_planned_on=timezone.localdate(),
            reviewer=owner,
        )
    assert refused.value.field == "interval_months" and "at least once a year" in refused.value.message
    after = ReviewSchedule.objects.get(plan=communicated_plan)
    assert (after.interval_months, after.next_planned_on) == (before.interval_months, before.next_planned_on)


def test_only_the_process_owner_keeps_the_schedule(communicated_plan, other_owner, auditor):
    for outsider in (other_owner, auditor):
        with pytest.raises(NotAllowed):
            services.save_schedule(
                plan=communicated_plan,
                actor=outsider,
                interval_months=6,
                next_planned_on=timezone.localdate(),
                reviewer=outsider,
            )


def test_the_next_due_date_counts_from_the_planned_date_not_the_held_date(communicated_plan, owner, manager):
    planned = timezone.localdate() - datetime.timedelta(days=40)
    services.save_schedule(
        plan=communicated_plan, actor=owner, interval_months=6, next_planned_on=planned, reviewer=owner
    )
    review = factories.process_review(communicated_plan, owner, planned_on=planned)
    assert review.schedule.plan == communicated_plan
    # Held a month late: the next review is still due 6 months after the planned date.
    review = factories.held(review, owner, held_on=timezone.localdate())
    services.submit_review(review=review, actor=owner)
    services.approve_review(review=review, actor=manager)
    schedule = ReviewSchedule.objects.get(plan=communicated_plan)
    assert schedule.next_planned_on == add_months(planned, 6)
    assert schedule.last_planned_on == planned


# -- the kinds of review (C3) -----------------------------------------------------------------------


def test_a_management_review_cannot_be_submitted_with_an_unaddressed_input(smp, manager, manager2):
    review = services.plan_review(
        actor=manager, kind=Review.Kind.MANAGEMENT, planned_on=timezone.localdate(), reviewer=manager2
    )
    assert review.plan == smp and review.inputs.count() == 13
    review = factories.held(review, manager2)
    with pytest.raises(RuleViolation) as refused:
        services.submit_review(review=review, actor=manager2)
    assert "Address every input" in refused.value.message and "inputs" in refused.value.errors
    for item in review.inputs.all():
        services.address_input(
            review=review,
            actor=manager2,
            key=item.key,
            status=ReviewInput.Status.ADDRESSED,
            notes="Discussed.",
        )
    with pytest.raises(RuleViolation, match="why the input does not apply"):
        services.address_input(
            review=review, actor=manager2, key="feedback", status=ReviewInput.Status.NOT_APPLICABLE
        )
    services.submit_review(review=review, actor=manager2)
    assert Review.objects.get(pk=review.pk).status == Status.SUBMITTED


def test_management_reviews_and_audits_are_planned_by_managers(smp, owner, auditor):
    for kind in (Review.Kind.MANAGEMENT, Review.Kind.INTERNAL_AUDIT):
        with pytest.raises(NotAllowed):
            services.plan_review(actor=owner, kind=kind, planned_on=timezone.localdate(), reviewer=auditor)


def test_an_auditor_never_audits_a_process_he_owns_deputises_operates_or_implements(
    communicated_plan, manager, owner, operators
):
    process = communicated_plan.process
    auditor = UserFactory(username="aud2", roles=[roles.AUDITOR])

    def plan_audit():
        return services.plan_review(
            actor=manager,
            kind=Review.Kind.INTERNAL_AUDIT,
            processes=[process],
            planned_on=timezone.localdate(),
            reviewer=auditor,
        )

    process.deputies.add(auditor)
    with pytest.raises(RuleViolation, match="deputy of"):
        plan_audit()
    process.deputies.remove(auditor)
    kpi = communicated_plan.current_version.objectives.get().kpis.get()
    implementation.start_implementation(plan=communicated_plan, actor=owner)

    def with_roles(*names):
        # An auditor operates nothing (accounts.people): what he or she
        # operates comes from the time before he or she became an auditor.
        auditor.groups.set(Group.objects.filter(name__in=names))
        auditor.forget_rights()

    with_roles(roles.STAFF)
    implementation.assign_kpi_operator(kpi=kpi, actor=owner, operator=auditor)
    with_roles(roles.AUDITOR)
    with pytest.raises(RuleViolation, match="operates a KPI"):
        plan_audit()
    implementation.assign_kpi_operator(kpi=kpi, actor=owner, operator=operators[0])
    with_roles(roles.STAFF)
    handover = implementation.propose_handover(plan=communicated_plan, actor=owner, receivers=[auditor])
    implementation.accept_handover(handover=handover, actor=auditor)
    with_roles(roles.AUDITOR)
    with pytest.raises(RuleViolation, match="implementation responsibility"):
        plan_audit()
    assert not Review.objects.exists()


def test_an_independent_auditor_carries_out_the_audit(communicated_plan, manager, auditor, owner):
    audit = services.plan_review(
        actor=manager,
        kind=Review.Kind.INTERNAL_AUDIT,
        processes=[communicated_plan.process],
        planned_on=timezone.localdate(),
        reviewer=auditor,
    )
    audit = factories.held(audit, auditor)
    finding = services.save_finding(
        review=audit,
        actor=auditor,
        grade=Finding.Grade.MINOR,
        clause="8.6.1",
        description="Incidents are not always classified.",
        evidence="3 of 20 sampled tickets had no category.",
    )
    assert finding.process == communicated_plan.process
    # An owner cannot write the auditor's report.
    with pytest.raises(NotAllowed):
        services.update_review(review=audit, actor=owner, expected_revision=audit.revision + 1, minutes="x")


def test_only_a_real_auditor_carries_out_an_internal_audit(communicated_plan, manager, other_owner):
    with pytest.raises(RuleViolation, match="carried out by an auditor"):
        services.plan_review(
            actor=manager,
            kind=Review.Kind.INTERNAL_AUDIT,
            processes=[communicated_plan.process],
            planned_on=timezone.localdate(),
            reviewer=other_owner,
        )


# -- what a review records (C4) --------------------------------------------------------------


def test_attainment_is_prefilled_from_the_periods_measurements(measured_kpi, planned_review, owner):
    row = planned_review.attainments.get()
    assert (row.metric, row.target, row.measured) == (measured_kpi.metric, measured_kpi.target, Decimal("98"))
    assert row.met is True
    # A period that ends two months ago: its latest value is the one of that month.
    first_of_last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    first_of_last_month = first_of_last_month.replace(day=1)
    review = services.update_review(
        review=planned_review,
        actor=owner,
        expected_revision=planned_review.revision,
        period_start=add_months(first_of_last_month, -2),
        period_end=first_of_last_month - datetime.timedelta(days=1),
    )
    assert review.attainments.get().measured == Decimal("94")
    assert review.attainments.get().met is False


def test_the_approver_is_a_manager_neither_reviewer_nor_participant(
    communicated_plan, owner, manager, manager2
):
    review = factories.process_review(communicated_plan, owner, participants=[manager])
    review = factories.submitted(review, owner)
    with pytest.raises(NotAllowed, match="took part"):
        services.approve_review(review=review, actor=manager)
    with pytest.raises(NotAllowed, match="Only a manager"):
        services.approve_review(review=review, actor=owner)
    services.approve_review(review=review, actor=manager2)
    assert Review.objects.get(pk=review.pk).approved_by == manager2


def test_a_returned_review_goes_back_to_the_reviewer_with_the_reason(planned_review, owner, manager):
    review = factories.submitted(planned_review, owner)
    with pytest.raises(RuleViolation, match="comment is required"):
        services.return_review(review=review, actor=manager, comment=" ")
    services.return_review(review=review, actor=manager, comment="Add the trend of incidents.")
    assert Review.objects.get(pk=review.pk).status == Status.IN_PROGRESS
    assert (
        Decision.objects.for_object(review).filter(action="return_review").get().comment
        == "Add the trend of incidents."
    )


def test_an_approved_review_never_changes_and_is_corrected_by_an_addendum(planned_review, owner, manager):
    review = factories.approved(planned_review, owner, manager)
    review.minutes = "Changed afterwards"
    with pytest.raises(ImmutableRecord):
        review.save()
    with pytest.raises(ImmutableRecord), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(minutes="Bulk")
    with pytest.raises(ImmutableRecord):
        services.update_review(review=review, actor=owner, expected_revision=review.revision, minutes="Later")
    with pytest.raises(ImmutableRecord):
        services.save_finding(review=review, actor=owner, grade="observation", description="x", evidence="y")
    with pytest.raises(ImmutableRecord), transaction.atomic():
        review.participants.add(manager)
    review.refresh_from_db()
    assert review.minutes != "Changed afterwards" and review.verification_problems() == []
    addendum = services.add_addendum(review=review, actor=owner, text="The period was January to June.")
    assert addendum.author == owner and review.addenda.count() == 1


def test_a_finding_and_an_action_keep_their_state_changing_after_approval(planned_review, owner, manager):
    review = factories.held(planned_review, owner)
    services.save_finding(
        review=review,
        actor=owner,
        grade=Finding.Grade.OPPORTUNITY,
        description="Automate triage.",
        evidence="Ticket ages.",
    )
    action = services.save_action(
        review=review,
        actor=owner,
        description="Introduce triage rules",
        owner=owner,
        due_on=timezone.localdate(),
    )
    services.submit_review(review=review, actor=owner)
    services.approve_review(review=review, actor=manager)
    services.complete_action(action=action, actor=owner, note="Rules live.")
    with pytest.raises(Conflict):
        services.complete_action(action=action, actor=owner)
    finding = Finding.objects.get(review=review)
    finding.status = Finding.Status.CLOSED
    finding.save()  # closing is allowed ...
    finding.description = "Rewritten"
    with pytest.raises(ImmutableRecord):
        finding.save()  # ... rewriting is not


def test_a_finding_needs_grade_description_and_objective_evidence(planned_review, owner):
    review = factories.held(planned_review, owner)
    with pytest.raises(RuleViolation) as refused:
        services.save_finding(review=review, actor=owner, grade="bad", description="", evidence=" ")
    assert set(refused.value.errors) == {"grade", "description", "evidence"}
    assert not review.findings.exists()


def test_a_stale_save_of_a_review_is_refused(planned_review, owner):
    opened = planned_review.revision
    services.update_review(review=planned_review, actor=owner, expected_revision=opened, minutes="First")
    with pytest.raises(Conflict):
        services.update_review(review=planned_review, actor=owner, expected_revision=opened, minutes="Second")
    assert Review.objects.get(pk=planned_review.pk).minutes == "First"


def test_a_process_review_reviews_the_exact_version_in_force(planned_review, communicated_plan):
    assert planned_review.version == Plan.objects.get(pk=communicated_plan.pk).current_version
