"""The service improvement plan (A2) in the browser: the register of every
improvement the user may read, filtered, sorted and paginated, with the
counts by status; its exports; and the way to the CSI principle (A1).
A fixed number of queries, however many improvements (`improvements.selectors`)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from pdca.pages import attempt
from plans import permissions as plan_permissions
from plans import services as plan_services
from plans.models import Plan

from .. import exports, permissions, selectors
from ..selectors import ImprovementFilter

PER_PAGE = 25

# The columns the register sorts by (`selectors.REGISTER_SORTS`).
SORTABLE = ("number", "required_by", "priority", "status")


def _query(params, **changes):
    """The query string of `params` with `changes` (None removes a name)."""
    query = params.copy()
    for name, value in changes.items():
        query.pop(name, None)
        if value is not None:
            query[name] = value
    for name in [name for name, values in query.lists() if not any(values)]:
        del query[name]  # the empty fields of a submitted filter form
    return query.urlencode()


def register(request):
    """A2: the SIP. Every improvement the user may read, with the counts by
    status under the same filters; each count links to its list."""
    params, sip = _register(request)
    counts, overdue = selectors.status_counts(request.user, params)
    paginator = Paginator(sip.improvements, PER_PAGE)
    paginator.count = selectors.listed_count(sip, counts)  # counted by status: not counted again
    page = paginator.get_page(request.GET.get("page"))
    today = timezone.localdate()
    for improvement in page:
        improvement.overdue = improvement.is_overdue(today)
    form = sip.filter.form
    # One line of filters: the hints go into the fields rather than under them.
    for name in ImprovementFilter.PAGE_FILTERS:
        form.fields[name].help_text = ""
    form.fields["search"].widget.attrs["placeholder"] = _("Words, or a number: I-12")
    filtered = any(params.get(name) for name in ImprovementFilter.PAGE_FILTERS)

    def sort_link(key):
        # The first click sorts ascending, the next reverses it.
        next_sort = f"-{key}" if sip.sort == key else key
        return {
            "url": "?" + _query(params, sort=next_sort),
            "direction": "ascending" if sip.sort == key else "descending" if sip.sort == f"-{key}" else "",
        }

    export_query = _query(params)
    return render(
        request,
        "improvements/register.html",
        {
            "page": page,
            "query": _query(params),
            "export_query": f"?{export_query}" if export_query else "",
            "filter_fields": [form[name] for name in ImprovementFilter.PAGE_FILTERS],
            "filtered": filtered,
            "sort": {key: sort_link(key) for key in SORTABLE},
            "current_sort": sip.sort,
            "default_sort": selectors.DEFAULT_REGISTER_SORT,
            "status_counts": [
                (count, "?" + _query(params, status=count.value, page=None)) for count in counts
            ],
            "overdue_count": overdue,
            "overdue_url": "?" + _query(params, overdue="true", status=None, page=None),
            "current_status": params.get("status", ""),
            "total": page.paginator.count,
            "may_propose": not permissions.propose_refusal(request.user),
        },
    )


def _filename(extension):
    return f"service-improvement-plan-{timezone.localdate():%Y-%m-%d}.{extension}"


def _exported(request):
    return _register(request)[1].improvements


def _register(request):
    """(the query parameters without the page, the register under them)."""
    params = request.GET.copy()
    params.pop("page", None)
    return params, selectors.improvement_register(request.user, params, sort=params.get("sort"))


def export_csv(request):
    """The register as CSV: every row that passes its filters, streamed."""
    response = StreamingHttpResponse(
        exports.csv_lines(_exported(request)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    return response


def export_xlsx(request):
    """The register as XLSX, written in write-only mode to a temporary file and streamed from it."""
    handle = exports.write_xlsx(
        _exported(request),
        about=[
            (
                _("Service improvement plan"),
                _("Exported on %(date)s") % {"date": f"{timezone.now():%Y-%m-%d %H:%M}"},
            ),
            (_("Exported by"), str(request.user)),
            (_("Filters"), request.GET.urlencode() or _("none")),
        ],
    )
    return FileResponse(
        handle,
        as_attachment=True,
        filename=_filename("xlsx"),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def export_pdf(request):
    """The register as a PDF for auditors: the same rows and filters as the
    page, when they are few enough to be read; else back to the register with
    the reason."""
    _params, sip = _register(request)
    improvements = sip.improvements
    refusal = exports.pdf_refusal(improvements.count())
    if refusal:
        messages.error(request, refusal)
        query = _query(request.GET, page=None)
        return redirect(f"{reverse('improvements:register')}{'?' + query if query else ''}")
    pdf = exports.sip_pdf(improvements, exported_by=request.user, filters=_filters_text(sip.filter.form))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename("pdf")}"'
    return response


def _filters_text(form):
    """The register's filters as a reader understands them: label and value."""
    parts = []
    if form.is_valid():
        for name in ImprovementFilter.PAGE_FILTERS:
            value = form.cleaned_data.get(name)
            if value in (None, "", [], ()):
                continue
            field = form.fields[name]
            shown = value
            if hasattr(field, "choices"):
                choices = {str(key): label for key, label in field.choices}
                shown = choices.get(str(getattr(value, "pk", value)), value)
            parts.append(f"{field.label}: {shown}")
    return "; ".join(str(part) for part in parts)


def csi_principle(request):
    """A1: the CSI principle's plan page when there is one the user may read;
    for top management without one, the page that starts it; else why not."""
    principle = Plan.objects.visible_to(request.user).filter(kind=Plan.Kind.CSI).first()
    if principle is not None:
        return redirect(principle)
    exists = Plan.objects.filter(kind=Plan.Kind.CSI).exists()
    refusal = plan_permissions.create_smp_refusal(request.user) if not exists else ""
    may_create = not exists and not refusal
    outcome = attempt()
    if request.method == "POST" and may_create:
        with outcome:
            plan = plan_services.create_csi_principle(actor=request.user)
            messages.success(
                request,
                _(
                    "The CSI principle is started. Write its sections, name the CSI owners among its "
                    "responsibilities, and submit it for approval."
                ),
            )
            return redirect(plan.latest_version)
    return render(
        request,
        "improvements/principle.html",
        {
            "exists": exists,
            "may_create": may_create,
            "refusal": outcome.refusal,
            "smp": plan_services.current_smp(),
        },
        status=outcome.status if outcome.refused else (200 if may_create or request.method == "GET" else 403),
    )
