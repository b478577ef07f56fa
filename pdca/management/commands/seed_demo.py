"""Fill the portal with a realistic demo: one user per role and, from each
phase's demo module, a service management system of a fictional company.

Idempotent: running it again changes nothing that is already there.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from pdca import demo


class Command(BaseCommand):
    help = "Create demo users (one per role) and a demo service management system."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Create N times the demo data (for benchmarks). Default 1.",
        )
        parser.add_argument("--quiet", action="store_true", help="Do not print the logins.")
        parser.add_argument("--verbose", action="store_true", help="Say what each phase seeded.")

    def handle(self, *args, scale, quiet, verbose, **options):
        if scale < 1:
            self.stderr.write("--scale must be at least 1.")
            raise SystemExit(2)
        with transaction.atomic():
            users = demo.create_users()
            report = self.stdout if verbose else _Silent()
            for seed in demo.phase_seeders():
                seed(users=users, scale=scale, stdout=report)
        if not quiet:
            self.stdout.write(self.style.SUCCESS("Demo data is ready. Log in with:"))
            width = max(len(u.username) for u in users.values())
            for role, user in users.items():
                self.stdout.write(f"  {user.username:<{width}}  {demo.DEMO_PASSWORD}   {role}: {user}")


class _Silent:
    """Where the phases' progress goes unless --verbose."""

    def write(self, *args, **kwargs):
        pass
