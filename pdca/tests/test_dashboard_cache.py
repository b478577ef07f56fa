"""The dashboard keeps its tasks and panels per person under the version of the
data (`pdca.dashboard`): a visit without any change in between reads them
back, and any recorded change shows on the next visit."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pdca.dashboard import data_version
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
