"""P4: approved versions never change; revisions; hashes. P5: conformance. P6: communication."""

from decimal import Decimal

import pytest

from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from plans import services
from plans.models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Responsibility
from plans.tests import factories

Status = PlanVersion.Status


@pytest.mark.django_db
def test_approved_version_is_immutable_through_the_model(approved_plan):
    version = approved_plan.current_version
    version.sections = {**version.sections, "roles": "Sneaky change"}
    with pytest.raises(RuleViolation) as refused:
        version.save()
    assert "Revise" in refused.value.message
    assert PlanVersion.objects.get(pk=version.pk).sections["roles"] != "Sneaky change"


@pytest.mark.django_db
def test_objectives_kpis_and_responsibilities_of_an_approved_version_are_immutable(approved_plan, owner):
    version = approved_plan.current_version
    objective = version.objectives.first()
    objective.title = "Changed"
    with pytest.raises(RuleViolation):
        objective.save()
    kpi = Kpi.objects.filter(objective__version=version).first()
    kpi.target = Decimal("1")
    with pytest.raises(RuleViolation):
        kpi.save()
    with pytest.raises(RuleViolation):
        Responsibility.objects.filter(version=version).first().delete()
    with pytest.raises(RuleViolation):
        Objective.objects.create(version=version, code="O9", title="New")
    with pytest.raises(RuleViolation):
        version.delete()
    assert Objective.objects.get(pk=objective.pk).title != "Changed"


@pytest.mark.django_db
def test_approved_version_is_immutable_through_the_services(approved_plan, owner):
    version = approved_plan.current_version
    with pytest.raises(RuleViolation):
        services.update_draft(
            version=version, actor=owner, expected_revision=version.revision, sections={"roles": "x"}
        )
    with pytest.raises(RuleViolation):
        services.save_objective(version=version, actor=owner, title="More")


@pytest.mark.django_db
def test_a_version_in_review_cannot_be_edited(process_plan, owner):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    with pytest.raises(RuleViolation) as refused:
        services.update_draft(
            version=version, actor=owner, expected_revision=version.revision, sections={"roles": "x"}
        )
    assert "request changes" in refused.value.message


@pytest.mark.django_db
def test_approval_stores_a_sha256_of_the_content(approved_plan):
    version = approved_plan.current_version
    assert len(version.content_hash) == 64
    assert version.content_hash == version.compute_hash()


@pytest.mark.django_db
def test_revise_creates_the_next_draft_and_approving_it_supersedes_the_old(approved_plan, owner, manager):
    old = approved_plan.current_version
    draft = services.revise_plan(plan=approved_plan, actor=owner)
    assert draft.number == old.number + 1
    assert draft.status == Status.DRAFT
    assert draft.sections == old.sections
    assert draft.objectives.count() == old.objectives.count()
    assert draft.responsibilities.count() == old.responsibilities.count()
    services.update_draft(
        version=draft, actor=owner, expected_revision=draft.revision, sections={"roles": "New roles"}
    )
    # The approved version did not move.
    old.refresh_from_db()
    assert old.sections["roles"] != "New roles"
    assert old.content_hash == old.compute_hash()
    services.submit_plan(version=draft, actor=owner)
    services.review_plan(version=draft, actor=owner)
    services.approve_plan(version=draft, actor=manager)
    old.refresh_from_db()
    assert old.status == Status.SUPERSEDED
    plan = Plan.objects.get(pk=approved_plan.pk)
    assert plan.current_version.number == draft.number
    assert plan.versions.count() == 2


@pytest.mark.django_db
def test_revise_refused_while_a_draft_exists(approved_plan, owner):
    services.revise_plan(plan=approved_plan, actor=owner)
    with pytest.raises(Conflict):
        services.revise_plan(plan=approved_plan, actor=owner)


@pytest.mark.django_db
def test_concurrent_edit_is_refused_and_changes_nothing(process_plan, owner):
    version = process_plan.latest_version
    opened_at = version.revision
    services.update_draft(
        version=version, actor=owner, expected_revision=opened_at, sections={"roles": "First"}
    )
    with pytest.raises(Conflict) as refused:
        services.update_draft(
            version=version, actor=owner, expected_revision=opened_at, sections={"roles": "Second"}
        )
    assert "Your text is kept" in refused.value.message
    assert PlanVersion.objects.get(pk=version.pk).sections["roles"] == "First"


@pytest.mark.django_db
def test_process_plan_records_the_smp_version_it_conforms_to(approved_plan, smp):
    assert approved_plan.current_version.conforms_to == smp.current_version
    assert approved_plan.conforms_to == smp.current_version


@pytest.mark.django_db
def test_new_smp_version_flags_process_plans_on_older_versions(approved_plan, smp, manager, manager2, owner):
    draft = services.revise_plan(plan=smp, actor=manager2)
    services.submit_plan(version=draft, actor=manager2)
    services.review_plan(version=draft, actor=manager2)
    services.approve_plan(version=draft, actor=manager)
    plan = Plan.objects.get(pk=approved_plan.pk)
    assert plan.conformance_review_due
    assert owner.notifications.filter(subject__startswith="Conformance review due").exists()
    # The owner confirms conformance: recorded, flag cleared, plan now conforms to the new version.
    services.confirm_conformance(plan=plan, actor=owner, comment="Still conforms.")
    plan.refresh_from_db()
    assert not plan.conformance_review_due
    assert plan.conforms_to == draft
    from pdca.models import Decision

    assert Decision.objects.for_object(plan).filter(action="confirm_conformance", actor=owner).exists()


@pytest.mark.django_db
def test_process_plan_on_the_current_smp_version_is_not_flagged(smp, owner, manager, manager2, other_owner):
    on_v1 = factories.approved_process_plan(owner, manager)
    draft = services.revise_plan(plan=smp, actor=manager2)
    services.submit_plan(version=draft, actor=manager2)
    services.review_plan(version=draft, actor=manager2)
    services.approve_plan(version=draft, actor=manager)
    on_v2 = factories.approved_process_plan(other_owner, manager, name="Change management")
    assert Plan.objects.get(pk=on_v1.pk).conformance_review_due
    assert not Plan.objects.get(pk=on_v2.pk).conformance_review_due


@pytest.mark.django_db
def test_revising_a_flagged_plan_traces_objectives_to_the_new_smp_version(
    approved_plan, smp, manager, manager2, owner
):
    smp_draft = services.revise_plan(plan=smp, actor=manager2)
    services.submit_plan(version=smp_draft, actor=manager2)
    services.review_plan(version=smp_draft, actor=manager2)
    services.approve_plan(version=smp_draft, actor=manager)
    draft = services.revise_plan(plan=Plan.objects.get(pk=approved_plan.pk), actor=owner)
    assert draft.conforms_to == smp_draft
    assert all(o.traces_to.version_id == smp_draft.pk for o in draft.objectives.all())
    services.submit_plan(version=draft, actor=owner)
    services.review_plan(version=draft, actor=owner)
    services.approve_plan(version=draft, actor=manager)
    assert not Plan.objects.get(pk=approved_plan.pk).conformance_review_due


@pytest.mark.django_db
def test_communication_sends_to_the_distribution_list_and_records_acknowledgements(
    approved_plan, owner, staff, auditor
):
    from django.contrib.auth.models import Group

    approved_plan.distribution_users.add(staff)
    approved_plan.distribution_groups.add(Group.objects.get(name="Auditor"))
    version = approved_plan.current_version
    services.communicate_plan(version=version, actor=owner)
    recipients = set(Acknowledgement.objects.filter(version=version).values_list("user__username", flat=True))
    assert recipients == {"staff", "auditor"}
    assert staff.notifications.filter(subject__startswith="Please read").exists()
    services.acknowledge_plan(version=version, actor=staff)
    with pytest.raises(Conflict):
        services.acknowledge_plan(version=version, actor=staff)
    acks = Acknowledgement.objects.filter(version=version)
    assert acks.filter(acknowledged_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_communication_refused_with_an_empty_distribution_list(approved_plan, owner):
    with pytest.raises(RuleViolation) as refused:
        services.communicate_plan(version=approved_plan.current_version, actor=owner)
    assert refused.value.field == "distribution"


@pytest.mark.django_db
def test_only_the_communication_responsibility_communicates(approved_plan, other_owner, staff):
    approved_plan.distribution_users.add(staff)
    with pytest.raises(NotAllowed):
        services.communicate_plan(version=approved_plan.current_version, actor=other_owner)


@pytest.mark.django_db
def test_people_off_the_distribution_list_cannot_acknowledge(approved_plan, owner, staff, other_owner):
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.current_version, actor=owner)
    with pytest.raises(NotAllowed):
        services.acknowledge_plan(version=approved_plan.current_version, actor=other_owner)


@pytest.mark.django_db
def test_there_is_only_one_smp(smp, manager):
    with pytest.raises(RuleViolation):
        services.create_service_management_plan(actor=manager)


@pytest.mark.django_db
def test_staff_see_only_communicated_plans(approved_plan, owner, staff, other_owner, manager):
    draft_plan = factories.draft_process_plan(other_owner, manager, name="Change management")
    assert list(Plan.objects.visible_to(staff)) == []
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.current_version, actor=owner)
    assert list(Plan.objects.visible_to(staff)) == [approved_plan]
    assert draft_plan not in Plan.objects.visible_to(staff)
    assert set(PlanVersion.objects.visible_to(staff)) == {approved_plan.current_version}


@pytest.mark.django_db
def test_staff_involved_in_a_plan_read_its_drafts_and_other_staff_do_not(process_plan, owner):
    """The deputy of the plan's process and who a version names for a
    responsibility read the plan before it is communicated (`Plan.objects.involving`)."""
    from accounts import roles
    from accounts.tests.factories import UserFactory

    deputy, named, other = (
        UserFactory(username=name, roles=[roles.STAFF]) for name in ("dep", "named", "other")
    )
    process_plan.process.deputies.add(deputy)
    Responsibility.objects.create(
        version=process_plan.latest_version, kind=Responsibility.Kind.IMPLEMENTATION, user=named
    )

    for user, reads in ((deputy, True), (named, True), (other, False)):
        assert (process_plan in Plan.objects.visible_to(user)) is reads, user
        assert (process_plan.latest_version in PlanVersion.objects.visible_to(user)) is reads, user
    assert set(Plan.objects.involving(named)) == {process_plan}
    assert process_plan.readable_by_all is False


@pytest.mark.django_db
def test_within_one_request_a_change_of_involvement_is_read_again(process_plan, owner):
    """`involvement` is read once per request (`pdca.memo`); becoming a deputy,
    being named for a responsibility, or the plan's process changing owner
    within the same request is seen by the next list."""
    from accounts import roles
    from accounts.tests.factories import UserFactory
    from pdca import memo
    from plans.models import involvement

    staff, named, new_owner = (UserFactory(username=n, roles=[roles.STAFF]) for n in ("s1", "s2", "s3"))
    version = process_plan.latest_version

    def view():
        reads = [[involvement(user).plans for user in (staff, named, new_owner)]]
        process_plan.process.deputies.add(staff)
        reads.append([involvement(user).plans for user in (staff, named, new_owner)])
        Responsibility.objects.create(version=version, kind=Responsibility.Kind.UPDATING, user=named)
        reads.append([involvement(user).plans for user in (staff, named, new_owner)])
        process = process_plan.process
        process.owner = new_owner
        process.save()
        reads.append([involvement(user).plans for user in (staff, named, new_owner)])
        return reads

    plan = [process_plan.pk]
    assert memo.request_memo(lambda request: view())(None) == [
        [[], [], []],
        [plan, [], []],
        [plan, plan, []],
        [plan, plan, plan],
    ]
