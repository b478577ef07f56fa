"""A process plan's life in a real browser: the owner writes it, the manager
approves and communicates it, staff acknowledge it, the owner revises it and
the manager compares the two versions (P1-P4, P6)."""

import re

import pytest
from playwright.sync_api import expect

from accounts import roles
from accounts.tests.factories import UserFactory
from plans.tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SECTIONS = {
    "Purpose and scope": "Restore normal service operation as quickly as possible.",
    "Interfaces": "Receives events from **event management**; hands problems to problem management.",
    "Roles": "- Incident manager\n- Service desk agent",
    "Resources": "Eight service desk agents and the ITSM tool.",
    "Procedure references": "PR-INC-01 Incident handling.",
    "Milestones": "Major-incident procedure live by the end of the quarter.",
}


def saved(page, text):
    expect(page.get_by_role("status")).to_contain_text(text)


def switch_user(page, login_in_browser, user):
    page.context.clear_cookies()
    return login_in_browser(user)


def test_process_plan_journey_from_draft_to_compared_revision(login_in_browser, live_server):
    manager = UserFactory(username="morgan", first_name="Morgan", last_name="Meyer", roles=[roles.MANAGER])
    smp_author = UserFactory(username="dana", first_name="Dana", last_name="Brooks", roles=[roles.MANAGER])
    owner = UserFactory(username="olivia", first_name="Olivia", last_name="Owen", roles=[roles.PROCESS_OWNER])
    staff = UserFactory(username="sam", first_name="Sam", last_name="Stone", roles=[roles.STAFF])
    factories.approved_smp(smp_author, manager)  # its objective O1: "Services meet agreed availability"
    factories.ProcessFactory(name="Incident management", owner=owner)

    # The process owner starts the plan of her process ...
    page = login_in_browser(owner)
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("link", name="New process plan").click()
    page.get_by_label("Process").select_option(label="Incident management")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Incident management plan")
    expect(page.get_by_role("heading", name="3 things left before you can submit")).to_be_visible()

    # ... writes every section (previewing the first one) ...
    for title, text in SECTIONS.items():
        page.get_by_role("link", name=f"Edit {title}", exact=True).click()
        page.get_by_label(title, exact=True).fill(text)
        if title == "Interfaces":
            page.get_by_role("button", name="Preview").click()
            expect(page.locator(".preview strong")).to_have_text("event management")
        page.get_by_role("button", name="Save", exact=True).click()
        saved(page, f"“{title}” is saved.")
    expect(page.locator("#section-roles li")).to_have_count(2)

    # ... adds an objective that serves the SMP objective, and its KPI ...
    page.get_by_role("link", name="Add objective").click()
    page.get_by_label("Title", exact=True).fill("Restore service quickly")
    page.get_by_label("Traces to SMP objective").select_option(label="O1 Services meet agreed availability")
    page.get_by_role("button", name="Save objective").click()
    saved(page, "Objective O1 is saved.")
    page.get_by_role("link", name="Add a KPI to objective O1").click()
    page.get_by_label("Metric").fill("Incidents resolved within target time")
    page.get_by_label("Target").fill("95")
    page.get_by_label("Unit").fill("%")
    page.get_by_label("Direction").select_option(label="Higher is better")
    page.get_by_label("Measured").select_option(label="Monthly")
    page.get_by_label("KPI owner").select_option(label="Olivia Owen")
    page.get_by_role("button", name="Save KPI").click()
    saved(page, "The KPI of objective O1 is saved.")

    # ... names the five responsibilities: top management approves and communicates ...
    page.get_by_role("link", name="Edit responsibilities").click()
    for kind, person in [
        ("Review", "Olivia Owen"),
        ("Approval", "Morgan Meyer"),
        ("Communication", "Morgan Meyer"),
        ("Implementation", "Olivia Owen"),
        ("Updating", "Olivia Owen"),
    ]:
        page.get_by_role("group", name=kind, exact=True).get_by_label(person).check()
    page.get_by_role("button", name="Save responsibilities").click()
    saved(page, "The responsibilities are saved.")
    expect(page.get_by_role("heading", name="Ready to submit")).to_be_visible()

    # ... puts the staff on the distribution list, and submits.
    page.get_by_role("link", name="Plan overview").click()
    page.get_by_role("link", name="Distribution list").click()
    page.get_by_role("group", name="People").get_by_label("Sam Stone").check()
    page.get_by_role("button", name="Save distribution list").click()
    saved(page, "The distribution list is saved.")
    page.get_by_label("Note for the approver").fill("First version, please review.")
    page.get_by_role("button", name="Submit version 1 for approval").click()
    saved(page, "Version 1 is submitted for approval.")
    # P3: the named reviewer (the owner's review responsibility) reviews it first.
    page.get_by_label("Review note for the approver").fill("Checked against the SMP.")
    page.get_by_role("button", name="Mark version 1 as reviewed").click()
    saved(page, "Version 1 is reviewed")

    # The manager finds it on the dashboard, approves and communicates it.
    page = switch_user(page, login_in_browser, manager)
    page.get_by_role("link", name="Incident management plan, version 1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 1")
    page.get_by_label("Approval comment").fill("Clear and measurable.")
    page.get_by_role("button", name="Approve version 1").click()
    saved(page, "Version 1 is approved.")
    page.get_by_role("button", name="Communicate version 1").click()
    saved(page, "Version 1 is communicated")

    # Staff on the distribution list acknowledge having read it.
    page = switch_user(page, login_in_browser, staff)
    page.get_by_role("link", name="Incident management plan, version 1").click()
    expect(page.locator("#section-purpose")).to_contain_text("Restore normal service operation")
    page.get_by_role("button", name="I have read version 1").click()
    saved(page, "you acknowledged version 1")

    # The owner revises the plan, rewrites a section and submits version 2.
    page = switch_user(page, login_in_browser, owner)
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("link", name="Incident management plan").click()
    expect(page.get_by_role("heading", name="Acknowledgements of version 1")).to_be_visible()
    expect(page.get_by_text("1 of 1 recipient confirmed reading it")).to_be_visible()
    page.get_by_role("button", name="Revise: start version 2").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("version 2")
    page.get_by_role("link", name="Edit Purpose and scope", exact=True).click()
    page.get_by_label("Purpose and scope", exact=True).fill(
        "Restore normal service operation within the agreed service levels."
    )
    page.get_by_role("button", name="Save", exact=True).click()
    saved(page, "“Purpose and scope” is saved.")
    page.get_by_role("button", name="Submit version 2 for approval").click()
    saved(page, "Version 2 is submitted for approval.")
    page.get_by_role("button", name="Mark version 2 as reviewed").click()
    saved(page, "Version 2 is reviewed")

    # The manager compares the two versions before deciding.
    page = switch_user(page, login_in_browser, manager)
    page.get_by_role("navigation", name="Phases").get_by_role("link", name="Plan", exact=True).click()
    page.get_by_role("link", name=re.compile("Awaiting your approval")).click()
    page.get_by_role("link", name="Decide on version 2 of Incident management plan").click()
    page.get_by_role("link", name="Compare versions").click()
    expect(page.get_by_role("heading", name="Compare versions")).to_be_visible()
    changed = page.locator("section", has=page.get_by_role("heading", name="Purpose and scope"))
    expect(changed.locator("del")).to_contain_text("as quickly as possible.")
    expect(changed.locator("ins")).to_contain_text("within the agreed service levels.")
    expect(page.locator("#diff-roles")).to_be_visible()
    expect(page.locator("section", has=page.locator("#diff-roles"))).to_contain_text("unchanged")
