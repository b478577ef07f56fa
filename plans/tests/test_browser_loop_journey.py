"""The loop between the author and the approver in a real browser (P3, P4):
the owner submits a revision with a note, the manager requests changes with a
reason, the owner reads the reason on her plan, fixes a section and
resubmits, the manager decides beside her note and the highlighted changes
since the approved version, and approves; the owner's page then names who
communicates the plan next."""

import pytest
from playwright.sync_api import expect

from accounts import roles
from accounts.tests.factories import UserFactory
from plans import services
from plans.models import Responsibility
from plans.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Say who declares a major incident."


def saved(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def switch_user(page, login_in_browser, user):
    page.context.clear_cookies()
    return login_in_browser(user)


def edit_section(page, title, text):
    page.get_by_role("link", name=f"Edit {title}", exact=True).click()
    page.get_by_label(title, exact=True).fill(text)
    page.get_by_role("button", name="Save", exact=True).click()
    saved(page, f"“{title}” is saved.")


def test_request_changes_then_resubmit_then_approve_beside_the_diff(login_in_browser, live_server):
    manager = UserFactory(username="morgan", first_name="Morgan", last_name="Meyer", roles=[roles.MANAGER])
    communicator = UserFactory(username="dana", first_name="Dana", last_name="Brooks", roles=[roles.MANAGER])
    owner = UserFactory(username="olivia", first_name="Olivia", last_name="Owen", roles=[roles.PROCESS_OWNER])
    factories.approved_smp(communicator, manager)
    plan = factories.approved_process_plan(owner, manager)
    # Version 2: the manager reviews and approves at once, Dana Brooks communicates.
    draft = services.revise_plan(plan=plan, actor=owner)
    services.set_responsibilities(
        version=draft,
        actor=owner,
        assignments={
            Responsibility.Kind.REVIEW: [manager],
            Responsibility.Kind.APPROVAL: [manager],
            Responsibility.Kind.COMMUNICATION: [communicator],
            Responsibility.Kind.IMPLEMENTATION: [owner],
            Responsibility.Kind.UPDATING: [owner],
        },
        reviewer_may_approve=True,
    )
    version_url = f"{live_server.url}{draft.get_absolute_url()}"

    # The owner rewrites the purpose of version 2 and submits it with a note.
    page = login_in_browser(owner)
    page.goto(version_url)
    edit_section(page, "Purpose and scope", "Restore normal service within the agreed service levels.")
    page.get_by_role("link", name="Plan overview").click()
    page.get_by_label("Note for the approver").fill("Purpose aligned with the SLAs.")
    page.get_by_role("button", name="Submit version 2 for approval").click()
    saved(page, "Version 2 is submitted for approval. Waits for review and approval by Morgan Meyer since")

    # The manager reads her note and sends it back with a reason.
    page = switch_user(page, login_in_browser, manager)
    page.goto(version_url)
    submission = page.locator("section.submission")
    expect(submission).to_contain_text("Submitted by Olivia Owen")
    expect(submission).to_contain_text("Purpose aligned with the SLAs.")
    page.get_by_label("What has to change?").fill(REASON)
    page.get_by_role("button", name="Request changes").click()
    saved(
        page, "Version 2 is back to draft with your comment. Waits for Olivia Owen to revise and resubmit it"
    )

    # The owner finds the reason on her plan page, fixes the roles and resubmits.
    page = switch_user(page, login_in_browser, owner)
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("link", name="Incident management plan").first.click()
    banner = page.get_by_role("note")
    expect(banner).to_contain_text("Changes requested by Morgan Meyer")
    expect(banner).to_contain_text(REASON)
    page.get_by_role("link", name="Draft: version 2").click()
    expect(page.get_by_role("note")).to_contain_text(REASON)
    edit_section(page, "Roles", "- Incident manager\n- Major-incident manager, who declares a major incident")
    page.get_by_label("Note for the approver").fill("Named who declares a major incident.")
    page.get_by_role("button", name="Resubmit version 2 for approval").click()
    saved(page, "Version 2 is submitted for approval.")
    expect(page.get_by_role("note")).to_have_count(0)

    # The manager decides beside the note and what changed since version 1, and approves.
    page = switch_user(page, login_in_browser, manager)
    page.goto(version_url)
    submission = page.locator("section.submission")
    expect(submission).to_contain_text("Named who declares a major incident.")
    expect(submission).to_contain_text("What changed since version 1, the last approved version")
    expect(submission.locator("#changed-purpose ins")).to_contain_text("within the agreed service levels.")
    expect(submission.locator("#changed-purpose del")).to_contain_text("Purpose and scope")
    expect(submission.locator("#changed-roles ins", has_text="who declares a major incident")).to_be_visible()
    expect(submission).to_contain_text("Waits for communication by Dana Brooks.")  # what follows
    page.get_by_label("Approval comment").fill("Clear.")
    page.get_by_role("button", name="Approve version 2").click()
    saved(page, "Version 2 is approved. Waits for communication by Dana Brooks since")

    # The owner's page names who communicates it next.
    page = switch_user(page, login_in_browser, owner)
    page.goto(f"{live_server.url}{plan.get_absolute_url()}")
    expect(page.get_by_text("Waits for communication by Dana Brooks since")).to_be_visible()
    expect(page.get_by_text("Nothing for you to do")).to_have_count(0)
