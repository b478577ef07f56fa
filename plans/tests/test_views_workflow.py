"""The workflow buttons of the plan and version pages (P2, P3, P5, P6): each is a
POST to a service; a refusal shows the service's message, keeps the comment
typed, and changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse

from pdca.models import Decision
from plans import services
from plans.models import Acknowledgement, Plan, PlanVersion, Responsibility
from plans.tests import factories

pytestmark = pytest.mark.django_db
Status = PlanVersion.Status


def browser_for(user):
    client = Client()
    client.force_login(user)
    return client


def transition(client, plan, number, name, **data):
    return client.post(reverse("plans:transition", args=[plan.pk, number, name]), data)


def status_of(plan, number=1):
    return PlanVersion.objects.get(plan=plan, number=number).status


def test_submit_without_responsibilities_shows_which_are_missing(smp, owner):
    process = factories.ProcessFactory(name="Problem management", owner=owner)
    plan = services.create_process_plan(process=process, actor=owner)
    version = plan.latest_version
    factories.fill_sections(version, owner)
    factories.add_objective_with_kpi(version, owner, traces_to=version.conforms_to.objectives.first())
    decisions = Decision.objects.count()

    response = transition(browser_for(owner), plan, 1, "submit", comment="Please approve")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Name who is responsible for: review, approval, communication, implementation, updating." in html
    assert "Please approve" in html  # the comment typed is still there
    assert status_of(plan) == Status.DRAFT and Decision.objects.count() == decisions


def test_a_refused_submit_from_the_version_page_comes_back_to_it(smp, owner):
    process = factories.ProcessFactory(name="Problem management", owner=owner)
    plan = services.create_process_plan(process=process, actor=owner)
    response = transition(browser_for(owner), plan, 1, "submit", return_to="version")
    assert response.status_code == 400
    assert response.templates[0].name == "plans/version_detail.html"
    assert "cannot be submitted yet" in response.content.decode()


def test_the_version_page_lists_what_is_left_before_submitting(smp, owner):
    process = factories.ProcessFactory(name="Problem management", owner=owner)
    plan = services.create_process_plan(process=process, actor=owner)
    html = browser_for(owner).get(reverse("plans:version", args=[plan.pk, 1])).content.decode()
    assert "3 things left before you can submit" in html
    assert "Add at least one objective with a measurable KPI." in html
    assert "Name who is responsible for" in html


def test_a_complete_draft_is_ready_to_submit(process_plan, owner):
    html = browser_for(owner).get(reverse("plans:version", args=[process_plan.pk, 1])).content.decode()
    assert "Ready to submit" in html
    assert "Submit version 1 for approval" in html


def test_submit_review_then_approve_through_the_pages(process_plan, owner, manager):
    response = transition(browser_for(owner), process_plan, 1, "submit", comment="Ready for review")
    assert response.status_code == 302 and status_of(process_plan) == Status.IN_REVIEW
    # P3: the approver waits for the named reviewer (here the owner's own review responsibility).
    waiting = browser_for(manager).get(process_plan.get_absolute_url()).content.decode()
    assert "Approve version 1" not in waiting and "waits for its review first" in waiting
    reviewer_page = browser_for(owner).get(process_plan.get_absolute_url()).content.decode()
    assert "Mark version 1 as reviewed" in reviewer_page
    response = transition(browser_for(owner), process_plan, 1, "review", comment="Checked against the SMP")
    assert response.status_code == 302 and status_of(process_plan) == Status.REVIEWED
    detail = browser_for(manager).get(process_plan.get_absolute_url()).content.decode()
    assert "Approve version 1" in detail and "Ready for review" in detail
    response = transition(browser_for(manager), process_plan, 1, "approve", comment="Good plan")
    assert response.status_code == 302 and status_of(process_plan) == Status.APPROVED
    assert Decision.objects.for_object(process_plan.latest_version).last().comment == "Good plan"


def test_self_approval_is_refused(manager, manager2):
    smp = factories.draft_smp(manager, manager2)
    factories.submit_and_review(smp.latest_version, manager)
    client = browser_for(manager)
    detail = client.get(smp.get_absolute_url()).content.decode()
    assert "Approve version 1" not in detail  # no button for the author

    response = transition(client, smp, 1, "approve", comment="I approve my own plan")

    assert response.status_code == 403
    html = response.content.decode()
    assert "named approver" in html and "I approve my own plan" in html
    assert status_of(smp) == Status.REVIEWED


def test_an_author_named_as_approver_still_cannot_approve(manager, manager2):
    smp = factories.draft_smp(manager, manager2)
    version = smp.latest_version
    # Should the author be named approver after all (here: behind the services'
    # back, while the version is a draft and may still change) ...
    Responsibility.objects.filter(version=version, kind=Responsibility.Kind.APPROVAL).update(user=manager)
    PlanVersion.objects.filter(pk=version.pk).update(status=Status.REVIEWED)
    response = transition(browser_for(manager), smp, 1, "approve")
    assert response.status_code == 403
    assert "the approver is never the plan&#x27;s author" in response.content.decode()
    assert status_of(smp) == Status.REVIEWED


def test_process_plan_approval_is_refused_while_the_smp_is_unapproved(manager, manager2, owner):
    factories.draft_smp(manager2, manager)
    plan = factories.draft_process_plan(owner, manager)
    factories.submit_and_review(plan.latest_version, owner)
    response = transition(browser_for(manager), plan, 1, "approve")
    assert response.status_code == 400
    assert "The service management plan has no approved version yet" in response.content.decode()
    assert status_of(plan) == Status.REVIEWED


def test_request_changes_needs_a_comment(process_plan, owner, manager):
    services.submit_plan(version=process_plan.latest_version, actor=owner)
    client = browser_for(manager)
    refused = transition(client, process_plan, 1, "request-changes", comment="   ")
    assert refused.status_code == 400
    assert "a comment is required" in refused.content.decode()
    assert status_of(process_plan) == Status.IN_REVIEW

    done = transition(
        client, process_plan, 1, "request-changes", comment="Name the major-incident procedure."
    )
    assert done.status_code == 302 and status_of(process_plan) == Status.DRAFT
    html = browser_for(owner).get(process_plan.get_absolute_url()).content.decode()
    assert "Name the major-incident procedure." in html  # in the decision timeline


def test_a_second_approval_is_refused_with_a_conflict(process_plan, owner, manager):
    factories.submit_and_review(process_plan.latest_version, owner)
    client = browser_for(manager)
    assert transition(client, process_plan, 1, "approve").status_code == 302
    again = transition(client, process_plan, 1, "approve")
    assert again.status_code == 409
    assert "may have been decided already" in again.content.decode()
    assert Decision.objects.filter(action="approve").count() == 2  # the SMP's and this plan's


def test_communicate_refuses_an_empty_distribution_list(approved_plan, owner):
    response = transition(browser_for(owner), approved_plan, 1, "communicate")
    assert response.status_code == 400
    assert "The distribution list is empty" in response.content.decode()
    assert status_of(approved_plan) == Status.APPROVED


def test_communicate_asks_every_recipient_to_acknowledge(approved_plan, owner, staff, auditor):
    approved_plan.distribution_users.add(staff, auditor)
    client = browser_for(owner)
    assert "Communicate it to 2 recipients" in client.get(approved_plan.get_absolute_url()).content.decode()
    assert transition(client, approved_plan, 1, "communicate").status_code == 302
    assert status_of(approved_plan) == Status.COMMUNICATED
    assert Acknowledgement.objects.filter(version__plan=approved_plan).count() == 2


def test_recipient_acknowledges_once(approved_plan, owner, staff, manager):
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.latest_version, actor=owner)
    client = browser_for(staff)
    page = client.get(reverse("plans:version", args=[approved_plan.pk, 1])).content.decode()
    assert "I have read version 1" in page

    first = transition(client, approved_plan, 1, "acknowledge")
    assert first.status_code == 302
    acknowledged_at = Acknowledgement.objects.get(user=staff).acknowledged_at
    assert acknowledged_at is not None

    second = transition(client, approved_plan, 1, "acknowledge")
    assert second.status_code == 409
    assert "already acknowledged" in second.content.decode()
    assert Acknowledgement.objects.get(user=staff).acknowledged_at == acknowledged_at
    assert Decision.objects.filter(action="acknowledge").count() == 1


def test_the_plan_page_shows_who_has_and_has_not_acknowledged(approved_plan, owner, staff, auditor, manager):
    approved_plan.distribution_users.add(staff, auditor)
    services.communicate_plan(version=approved_plan.latest_version, actor=owner)
    services.acknowledge_plan(version=approved_plan.latest_version, actor=staff)
    response = browser_for(manager).get(approved_plan.get_absolute_url())
    assert [a.user for a in response.context["acknowledged"]] == [staff]
    assert [a.user for a in response.context["not_acknowledged"]] == [auditor]
    assert "1 of 2 recipients confirmed reading it" in response.content.decode()


def test_someone_not_on_the_distribution_list_cannot_acknowledge(approved_plan, owner, staff, other_owner):
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.latest_version, actor=owner)
    response = transition(browser_for(other_owner), approved_plan, 1, "acknowledge")
    assert response.status_code == 403
    assert "not on the distribution list" in response.content.decode()


def test_revise_starts_a_new_draft_and_keeps_the_approved_version(approved_plan, owner):
    client = browser_for(owner)
    response = client.post(reverse("plans:revise", args=[approved_plan.pk]), {"comment": "Yearly update"})
    assert response.status_code == 302
    assert response.url == reverse("plans:version", args=[approved_plan.pk, 2])
    assert status_of(approved_plan, 1) == Status.APPROVED
    assert status_of(approved_plan, 2) == Status.DRAFT

    again = client.post(reverse("plans:revise", args=[approved_plan.pk]))
    assert again.status_code == 409
    assert "work on it instead" in again.content.decode()
    assert approved_plan.versions.count() == 2


def test_other_owner_cannot_revise(approved_plan, other_owner):
    response = browser_for(other_owner).post(reverse("plans:revise", args=[approved_plan.pk]))
    assert response.status_code == 403
    assert approved_plan.versions.count() == 1


def approve_new_smp_version(manager, manager2):
    smp = services.current_smp()
    draft = services.revise_plan(plan=smp, actor=manager2)
    services.update_draft(
        version=draft,
        actor=manager2,
        expected_revision=draft.revision,
        sections={"scope": "All services, now including the new data centre."},
    )
    services.submit_plan(version=draft, actor=manager2)
    services.review_plan(version=draft, actor=manager2)
    services.approve_plan(version=draft, actor=manager)


def test_conformance_review_due_offers_confirm_and_revise(approved_plan, owner, manager, manager2):
    approve_new_smp_version(manager, manager2)
    client = browser_for(owner)
    html = client.get(approved_plan.get_absolute_url()).content.decode()
    assert "Conformance review due" in html
    assert "Confirm conformance" in html and "Revise the plan" in html

    response = client.post(reverse("plans:confirm_conformance", args=[approved_plan.pk]))
    assert response.status_code == 302
    plan = Plan.objects.get(pk=approved_plan.pk)
    assert not plan.conformance_review_due and plan.conforms_to.number == 2

    again = client.post(reverse("plans:confirm_conformance", args=[approved_plan.pk]))
    assert again.status_code == 409
    assert "No conformance review is due" in again.content.decode()


def test_the_decision_timeline_names_actor_action_and_comment(approved_plan, owner, manager):
    html = browser_for(owner).get(approved_plan.get_absolute_url()).content.decode()
    assert "Morgan Meyer</strong> approved version 1" in html
    assert "Olivia Owen</strong> submitted version 1" in html


def test_the_approval_queue_links_to_a_version_page_with_the_decision_buttons(process_plan, owner, manager):
    factories.submit_and_review(process_plan.latest_version, owner)
    html = browser_for(manager).get(reverse("plans:version", args=[process_plan.pk, 1])).content.decode()
    assert "Approve version 1" in html and "Request changes" in html
    assert 'name="return_to" value="version"' in html
