"""Do, in a real browser: an implementer plans milestones, marks them done,
proposes a handover to two operators, one accepts, and the plan shows
"in operation" with the operators as responsible (page and API)."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts import roles
from accounts.tests.factories import UserFactory
from plans import services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_implementer_hands_the_process_over_to_two_operators(
    page, live_server, login_in_browser, approved_plan, owner, staff
):
    omar = UserFactory(username="omar", first_name="Omar", last_name="Ortiz", roles=[roles.STAFF])
    ola = UserFactory(username="ola", first_name="Ola", last_name="Olsen", roles=[roles.STAFF])
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.current_version, actor=owner)
    url = f"{live_server.url}/plans/{approved_plan.pk}/implementation/"

    login_in_browser(owner)
    page.goto(f"{live_server.url}/plans/implementation/")
    page.get_by_role("link", name="Incident management").click()
    page.get_by_role("button", name="Start implementation").click()
    expect(page.get_by_role("status")).to_contain_text("has started")

    for title, days in (("Runbook written", 10), ("Service desk trained", 20)):
        page.get_by_text("Add a milestone").click()
        page.get_by_label("Title").fill(title)
        page.get_by_label("Owner").select_option(label=str(owner))
        page.get_by_label("Due date").fill((timezone.localdate() + datetime.timedelta(days=days)).isoformat())
        page.get_by_role("button", name="Add milestone").click()
        expect(page.get_by_role("cell", name=title, exact=True)).to_be_visible()
    page.get_by_role("button", name="Mark “Runbook written” done").click()
    page.get_by_role("button", name="Mark “Service desk trained” done").click()
    expect(page.get_by_text("2 of 2 done")).to_be_visible()

    # Every KPI gets an operator before the handover.
    for select in page.locator("#kpis select").all():
        select.select_option(label="Omar Ortiz")
        select.locator("xpath=..").get_by_role("button", name="Assign").click()
    expect(page.locator("#kpis")).not_to_contain_text("no operator")

    page.get_by_text("Propose a handover").click()
    receivers = page.get_by_role("group", name="Handed over to")
    receivers.get_by_label("Omar Ortiz").check()
    receivers.get_by_label("Ola Olsen").check()
    page.get_by_label("Documents handed over").fill("Runbook\nOn-call rota")
    page.get_by_role("button", name="Propose handover").click()
    expect(page.get_by_role("status")).to_contain_text("Handover proposed")

    page.context.clear_cookies()
    login_in_browser(ola)
    page.goto(url)
    expect(page.get_by_text("Your decision is needed")).to_be_visible()
    page.get_by_role("button", name="Accept handover").click()
    expect(page.get_by_role("status")).to_contain_text("in operation")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Incident management")
    expect(page.locator(".page-head")).to_contain_text("In operation")
    expect(page.get_by_role("complementary")).to_contain_text("Ola Olsen, Omar Ortiz")

    state = page.request.get(f"{live_server.url}/api/v1/implementations/{approved_plan.pk}/").json()
    assert state["implementation_status"] == "in_operation"
    assert {p["name"] for p in state["responsible"]} == {"Omar Ortiz", "Ola Olsen"}
    assert omar.received_handovers.get().status == "accepted"
