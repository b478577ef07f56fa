"""Audit-trail exports (C7, "Cross-cutting"): decision records and history as
CSV, XLSX and the data of the PDF appendix.

- The decision records of the whole SMS for a date range, with the hash chain
  columns, so that an auditor can verify the chain outside the portal. Read in
  chunks (a fixed number of queries per chunk), written as they are read: the
  CSV is streamed, the XLSX is written by openpyxl in write-only mode to a
  temporary file. Memory stays bounded however many rows there are.
- The trail of one record (a plan, a review, a finding), as the app that owns
  it says (`pdca.reports.register_record`): its decision records and its
  change history, one row each.

Spreadsheets run formulas: a text cell that starts with = + - @ is written as
text (XLSX) or with a leading apostrophe (CSV), so that a comment cannot
become a formula on the auditor's machine.
"""

import csv
import tempfile
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import Decision

CHUNK_SIZE = 2000
# An XLSX sheet holds at most 1,048,576 rows; the export continues on another sheet.
XLSX_ROWS_PER_SHEET = 1_000_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def decision_columns():
    return [
        ("sequence", _("Sequence")),
        ("at", _("Time (UTC)")),
        ("actor", _("Actor")),
        ("actor_username", _("Username")),
        ("action", _("Action")),
        ("action_label", _("Decision")),
        ("subject_type", _("Subject type")),
        ("subject_id", _("Subject id")),
        ("subject", _("Subject")),
        ("from_state", _("From state")),
        ("to_state", _("To state")),
        ("comment", _("Comment")),
        ("prev_hash", _("Previous hash")),
        ("row_hash", _("Row hash")),
    ]


# User-typed columns: protected against formula injection in CSV.
TEXT_COLUMNS = {"actor", "subject", "comment", "details", "what"}


# -- the date range ---------------------------------------------------------------------------------


class DecisionRangeForm(forms.Form):
    """The period of an SMS-wide export: days in the organisation's time zone, both included."""

    start = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end of the period is before its start."))
        return data


def default_range(today=None):
    """The last year, today included."""
    today = today or timezone.localdate()
    return today.replace(year=today.year - 1) + timedelta(days=1), today


def decisions_between(start, end):
    """The decision records of the days `start` to `end` (local time), in chain order."""
    zone = timezone.get_current_timezone()
    since = timezone.make_aware(datetime.combine(start, time.min), zone)
    until = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min), zone)
    return Decision.objects.filter(at__gte=since, at__lt=until).order_by("sequence")


def decision_rows(queryset, *, chunk_size=CHUNK_SIZE):
    """The rows of `queryset` as dicts, chunk by chunk: per chunk one query
    for the decisions (with actors and types) and one per subject type."""
    last = 0
    base = queryset.select_related("actor", "content_type").order_by("sequence")
    while True:
        chunk = list(base.filter(sequence__gt=last)[:chunk_size])
        if not chunk:
            return
        subjects = _subjects(chunk)
        for decision in chunk:
            yield _decision_row(decision, subjects.get((decision.content_type_id, decision.object_id)))
        last = chunk[-1].sequence


def _subjects(decisions):
    """{(content type id, object id): text} of the chunk's subjects."""
    ids = {}
    for decision in decisions:
        ids.setdefault(decision.content_type_id, set()).add(decision.object_id)
    texts = {}
    for type_id, object_ids in ids.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None:
            continue
        # select_related() with no names joins every non-null foreign key,
        # which is what most __str__ methods read.
        for pk, obj in model._base_manager.select_related().in_bulk(list(object_ids)).items():
            texts[(type_id, pk)] = str(obj)
    return texts


def _decision_row(decision, subject):
    return {
        "sequence": decision.sequence,
        "at": _utc(decision.at),
        "actor": str(decision.actor),
        "actor_username": decision.actor.get_username(),
        "action": decision.action,
        "action_label": str(decision.action_label),
        "subject_type": f"{decision.content_type.app_label}.{decision.content_type.model}",
        "subject_id": decision.object_id,
        "subject": subject if subject is not None else _("(deleted)"),
        "from_state": decision.from_state,
        "to_state": decision.to_state,
        "comment": decision.comment,
        "prev_hash": decision.prev_hash,
        "row_hash": decision.row_hash,
    }


def _utc(moment):
    return moment.astimezone(UTC).isoformat()


# -- writers --------------------------------------------------------------------------------------------


def _safe_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class _Echo:
    def write(self, value):
        return value


def csv_stream(columns, rows):
    """CSV lines for a streaming response: a UTF-8 BOM (so that spreadsheet
    programs read the text right), the header, then one line per row."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([label for _key, label in columns])
    for row in rows:
        yield writer.writerow(
            [_safe_text(row.get(key, "")) if key in TEXT_COLUMNS else row.get(key, "") for key, _l in columns]
        )


def write_xlsx(columns, rows, *, about=()):
    """An XLSX workbook in a temporary file (write-only mode: rows go to disk
    as they come): one sheet of rows (more when they do not fit) and a sheet
    "About" with `about` [(label, value)]. Returns the open file, at its start."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)

    def new_sheet(number):
        sheet = workbook.create_sheet(_("Decisions") if number == 1 else f"{_('Decisions')} {number}")
        sheet.freeze_panes = "A2"
        for index, (key, _label) in enumerate(columns):
            width = 66 if key.endswith("hash") else 40 if key in TEXT_COLUMNS else 16
            sheet.column_dimensions[_column_letter(index)].width = width
        header = []
        for _key, label in columns:
            cell = WriteOnlyCell(sheet, value=str(label))
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        return sheet

    number, count = 1, 0
    sheet = new_sheet(number)
    for row in rows:
        if count and count % XLSX_ROWS_PER_SHEET == 0:
            number += 1
            sheet = new_sheet(number)
        sheet.append([_xlsx_cell(sheet, row.get(key, "")) for key, _label in columns])
        count += 1
    info = workbook.create_sheet(_("About"))
    info.column_dimensions["A"].width = 28
    info.column_dimensions["B"].width = 80
    for label, value in [*about, (_("Rows"), count)]:
        info.append([_xlsx_cell(info, str(label)), _xlsx_cell(info, value)])
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - the response closes it
    workbook.save(handle)
    handle.seek(0)
    return handle


def _column_letter(index):
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _xlsx_cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula
    return cell


def export_about(*, start, end, user, chain):
    return [
        (_("Export"), _("Decision records of the service management system")),
        (_("Period"), f"{start.isoformat()} – {end.isoformat()}"),
        (_("Exported by"), str(user)),
        (_("Exported at"), timezone.localtime().isoformat(timespec="seconds")),
        (_("Decision chain head"), f"{chain[0]}: {chain[1]}"),
        (
            _("How to verify"),
            _(
                "Each row's hash is the SHA-256 of its fields and of the previous row's hash "
                "(pdca/decisions.py, row_hash); the last row's hash of the whole log equals the chain head "
                "printed in every report."
            ),
        ),
    ]


# -- the audit trail of one record ---------------------------------------------------------------------


def trail_columns():
    return [
        ("record", _("Record")),
        ("at", _("Time (UTC)")),
        ("actor", _("By")),
        ("subject", _("Subject")),
        ("what", _("What")),
        ("details", _("Details")),
        ("from_state", _("From state")),
        ("to_state", _("To state")),
        ("sequence", _("Decision sequence")),
        ("row_hash", _("Row hash")),
    ]


def trail_rows(record, obj):
    """One row per decision record and per history entry of `obj`, oldest first."""
    trail = record.trail(obj)
    rows = []
    for decision in trail["decisions"]:
        rows.append(
            {
                "record": _("decision"),
                "at_value": decision.at,
                "at": _utc(decision.at),
                "actor": str(decision.actor),
                "subject": trail.get("subject_label", {}).get((decision.content_type_id, decision.object_id))
                or str(trail["title"]),
                "what": str(decision.action_label),
                "details": decision.comment,
                "from_state": decision.from_state,
                "to_state": decision.to_state,
                "sequence": decision.sequence,
                "row_hash": decision.row_hash,
            }
        )
    for entry in trail["changes"]:
        rows.append(
            {
                "record": _("change"),
                "at_value": entry.at,
                "at": _utc(entry.at),
                "actor": str(entry.user) if entry.user else "—",
                "subject": entry.subject,
                "what": entry.kind,
                "details": "; ".join(entry.changes),
                "from_state": "",
                "to_state": "",
                "sequence": "",
                "row_hash": "",
            }
        )
    rows.sort(key=lambda row: row["at_value"])
    return trail, rows


def trail_for_pdf(record, obj):
    """The data of the audit-trail appendix (templates/reports/trail.html)."""
    trail, rows = trail_rows(record, obj)
    return {
        "title": _("Audit trail"),
        "subtitle": str(trail["title"]),
        "document_title": _("Audit trail: %(title)s") % {"title": trail["title"]},
        "watermark": "",
        "content_hash": trail.get("content_hash", ""),
        "facts": trail.get("facts", []),
        "decisions": [
            {
                "sequence": row["sequence"],
                "at": timezone.localtime(row["at_value"]),
                "actor": row["actor"],
                "subject": row["subject"],
                "what": row["what"],
                "comment": row["details"],
                "to_state": row["to_state"],
                "row_hash": row["row_hash"],
            }
            for row in rows
            if row["sequence"] != ""
        ],
        "changes": [
            {
                "at": timezone.localtime(row["at_value"]),
                "actor": row["actor"],
                "subject": row["subject"],
                "what": row["what"],
                "lines": row["details"].split("; ") if row["details"] else [],
            }
            for row in rows
            if row["sequence"] == ""
        ],
        "tables": trail.get("tables", []),
    }
