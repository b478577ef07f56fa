"""Time every page and API route as each role, beside a hello-world page.

Timings belong here, not in tests: run it against a database filled with
`seed_demo --scale N` and compare the figures between changes, e.g.

    DEBUG=true python manage.py seed_demo --scale 10 --quiet
    python manage.py benchmark --json before.json

In process (the default) each URL goes through the test client and the whole
middleware stack: its SQL queries are counted on one request, its time taken
over `--repeat` more. With `--http URL` the same URLs are requested from a
running server (e.g. `gunicorn pdca.wsgi -w 2`) on the same database, each
role logged in through the login form, at a fixed concurrency.

What is measured and what is skipped (and why) is said by `pdca/benchmark.py`.
"""

import json
import textwrap
from collections import defaultdict

from django.core.management.base import BaseCommand, CommandError

from pdca import benchmark
from pdca.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = (
        "Time every page and API route as each demo role, beside a hello-world page through the same "
        "middleware: SQL queries, median and p95 in process; or requests per second and p50/p95/p99 "
        "of a running server (--http)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=10, help="Timed requests per page (default 10).")
        parser.add_argument(
            "--role",
            action="append",
            default=[],
            help="Only this role (its name or demo username, or 'anonymous'); repeatable.",
        )
        parser.add_argument("--only", default="", help="Only routes whose name or path contains this.")
        parser.add_argument(
            "--leave-out",
            action="append",
            default=[],
            help="Leave out the routes whose name or path contains this (e.g. export); repeatable.",
        )
        parser.add_argument("--json", dest="json_path", help="Also write every figure to this JSON file.")
        parser.add_argument("--http", dest="base_url", help="Drive a running server at this URL instead.")
        parser.add_argument(
            "--concurrency", type=int, default=4, help="--http: requests at once (default 4)."
        )
        load = parser.add_mutually_exclusive_group()
        load.add_argument("--requests", type=int, help="--http: requests per page (default 50).")
        load.add_argument("--seconds", type=float, help="--http: seconds of load per page.")
        parser.add_argument(
            "--password", default=DEMO_PASSWORD, help="--http: the demo users' password (default the demo's)."
        )
        parser.add_argument("--quiet", action="store_true", help="Print no progress.")

    def handle(
        self,
        *args,
        repeat,
        role,
        only,
        leave_out,
        json_path,
        base_url,
        concurrency,
        requests,
        seconds,
        **opts,
    ):
        if repeat < 1 or concurrency < 1 or (requests is not None and requests < 1):
            raise CommandError("--repeat, --concurrency and --requests must be at least 1.")
        if seconds is not None and seconds <= 0:
            raise CommandError("--seconds must be positive.")
        roles, missing = benchmark.demo_roles(role)
        if role and not roles and not missing:
            raise CommandError(
                f"No role called {', '.join(role)}: name a role, its demo username or anonymous."
            )
        if not any(r.user for r in roles) and (not role or missing):
            raise CommandError("No demo users to log in: run `manage.py seed_demo` (with --scale N) first.")
        covered = benchmark.coverage(roles, only=only, leave_out=leave_out)
        environment = benchmark.environment()
        progress = self._progress if not opts["quiet"] and self.stderr.isatty() else None
        if base_url:
            requests = requests if requests is not None or seconds is not None else 50
            try:
                hellos, results, refused = benchmark.run_http(
                    covered,
                    base_url=base_url,
                    password=opts["password"],
                    concurrency=concurrency,
                    requests=requests,
                    seconds=seconds,
                    progress=progress,
                )
            except (ConnectionError, ValueError) as error:
                raise CommandError(str(error)) from error
            load = f"{requests} requests" if seconds is None else f"{seconds:g} s"
            mode = f"HTTP {base_url}: {load} per page, {concurrency} at once, a new connection each"
        else:
            hellos, results, refused = benchmark.run_in_process(covered, repeat=repeat, progress=progress)
            mode = (
                "in process (test client, full middleware stack): SQL queries of one request after a "
                f"warm-up, then {repeat} timed requests per page without the query log, the warmed-up "
                "process frozen out of the garbage collector as gunicorn's workers are"
            )
        if progress:
            self.stderr.write("")
        run = benchmark.Run(
            environment=environment,
            mode=mode,
            roles=roles,
            hellos=hellos,
            results=results,
            not_measured=covered.not_measured + refused,
            skipped=covered.skipped,
            http=bool(base_url),
        )
        self._print(run, missing)
        if json_path:
            with open(json_path, "w", encoding="utf-8") as handle:
                json.dump(run.as_dict(), handle, indent=2)
                handle.write("\n")
            self.stdout.write(f"\nFigures written to {json_path}.")

    def _progress(self, target):
        self.stderr.write(f"\r\033[K{target.role.name}: {target.url}"[:120], ending="")
        self.stderr.flush()

    # -- the report ---------------------------------------------------------------------------------

    def _print(self, run, missing):
        write = self.stdout.write
        environment, http = run.environment, run.http
        counts = ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in environment["counts"].items())
        git = environment["git"]
        commit = f"commit {git['commit'][:10]}{' with changes' if git['dirty'] else ''}" if git else "no git"
        write(f"Benchmark {environment['date']}, {commit}, database {environment['database']}: {counts}.")
        write(f"Mode: {run.mode}.")
        if environment["debug"] and not http:
            write(
                self.style.WARNING(
                    "DEBUG is on: Django logs every query of every request, which the times include; "
                    "run without DEBUG (and with SECRET_KEY set) for production-like times."
                )
            )
        write("Times in ms; x hello: the median (p50) over hello-world's for the same role.")
        for name in missing:
            write(self.style.WARNING(f"No demo user for {name}: run `manage.py seed_demo`."))
        by_role = defaultdict(list)
        for result in run.results:
            by_role[result.target.role.name].append(result)
        if http:
            header = f"  {'route':<34} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'errors':>6} {'x hello':>8}  url"
        else:
            header = f"  {'route':<34} {'queries':>7} {'median':>7} {'p95':>7} {'x hello':>8}  url"
        for role in run.roles:
            hello = run.hellos.get(role.name)
            rows = by_role.get(role.name, [])
            if hello is None and not rows:
                continue
            write("")
            write(self.style.MIGRATE_HEADING(role.label))
            write(header)
            for result in [hello, *rows] if hello else rows:
                write(self._row(result, hello, http=http))
        self._print_not_measured(run.not_measured, run.roles)
        self._print_skipped(run.skipped)

    def _row(self, result, hello, *, http):
        name = "hello-world" if result.target.route.name == benchmark.HELLO else result.target.route.name
        ratio = f"{result.median / hello.median:.1f}x" if hello and hello.median else "-"
        if http:
            figures = (
                f"{result.rate:>7.1f} {result.median:>7.1f} {result.p(95):>7.1f} {result.p(99):>7.1f} "
                f"{result.errors:>6}"
            )
        else:
            figures = f"{result.queries:>7} {result.median:>7.1f} {result.p(95):>7.1f}"
        return f"  {name:<34} {figures} {ratio:>8}  {result.target.url}"

    def _print_not_measured(self, not_measured, roles):
        if not not_measured:
            return
        usernames = {role.name: role.username or role.name for role in roles}
        by_route = defaultdict(list)
        for item in not_measured:
            by_route[item.route].append(item)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Not measured for some roles (by username)"))
        for route, items in by_route.items():
            reasons = defaultdict(list)
            for item in items:
                reasons[item.reason].append(usernames.get(item.role, item.role))
            said = "; ".join(f"{', '.join(roles)}: {reason}" for reason, roles in reasons.items())
            self.stdout.write(f"  {route:<34} {said}")

    def _print_skipped(self, skipped):
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Skipped routes ({len(skipped)})"))
        grouped = defaultdict(list)
        for route, reason in skipped.items():
            grouped[reason].append(route)
        for reason, routes in grouped.items():
            namespaces = {route.partition(":")[0] for route in routes if ":" in route}
            if len(namespaces) == 1 and namespaces <= set(benchmark.SKIPPED_NAMESPACES):
                names = f"{namespaces.pop()}:* ({len(routes)} routes)"  # the admin site's model pages
            else:
                names = ", ".join(routes)
            self.stdout.write(
                textwrap.fill(
                    names, 110, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
                )
            )
            self.stdout.write(f"      {reason}")
