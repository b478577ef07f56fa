"""Time the pages and API lists people use most, and count their SQL queries.

Timings belong here, not in tests: run it against a database filled with
`seed_demo --scale N` and compare the figures between changes, e.g.

    DEBUG=true python manage.py seed_demo --scale 10 --quiet
    DEBUG=true python manage.py benchmark --repeat 20
"""

import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import override_settings

from accounts.models import User
from plans.models import Plan

TARGETS = [
    ("owner", "dashboard", "/"),
    ("owner", "plan list", "/plans/"),
    ("manager", "approval queue", "/plans/approvals/"),
    ("owner", "implementation overview", "/plans/implementation/"),
    ("auditor", "plan page", "/plans/{plan}/"),
    ("auditor", "plan history", "/plans/{plan}/history/"),
    ("staff", "plan list (staff)", "/plans/"),
    ("owner", "API plans", "/api/v1/plans/"),
    ("owner", "API versions", "/api/v1/versions/"),
    ("owner", "API implementations", "/api/v1/implementations/"),
]


class Command(BaseCommand):
    help = "Print response times and SQL query counts of the main pages and API lists."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=10, help="Requests per page (default 10).")

    def handle(self, *args, repeat, **options):
        if repeat < 1:
            raise CommandError("--repeat must be at least 1.")
        plan = Plan.objects.filter(kind=Plan.Kind.PROCESS).order_by("pk").first()
        if plan is None:
            raise CommandError("No plans to measure: run `manage.py seed_demo` (with --scale N) first.")
        self.stdout.write(
            f"{Plan.objects.count()} plans, database {connection.vendor}, {repeat} requests per page\n"
        )
        self.stdout.write(f"{'page':<28} {'user':<9} {'median ms':>10} {'p90 ms':>8} {'queries':>8}")
        with override_settings(DEBUG=True, ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False):
            for username, label, path in TARGETS:
                user = User.objects.filter(username=username).first()
                if user is None:
                    self.stdout.write(f"{label:<28} {username:<9} {'(no such demo user)':>28}")
                    continue
                client = Client()
                client.force_login(user)
                url = path.format(plan=plan.pk)
                client.get(url)  # warm up caches
                durations, queries = [], 0
                for _ in range(repeat):
                    reset_queries()
                    started = time.perf_counter()
                    response = client.get(url)
                    durations.append((time.perf_counter() - started) * 1000)
                    queries = len(connection.queries)
                    if response.status_code != 200:
                        raise CommandError(f"{url} answered {response.status_code} for {username}.")
                durations.sort()
                p90 = durations[min(len(durations) - 1, int(len(durations) * 0.9))]
                self.stdout.write(
                    f"{label:<28} {username:<9} {statistics.median(durations):>10.1f} {p90:>8.1f} {queries:>8}"
                )
        if not settings.DEBUG:
            self.stdout.write("(DEBUG was switched on for the run to count queries.)")
