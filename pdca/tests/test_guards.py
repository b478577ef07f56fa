"""Every table that holds evidence has its database guard (pdca/guards.py),
also after later migrations: SQLite rebuilds a table, and silently loses its
triggers, on many schema changes."""

import pytest
from django.apps import apps
from django.db import connection

from pdca.controlled import AcknowledgementBase, ControlledContent, ControlledDocument
from pdca.models import Decision


def _evidence_tables():
    tables = {Decision._meta.db_table}
    for model in apps.get_models():
        if model._meta.app_label == "pdca_testapp":
            continue  # the test documents prove the ORM guards, not the database's
        if issubclass(model, ControlledDocument | ControlledContent | AcknowledgementBase):
            tables.add(model._meta.db_table)
    return tables


def _triggers():
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal"
            )
        return cursor.fetchall()


@pytest.mark.django_db
def test_every_evidence_table_has_its_guard():
    guarded = {table for table, name in _triggers() if name.startswith(f"{table}_guard")}
    tables = _evidence_tables()
    assert {"plans_planversion", "plans_kpi", "pdca_decision"} <= tables
    assert tables - guarded == set()
