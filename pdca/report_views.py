"""Reports in the browser (C7): a document's PDF (the stored copy of an
approved document, or a rendering on request), the job page that polls until
the PDF is ready, the audit trail of a record as CSV or PDF appendix, and the
auditors' page with the decision-log export of the whole SMS.

Who may export what is said once, by the report's or record's predicate
(`pdca.reports.load_for`); the API (`pdca.report_api`) asks the same."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import exports, reports
from .exceptions import RuleViolation
from .models import ReportFile, ReportJob
from .pages import attempt

# The job page reloads itself while the report renders (no JavaScript).
POLL_SECONDS = 2


def _refused(request, message, status=403):
    return render(request, "reports/refused.html", {"message": message}, status=status)


def _load(request, kind, object_id):
    """The object, or 404 when the user cannot see it; a refusal raises."""
    try:
        return reports.load_for(request.user, kind, object_id)
    except ObjectDoesNotExist:
        raise Http404(_("No such document, or you may not see it.")) from None


def pdf_response(body, filename, sha256):
    response = HttpResponse(body, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-SHA256"] = sha256
    response["Cache-Control"] = "private, no-store"
    return response


# -- a document's PDF -----------------------------------------------------------------------------------


def document(request, report, pk):
    """The PDF of a document: an approved one's stored copy, served as it was
    stored; otherwise a page that renders it on request."""
    try:
        kind = reports.get_report(report)
        obj = _load(request, kind, pk)
    except RuleViolation as refusal:
        return _refused(request, refusal.message, refusal.status_code)
    stored = reports.stored_copy(kind, obj)
    if stored is not None:
        try:
            body = reports.read_verified(stored.path, stored.sha256)
        except RuleViolation as refusal:
            return _refused(request, refusal.message, refusal.status_code)
        return pdf_response(body, kind.filename(obj), stored.sha256)
    latest = (
        ReportJob.objects.filter(requested_by=request.user, report=kind.name, object_id=obj.pk)
        .order_by("-created_at")
        .first()
    )
    return render(
        request,
        "reports/document.html",
        {
            "kind": kind,
            "title": kind.title(obj),
            "render_url": reverse("reports:render", args=[kind.name, obj.pk]),
            "issued": bool(kind.issued_state(obj)),
            "latest": latest,
        },
    )


@require_POST
def render_document(request, report, pk):
    """Ask for a PDF: a job, rendered in the background (C7)."""
    with attempt() as outcome:
        try:
            job = reports.request_job(user=request.user, report_name=report, object_id=pk)
        except ObjectDoesNotExist:
            raise Http404(_("No such document, or you may not see it.")) from None
        return redirect("reports:job", job.pk)
    return _refused(request, outcome.refusal.message, outcome.status)


def job(request, job_id):
    """Progress of a rendering: reloads every two seconds until it is done or failed."""
    job = get_object_or_404(ReportJob.objects.select_related("stored"), pk=job_id, requested_by=request.user)
    response = render(
        request,
        "reports/job.html",
        {"job": job, "poll_seconds": POLL_SECONDS, "waited": (timezone.now() - job.created_at).seconds},
    )
    if not job.is_finished:
        response["Refresh"] = str(POLL_SECONDS)
    return response


def job_download(request, job_id):
    job = get_object_or_404(ReportJob.objects.select_related("stored"), pk=job_id, requested_by=request.user)
    try:
        kind = reports.get_report(job.report)
        obj = _load(request, kind, job.object_id)
        body = reports.job_bytes(job)
    except RuleViolation as refusal:
        return _refused(request, refusal.message, refusal.status_code)
    return pdf_response(body, kind.filename(obj), job.sha256)


@require_POST
def job_retry(request, job_id):
    job = get_object_or_404(ReportJob, pk=job_id, requested_by=request.user)
    with attempt(request=request):
        try:
            reports.retry_job(user=request.user, job=job)
        except ObjectDoesNotExist:
            raise Http404(_("No such document, or you may not see it.")) from None
        messages.success(request, _("The report is queued again."))
    return redirect("reports:job", job.pk)


# -- audit trails -----------------------------------------------------------------------------------------


def trail_csv(request, record, pk):
    """The history and decision records of a plan, review or finding, as CSV."""
    try:
        kind = reports.get_record(record)
        obj = _load(request, kind, pk)
    except RuleViolation as refusal:
        return _refused(request, refusal.message, refusal.status_code)
    return trail_csv_response(kind, obj)


def trail_csv_response(kind, obj):
    _trail, rows = exports.trail_rows(kind, obj)
    response = StreamingHttpResponse(
        exports.csv_stream(exports.trail_columns(), rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind.filename(obj)}-audit-trail.csv"'
    return response


# -- the auditors' page: the decision log of the whole SMS ----------------------------------------------------


def index(request):
    """Where auditors and managers find the reports: the decision records of a
    period as CSV or XLSX, and every stored report with its SHA-256."""
    refusal = reports.decision_export_refusal(request.user)
    if refusal:
        return _refused(request, refusal)
    start, end = exports.default_range()
    form = exports.DecisionRangeForm(request.GET or None, initial={"start": start, "end": end})
    stored = Paginator(ReportFile.objects.order_by("-created_at", "-pk"), 25).get_page(
        request.GET.get("page")
    )
    labels = {name: kind.label for name, kind in reports.reports().items()}
    states = {"approved": _("approved"), "superseded": _("superseded")}
    for item in stored:
        item.label = labels.get(item.report, item.report)
        item.state_label = states.get(item.state, item.state)
        item.url = reverse("reports:stored", args=[item.pk])
    jobs = ReportJob.objects.filter(requested_by=request.user).order_by("-created_at")[:10]
    return render(request, "reports/index.html", {"form": form, "stored": stored, "jobs": jobs})


def stored_file(request, pk):
    """A stored report by its row (from the list of stored reports): the same rule as the document's."""
    stored = get_object_or_404(ReportFile, pk=pk)
    try:
        kind = reports.get_report(stored.report)
        obj = _load(request, kind, stored.object_id)
        body = reports.read_verified(stored.path, stored.sha256)
    except RuleViolation as refusal:
        return _refused(request, refusal.message, refusal.status_code)
    name = kind.filename(obj).removesuffix(".pdf") + f"-{stored.state}.pdf"
    return pdf_response(body, name, stored.sha256)


def decisions_export(request, file_format):
    """C7: every decision record of a period, as CSV (streamed) or XLSX."""
    if file_format not in ("csv", "xlsx"):
        raise Http404(_("The decision records are exported as CSV or XLSX."))
    refusal = reports.decision_export_refusal(request.user)
    if refusal:
        return _refused(request, refusal)
    form = exports.DecisionRangeForm(request.GET)
    if not form.is_valid():
        return render(
            request,
            "reports/index.html",
            {"form": form, "stored": None, "jobs": []},
            status=400,
        )
    return decisions_response(request.user, form.cleaned_data["start"], form.cleaned_data["end"], file_format)


def decisions_response(user, start, end, file_format):
    rows = exports.decision_rows(exports.decisions_between(start, end))
    name = f"decisions-{start.isoformat()}-{end.isoformat()}"
    if file_format == "xlsx":
        from django.http import FileResponse

        handle = exports.write_xlsx(
            exports.decision_columns(),
            rows,
            about=exports.export_about(start=start, end=end, user=user, chain=reports.chain_head()),
        )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"{name}.xlsx",
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response = StreamingHttpResponse(
        exports.csv_stream(exports.decision_columns(), rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
