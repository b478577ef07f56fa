"""The register (the SIP) as CSV and XLSX: every improvement the user may read
that passes the register's filters, in its order, with every column the
register shows plus the baseline, target and achieved values.

Read in chunks (a fixed number of queries per chunk) and written as read: the
CSV is streamed line by line; the XLSX is written by openpyxl in write-only
mode to a temporary file, which is streamed to the browser. Memory stays
bounded however many improvements there are.

Spreadsheets run formulas: a text cell that starts with = + - @ is written as
text (XLSX) or with a leading apostrophe (CSV), so that a title typed by
somebody cannot become a formula on the auditor's machine.
"""

import csv
import tempfile
from decimal import Decimal

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from reviews.models import Finding

from .models import BaselineValue, Improvement, Project, ResultValue
from .selectors import comparison, main_comparison

CHUNK_SIZE = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def columns():
    """(key, header) of every column, in order."""
    return [
        ("number", _("Number")),
        ("title", _("Title")),
        ("description", _("Description")),
        ("raised_on", _("Raised on")),
        ("raised_by", _("Raised by")),
        ("source", _("Source")),
        ("finding", _("Finding")),
        ("review", _("Review")),
        ("processes", _("Processes")),
        ("scope", _("Scope")),
        ("owner", _("Owner")),
        ("priority", _("Priority")),
        ("size", _("Size")),
        ("status", _("Status")),
        ("required_by", _("Required by")),
        ("overdue", _("Overdue")),
        ("projects", _("Projects")),
        ("kpi", _("KPI")),
        ("unit", _("Unit")),
        ("baseline_on", _("Baseline date")),
        ("baseline", _("Baseline")),
        ("target", _("Target")),
        ("achieved", _("Achieved")),
        ("difference", _("Difference")),
        ("baseline_values", _("All baseline values")),
        ("achieved_values", _("All achieved values")),
        ("effective", _("Effective")),
        ("result", _("Result")),
        ("closed_at", _("Closed on")),
    ]


# Columns whose text users typed: protected against formulas in CSV.
TEXT_COLUMNS = {
    "title",
    "description",
    "raised_by",
    "review",
    "processes",
    "owner",
    "projects",
    "kpi",
    "unit",
    "baseline_values",
    "achieved_values",
    "result",
}


def export_queryset(improvements):
    """The register's improvements with what the export adds: baseline, results, projects."""
    return improvements.select_related("raised_by").prefetch_related(
        Prefetch("baseline", queryset=BaselineValue.objects.select_related("kpi").order_by("pk")),
        Prefetch("results", queryset=ResultValue.objects.select_related("kpi").order_by("pk")),
        Prefetch("projects", queryset=Project.objects.order_by("name")),
    )


def _number(value):
    if value is None:
        return None
    return Decimal(value).normalize() + 0  # 95.0000 -> 95, with no exponent for whole numbers


def _values_text(values, period):
    parts = []
    for value in values:
        when = (
            f"{value.period_start:%Y-%m-%d} – {value.period_end:%Y-%m-%d}"
            if period
            else f"{value.measured_on:%Y-%m-%d}"
        )
        parts.append(f"{value.label}: {_number(value.value):f} {value.unit}".rstrip() + f" ({when})")
    return "; ".join(parts)


def _yes_no(value):
    if value is None:
        return ""
    return _("Yes") if value else _("No")


def _labels(model, name):
    """{value: label} of a field's choices, the labels translated now."""
    return {value: str(label) for value, label in model._meta.get_field(name).flatchoices}


def rows(improvements, *, today=None):
    """One dict per improvement (keys of `columns()`), read `CHUNK_SIZE` at a time."""
    today = today or timezone.localdate()
    # The choices' labels translated once: `get_FOO_display()` per row
    # translated every label of its field again (most of the export's time).
    source, scope, priority, size, status = (
        _labels(Improvement, name) for name in ("source", "scope", "priority", "size", "status")
    )
    grade = _labels(Finding, "grade")
    for improvement in export_queryset(improvements).iterator(chunk_size=CHUNK_SIZE):
        lines = comparison(improvement)
        main = main_comparison(improvement, lines)
        finding = improvement.finding
        yield {
            "number": improvement.code,
            "title": improvement.title,
            "description": improvement.description,
            "raised_on": improvement.raised_on,
            "raised_by": str(improvement.raised_by),
            "source": source.get(improvement.source, improvement.source),
            "finding": f"{finding.code} ({grade.get(finding.grade, finding.grade)})" if finding else "",
            "review": str(finding.review) if finding else "",
            "processes": ", ".join(p.name for p in improvement.processes.all()),
            "scope": scope.get(improvement.scope, improvement.scope),
            "owner": str(improvement.owner) if improvement.owner else "",
            "priority": priority.get(improvement.priority, improvement.priority),
            "size": size.get(improvement.size, improvement.size),
            "status": status.get(improvement.status, improvement.status),
            "required_by": improvement.required_by,
            "overdue": _yes_no(improvement.is_overdue(today)),
            "projects": ", ".join(p.name for p in improvement.projects.all()),
            "kpi": improvement.kpi.metric if improvement.kpi else (main.label if main else ""),
            "unit": main.unit if main else "",
            "baseline_on": improvement.baseline_on,
            "baseline": _number(main.baseline.value) if main and main.baseline else None,
            "target": _number(main.target if main and main.target is not None else improvement.target),
            "achieved": _number(main.achieved.value) if main and main.achieved else None,
            "difference": _number(main.difference) if main and main.difference is not None else None,
            "baseline_values": _values_text(improvement.baseline.all(), period=False),
            "achieved_values": _values_text(improvement.results.all(), period=True),
            "effective": _yes_no(improvement.effective),
            "result": improvement.result,
            "closed_at": timezone.localtime(improvement.closed_at).date() if improvement.closed_at else None,
        }


# -- writers ----------------------------------------------------------------------------------------------


def _csv_value(key, value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if key in TEXT_COLUMNS and isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_lines(improvements):
    """The CSV, line by line: a UTF-8 byte order mark (so that spreadsheet
    programs read the text right), the header, one line per improvement."""
    writer = csv.writer(_Echo())
    header = columns()
    yield "\ufeff" + writer.writerow([label for _key, label in header])
    for row in rows(improvements):
        yield writer.writerow([_csv_value(key, row[key]) for key, _label in header])


def write_xlsx(improvements, *, about=()):
    """The XLSX in a temporary file, written in openpyxl's write-only mode (rows
    go to disk as they come): the sheet "Improvements" and a sheet "About" with
    `about` [(label, value)]. Returns the open file, at its start."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    header = columns()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Improvements"))
    sheet.freeze_panes = "C2"
    for index, (key, _label) in enumerate(header):
        width = 48 if key in ("title", "description", "baseline_values", "achieved_values", "result") else 16
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    bold = Font(bold=True)

    def cell(value, font=None):
        if isinstance(value, Decimal):
            value = int(value) if value == value.to_integral_value() else float(value)
        result = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str) and value.startswith("="):
            result.data_type = "s"  # text, never a formula
        if font is not None:
            result.font = font
        return result

    sheet.append([cell(str(label), bold) for _key, label in header])
    count = 0
    for row in rows(improvements):
        sheet.append([cell(row[key]) for key, _label in header])
        count += 1
    info = workbook.create_sheet(_("About"))
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 80
    for label, value in [*about, (_("Improvements"), count)]:
        info.append([WriteOnlyCell(info, value=str(label)), WriteOnlyCell(info, value=value)])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response streams and closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


# -- the SIP as a PDF ---------------------------------------------------------------------------------------

# A PDF is read by a person: beyond this many improvements the register is
# narrowed with its filters, or exported as XLSX.
PDF_ROW_LIMIT = 500


def pdf_refusal(count):
    """Why the register's current selection is not rendered as a PDF, or ''."""
    if count > PDF_ROW_LIMIT:
        return _(
            "%(count)s improvements are too many for a readable PDF (at most %(limit)s): narrow the register "
            "with its filters, or export it as XLSX."
        ) % {"count": count, "limit": PDF_ROW_LIMIT}
    return ""


def sip_report_data(improvements, *, exported_by, filters, today=None):
    """The plain data of the SIP report (`templates/reports/sip.html`): the
    facts of the export, the counts by status and every improvement as the
    register's export describes it."""
    from pdca.reports import day

    today = today or timezone.localdate()
    entries = []
    statuses = {}
    for row in rows(improvements, today=today):
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        row["raised_on_text"] = day(row["raised_on"])
        row["required_by_text"] = day(row["required_by"]) if row["required_by"] else ""
        row["baseline_on_text"] = day(row["baseline_on"]) if row["baseline_on"] else ""
        row["closed_at_text"] = day(row["closed_at"]) if row["closed_at"] else ""
        row["is_overdue"] = row["overdue"] == _yes_no(True)
        for key in ("baseline", "target", "achieved", "difference"):
            row[f"{key}_text"] = f"{row[key]:f}" if row[key] is not None else ""
        entries.append(row)
    title = _("Service improvement plan")
    return {
        "kind": "sip",
        "title": title,
        "document_title": title,
        "subtitle": _("The register of improvements (ISO/IEC 20000-1, 10.2), as of %(date)s")
        % {"date": day(today)},
        "facts": [
            (_("Exported by"), str(exported_by)),
            (_("Filters"), filters or _("none: every improvement the exporter may read")),
            (_("Improvements"), str(len(entries))),
        ],
        "status_counts": sorted(statuses.items(), key=lambda item: -item[1]),
        "improvements": entries,
        "toc": [("summary", _("Summary")), ("register", _("The improvements"))],
    }


def sip_pdf(improvements, *, exported_by, filters):
    """The SIP as PDF bytes, rendered by the shared report renderer (its safe
    fetcher and print stylesheet)."""
    from pdca import reports

    data = sip_report_data(improvements, exported_by=exported_by, filters=filters)
    html = reports.render_html("reports/sip.html", reports.report_context(data))
    pdf, _pages, _refused = reports.html_to_pdf(html)
    return pdf
