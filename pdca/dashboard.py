"""What the dashboard shows a user: first what waits for him or her (the task
inbox, `pdca.inbox`), then what needs doing next, per phase.

Each phase registers its panels (`pdca.registry.register_dashboard_panel`);
every panel is a bounded query, so the dashboard runs the same number of
queries however much data there is. Each kind of task the user has is a key
figure that links to the inbox filtered to that kind, which lists all of them.

The tasks, panels and key figures are kept per person for CACHE_SECONDS under
the version of the data (`data_version`): any recorded change anywhere gives
every dashboard a new key, so that a task done or a new one shows on the next
visit; the day is part of the key, so that what falls due today does too.
The unread notifications (the first few and how many) are read on every
visit, in one query.
"""

import hashlib
from dataclasses import dataclass, replace
from functools import cache
from urllib.parse import urlencode

from django.apps import apps
from django.core.cache import cache as django_cache
from django.db import connection
from django.db.models import Count, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from simple_history.models import HistoricalChanges

from .inbox import inbox
from .registry import dashboard_panels

# How many tasks the dashboard's first panel shows ("See all N tasks" for the rest).
TASK_PANEL_SIZE = 5
# How many unread notifications the dashboard lists.
NOTIFICATIONS_SHOWN = 5
# At most this old, whatever the version says (a change written without a
# history row, such as a queryset update, shows after this long at the latest).
CACHE_SECONDS = 60


def data_version():
    """The newest row of every history table, decision and reminder, in one
    query: every change of a record with a history (all that the tasks and
    panels read, roles included) and every decision or reminder raised moves
    it on. Reads the end of each table's primary key index; committed rows
    only, so the version never runs ahead of the data read after it."""
    sql, count = _newest_rows_sql(connection.vendor)
    with _prepared_cursor() as cursor:
        cursor.execute(sql)
        found = dict(cursor.fetchall())
    return ".".join(str(found.get(n, 0)) for n in range(count))


def _prepared_cursor():
    """On PostgreSQL a cursor whose statements the server prepares once per
    connection (psycopg keeps them): planning the query's forty subqueries
    took longer than running them. Django's own cursors bind on the client
    and never prepare (for transaction-mode poolers older than PgBouncer
    1.21); its error wrapping applies to this one too. SQLite's
    driver keeps its compiled statements anyway. With the query log on
    (DEBUG, or a test counting queries) a plain cursor, whose statement the
    log can show: psycopg keeps no text of a prepared one's execution."""
    if connection.vendor != "postgresql" or connection.queries_logged:
        return connection.cursor()
    connection.ensure_connection()
    driver = connection.connection
    if driver.prepare_threshold is None:
        # Django turns preparing off; only these cursors ask for it.
        driver.prepare_threshold = 2**31
    return connection.make_cursor(_prepared_cursor_class()(driver))


@cache
def _prepared_cursor_class():
    import psycopg

    class Prepared(psycopg.Cursor):
        def execute(self, query, params=None, **options):
            return super().execute(query, params, **{"prepare": True, **options})

    return Prepared


@cache
def _newest_rows_sql(vendor):
    models = [m for m in apps.get_models() if issubclass(m, HistoricalChanges)]
    models += [apps.get_model("pdca", "Decision"), apps.get_model("pdca", "Reminder")]
    quote = connection.ops.quote_name
    sql = " UNION ALL ".join(
        f"SELECT {n}, last.id FROM (SELECT {quote(m._meta.pk.column)} AS id FROM {quote(m._meta.db_table)} "
        f"ORDER BY 1 DESC LIMIT 1) AS last"
        for n, m in enumerate(models)
    )
    return sql, len(models)


def for_user(user):
    """The dashboard's context. What is kept (`Work`: the key figures, tasks
    and panels as HTML, the number of tasks and the roles) is computed and
    rendered only when the data's version, the day or the language moved on;
    on a fresh computation the context also holds what it was rendered from."""
    version = hashlib.sha256(data_version().encode()).hexdigest()[:32]
    key = f"pdca-dashboard:{user.pk}:{translation.get_language()}:{timezone.localdate()}:{version}"
    work = django_cache.get(key)
    computed = {}
    if work is None:
        computed = _tasks_and_panels(user)
        work = Work(
            tasks=render_to_string("pdca/_dashboard_tasks.html", computed),
            panels=render_to_string("pdca/_dashboard_panels.html", computed),
            task_total=computed["inbox"].total,
            role_names=computed["role_names"],
        )
        django_cache.set(key, work, CACHE_SECONDS)
    unread = user.notifications.unread()
    # How many, as a subquery the database runs once: a partial index holds them.
    total = unread.order_by().values("recipient_id").annotate(n=Count("pk")).values("n")
    recent = list(unread.annotate(unread_total=Subquery(total))[:NOTIFICATIONS_SHOWN])
    return {
        **computed,
        "work": work,
        "role_names": work.role_names,
        "recent_notifications": recent,
        # The navigation's count, from the same query (see pdca.context_processors).
        "unread_notifications": recent[0].unread_total if recent else 0,
    }


@dataclass(frozen=True)
class Work:
    """What the dashboard keeps per person and data version: plain strings
    and numbers, quick to read back from any cache."""

    tasks: str  # the key figures and the first tasks (HTML)
    panels: str  # each phase's panels (HTML)
    task_total: int
    role_names: list


def _tasks_and_panels(user):
    tasks = inbox(user)
    top = tasks.tasks[:TASK_PANEL_SIZE]
    context = {
        # The counts and the first tasks: the dashboard shows no more, and the
        # whole list of a CSI owner (a thousand tasks) would be kept for nothing.
        "inbox": replace(tasks, tasks=top),
        "top_tasks": top,
        "panels": [],
        # Roles change with a history row, which moves the version on.
        "role_names": user.role_names,
        "stats": [
            {
                "value": kind["count"],
                "label": kind["label"],
                "url": f"{reverse('tasks')}?{urlencode({'kind': kind['kind']})}",
                "tone": "warn",
            }
            for kind in tasks.kinds
        ],
    }
    for contribute in dashboard_panels():
        contribute(user, context)
    return context
