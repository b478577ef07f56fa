"""What the dashboard shows a user: first what waits for him or her (the task
inbox, `pdca.inbox`), then what needs doing next, per phase.

Each phase registers its panels (`pdca.registry.register_dashboard_panel`);
every panel is a bounded query, so the dashboard runs the same number of
queries however much data there is. Each kind of task the user has is a key
figure that links to the inbox filtered to that kind, which lists all of them.
"""

from urllib.parse import urlencode

from django.urls import reverse

from .inbox import inbox
from .registry import dashboard_panels

# How many tasks the dashboard's first panel shows ("See all N tasks" for the rest).
TASK_PANEL_SIZE = 5


def for_user(user):
    tasks = inbox(user)
    context = {
        "inbox": tasks,
        "top_tasks": tasks.tasks[:TASK_PANEL_SIZE],
        "recent_notifications": list(user.notifications.unread()[:5]),
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
