"""What the dashboard shows a user: what needs doing next, per phase.

Each phase registers its panels (`pdca.registry.register_dashboard_panel`);
every panel is a bounded query, so the dashboard runs the same number of
queries however much data there is.
"""

from .registry import dashboard_panels


def for_user(user):
    context = {
        "recent_notifications": list(user.notifications.filter(read_at__isnull=True)[:5]),
        "panels": [],
        "stats": [],
    }
    for contribute in dashboard_panels():
        contribute(user, context)
    return context
