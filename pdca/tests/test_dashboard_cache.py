"""The dashboard keeps its tasks and panels per person under the version of the
data (`pdca.dashboard`): a visit without any change in between reads them
back, and any recorded change shows on the next visit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pdca.dashboard import NOTIFICATIONS_SHOWN, data_version
from pdca.notifications import notify
from plans import services
from plans.tests import factories

pytestmark = pytest.mark.django_db


def _visit(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    return response, len(captured)


def _submitted(owner, manager):
    plan = factories.draft_process_plan(owner, manager)
    factories.submit_and_review(plan.latest_version, owner, reviewer=owner)
    return plan.latest_version


def test_an_unchanged_dashboard_is_read_back_not_computed_again(smp, owner, manager, client_for):
    _submitted(owner, manager)
    client = client_for(manager)
    first, computed = _visit(client)
    again, kept = _visit(client)
    assert kept < computed
    assert "inbox" not in again.context  # nothing computed
    assert again.context["work"].task_total == first.context["inbox"].total == 1
    assert again.content.decode().count('class="task"') == first.content.decode().count('class="task"') == 1


def test_a_change_shows_on_the_next_visit(smp, owner, manager, client_for):
    version = _submitted(owner, manager)
    client = client_for(manager)
    before = data_version()
    assert _visit(client)[0].context["inbox"].total == 1
    services.approve_plan(version=version, actor=manager)
    assert data_version() != before
    response, _queries = _visit(client)
    assert response.context["inbox"].total == 0
    assert 'class="task"' not in response.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL prepares statements; SQLite's driver caches them"
)
def test_the_data_version_is_a_statement_postgresql_prepares_once(smp, owner, manager):
    """Planning its forty subqueries cost more than running them: prepared once
    per connection, it answers what the plain statement answers; with the query
    log on it runs as a plain statement the log can show."""
    _submitted(owner, manager)
    version = data_version()
    assert data_version() == version
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%UNION ALL%'")
        assert cursor.fetchone()[0] == 1
    with CaptureQueriesContext(connection) as captured:
        assert data_version() == version
    assert len(captured) == 1 and "UNION ALL" in captured[0]["sql"]


def test_the_unread_count_counts_them_all_not_the_few_listed(smp, manager, client_for):
    """The dashboard lists the newest five unread notifications and, from the
    same query, how many there are: the navigation says all of them."""
    for n in range(NOTIFICATIONS_SHOWN + 2):
        notify(recipients=[manager], subject=f"News {n}")
    response, _queries = _visit(client_for(manager))
    assert len(response.context["recent_notifications"]) == NOTIFICATIONS_SHOWN
    assert response.context["unread_notifications"] == NOTIFICATIONS_SHOWN + 2
    assert f'aria-label="{NOTIFICATIONS_SHOWN + 2} unread"' in response.content.decode()


def test_the_roles_shown_are_kept_with_the_work_and_follow_a_change(smp, staff, administrator, client_for):
    """The roles under the greeting are kept with the dashboard's work; a
    change of roles writes a history row, so the next visit shows it."""
    from accounts import roles
    from accounts.services import set_roles

    client = client_for(staff)
    first, _queries = _visit(client)
    assert first.context["role_names"] == [roles.STAFF] and f'<p class="muted">{roles.STAFF}</p>' in (
        first.content.decode()
    )
    set_roles(user=staff, roles=[roles.STAFF, roles.AUDITOR], actor=administrator)
    again, _queries = _visit(client)
    assert again.context["role_names"] == sorted([roles.STAFF, roles.AUDITOR])
    assert " · ".join(sorted([roles.STAFF, roles.AUDITOR])) in again.content.decode()
