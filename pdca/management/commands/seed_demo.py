"""Fill the portal with a realistic demo: one user per role and, from each
phase's demo module, a service management system of a fictional company.

Idempotent: running it again changes nothing that is already there.
`--scale N` adds copies 2..N of the demo's 15 processes in bulk, each with
about 10 people of its own and every phase's data in the demo's proportions
(`pdca/scale.py`): --scale 67 gives 1,006 plans with 1,005 process plans.
"""

import sys
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from pdca import demo
from pdca.scale import Progress


class Command(BaseCommand):
    help = (
        "Create demo users (one per role) and a demo service management system; "
        "--scale N adds N-1 copies of it in bulk for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help=(
                "Seed N copies of the demo's 15 processes (copy 1 is the demo itself): 15*N process "
                "plans, each copy with about 10 people per process (owners, deputies, staff, managers, "
                "auditors, an administrator; the CSI owner stays the one the CSI principle names) and, "
                "per process plan in force, 3 1/2 years of monthly measurements of 4 KPIs, about 33 reviews with 5 findings "
                "each and the improvements of their nonconformities and opportunities. --scale 67 gives "
                "1,005 process plans, about 20,000 reviews and 100,000 measurements and findings. Default 1."
            ),
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")
        parser.add_argument(
            "--verbose",
            action="store_true",
            help="Say what each phase seeded, and show the progress of --scale (shown anyway on a terminal).",
        )

    def handle(self, *args, scale, quiet, verbose, **options):
        if scale < 1:
            self.stderr.write("--scale must be at least 1.")
            raise SystemExit(2)
        started = time.monotonic()
        show_progress = verbose or (scale > 1 and sys.stderr.isatty())
        report = Progress(
            summaries=self.stdout if verbose else None, progress=self.stderr if show_progress else None
        )
        with transaction.atomic():
            users = demo.create_users()
            # The demo first, through the services; then the copies, in bulk.
            # The demo's documents are communicated to the demo's people only.
            for seed in demo.phase_seeders():
                seed(users=users, scale=1, stdout=report)
            if scale > 1:
                for seed in demo.phase_seeders():
                    seed(users=users, scale=scale, stdout=report)
        if connection.vendor == "postgresql":
            # Fresh statistics, so that the planner knows the tables' sizes at
            # once; and, outside a transaction, the pages marked all-visible,
            # so that index-only scans skip the tables, as autovacuum would
            # have it on a database that has run a while.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        report.step(f"Seeded in {time.monotonic() - started:.1f} s.")
        if not quiet:
            self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with:"))
            width = max(len(u.username) for u in users.values())
            for role, user in users.items():
                self.stdout.write(f"  {user.username:<{width}}  {demo.DEMO_PASSWORD}   {role}: {user}")
            if scale > 1:
                self.stdout.write(
                    f"  and the people of copies 2-{scale} (e.g. owner-2-00, manager-2-00, staff-2-00-0), "
                    "with the same password."
                )
