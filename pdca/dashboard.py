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
The unread notifications are read on every visit.
"""

import hashlib
from dataclasses import replace
from functools import cache
from urllib.parse import urlencode

from django.apps import apps
from django.core.cache import cache as django_cache
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation
from simple_history.models import HistoricalChanges

from .inbox import inbox
from .registry import dashboard_panels

# How many tasks the dashboard's first panel shows ("See all N tasks" for the rest).
TASK_PANEL_SIZE = 5
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
    with connection.cursor() as cursor:
        cursor.execute(sql)
        found = dict(cursor.fetchall())
    return ".".join(str(found.get(n, 0)) for n in range(count))


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
    version = hashlib.sha256(data_version().encode()).hexdigest()[:32]
    key = f"pdca-dashboard:{user.pk}:{translation.get_language()}:{timezone.localdate()}:{version}"
    context = django_cache.get(key)
    if context is None:
        context = _tasks_and_panels(user)
        django_cache.set(key, context, CACHE_SECONDS)
    return {
        **context,
        # The template keeps what it writes of them under the same key.
        "dashboard_key": key,
        "cache_seconds": CACHE_SECONDS,
        "recent_notifications": list(user.notifications.unread()[:5]),
    }


def _tasks_and_panels(user):
    tasks = inbox(user)
    top = tasks.tasks[:TASK_PANEL_SIZE]
    context = {
        # The counts and the first tasks: the dashboard shows no more, and the
        # whole list of a CSI owner (a thousand tasks) would be kept for nothing.
        "inbox": replace(tasks, tasks=top),
        "top_tasks": top,
        "panels": [],
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
