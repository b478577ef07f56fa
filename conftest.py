"""Fixtures every app's tests share: users per role, an API client, the browser."""

import os

import pytest

# Live-server browser tests call the ORM from Playwright's event loop thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from accounts import roles  # noqa: E402
from accounts.tests.factories import UserFactory  # noqa: E402

# Plans in every state, used by the tests of Plan, Do, Check and Act.
pytest_plugins = ["plans.tests.fixtures", "reviews.tests.fixtures"]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: the dashboard keeps its panels per
    person and data version (`pdca.dashboard`), and ids repeat across tests
    whose transactions were rolled back."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", first_name="Morgan", last_name="Meyer", roles=[roles.MANAGER])


@pytest.fixture
def manager2(db):
    return UserFactory(username="manager2", first_name="Dana", last_name="Brooks", roles=[roles.MANAGER])


@pytest.fixture
def owner(db):
    return UserFactory(username="owner", first_name="Olivia", last_name="Owen", roles=[roles.PROCESS_OWNER])


@pytest.fixture
def other_owner(db):
    return UserFactory(username="owner2", first_name="Peter", last_name="Park", roles=[roles.PROCESS_OWNER])


@pytest.fixture
def auditor(db):
    return UserFactory(username="auditor", first_name="Ada", last_name="Aldridge", roles=[roles.AUDITOR])


@pytest.fixture
def staff(db):
    return UserFactory(username="staff", first_name="Sam", last_name="Stone", roles=[roles.STAFF])


@pytest.fixture
def csi_owner(db):
    return UserFactory(username="csi", roles=[roles.CSI_OWNER])


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", roles=[roles.ADMINISTRATOR], is_staff=True)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def client_for(client):
    """client_for(user) -> a test client logged in as that user."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def api_for():
    """api_for(user) -> an APIClient authenticated as that user."""
    from rest_framework.test import APIClient

    def _login(user):
        api = APIClient()
        api.force_authenticate(user)
        return api

    return _login


# Browser tests: Playwright drives Debian's Chromium (its own download is not used).
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def login_in_browser(page, live_server):
    """login_in_browser(user) -> the Playwright page, logged in through the login form."""

    def _login(user, password="secret-pass-1"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return _login


@pytest.fixture(autouse=True)
def _celery_runs_tasks_in_process():
    """Tasks run in the test process unless a test starts a real worker."""
    from pdca.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous
