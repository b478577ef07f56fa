"""Reports (C7): one safe renderer for every phase, the reports each app
registers, the stored copy of an approved document, and background jobs.

- **One renderer.** A report is an HTML template under `templates/reports/`
  and the print stylesheet `static/css/report.css`, turned into PDF by
  WeasyPrint. The template receives plain data (dicts, lists, strings, dates)
  built by the app (`reviews/reports.py`, `plans/reports.py`), never a model
  or a queryset, so a template cannot reach the database.
- **Nothing from outside.** WeasyPrint asks `StaticOnlyFetcher` for every
  resource: it serves the project's own static files (through the staticfiles
  finders) and refuses file://, http(s):// to anywhere else, data: and every
  other scheme. User text cannot pull in a local file or make a request.
- **Registered by the apps.** `pdca` imports no phase app: each app registers
  its reports (`register_report`) and the records whose audit trail can be
  exported (`register_record`) from its `AppConfig.ready()`, with the
  predicate that says who may export them (the same for pages and API).
- **Stored at approval.** An approved document's PDF is rendered once, in a
  Celery task queued after the approving transaction commits, and stored
  (`ReportFile`: path, SHA-256 of the bytes, creation time). Downloads serve
  exactly those bytes. A periodic job renders what a lost task left missing.
- **Long reports in the background.** Drafts and audit-trail appendices are
  rendered on request by a `ReportJob`, in a task with a time limit; the page
  polls it and the API offers it as a resource.
"""

import functools
import hashlib
import logging
import mimetypes
import posixpath
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import ImproperlyConfigured, ObjectDoesNotExist, SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts import roles

from .exceptions import NotAllowed, RuleViolation
from .models import DecisionChainHead, ReportFile, ReportJob
from .tasks import RENDER_SOFT_TIME_LIMIT, RENDER_TIME_LIMIT

logger = logging.getLogger(__name__)
# WeasyPrint logs every step of every page at INFO: only its warnings matter here.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

# The base URL of every report. `.invalid` never resolves (RFC 6761), and the
# fetcher never opens a connection anyway: it maps "/static/..." under this
# base to the project's static files and refuses everything else.
REPORT_BASE_URL = "https://report.invalid/"
# What a report may embed from the static files.
STATIC_TYPES = {".css", ".svg", ".png", ".jpg", ".jpeg", ".woff", ".woff2", ".ttf", ".otf"}
# Files of jobs (drafts, appendices) are removed after this many hours.
JOB_FILE_HOURS = 24


# -- who may export ----------------------------------------------------------------------


def exports_everything(user):
    """Auditors and managers export every report and audit trail (C7). A
    role, not the superuser flag: administration grants no business right."""
    return (
        user.is_authenticated
        and user.is_active
        and (user.has_role(roles.AUDITOR) or user.has_role(roles.MANAGER))
    )


def decision_export_refusal(user):
    """The decision records of the whole SMS: auditors and managers."""
    if exports_everything(user):
        return ""
    return _("The decision log of the whole SMS is exported by auditors and managers.")


# -- the registry ------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """A kind of PDF report, registered by the app that owns its data.

    - `build(obj, state)`: the template's data (see `render_report`); `state`
      is the state being issued ("" for a rendering on request);
    - `queryset()`: every object, with what `build` reads joined in;
    - `visible(user)`: the queryset of objects `user` may see (404 otherwise);
    - `refusal(user, obj)`: why `user` may not export it, or "";
    - `issued_state(obj)`: the state whose PDF is stored once ("approved",
      "superseded"), or "" when the PDF is rendered on request (drafts);
    - `issued(state)`: the objects whose PDF is stored in some state, as
      (pk, state) pairs (the periodic job stores those still missing).
    """

    name: str
    label: Any
    template: str
    build: Any
    queryset: Any
    visible: Any
    refusal: Any
    title: Any
    filename: Any
    issued_state: Any = lambda obj: ""
    issued: Any = None


@dataclass(frozen=True)
class Record:
    """A record whose audit trail (history and decision records) is exported
    as CSV and as a PDF appendix: `trail(obj)` returns {"title", "decisions",
    "changes", "sections"} (see `pdca.exports`)."""

    name: str
    label: Any
    queryset: Any
    visible: Any
    refusal: Any
    trail: Any
    title: Any
    filename: Any


_reports = {}
_records = {}


def register_report(report):
    if report.name in _reports and _reports[report.name] != report:
        raise ImproperlyConfigured(f"Report {report.name!r} is already registered.")
    _reports[report.name] = report
    # The record's audit trail as a PDF appendix is a report like any other.


def register_record(record):
    if record.name in _records and _records[record.name] != record:
        raise ImproperlyConfigured(f"Record {record.name!r} is already registered.")
    _records[record.name] = record
    trail_report = Report(
        name=f"{record.name}.trail",
        label=_lazy_trail_label(record),
        template="reports/trail.html",
        build=lambda obj, state: _trail_data(record, obj),
        queryset=record.queryset,
        visible=record.visible,
        refusal=record.refusal,
        title=lambda obj: _("Audit trail: %(title)s") % {"title": record.title(obj)},
        filename=lambda obj: record.filename(obj) + "-audit-trail.pdf",
    )
    _reports[trail_report.name] = trail_report


def _lazy_trail_label(record):
    from django.utils.functional import lazy

    return lazy(lambda: _("%(label)s: audit trail (PDF)") % {"label": record.label}, str)()


def _trail_data(record, obj):
    from .exports import trail_for_pdf

    return trail_for_pdf(record, obj)


def get_report(name):
    try:
        return _reports[name]
    except KeyError:
        raise RuleViolation(
            _("There is no report called “%(name)s”.") % {"name": name}, field="report"
        ) from None


def get_record(name):
    try:
        return _records[name]
    except KeyError:
        raise RuleViolation(
            _("There is no record called “%(name)s”.") % {"name": name}, field="record"
        ) from None


def reports():
    return dict(_reports)


def records():
    return dict(_records)


def load_for(user, kind, object_id):
    """The object of a report or record as `user` may see it: 404 (as
    `ObjectDoesNotExist`) when he or she may not see it at all, `NotAllowed`
    with the reason when he or she sees it but may not export it."""
    obj = kind.visible(user).get(pk=object_id)
    refusal = kind.refusal(user, obj)
    if refusal:
        raise NotAllowed(refusal)
    return obj


# -- the safe URL fetcher ------------------------------------------------------------------------


class RefusedResource(ValueError):
    """A report asked for something from outside itself."""


def static_file(url):
    """The absolute path of the project's static file that `url` names
    ("/static/..." under `REPORT_BASE_URL`), or None for anything else."""
    prefix = REPORT_BASE_URL.rstrip("/") + "/" + settings.STATIC_URL.strip("/") + "/"
    if not url.startswith(prefix):
        return None
    relative = unquote(urlsplit(url).path)[len(urlsplit(prefix).path) :]
    normalised = posixpath.normpath(relative) if relative else ""
    if (
        not normalised
        or normalised.startswith(("../", "/"))
        or normalised == ".."
        or "\\" in relative
        or posixpath.splitext(normalised)[1].lower() not in STATIC_TYPES
    ):
        return None
    try:
        return finders.find(normalised)
    except SuspiciousFileOperation:
        return None


def static_fetcher():
    """A new `StaticOnlyFetcher` for one rendering."""
    return _fetcher_class()()


@functools.cache
def _fetcher_class():
    # WeasyPrint is imported on first use: importing it takes about a second,
    # which no request or command that renders nothing should pay.
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        """Serves "/static/..." under `REPORT_BASE_URL` from the project's own
        static files and refuses every other URL: file://, http(s)://
        elsewhere, data:, ftp: and any other scheme. Opens no connection and
        no file outside the static directories. Remembers what it served and
        what it refused."""

        def __init__(self):
            super().__init__(allowed_protocols=("https",), allow_redirects=False, fail_on_errors=False)
            self.served = []
            self.refused = []

        def fetch(self, url, headers=None):
            path = static_file(url)
            if path is None:
                self.refused.append(url)
                logger.warning(
                    "A report asked for %s: refused (reports fetch nothing from outside).", url[:200]
                )
                raise RefusedResource(f"Reports fetch nothing from outside themselves: {url[:200]}")
            with open(path, "rb") as handle:
                body = handle.read()
            self.served.append(url)
            content_type = mimetypes.guess_type(path)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body, {"Content-Type": content_type})

    return StaticOnlyFetcher


# -- rendering -----------------------------------------------------------------------------------


@dataclass
class Rendered:
    pdf: bytes
    pages: int
    sha256: str
    seconds: float
    content_hash: str = ""
    chain_sequence: int = 0
    chain_head: str = ""
    refused: list = field(default_factory=list)


def chain_head():
    """(sequence, hash) of the decision chain's newest link now."""
    head = DecisionChainHead.objects.filter(pk=1).values_list("sequence", "hash").first()
    return head or (0, "0" * 64)


def report_context(data, *, generated_at=None):
    """What every report template receives: the app's plain `data` and the
    facts the renderer adds (organisation, time, decision chain head)."""
    sequence, head = chain_head()
    return {
        "report": data,
        "organisation": settings.SITE_NAME,
        "generated_at": timezone.localtime(generated_at or timezone.now()),
        "chain": {"sequence": sequence, "hash": head},
        "stylesheet": settings.STATIC_URL.strip("/") + "/css/report.css",
    }


def day(value):
    """A date as reports print it (the facts of a cover are text)."""
    return date_format(value, "j M Y") if value else "—"


def moment(value):
    return date_format(timezone.localtime(value), "j M Y, H:i") if value else "—"


def render_html(template, context):
    return render_to_string(template, context)


def html_to_pdf(html):
    """HTML to PDF with the safe fetcher: (pdf bytes, pages, refused URLs)."""
    from weasyprint import HTML

    fetcher = static_fetcher()
    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher).render()
    return document.write_pdf(), len(document.pages), fetcher.refused


def render_report(report, obj, *, state=""):
    """Render `obj`'s report: the app builds the data, the template and the
    print stylesheet make the PDF."""
    started = time.perf_counter()
    data = report.build(obj, state)
    context = report_context(data)
    pdf, pages, refused = html_to_pdf(render_html(report.template, context))
    return Rendered(
        pdf=pdf,
        pages=pages,
        sha256=hashlib.sha256(pdf).hexdigest(),
        seconds=time.perf_counter() - started,
        content_hash=data.get("content_hash", ""),
        chain_sequence=context["chain"]["sequence"],
        chain_head=context["chain"]["hash"],
        refused=refused,
    )


# -- stored copies of approved documents -----------------------------------------------------------


def stored_copy(report, obj):
    """The stored PDF of `obj` in its issued state, or None (a draft, or not stored yet)."""
    state = report.issued_state(obj)
    if not state:
        return None
    return ReportFile.objects.filter(report=report.name, object_id=obj.pk, state=state).first()


def store(report, obj):
    """Render and store `obj`'s PDF in its issued state, once: a second call
    (or a racing worker) finds the stored one and renders nothing new."""
    state = report.issued_state(obj)
    if not state:
        return None
    existing = ReportFile.objects.filter(report=report.name, object_id=obj.pk, state=state).first()
    if existing is not None:
        return existing
    rendered = render_report(report, obj, state=state)
    name = default_storage.save(
        f"reports/{report.name}/{obj.pk}-{state}-{rendered.sha256[:16]}.pdf", ContentFile(rendered.pdf)
    )
    try:
        with transaction.atomic():
            return ReportFile.objects.create(
                report=report.name,
                object_id=obj.pk,
                state=state,
                title=str(report.title(obj))[:300],
                path=name,
                sha256=rendered.sha256,
                size=len(rendered.pdf),
                pages=rendered.pages,
                content_hash=rendered.content_hash,
                chain_sequence=rendered.chain_sequence,
                chain_head=rendered.chain_head,
            )
    except IntegrityError:
        default_storage.delete(name)
        return ReportFile.objects.get(report=report.name, object_id=obj.pk, state=state)


def store_by_id(report_name, object_id):
    """The task's body: re-read the object and store its PDF if it is issued."""
    report = get_report(report_name)
    obj = report.queryset().filter(pk=object_id).first()
    if obj is None:
        return None
    return store(report, obj)


def store_after_commit(report_name, object_id):
    """Queue the stored rendering once the approving transaction commits."""
    from . import tasks

    transaction.on_commit(lambda: _send(tasks.store_report, report_name, object_id))


def _send(task, *args):
    # A broker that is down must not undo an approval: the periodic job renders what is missing.
    try:
        task.delay(*args)
    except Exception:
        logger.exception("Could not queue %s%r; the periodic job will do it.", task.name, args)


class AlteredFile(RuleViolation):
    status_code = 500


def read_verified(path, sha256):
    """The bytes of a stored file, refused if they no longer match their SHA-256."""
    with default_storage.open(path, "rb") as handle:
        body = handle.read()
    if hashlib.sha256(body).hexdigest() != sha256:
        logger.error("Stored report %s does not match its SHA-256.", path)
        raise AlteredFile(
            _("The stored file no longer matches its SHA-256 and is not served; the administrators are told.")
        )
    return body


def missing_issued(limit=50):
    """[(report, object_id)] of issued documents without their stored PDF,
    at most `limit`, oldest first."""
    missing = []
    for report in _reports.values():
        if report.issued is None:
            continue
        stored = set(ReportFile.objects.filter(report=report.name).values_list("object_id", "state"))
        for pk, state in report.issued():
            if (pk, state) not in stored:
                missing.append((report.name, pk))
                if len(missing) >= limit:
                    return missing
    return missing


# -- jobs ----------------------------------------------------------------------------------------------


def request_job(*, user, report_name, object_id):
    """A job that gives `user` the PDF of a report: done at once when the
    document's stored copy exists, otherwise queued for a worker. Refused with
    the reason when `user` may not export it; 404 when he or she cannot see it."""
    report = get_report(report_name)
    obj = load_for(user, report, object_id)
    title = str(report.title(obj))[:300]
    stored = stored_copy(report, obj)
    if stored is not None:
        now = timezone.now()
        return ReportJob.objects.create(
            report=report.name,
            object_id=obj.pk,
            title=title,
            requested_by=user,
            status=ReportJob.Status.DONE,
            stored=stored,
            sha256=stored.sha256,
            size=stored.size,
            pages=stored.pages,
            started_at=now,
            finished_at=now,
        )
    job = ReportJob.objects.create(report=report.name, object_id=obj.pk, title=title, requested_by=user)
    _queue(job)
    return job


def retry_job(*, user, job):
    """A failed job is queued again by the person who asked for it."""
    if job.requested_by_id != user.pk:
        raise NotAllowed(_("Only the person who asked for this report retries it."))
    if job.status != ReportJob.Status.FAILED:
        raise RuleViolation(
            _("Only a failed rendering is retried; this one is %(status)s.")
            % {"status": job.get_status_display().lower()}
        )
    # Rights may have changed since the first request.
    load_for(user, get_report(job.report), job.object_id)
    updated = ReportJob.objects.filter(pk=job.pk, status=ReportJob.Status.FAILED).update(
        status=ReportJob.Status.QUEUED, error="", started_at=None, finished_at=None
    )
    job.refresh_from_db()
    if updated:
        _queue(job)
    return job


def _queue(job):
    from . import tasks

    transaction.on_commit(lambda: _send(tasks.render_report_job, str(job.pk)))


def run_job(job_id):
    """The task's body: claim the queued job (once, however often the message
    arrives), render, and record the result or the reason it failed."""
    from celery.exceptions import SoftTimeLimitExceeded

    claimed = ReportJob.objects.filter(pk=job_id, status=ReportJob.Status.QUEUED).update(
        status=ReportJob.Status.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    job = ReportJob.objects.select_related("requested_by").get(pk=job_id)
    try:
        report = get_report(job.report)
        obj = load_for(job.requested_by, report, job.object_id)
        stored = store(report, obj)
        if stored is not None:
            result = {"stored": stored, "sha256": stored.sha256, "size": stored.size, "pages": stored.pages}
        else:
            rendered = render_report(report, obj)
            name = default_storage.save(f"reports/jobs/{job.pk}.pdf", ContentFile(rendered.pdf))
            result = {
                "path": name,
                "sha256": rendered.sha256,
                "size": len(rendered.pdf),
                "pages": rendered.pages,
            }
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.DONE, finished_at=timezone.now(), error="", **result
        )
    except SoftTimeLimitExceeded:
        _fail(
            job,
            _("Rendering took longer than %(seconds)s seconds and was stopped. Try again later.")
            % {"seconds": RENDER_SOFT_TIME_LIMIT},
        )
    except ObjectDoesNotExist:
        _fail(job, _("The document no longer exists, or you may no longer see it."))
    except RuleViolation as refusal:
        _fail(job, refusal.message)
    except Exception as exc:
        logger.exception("Report job %s failed.", job.pk)
        _fail(
            job,
            _(
                "The report could not be rendered (%(error)s). Try again; if it fails again, tell the administrators."
            )
            % {"error": f"{type(exc).__name__}: {str(exc)[:200]}"},
        )
    return job.pk


def _fail(job, message):
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.FAILED, finished_at=timezone.now(), error=str(message)
    )


def job_bytes(job):
    """The PDF a finished job gives, checked against its SHA-256."""
    if job.status != ReportJob.Status.DONE:
        raise RuleViolation(_("The report is not ready yet."))
    if job.stored_id:
        return read_verified(job.stored.path, job.stored.sha256)
    if job.expired or not job.path:
        raise RuleViolation(
            _("This rendering was removed after %(hours)s hours: ask for the report again.")
            % {"hours": JOB_FILE_HOURS}
        )
    return read_verified(job.path, job.sha256)


def maintain(now=None):
    """The periodic job: store the PDFs of issued documents still missing
    (a lost task is made good), queue again jobs whose message was lost, fail
    jobs whose worker died, and remove job files older than a day."""
    from . import tasks

    now = now or timezone.now()
    queued = 0
    for report_name, object_id in missing_issued():
        _send(tasks.store_report, report_name, object_id)
        queued += 1
    stale = ReportJob.objects.filter(
        status=ReportJob.Status.QUEUED, created_at__lt=now - timedelta(minutes=5)
    ).values_list("pk", flat=True)[:100]
    for job_id in stale:
        _send(tasks.render_report_job, str(job_id))
    ReportJob.objects.filter(
        status=ReportJob.Status.RUNNING, started_at__lt=now - timedelta(seconds=RENDER_TIME_LIMIT * 2)
    ).update(
        status=ReportJob.Status.FAILED,
        finished_at=now,
        error=_("The rendering was interrupted (the worker stopped). Try again."),
    )
    expired = 0
    for job in ReportJob.objects.filter(
        expired=False, created_at__lt=now - timedelta(hours=JOB_FILE_HOURS)
    ).exclude(path=""):
        default_storage.delete(job.path)
        ReportJob.objects.filter(pk=job.pk).update(expired=True)
        expired += 1
    return {"stored_queued": queued, "jobs_requeued": len(stale), "files_removed": expired}
