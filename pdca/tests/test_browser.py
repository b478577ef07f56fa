"""The real-browser harness: Playwright drives Debian's Chromium against live_server."""

import pytest
from playwright.sync_api import expect

from accounts import roles
from accounts.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_process_owner_logs_in_and_sees_the_dashboard(login_in_browser):
    owner = UserFactory(username="olivia", first_name="Olivia", roles=[roles.PROCESS_OWNER])
    page = login_in_browser(owner)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Olivia")
    expect(page.get_by_role("navigation", name="Phases")).to_contain_text("Plan")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
