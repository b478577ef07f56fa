"""C1 in the browser: a KPI's page (its series against the target, chart,
trend, and a form to record or correct a value), a plan's bulk entry of one
period's values, and the CSV import with its preview.

Every change goes through `reviews.measurements`; a refusal is shown by
`pdca.pages.attempt` where the user typed, with everything typed kept. Who
may record comes from `reviews.permissions.measurement_refusal`, the same
function the services ask. Each page runs a fixed number of queries, however
long the series.
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pdca.exceptions import Conflict
from pdca.pages import add_refusal_to_form, attempt
from pdca.templatetags.portal import quantity_filter as quantity
from plans.models import Kpi, Plan, PlanVersion

from .. import measurements, permissions
from ..charts import direction_label, kpi_chart, target_text
from ..measurement_forms import (
    BulkEntryForm,
    CsvConfirmForm,
    CsvUploadForm,
    MeasurementForm,
    PeriodForm,
    carry,
)
from ..models import Measurement

VALUES_PER_PAGE = 12


def _visible_kpi(request, kpi_id):
    """The KPI, if the user may read its plan version or measures it (its
    owner or operator, who may be staff and record it before the version is
    communicated); 404 otherwise. With everything the page and the
    permission check read."""
    user = request.user
    visible = PlanVersion.objects.visible_to(user).values("pk")
    return get_object_or_404(
        measurements.recording_queryset().filter(
            Q(objective__version__in=visible) | Q(owner=user) | Q(assignment__operator=user)
        ),
        pk=kpi_id,
    )


def _visible_plan(request, plan_id):
    """The plan, if the user may read it (404 otherwise), with all its
    versions: the version in force is the one measured, also for the staff
    who own or operate its KPIs before it is communicated."""
    return get_object_or_404(Plan.objects.visible_to(request.user).with_current(), pk=plan_id)


def _recorded_message(measurement, kpi):
    return _("%(value)s %(unit)s recorded for %(period)s.") % {
        "value": quantity(measurement.value),
        "unit": kpi.unit,
        "period": measurements.period_label(measurement.period_start, measurement.period_end),
    }


# -- a KPI's page ------------------------------------------------------------------


def kpi_detail(request, kpi_id):
    """C1: a KPI's series across the versions of its plan against its target,
    and, for those who may record it, a form to record or correct a value."""
    kpi = _visible_kpi(request, kpi_id)
    version = kpi.objective.version
    in_force = version.status in PlanVersion.IN_FORCE
    refusal = permissions.measurement_refusal(request.user, kpi) if in_force else ""
    may_record = in_force and not refusal

    form, outcome, correcting = None, attempt(), None
    if request.method == "POST":
        if not may_record:
            return render(
                request,
                "reviews/kpi_detail.html",
                {**_kpi_context(request, kpi, refusal), "refusal_message": refusal or _not_in_force(kpi)},
                status=403,
            )
        form = MeasurementForm(request.POST)
        outcome = attempt(form)
        correcting, gone = _corrected(request, kpi)
        if gone:
            # Removed meanwhile: offer what was typed as a new value.
            data = request.POST.copy()
            data["measurement"] = data["revision"] = ""
            form = MeasurementForm(data)
            form.is_valid()
            outcome = attempt(form)
            with outcome:
                raise Conflict(
                    _(
                        "This value was removed meanwhile by somebody else: record it again if it is still needed."
                    )
                )
        elif form.is_valid():
            data = form.cleaned_data
            with outcome:
                _save(request, kpi, data, correcting)
                return redirect(reverse("reviews:kpi", args=[kpi.pk]) + "#values")
            if isinstance(outcome.refusal, Conflict) and correcting is not None:
                # Base the next save on what is recorded now: the message shows it.
                current = Measurement.objects.filter(pk=correcting.pk).first()
                data = request.POST.copy()
                data["revision"] = measurements.measurement_revision(current) if current else ""
                form = MeasurementForm(data)
                form.is_valid()
                add_refusal_to_form(form, outcome.refusal)
    elif may_record:
        form = _record_form(request, kpi)
        correcting = _correcting(request, kpi, form)

    context = _kpi_context(request, kpi, refusal)
    context.update(form=form, correcting=correcting)
    if correcting is not None:
        context["correcting_period"] = measurements.period_label(
            correcting.period_start, correcting.period_end
        )
    elif form is not None and not form.is_bound:
        # The proposed period already has a value: say so before the user types.
        start, end = form.initial["period_start"], form.initial["period_end"]
        context["proposed_recorded"] = next(
            (m for m in context["series"] if (m.period_start, m.period_end) == (start, end)), None
        )
        context["proposed_period"] = measurements.period_label(start, end)
    return render(request, "reviews/kpi_detail.html", context, status=outcome.status)


def _corrected(request, kpi):
    """(the value of the series a POST corrects or None, whether it is gone)."""
    pk = request.POST.get("measurement", "")
    if not pk.isdigit():
        return None, False
    measurement = Measurement.objects.of_kpi(kpi).filter(pk=pk).first()
    return measurement, measurement is None


def _record_form(request, kpi):
    start, end = measurements.last_full_period(kpi.frequency)
    return MeasurementForm(initial={"period_start": start, "period_end": end})


def _correcting(request, kpi, form):
    """`?correct=<id>` opens the form with that value of the series."""
    pk = request.GET.get("correct", "")
    if not pk.isdigit():
        return None
    measurement = get_object_or_404(Measurement.objects.of_kpi(kpi), pk=pk)
    form.initial = {
        "period_start": measurement.period_start,
        "period_end": measurement.period_end,
        "value": measurements.plain_number(measurement.value),
        "source": measurement.source,
        "note": measurement.note,
        "measurement": measurement.pk,
        "revision": measurements.measurement_revision(measurement),
    }
    return measurement


def _save(request, kpi, data, correcting):
    values = {
        "period_start": data["period_start"],
        "period_end": data["period_end"],
        "value": data["value"],
        "source": data["source"],
        "note": data["note"],
    }
    if correcting is None:
        saved = measurements.record_measurement(kpi=kpi, actor=request.user, **values)
        messages.success(request, _recorded_message(saved, kpi))
    elif "delete" in request.POST:
        measurements.delete_measurement(
            measurement=correcting, actor=request.user, expected_revision=data["revision"]
        )
        messages.success(
            request,
            _("The value for %(period)s is removed; the history keeps it.")
            % {"period": measurements.period_label(correcting.period_start, correcting.period_end)},
        )
    else:
        saved = measurements.update_measurement(
            measurement=correcting, actor=request.user, expected_revision=data["revision"], **values
        )
        messages.success(request, _("Corrected: ") + _recorded_message(saved, kpi))


def _not_in_force(kpi):
    return _(
        "Version %(number)s is not in force: values are recorded for the KPIs of the version in force."
    ) % {"number": kpi.objective.version.number}


def _kpi_context(request, kpi, refusal):
    version = kpi.objective.version
    plan = version.plan
    in_force = version.status in PlanVersion.IN_FORCE
    series = list(measurements.series(kpi))
    status = measurements.kpi_status(kpi, series)
    newest_first = Paginator(series[::-1], VALUES_PER_PAGE).get_page(request.GET.get("page"))
    for measurement in newest_first.object_list:
        measurement.period = measurements.period_label(measurement.period_start, measurement.period_end)
    successor = None
    if not in_force:
        successor = (
            Kpi.objects.filter(key=kpi.key, objective__version__status__in=PlanVersion.IN_FORCE)
            .select_related("objective__version")
            .first()
        )
    assignment = getattr(kpi, "assignment", None) if hasattr(kpi, "assignment") else None
    return {
        "kpi": kpi,
        "objective": kpi.objective,
        "version": version,
        "plan": plan,
        "in_force": in_force,
        "successor": successor,
        "operator": assignment.operator if assignment else None,
        "may_record": in_force and not refusal,
        "refusal": refusal or (_not_in_force(kpi) if not in_force else ""),
        "status": status,
        "series": series,
        "latest_period": (
            measurements.period_label(status.latest.period_start, status.latest.period_end)
            if status.latest
            else ""
        ),
        "target": target_text(kpi),
        "direction": direction_label(kpi),
        "chart": kpi_chart(kpi, series),
        "page": newest_first,
        "series_spans_versions": len({m.kpi_id for m in series}) > 1,
    }


# -- bulk entry of one period ------------------------------------------------------------


def bulk_entry(request, plan_id):
    """C1: one period's values for every KPI of the plan's version in force,
    saved all together or not at all; a refusal keeps every value typed and
    shows each message at its KPI's row."""
    plan = _visible_plan(request, plan_id)
    version = plan.current_version
    default = measurements.last_full_period(Kpi.Frequency.MONTHLY)
    if request.method == "POST":
        period_form = PeriodForm(request.POST)
    else:
        period_form = PeriodForm(request.GET if "period_start" in request.GET else None)
    start, end = period_form.period(default)
    if not period_form.is_bound:
        period_form = PeriodForm(initial={"period_start": start, "period_end": end})

    kpis = []
    if version is not None:
        kpis = list(
            measurements.latest_values(measurements.recording_queryset().filter(objective__version=version))
            .select_related("objective")
            .order_by("objective__code", "pk")
        )
    refusals = {kpi.pk: permissions.measurement_refusal(request.user, kpi) for kpi in kpis}
    editable = [kpi for kpi in kpis if not refusals[kpi.pk]]

    outcome, status = attempt(), None
    if request.method == "POST" and not editable:
        # Nobody is shown a form he or she may not use; a forged one changes nothing.
        form, status = BulkEntryForm(initial={"period_start": start, "period_end": end}, kpis=[]), 403
        messages.error(request, next(iter(refusals.values()), "") or _("This plan has no KPIs in force."))
    elif request.method == "POST":
        form = BulkEntryForm(request.POST, kpis=editable)
        outcome = attempt(form)
        if form.is_valid():
            with outcome:
                created = measurements.record_period(
                    plan=plan,
                    actor=request.user,
                    period_start=form.cleaned_data["period_start"],
                    period_end=form.cleaned_data["period_end"],
                    values=form.values(),
                    source=form.cleaned_data["source"],
                    note=form.cleaned_data["note"],
                )
                messages.success(
                    request,
                    ngettext(
                        "%(count)s value recorded for %(period)s.",
                        "%(count)s values recorded for %(period)s.",
                        len(created),
                    )
                    % {"count": len(created), "period": measurements.period_label(start, end)},
                )
                query = urlencode({"period_start": start.isoformat(), "period_end": end.isoformat()})
                return redirect(f"{request.path}?{query}")
    else:
        form = BulkEntryForm(initial={"period_start": start, "period_end": end}, kpis=editable)

    recorded = {
        m.kpi_key: m
        for m in Measurement.objects.filter(
            kpi_key__in=[k.key for k in kpis], period_start=start, period_end=end
        ).select_related("recorded_by")
    }
    rows = []
    for kpi in kpis:
        field_name = BulkEntryForm.field_name(kpi)
        rows.append(
            {
                "kpi": kpi,
                "target": target_text(kpi),
                "field": form[field_name] if field_name in form.fields else None,
                "refusal": refusals[kpi.pk],
                "recorded": recorded.get(kpi.key),
                "latest_period": measurements.period_label(kpi.latest_start, kpi.latest_end),
                "latest_met": kpi.is_met_by(kpi.latest_value) if kpi.latest_value is not None else None,
            }
        )
    return render(
        request,
        "reviews/measurements_entry.html",
        {
            "plan": plan,
            "version": version,
            "period_form": period_form,
            "form": form,
            "rows": rows,
            "period": measurements.period_label(start, end),
            "period_start": start,
            "period_end": end,
            "editable": editable,
            "open_count": sum(1 for row in rows if row["field"] is not None and row["recorded"] is None),
            "refusal": outcome.refusal,
            "unplaced": _unplaced(form, outcome.refusal),
            "reads_only": bool(kpis) and not editable,
        },
        status=status or outcome.status,
    )


def _unplaced(form, refusal):
    """The refusal's messages that no row or field of the page shows (e.g. a
    period at fault, carried in hidden fields)."""
    if refusal is None:
        return []
    shown = {name for name, field in form.fields.items() if not field.widget.is_hidden}
    unplaced = [m for name, ms in (refusal.errors or {}).items() if name not in shown for m in ms]
    return unplaced or ([] if refusal.errors else [refusal.message])


# -- CSV import ------------------------------------------------------------------------------


def csv_import(request, plan_id):
    """C1: upload (or paste) a CSV file, see each row with its problem, then
    import all its values, or nothing while a row has a problem. `?template`
    downloads a CSV with the plan's KPIs to fill in."""
    plan = _visible_plan(request, plan_id)
    kpis = list(measurements.kpis_in_force(plan).select_related("assignment__operator"))
    refusals = [permissions.measurement_refusal(request.user, kpi) for kpi in kpis]
    if not kpis:
        refusal = _("This plan has no KPIs in force to record measurements for.")
    elif all(refusals):
        refusal = refusals[0]
    else:
        refusal = ""

    if "template" in request.GET and not refusal:
        response = HttpResponse(
            "\ufeff" + measurements.csv_template(plan, request.user), content_type="text/csv; charset=utf-8"
        )
        name = slugify(plan.process.name if plan.process_id else plan.title) or "plan"
        response["Content-Disposition"] = f'attachment; filename="measurements-{name}.csv"'
        return response

    context = {"plan": plan, "version": plan.current_version, "refusal": refusal}
    if refusal:
        return render(request, "reviews/measurements_import.html", context, status=403)

    upload = CsvUploadForm()
    outcome = attempt()
    if request.method == "POST" and "content" in request.POST:
        confirm = CsvConfirmForm(request.POST)
        if not confirm.is_valid():
            messages.error(request, confirm.errors["content"][0])
            return redirect(request.path)
        text = confirm.cleaned_data["content"]
        outcome = attempt()
        with outcome:
            created = measurements.import_csv(plan=plan, actor=request.user, file_text=text)
            messages.success(
                request,
                ngettext("%(count)s value imported.", "%(count)s values imported.", len(created))
                % {"count": len(created)},
            )
            return redirect("reviews:measurements", plan_id=plan.pk)
        # Refused (a value was recorded meanwhile, or the file was altered): show why, row by row.
        context["import_refusal"] = outcome.refusal
        with attempt():
            context["preview"] = measurements.parse_csv(plan=plan, actor=request.user, file_text=text)
            context["content"] = carry(text)
    elif request.method == "POST":
        upload = CsvUploadForm(request.POST, request.FILES)
        outcome = attempt(upload)
        if upload.is_valid():
            text = upload.cleaned_data["content"]
            with outcome:
                context["preview"] = measurements.parse_csv(plan=plan, actor=request.user, file_text=text)
                context["content"] = carry(text)
    context["upload"] = upload
    context["sample_kpi"] = next((k for k, r in zip(kpis, refusals, strict=True) if not r), None)
    return render(request, "reviews/measurements_import.html", context, status=outcome.status)
