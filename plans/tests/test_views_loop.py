"""The loop between the author and the deciders on the pages (P3, P4, P6): the
reason of a change request in front of the author until resubmission, the
submitter's note and what changed in front of the approver, who acts next,
withdrawing a submission, and reading before acknowledging."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from pdca.models import Decision, Notification
from plans import services
from plans.models import Acknowledgement, PlanVersion
from plans.tests import factories

pytestmark = pytest.mark.django_db
Status = PlanVersion.Status
REASON = "Name the major-incident procedure and who declares a major incident."


def browser_for(user):
    client = Client()
    client.force_login(user)
    return client


def transition(client, plan, number, name, **data):
    return client.post(reverse("plans:transition", args=[plan.pk, number, name]), data)


def version_page(user, plan, number=1):
    return browser_for(user).get(reverse("plans:version", args=[plan.pk, number])).content.decode()


def plan_page(user, plan):
    return browser_for(user).get(plan.get_absolute_url()).content.decode()


def _status(plan, number=1):
    return PlanVersion.objects.get(plan=plan, number=number).status


@pytest.fixture
def changes_requested(process_plan, owner, manager):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner, comment="First version, please review.")
    services.request_changes(version=version, actor=manager, comment=REASON)
    return process_plan


@pytest.fixture
def resubmitted_revision(approved_plan, owner):
    """Version 1 approved; version 2 rewrites the purpose, is submitted with a note and reviewed."""
    draft = services.revise_plan(plan=approved_plan, actor=owner)
    services.update_draft(
        version=draft,
        actor=owner,
        expected_revision=draft.revision,
        sections={"purpose": "Restore normal service within the agreed service levels."},
    )
    services.submit_plan(version=draft, actor=owner, comment="Purpose aligned with the SLAs.")
    services.review_plan(version=draft, actor=owner, comment="Checked against the SLA catalogue.")
    return approved_plan


# -- the reason in front of the person who must act ------------------------------------


def test_the_author_reads_the_change_request_on_the_plan_and_the_draft_until_resubmitting(
    changes_requested, owner, manager
):
    for html in (plan_page(owner, changes_requested), version_page(owner, changes_requested)):
        assert "Changes requested by Morgan Meyer" in html
        assert REASON in html
        assert "Resubmit version 1 for approval" in html
        assert "is complete and can be submitted" not in html

    services.submit_plan(version=changes_requested.latest_version, actor=owner, comment="Procedure named.")

    for html in (plan_page(owner, changes_requested), version_page(owner, changes_requested)):
        # The request stays in the decision timeline, as every decision does; the banner is gone.
        assert "Changes requested by" not in html and "callout--request" not in html


def test_a_fresh_draft_shows_no_change_request(process_plan, owner):
    html = version_page(owner, process_plan)
    assert "Changes requested by" not in html
    assert "Version 1 is complete and can be submitted for approval." in html


def test_the_approver_decides_beside_the_note_the_review_and_what_changed(resubmitted_revision, manager):
    html = version_page(manager, resubmitted_revision, 2)
    submission = html.split('id="submission-heading"')[1].split("</section>")[0]
    assert "Submitted by Olivia Owen" in submission and "Purpose aligned with the SLAs." in submission
    assert "Checked against the SLA catalogue." in submission
    assert "What changed since version 1, the last approved version" in submission
    changed = submission.split('id="changed-purpose"')[1]
    assert "<ins>Restore normal service within the agreed service levels.</ins>" in changed
    assert "<del>Purpose and scope of Incident management plan.</del>" in changed
    assert 'id="changed-interfaces"' not in submission  # unchanged parts are only named
    assert "Waits for approval by you since" in submission
    assert "Waits for communication by Olivia Owen." in submission  # what follows the approval
    assert "Approve version 2" in html


def test_the_first_version_says_there_is_nothing_approved_to_compare_with(process_plan, owner, manager):
    factories.submit_and_review(process_plan.latest_version, owner)
    html = version_page(manager, process_plan)
    assert "first version: there is no approved version to compare it with" in html


# -- who acts next -------------------------------------------------------------------------------


def test_after_each_transition_the_pages_name_who_acts_next(process_plan, owner, manager, staff):
    owner_browser = browser_for(owner)
    response = transition(owner_browser, process_plan, 1, "submit", comment="Ready")
    assert response.status_code == 302
    done = owner_browser.get(process_plan.get_absolute_url()).content.decode()
    assert "Waits for review by you since" in done  # the owner is the named reviewer here
    waiting = plan_page(manager, process_plan)
    assert "Waits for review by Olivia Owen since" in waiting
    assert "Nothing for you to do" not in waiting

    services.review_plan(version=process_plan.latest_version, actor=owner)
    assert "Waits for approval by Morgan Meyer since" in plan_page(owner, process_plan)

    transition(browser_for(manager), process_plan, 1, "approve")
    assert "Waits for communication by Olivia Owen since" in plan_page(manager, process_plan)

    process_plan.distribution_users.add(staff)
    services.communicate_plan(version=process_plan.latest_version, actor=owner)
    assert "Waits for 1 recipient to acknowledge it since" in plan_page(manager, process_plan)


def test_the_flash_message_after_a_transition_names_who_acts_next(process_plan, owner):
    response = transition(browser_for(owner), process_plan, 1, "submit")
    submitted = timezone.localtime(PlanVersion.objects.get(plan=process_plan).submitted_at)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == [
        f"Version 1 is submitted for approval. Waits for review by you since {date_format(submitted, 'j M Y')}."
    ]


# -- withdrawing a submission ---------------------------------------------------------------------


def test_the_author_withdraws_a_submission_before_the_decision(process_plan, owner, manager):
    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    assert "Withdraw the submission of version 1" in plan_page(owner, process_plan)

    response = transition(
        browser_for(owner), process_plan, 1, "withdraw", comment="The SLAs change next week."
    )

    assert response.status_code == 302
    assert _status(process_plan) == Status.DRAFT
    decision = Decision.objects.for_object(version).latest("sequence")
    assert (decision.action, decision.actor, decision.comment) == (
        "withdraw",
        owner,
        "The SLAs change next week.",
    )
    assert (decision.from_state, decision.to_state) == (Status.REVIEWED, Status.DRAFT)
    told = Notification.objects.filter(subject__startswith="Submission withdrawn", recipient=manager)
    assert told.count() == 1
    html = plan_page(owner, process_plan)
    assert "Submission withdrawn by Olivia Owen" in html and "The SLAs change next week." in html
    assert "Olivia Owen</strong> withdrew the submission of version 1" in html


@pytest.mark.parametrize("who", ["manager", "other_owner", "auditor"])
def test_only_the_author_or_the_plans_editors_withdraw(process_plan, owner, who, request):
    services.submit_plan(version=process_plan.latest_version, actor=owner)
    user = request.getfixturevalue(who)
    decisions = Decision.objects.count()
    assert "Withdraw the submission" not in plan_page(user, process_plan)

    response = transition(browser_for(user), process_plan, 1, "withdraw", comment="Not mine to withdraw")

    assert response.status_code == 403
    assert "withdraw" in response.content.decode()
    assert _status(process_plan) == Status.IN_REVIEW and Decision.objects.count() == decisions


def test_a_decided_version_cannot_be_withdrawn(approved_plan, owner):
    decisions = Decision.objects.count()
    response = transition(browser_for(owner), approved_plan, 1, "withdraw")
    assert response.status_code == 409
    assert "can be withdrawn only before it is decided" in response.content.decode()
    assert _status(approved_plan) == Status.APPROVED and Decision.objects.count() == decisions


# -- read before acknowledging -----------------------------------------------------------------------


def test_the_acknowledgement_is_offered_at_the_end_of_the_version_not_on_the_plan_page(
    communicated_plan, staff
):
    plan_html = plan_page(staff, communicated_plan)
    assert "I have read version 1" not in plan_html
    assert reverse("plans:version", args=[communicated_plan.pk, 1]) + "#acknowledge" in plan_html

    html = version_page(staff, communicated_plan)
    button = html.index("I have read version 1")
    assert button > html.index('id="responsibilities-heading"')  # after the whole text
    assert button > html.index('id="section-milestones"')


def test_the_acknowledgement_records_the_version_read(communicated_plan, owner, staff):
    version = communicated_plan.latest_version
    response = transition(browser_for(staff), communicated_plan, 1, "acknowledge", return_to="version")
    assert response.status_code == 302
    acknowledgement = Acknowledgement.objects.get(user=staff)
    assert acknowledgement.version == version and acknowledgement.acknowledged_at is not None
    assert Decision.objects.for_object(version).filter(action="acknowledge", actor=staff).count() == 1
    assert "You acknowledged version 1 on" in version_page(staff, communicated_plan)


def test_a_superseded_version_is_not_acknowledged_any_more(communicated_plan, owner, manager, staff):
    old = communicated_plan.latest_version
    draft = services.revise_plan(plan=communicated_plan, actor=owner)
    factories.submit_and_review(draft, owner)
    services.approve_plan(version=draft, actor=manager)
    decisions = Decision.objects.count()

    response = transition(browser_for(staff), communicated_plan, 1, "acknowledge")

    assert response.status_code == 409
    assert "read version 2, the one in force" in response.content.decode()
    assert Acknowledgement.objects.get(version=old, user=staff).acknowledged_at is None
    assert Decision.objects.count() == decisions


# -- the comparison and the history -----------------------------------------------------------------


def test_compare_shows_the_rendered_text_side_by_side_or_inline(resubmitted_revision, manager):
    url = reverse("plans:compare", args=[resubmitted_revision.pk])
    side = browser_for(manager).get(url, {"a": 1, "b": 2}).content.decode()
    purpose = side.split('id="diff-purpose"')[1].split("</section>")[0]
    assert purpose.count('class="diff-side"') == 2
    assert "<p><del>Purpose and scope of Incident management plan.</del></p>" in purpose
    assert "<p><ins>Restore normal service within the agreed service levels.</ins></p>" in purpose

    inline = browser_for(manager).get(url, {"a": 1, "b": 2, "view": "inline"}).content.decode()
    purpose = inline.split('id="diff-purpose"')[1].split("</section>")[0]
    assert 'class="diff-side"' not in purpose
    assert "<del>Purpose and scope" in purpose and "<ins>Restore normal service" in purpose
    assert 'aria-current="page">Inline' in inline


def test_the_history_links_each_version_and_its_entries_to_their_diff(resubmitted_revision, auditor):
    html = browser_for(auditor).get(reverse("plans:history", args=[resubmitted_revision.pk])).content.decode()
    compare = reverse("plans:compare", args=[resubmitted_revision.pk])
    assert f'href="{compare}?a=1&amp;b=2">What changed from version 1 to 2' in html
    assert html.count(f'href="{compare}?a=1&amp;b=2">v1 → v2') >= 2  # version 2's entries
