"""Time the daily reminder job (C5) on many review schedules.

Seeds N review schedules (with their processes and plans) whose due dates are
spread over two years around today, runs the job and prints its seconds, SQL
queries, peak Python memory and the reminders raised; then runs it again,
which must raise nothing. Everything happens in one transaction that is rolled
back at the end, so the database is left as it was.
"""

import random
import time
import tracemalloc
from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from pdca.reminders import raise_reminders


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Seed N review schedules, time the reminder job twice, and roll everything back."

    def add_arguments(self, parser):
        parser.add_argument("--schedules", type=int, default=100_000)
        parser.add_argument("--chunk-size", type=int, default=5000)

    def handle(self, *args, schedules, chunk_size, **options):
        try:
            with transaction.atomic():
                self._run(schedules, chunk_size)
                raise Rollback
        except Rollback:
            self.stdout.write("Rolled back: the database is as it was.")

    def _run(self, count, chunk_size):
        from plans.models import Plan, Process
        from reviews.models import ReviewSchedule

        today = timezone.localdate()
        rng = random.Random(20261125)
        started = time.perf_counter()
        people = User.objects.bulk_create(
            [User(username=f"bench-reminder-{n}", first_name="Bench", last_name=str(n)) for n in range(50)]
        )
        smp = Plan.objects.filter(kind=Plan.Kind.SMP).first() or Plan.objects.create(
            kind=Plan.Kind.SMP, title="Benchmark SMP", created_by=people[0]
        )
        processes = Process.objects.bulk_create(
            [Process(name=f"Benchmark process {n}", owner=people[n % len(people)]) for n in range(count)],
            batch_size=5000,
        )
        plans = Plan.objects.bulk_create(
            [
                Plan(
                    kind=Plan.Kind.PROCESS,
                    title=f"Benchmark plan {n}",
                    process=p,
                    smp=smp,
                    created_by=p.owner,
                )
                for n, p in enumerate(processes)
            ],
            batch_size=5000,
        )
        ReviewSchedule.objects.bulk_create(
            [
                ReviewSchedule(
                    plan=plan,
                    interval_months=12,
                    next_planned_on=today + timedelta(days=rng.randint(-365, 365)),
                    reviewer=people[n % len(people)],
                )
                for n, plan in enumerate(plans)
            ],
            batch_size=5000,
        )
        self.stdout.write(f"Seeded {count} review schedules in {time.perf_counter() - started:.1f} s.")
        self.stdout.write(f"{'run':<8}{'seconds':>10}{'queries':>10}{'peak MB':>10}{'raised':>10}")
        for label in ("first", "second"):
            tracemalloc.start()
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                raised = raise_reminders(today, chunk_size=chunk_size)
                seconds = time.perf_counter() - began
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            self.stdout.write(
                f"{label:<8}{seconds:>10.2f}{len(queries):>10}{peak / 2**20:>10.1f}{raised:>10}"
            )
