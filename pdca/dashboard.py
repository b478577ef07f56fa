"""What the dashboard shows a user: what needs doing next, per phase.

Each phase contributes a few selectors; every panel is a bounded query, so the
dashboard runs the same number of queries however much data there is.
"""


def for_user(user):
    context = {
        "recent_notifications": list(user.notifications.filter(read_at__isnull=True)[:5]),
        "panels": [],
    }
    for contribute in _contributors():
        contribute(user, context)
    return context


def _contributors():
    from plans.dashboard import contribute as plan_panels
    from plans.implementation_views import contribute_dashboard as do_panels

    return [plan_panels, do_panels]
