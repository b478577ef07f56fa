"""Time the PDF reports (C7) beside Chromium's own print-to-PDF.

Seeds a review with 200 findings and 50 objectives (each with a year of
measurements, so 50 KPI charts) and a plan long enough for about 30 pages,
then for each: builds the report's data and HTML, renders it with WeasyPrint
(in a forked process, so that its peak memory is its own) and prints it with
headless Chromium from the same HTML (stylesheet inlined). Prints seconds,
pages and peak resident memory. Everything happens in one transaction that is
rolled back at the end, so the database is left as it was.
"""

import io
import os
import random
import resource
import subprocess
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from pdca import reports

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
WORDS = [
    "service",
    "incident",
    "change",
    "request",
    "release",
    "capacity",
    "availability",
    "continuity",
    "supplier",
    "customer",
    "agreement",
    "target",
    "measure",
    "review",
    "report",
    "owner",
    "process",
    "control",
    "record",
    "evidence",
    "risk",
    "improvement",
    "resolution",
    "escalation",
    "priority",
    "catalogue",
    "portfolio",
    "configuration",
    "knowledge",
    "budget",
    "demand",
    "quality",
]


class Rollback(Exception):
    pass


def _sentence(rng, words=14):
    text = " ".join(rng.choice(WORDS) for _ in range(words))
    return text[0].upper() + text[1:] + "."


def _paragraphs(rng, count, sentences=6):
    return "\n\n".join(" ".join(_sentence(rng) for _ in range(sentences)) for _ in range(count))


class Command(BaseCommand):
    help = (
        "Render a 200-finding review and a 30-page plan with WeasyPrint and Chromium; roll everything back."
    )

    def add_arguments(self, parser):
        parser.add_argument("--findings", type=int, default=200)
        parser.add_argument("--objectives", type=int, default=50)
        parser.add_argument("--plan-paragraphs", type=int, default=14, help="Paragraphs per plan section.")
        parser.add_argument("--no-chromium", action="store_true")
        parser.add_argument("--keep", metavar="FOLDER", help="Write each document's HTML into FOLDER.")

    def handle(self, *args, findings, objectives, plan_paragraphs, no_chromium, keep=None, **options):
        self.keep = Path(keep) if keep else None
        if not no_chromium and not Path(CHROMIUM).exists():
            raise CommandError(f"No Chromium at {CHROMIUM}: set CHROMIUM_PATH or pass --no-chromium.")
        self.rng = random.Random(20261126)
        try:
            with transaction.atomic():
                self._run(findings, objectives, plan_paragraphs, not no_chromium)
                raise Rollback
        except Rollback:
            self.stdout.write("Rolled back: the database is as it was.")

    # -- the documents ---------------------------------------------------------------------------

    def _run(self, finding_count, objective_count, plan_paragraphs, chromium):
        started = time.perf_counter()
        review, version = self._seed(finding_count, objective_count, plan_paragraphs)
        self.stdout.write(f"Seeded the documents in {time.perf_counter() - started:.1f} s.")
        if chromium:
            self.stdout.write(
                f"Chromium start-up alone (an empty page): {self._chromium('<p>.</p>')[0]:.2f} s"
            )
        # Fonts, Pango and the hyphenation dictionaries are loaded once per
        # process (a worker pays it for its first report only): load them here,
        # before the renderings are forked, and say what that costs.
        began = time.perf_counter()
        reports.html_to_pdf("<p>.</p>")
        self.stdout.write(
            f"WeasyPrint start-up (import, fonts; once per process): {time.perf_counter() - began:.2f} s"
        )
        baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"This process before rendering: {baseline:.0f} MB resident (a forked renderer starts from it)."
        )
        header = f"{'document':<34}{'renderer':<12}{'seconds':>9}{'CPU s':>8}{'pages':>7}{'peak RSS MB':>13}"
        self.stdout.write(header)
        for label, name, obj in (
            (f"review, {finding_count} findings, {objective_count} obj.", "reviews.review", review),
            ("plan version", "plans.version", version),
        ):
            report = reports.get_report(name)
            obj = report.queryset().get(pk=obj.pk)
            began = time.perf_counter()
            html = reports.render_html(report.template, reports.report_context(report.build(obj, "")))
            self.stdout.write(
                f"{label:<34}{'data+HTML':<12}{time.perf_counter() - began:>9.2f}{'':>8}{'':>7}{'':>13}"
            )
            if self.keep:
                self.keep.mkdir(parents=True, exist_ok=True)
                (self.keep / f"{name}.html").write_text(html, encoding="utf-8")
            for renderer, run in (("WeasyPrint", self._weasyprint), ("Chromium", self._chromium)):
                if renderer == "Chromium" and not chromium:
                    continue
                seconds, cpu, pages, peak = run(
                    html if renderer == "WeasyPrint" else self._inline_stylesheet(html)
                )
                self.stdout.write(f"{'':<34}{renderer:<12}{seconds:>9.2f}{cpu:>8.2f}{pages:>7}{peak:>13.0f}")

    def _seed(self, finding_count, objective_count, plan_paragraphs):
        from accounts.models import User
        from plans.models import Kpi, Objective, Plan, PlanVersion, Process
        from reviews.models import Attainment, Finding, Measurement, Review, ReviewAction

        rng = self.rng
        today = timezone.localdate()
        people = [
            User.objects.create(username=f"bench-report-{n}", first_name="Bench", last_name=f"Person {n}")
            for n in range(8)
        ]
        smp = Plan.objects.filter(kind=Plan.Kind.SMP).first() or Plan.objects.create(
            kind=Plan.Kind.SMP, title="Benchmark SMP", created_by=people[0]
        )
        process = Process.objects.create(name=f"Benchmark process {rng.random()}", owner=people[0])
        plan = Plan.objects.create(
            kind=Plan.Kind.PROCESS,
            title="Benchmark process plan",
            process=process,
            smp=smp,
            created_by=people[0],
        )
        sections = {}
        for key, _title, _guidance in plan.section_definitions:
            table = "\n".join(
                ["| Item | Owner | Frequency | Notes |", "|---|---|---|---|"]
                + [
                    f"| {_sentence(rng, 3)} | {rng.choice(people)} | monthly | {_sentence(rng, 8)} |"
                    for _ in range(6)
                ]
            )
            bullets = "\n".join(f"- {_sentence(rng, 10)}" for _ in range(8))
            sections[key] = (
                f"{_paragraphs(rng, plan_paragraphs // 2)}\n\n{table}\n\n{bullets}\n\n"
                + _paragraphs(rng, plan_paragraphs - plan_paragraphs // 2)
            )
        version = PlanVersion.objects.create(
            plan=plan, number=1, title=plan.title, sections=sections, author=people[0], last_editor=people[0]
        )
        objectives = Objective.objects.bulk_create(
            [
                Objective(
                    version=version,
                    code=f"O{n + 1}",
                    title=_sentence(rng, 6)[:-1],
                    description=_sentence(rng),
                )
                for n in range(objective_count)
            ]
        )
        kpis = Kpi.objects.bulk_create(
            [
                Kpi(
                    objective=o,
                    metric=f"KPI {n + 1}: {_sentence(rng, 3)[:-1]}",
                    unit="%",
                    target=Decimal("95"),
                    owner=people[n % len(people)],
                )
                for n, o in enumerate(objectives)
            ]
        )
        end = today.replace(day=1) - timedelta(days=1)
        months = []
        for _ in range(12):
            start = end.replace(day=1)
            months.append((start, end))
            end = start - timedelta(days=1)
        Measurement.objects.bulk_create(
            [
                Measurement(
                    kpi=k,
                    kpi_key=k.key,
                    period_start=s,
                    period_end=e,
                    value=Decimal(str(round(rng.uniform(88, 100), 1))),
                    recorded_by=people[0],
                )
                for k in kpis
                for s, e in months
            ]
        )
        review = Review.objects.create(
            kind=Review.Kind.PROCESS,
            title="Benchmark review",
            status=Review.Status.IN_PROGRESS,
            plan=plan,
            version=version,
            planned_on=today,
            held_on=today,
            period_start=months[-1][0],
            period_end=months[0][1],
            reviewer=people[1],
            author=people[1],
            last_editor=people[1],
            decisions=_paragraphs(rng, 4),
            minutes=_paragraphs(rng, 12),
        )
        review.participants.set(people[2:6])
        Attainment.objects.bulk_create(
            [
                Attainment(
                    review=review,
                    kpi=k,
                    kpi_key=k.key,
                    objective_code=o.code,
                    objective_title=o.title,
                    metric=k.metric,
                    unit=k.unit,
                    direction=k.direction,
                    target=k.target,
                    measured=Decimal(str(round(rng.uniform(88, 100), 1))),
                    comment=_sentence(rng, 8),
                )
                for o, k in zip(objectives, kpis, strict=True)
            ]
        )
        grades = Finding.Grade.values
        Finding.objects.bulk_create(
            [
                Finding(
                    review=review,
                    number=n + 1,
                    grade=grades[n % len(grades)],
                    clause=rng.choice(["8.2", "8.3.2", "8.6.1", "9.1", "10.2"]),
                    process=process,
                    description=" ".join(_sentence(rng) for _ in range(2)),
                    evidence=" ".join(_sentence(rng) for _ in range(2)),
                )
                for n in range(finding_count)
            ]
        )
        ReviewAction.objects.bulk_create(
            [
                ReviewAction(
                    review=review,
                    description=_sentence(rng),
                    owner=people[n % len(people)],
                    due_on=today + timedelta(days=30 + n),
                )
                for n in range(finding_count // 4)
            ]
        )
        return review, version

    # -- the renderers ------------------------------------------------------------------------------

    def _weasyprint(self, html):
        """Render in a forked child: (seconds, CPU seconds, pages, peak RSS of the child in MB)."""
        with tempfile.TemporaryDirectory() as folder:
            result = Path(folder) / "result"
            pid = os.fork()
            if pid == 0:  # the child: render, write what it measured, leave at once
                try:
                    began, cpu = time.perf_counter(), time.process_time()
                    pdf, pages, _refused = reports.html_to_pdf(html)
                    result.write_text(
                        f"{time.perf_counter() - began} {time.process_time() - cpu} {pages} {len(pdf)}"
                    )
                finally:
                    os._exit(0)
            _pid, _status, usage = os.wait4(pid, 0)
            seconds, cpu, pages, _size = result.read_text().split()
        return float(seconds), float(cpu), int(pages), usage.ru_maxrss / 1024

    def _chromium(self, html):
        """Chromium's print-to-PDF of `html`: (seconds, CPU seconds of all its processes, pages, peak
        RSS of its largest process in MB)."""
        from pypdf import PdfReader

        with tempfile.TemporaryDirectory() as folder:
            page = Path(folder) / "report.html"
            page.write_text(html, encoding="utf-8")
            output = Path(folder) / "report.pdf"
            began = time.perf_counter()
            process = subprocess.Popen(
                [
                    CHROMIUM,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-pdf-header-footer",
                    "--disable-background-networking",
                    "--no-first-run",
                    f"--user-data-dir={folder}/profile",
                    f"--print-to-pdf={output}",
                    page.as_uri(),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _pid, _status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - began
            cpu = usage.ru_utime + usage.ru_stime
            pages = len(PdfReader(io.BytesIO(output.read_bytes())).pages) if output.exists() else 0
        return seconds, cpu, pages, usage.ru_maxrss / 1024

    @staticmethod
    def _inline_stylesheet(html):
        """The same HTML for Chromium, which cannot reach our static files: the stylesheet inlined."""
        from django.contrib.staticfiles import finders

        css = Path(finders.find("css/report.css")).read_text(encoding="utf-8")
        link = f'<link rel="stylesheet" href="/{settings.STATIC_URL.strip("/")}/css/report.css">'
        return html.replace(link, f"<style>{css}</style>")
