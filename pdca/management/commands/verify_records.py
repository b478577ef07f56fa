"""Recompute every stored content hash and walk the decision chain."""

from django.core.management.base import BaseCommand

from pdca.verification import verify_records


class Command(BaseCommand):
    help = (
        "Verify the records an auditor relies on: every approved record against its stored "
        "SHA-256, and the decision log's hash chain. Exits 1 when something does not match."
    )

    def handle(self, *args, **options):
        run = verify_records()
        self.stdout.write(
            f"{run.records_checked} approved records and {run.decisions_checked} decisions checked; "
            f"chain head {run.chain_head}."
        )
        if run.ok:
            self.stdout.write(self.style.SUCCESS("Every record matches its hash."))
            return
        for problem in run.problems:
            self.stderr.write(problem)
        self.stderr.write(self.style.ERROR(f"{len(run.problems)} problem(s) found."))
        raise SystemExit(1)
