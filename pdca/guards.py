"""Database triggers that keep evidence unchanged for every route, raw SQL included.

The models refuse to change a frozen record (`pdca.controlled`) and a decision
(`pdca.models.Decision`); these triggers make the database refuse it too, so
that neither a bulk statement that bypasses the model nor a raw UPDATE can
alter what an auditor relies on.

- PostgreSQL: BEFORE UPDATE OR DELETE row triggers (a PL/pgSQL function per
  table). TRUNCATE is left to the table owner (the test runner empties tables
  with it); `verify_records` would find the gap in the decision chain.
- SQLite: BEFORE UPDATE triggers. Django's test runner empties SQLite tables
  with DELETE, so deletes are refused by the ORM only, and a deleted approved
  record or decision is found by `verify_records`.

Migrations call `guard_operations(...)` with literal arguments, so that each
migration keeps the triggers it installed even when the models change later.
"""

from django.db import migrations

ERRCODE = "integrity_constraint_violation"  # Django raises IntegrityError for it


def _quote_list(values):
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


class RunSQLForVendor(migrations.RunSQL):
    """RunSQL that runs only on one database vendor."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        name, args, kwargs = super().deconstruct()
        return name, args, {"vendor": self.vendor, **kwargs}

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def _pair(prefix_old, prefix_new, state):
    return f"{prefix_old}.{state} || '>' || {prefix_new}.{state}"


def frozen_record_guard(
    *,
    table,
    state,
    editable,
    approved,
    transitions,
    after_approval,
    content,
    columns,
):
    """Triggers for a controlled document's table: a frozen row changes only by
    an allowed transition; an approved row changes nothing but its state and
    `after_approval` columns; a submitted row keeps its `content` columns; a
    frozen row is never deleted (PostgreSQL). `columns`: every column of the
    table (for SQLite, which cannot compare whole rows)."""
    editable_sql = _quote_list(editable)
    approved_sql = _quote_list(approved)
    transitions_sql = _quote_list(f"{a}>{b}" for a, b in transitions)
    unchanged_after_approval = sorted(set(columns) - {state, *after_approval, "id"})
    message = f"{table}: an approved or submitted record is never changed (only its transitions are made)"

    pg = f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.{state} NOT IN ({editable_sql}) THEN
      RAISE EXCEPTION '{table}: a % record is never deleted', OLD.{state} USING ERRCODE = '{ERRCODE}';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.{state} IN ({editable_sql}) THEN
    RETURN NEW;
  END IF;
  IF NEW.{state} <> OLD.{state} AND ({_pair("OLD", "NEW", state)}) NOT IN ({transitions_sql}) THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = '{ERRCODE}';
  END IF;
  IF OLD.{state} IN ({approved_sql}) THEN
    IF (to_jsonb(NEW) - ARRAY[{_quote_list([state, *after_approval])}]::text[])
       IS DISTINCT FROM (to_jsonb(OLD) - ARRAY[{_quote_list([state, *after_approval])}]::text[]) THEN
      RAISE EXCEPTION '{message}' USING ERRCODE = '{ERRCODE}';
    END IF;
  ELSIF {" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in content)} THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = '{ERRCODE}';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {table}_guard();
"""
    pg_reverse = f"DROP TRIGGER IF EXISTS {table}_guard ON {table}; DROP FUNCTION IF EXISTS {table}_guard();"

    sqlite = f"""
CREATE TRIGGER {table}_guard BEFORE UPDATE ON {table}
WHEN OLD.{state} NOT IN ({editable_sql}) AND (
  (NEW.{state} <> OLD.{state} AND ({_pair("OLD", "NEW", state)}) NOT IN ({transitions_sql}))
  OR (OLD.{state} IN ({approved_sql}) AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in unchanged_after_approval)}))
  OR (OLD.{state} NOT IN ({approved_sql}) AND ({" OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in content)}))
)
BEGIN SELECT RAISE(ABORT, '{message}'); END;
"""
    sqlite_reverse = f"DROP TRIGGER IF EXISTS {table}_guard;"
    return [
        RunSQLForVendor("postgresql", pg, pg_reverse),
        RunSQLForVendor("sqlite", sqlite, sqlite_reverse),
    ]


def frozen_part_guard(
    *, table, document_table, document_column, state, editable, via=None, updatable=(), columns=()
):
    """Triggers for a part of a controlled document (an objective, a KPI): it is
    added, changed or removed only while its document is editable.
    `via=(table, column)` when the part reaches its document through another
    table (a KPI through its objective). `updatable`: columns that keep
    changing after the document is frozen (a finding's state); `columns`: every
    column of the table (needed with `updatable`, for SQLite)."""
    editable_sql = _quote_list(editable)
    message = f"{table}: a part of a frozen record is never changed"

    def document_state(row):
        if via is None:
            return f"(SELECT {state} FROM {document_table} WHERE id = {row}.{document_column})"
        via_table, via_column = via
        return (
            f"(SELECT d.{state} FROM {document_table} d JOIN {via_table} v ON v.{document_column} = d.id "
            f"WHERE v.id = {row}.{via_column})"
        )

    if updatable:
        pg_only_updatable = (
            f"TG_OP = 'UPDATE' AND (to_jsonb(NEW) - ARRAY[{_quote_list(updatable)}]::text[]) "
            f"IS NOT DISTINCT FROM (to_jsonb(OLD) - ARRAY[{_quote_list(updatable)}]::text[])"
        )
        fixed = sorted(set(columns) - set(updatable) - {"id"})
        sqlite_changes_fixed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in fixed)
    else:
        pg_only_updatable = "FALSE"
        sqlite_changes_fixed = "1"

    pg = f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF {pg_only_updatable} THEN
    RETURN NEW;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') AND {document_state("OLD")} NOT IN ({editable_sql}) THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = '{ERRCODE}';
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND {document_state("NEW")} NOT IN ({editable_sql}) THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = '{ERRCODE}';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER {table}_guard BEFORE INSERT OR UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {table}_guard();
"""
    pg_reverse = f"DROP TRIGGER IF EXISTS {table}_guard ON {table}; DROP FUNCTION IF EXISTS {table}_guard();"
    sqlite = f"""
CREATE TRIGGER {table}_guard_update BEFORE UPDATE ON {table}
WHEN ({document_state("OLD")} NOT IN ({editable_sql}) OR {document_state("NEW")} NOT IN ({editable_sql}))
  AND ({sqlite_changes_fixed})
BEGIN SELECT RAISE(ABORT, '{message}'); END;
CREATE TRIGGER {table}_guard_insert BEFORE INSERT ON {table}
WHEN {document_state("NEW")} NOT IN ({editable_sql})
BEGIN SELECT RAISE(ABORT, '{message}'); END;
"""
    sqlite_reverse = (
        f"DROP TRIGGER IF EXISTS {table}_guard_update; DROP TRIGGER IF EXISTS {table}_guard_insert;"
    )
    return [
        RunSQLForVendor("postgresql", pg, pg_reverse),
        RunSQLForVendor("sqlite", sqlite, sqlite_reverse),
    ]


def append_only_guard(*, table):
    """Rows are only ever inserted (the decision log)."""
    message = f"{table}: rows are only ever added, never changed or deleted"
    pg = f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{message}' USING ERRCODE = '{ERRCODE}';
END $$;
CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {table}_guard();
"""
    pg_reverse = f"DROP TRIGGER IF EXISTS {table}_guard ON {table}; DROP FUNCTION IF EXISTS {table}_guard();"
    sqlite = f"""
CREATE TRIGGER {table}_guard BEFORE UPDATE ON {table}
BEGIN SELECT RAISE(ABORT, '{message}'); END;
"""
    sqlite_reverse = f"DROP TRIGGER IF EXISTS {table}_guard;"
    return [
        RunSQLForVendor("postgresql", pg, pg_reverse),
        RunSQLForVendor("sqlite", sqlite, sqlite_reverse),
    ]


def once_set_guard(*, table, column):
    """A row whose `column` is set never changes again (an acknowledgement)."""
    message = f"{table}: a confirmed record is never changed"
    pg = f"""
CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.{column} IS NOT NULL THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = '{ERRCODE}';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER {table}_guard BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION {table}_guard();
"""
    pg_reverse = f"DROP TRIGGER IF EXISTS {table}_guard ON {table}; DROP FUNCTION IF EXISTS {table}_guard();"
    sqlite = f"""
CREATE TRIGGER {table}_guard BEFORE UPDATE ON {table}
WHEN OLD.{column} IS NOT NULL
BEGIN SELECT RAISE(ABORT, '{message}'); END;
"""
    sqlite_reverse = f"DROP TRIGGER IF EXISTS {table}_guard;"
    return [
        RunSQLForVendor("postgresql", pg, pg_reverse),
        RunSQLForVendor("sqlite", sqlite, sqlite_reverse),
    ]


def lifted(guard_operations, *operations):
    """`operations` run with the guard lifted: the guard's triggers dropped
    before and installed again after (SQLite rebuilds a table, and loses its
    triggers, on many schema changes; a data migration may have to fill a new
    column of frozen rows)."""
    drop = [RunSQLForVendor(op.vendor, op.reverse_sql, op.sql) for op in guard_operations]
    return [*drop, *operations, *guard_operations]
