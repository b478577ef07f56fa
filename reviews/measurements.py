"""C1: recording KPI measurements, and reading a KPI's series against its target.

Every change goes through these functions; each checks who may record
(`reviews.permissions.measurement_refusal`) and that the KPI belongs to the
version in force. A set of values (a period's bulk entry, a CSV import) is
saved all together or not at all: one bad value refuses the set, with a
message per KPI (bulk entry) or per row (import), and nothing is saved.

A KPI's series is every value recorded under its `key`, across the versions of
its plan; each value is compared with the target of the version it was
recorded under (`Measurement.met`), the trend with the KPI's direction now.

Reads are selectors with a fixed number of queries, whatever the length of
the series: `series`, `kpi_status`, `latest_values`, `measurements_visible_to`.
"""

import csv
import hashlib
import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.roles import reads_everything
from pdca.decisions import record_decision
from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.history import atomic_as_actor
from plans.models import Kpi, Plan, PlanVersion

from . import permissions
from .dates import add_months, month_bounds
from .models import Measurement

# The column's limits (max_digits=16, decimal_places=4): a value beyond them
# is refused with a message rather than rounded or cut without a word.
MAX_DECIMAL_PLACES = 4
MAX_WHOLE_DIGITS = 12
SOURCE_LENGTH = Measurement._meta.get_field("source").max_length

# An import is a few years of values of one plan, not a data warehouse load.
MAX_IMPORT_CHARACTERS = 1_000_000
MAX_IMPORT_ROWS = 5_000

# A trend compares the mean of the latest three values with the three before;
# a change smaller than this share of the target (or of the earlier mean, if
# larger) is steady.
TREND_WINDOW = 3
STEADY_TOLERANCE = Decimal("0.01")


# -- values and periods ---------------------------------------------------------------


def _parse_value(value):
    """A measured value as a Decimal: a decimal comma is accepted, spaces as
    thousands separators too; anything that is not a finite number within the
    column's precision is refused."""
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip()
        for space in (" ", "\u00a0", "\u202f", "'"):
            text = text.replace(space, "")
        try:
            number = Decimal(text.replace(",", "."))
        except (InvalidOperation, AttributeError, ValueError):
            raise RuleViolation(_("“%(value)s” is not a number.") % {"value": value}, field="value") from None
    if not number.is_finite():
        raise RuleViolation(_("“%(value)s” is not a number.") % {"value": value}, field="value")
    if abs(number) >= Decimal(10) ** MAX_WHOLE_DIGITS:
        raise RuleViolation(_("“%(value)s” is too large to be recorded.") % {"value": value}, field="value")
    if number != number.quantize(Decimal(1).scaleb(-MAX_DECIMAL_PLACES)):
        raise RuleViolation(
            _("“%(value)s” has more than %(places)s decimal places.")
            % {"value": value, "places": MAX_DECIMAL_PLACES},
            field="value",
        )
    return number


def plain_number(value):
    """A Decimal without exponent or trailing zeros: 100, 97.5 (for files and messages)."""
    return format(Decimal(value).normalize(), "f")


def _blank(value):
    return value is None or (isinstance(value, str) and not value.strip())


def _value_problem(value):
    if _blank(value):
        return _("Give the measured value.")
    try:
        _parse_value(value)
    except RuleViolation as refusal:
        return refusal.message
    return ""


def period_problems(period_start, period_end, *, today=None):
    """What is wrong with a period, by field; empty if nothing. A value is
    recorded once its period is over."""
    today = today or timezone.localdate()
    errors = {}
    if period_start is None:
        errors["period_start"] = [_("Give the start of the period.")]
    if period_end is None:
        errors["period_end"] = [_("Give the end of the period.")]
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = [_("The period ends before it starts.")]
    elif period_end and period_end > today:
        errors["period_end"] = [
            _("The period ends on %(date)s, in the future: record its value once the period is over.")
            % {"date": date_format(period_end, "j M Y")}
        ]
    return errors


def period_label(start, end):
    """A period as people say it: “May 2026”, “Q2 2026”, “2026”, “5 May 2026”,
    or “1 May 2026 – 15 May 2026”."""
    if start is None or end is None:
        return ""
    if start == end:
        return date_format(start, "j M Y")
    if start.day == 1 and end == month_bounds(start)[1]:
        return date_format(start, "F Y")
    if start.day == 1 and start.month % 3 == 1 and end == month_bounds(add_months(start, 2))[1]:
        return _("Q%(quarter)s %(year)s") % {"quarter": (start.month - 1) // 3 + 1, "year": start.year}
    if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) and start.year == end.year:
        return str(start.year)
    return f"{date_format(start, 'j M Y')} – {date_format(end, 'j M Y')}"


def last_full_period(frequency, today=None):
    """The last complete period of a KPI's frequency before `today`: yesterday,
    last week (Monday to Sunday), last month, last quarter or last year."""
    today = today or timezone.localdate()
    if frequency == Kpi.Frequency.DAILY:
        day = today - timedelta(days=1)
        return day, day
    if frequency == Kpi.Frequency.WEEKLY:
        monday = today - timedelta(days=today.weekday())
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if frequency == Kpi.Frequency.QUARTERLY:
        quarter_start = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
        previous = add_months(quarter_start, -3)
        return previous, quarter_start - timedelta(days=1)
    if frequency == Kpi.Frequency.YEARLY:
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return month_bounds(today.replace(day=1) - timedelta(days=1))


def measurement_revision(measurement):
    """A short fingerprint of what a measurement says now: a correction based
    on an older one is refused (somebody else corrected it meanwhile)."""
    text = "|".join(
        str(part)
        for part in (
            measurement.pk,
            measurement.period_start,
            measurement.period_end,
            measurement.value.normalize() if measurement.value is not None else "",
            measurement.source,
            measurement.note,
        )
    )
    return hashlib.sha256(text.encode()).hexdigest()[:12]


# -- the checks every change shares ------------------------------------------------------


def _version_problem(kpi):
    if kpi.objective.version.status not in PlanVersion.IN_FORCE:
        return _("Measurements are recorded for the KPIs of the version in force.")
    return ""


def _overlapping(kpi_keys, start, end, *, exclude=None):
    """The recorded values of these series whose period overlaps [start, end]."""
    found = Measurement.objects.filter(
        kpi_key__in=list(kpi_keys), period_start__lte=end, period_end__gte=start
    )
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    return found.order_by("period_end", "pk")


def _clash_message(existing, start, end):
    if (existing.period_start, existing.period_end) == (start, end):
        return _("A value for this period is already recorded: correct that one instead.")
    return _("The value recorded for %(period)s overlaps this period: correct that one instead.") % {
        "period": period_label(existing.period_start, existing.period_end)
    }


def _source_problem(source):
    if len((source or "").strip()) > SOURCE_LENGTH:
        return _("Name the source in at most %(count)s characters.") % {"count": SOURCE_LENGTH}
    return ""


def measurement_problems(kpi, *, period_start, period_end, value, source="", measurement=None):
    """What is wrong with a value for `kpi` in a period, by field; empty if nothing."""
    errors = {}
    if problem := _version_problem(kpi):
        errors["kpi"] = [problem]
    errors.update(period_problems(period_start, period_end))
    if problem := _value_problem(value):
        errors["value"] = [problem]
    if problem := _source_problem(source):
        errors["source"] = [problem]
    if not errors:
        clash = _overlapping([kpi.key], period_start, period_end, exclude=measurement).first()
        if clash is not None:
            errors["period_start"] = [_clash_message(clash, period_start, period_end)]
    return errors


def recording_queryset():
    """KPIs with everything `permissions.measurement_refusal` and the checks
    read, in two queries however many there are."""
    return Kpi.objects.select_related(
        "objective__version__plan__process__owner", "owner", "assignment__operator"
    ).prefetch_related("objective__version__plan__process__deputies")


def _locked(kpi_pks):
    """The KPIs re-read and locked in a fixed order, so that two people
    recording the same series one after the other see each other's values."""
    queryset = recording_queryset()
    if connection.features.has_select_for_update_of:
        queryset = queryset.select_for_update(of=("self",))
    else:
        queryset = queryset.select_for_update()
    return {kpi.pk: kpi for kpi in queryset.filter(pk__in=list(kpi_pks)).order_by("pk")}


def _refuse_unless_allowed(actor, kpi):
    refusal = permissions.measurement_refusal(actor, kpi)
    if refusal:
        raise NotAllowed(refusal)


def _create(rows, actor):
    """Insert the measurements; a value that somebody else recorded for the
    same period a moment ago is a conflict, not a server error."""
    created = []
    try:
        with transaction.atomic():
            for kpi, start, end, value, source, note in rows:
                created.append(
                    Measurement.objects.create(
                        kpi=kpi,
                        kpi_key=kpi.key,
                        period_start=start,
                        period_end=end,
                        value=_parse_value(value),
                        source=(source or "").strip(),
                        note=(note or "").strip(),
                        recorded_by=actor,
                    )
                )
    except IntegrityError:
        raise Conflict(
            _(
                "Somebody recorded a value for the same period a moment ago. Nothing was saved: reload and check."
            )
        ) from None
    return created


# -- recording one value ---------------------------------------------------------------------


@atomic_as_actor
def record_measurement(*, kpi, actor, period_start, period_end, value, source="", note=""):
    """C1: a value of a KPI for a period, by its owner, operator or process owner."""
    kpi = _locked([kpi.pk]).get(kpi.pk, kpi)
    _refuse_unless_allowed(actor, kpi)
    errors = measurement_problems(
        kpi, period_start=period_start, period_end=period_end, value=value, source=source
    )
    if errors:
        raise RuleViolation(
            _("The measurement cannot be recorded: ") + " ".join(m for ms in errors.values() for m in ms),
            errors=errors,
        )
    return _create([(kpi, period_start, period_end, value, source, note)], actor)[0]


def kpi_in_force_of(measurement):
    """The KPI of the version in force that carries the measurement's series
    (its KPI, or the same KPI in a later version), or None if the plan no
    longer has it."""
    return (
        recording_queryset()
        .filter(key=measurement.kpi_key, objective__version__status__in=PlanVersion.IN_FORCE)
        .order_by("-objective__version__number")
        .first()
    )


def correction_refusal(user, measurement, kpi=None):
    """C1: who may record a series may correct or remove its values, as long as
    the KPI is part of the version in force; '' if `user` may."""
    kpi = kpi if kpi is not None else kpi_in_force_of(measurement)
    if kpi is None:
        return _(
            "This KPI is no longer part of the plan in force: its values are kept as they were recorded."
        )
    return permissions.measurement_refusal(user, kpi)


def _for_correction(measurement, actor, expected_revision):
    locked = Measurement.objects.select_for_update().filter(pk=measurement.pk).first()
    if locked is None:
        raise Conflict(_("This value was removed meanwhile by somebody else."))
    kpi = kpi_in_force_of(locked)
    refusal = correction_refusal(actor, locked, kpi)
    if refusal:
        raise NotAllowed(refusal)
    if expected_revision and expected_revision != measurement_revision(locked):
        last = locked.history.select_related("history_user").first()
        raise Conflict(
            _(
                "%(name)s changed this value after you opened it: it now reads %(value)s for %(period)s. "
                "What you typed is kept: check it and save again."
            )
            % {
                "name": getattr(last, "history_user", None) or _("Somebody"),
                "value": plain_number(locked.value),
                "period": period_label(locked.period_start, locked.period_end),
            }
        )
    return locked, kpi


@atomic_as_actor
def update_measurement(
    *, measurement, actor, period_start, period_end, value, source="", note="", expected_revision=None
):
    """C1: correct a recorded value (its period, value, source or note). Those
    who may record the series may correct it; the history keeps what it said
    before and who changed it. `expected_revision` (`measurement_revision` as
    the user read it) refuses a correction based on a value changed meanwhile."""
    measurement, kpi = _for_correction(measurement, actor, expected_revision)
    errors = measurement_problems(
        kpi,
        period_start=period_start,
        period_end=period_end,
        value=value,
        source=source,
        measurement=measurement,
    )
    if errors:
        raise RuleViolation(
            _("The correction cannot be saved: ") + " ".join(m for ms in errors.values() for m in ms),
            errors=errors,
        )
    measurement.period_start, measurement.period_end = period_start, period_end
    measurement.value = _parse_value(value)
    measurement.source, measurement.note = (source or "").strip(), (note or "").strip()
    try:
        with transaction.atomic():
            measurement.save(update_fields=["period_start", "period_end", "value", "source", "note"])
    except IntegrityError:
        raise Conflict(_("Somebody recorded a value for this period a moment ago.")) from None
    return measurement


@atomic_as_actor
def delete_measurement(*, measurement, actor, expected_revision=None):
    """C1: remove a value recorded by mistake, by those who may record the
    series. The history keeps the removed value, who removed it and when."""
    measurement, _kpi = _for_correction(measurement, actor, expected_revision)
    measurement.delete()


# -- a period's values for several KPIs (bulk entry) --------------------------------------


def _describe(count, start, end):
    return ngettext("%(count)s value for %(period)s", "%(count)s values for %(period)s", count) % {
        "count": count,
        "period": period_label(start, end),
    }


def _kpi_error_key(kpi):
    return f"kpi-{kpi.pk}"


def _summary(problems):
    """“Nothing was recorded: Metric: message; …”, for the API and the top of the page."""
    return _("Nothing was recorded: %(problems)s") % {"problems": "; ".join(problems)}


@atomic_as_actor
def record_period(*, plan, actor, period_start, period_end, values, source="", note=""):
    """C1: one period's values for several KPIs of a plan (`values`:
    {kpi: value or ""}; empty ones are skipped), all or nothing. Each KPI must
    belong to the plan's version in force and be one the actor may record; a
    refusal names each KPI at fault (`errors["kpi-<id>"]`) and saves nothing."""
    entered = {kpi.pk: value for kpi, value in values.items() if not _blank(value)}
    if not entered:
        raise RuleViolation(_("Enter at least one value."), field="values")
    kpis = _locked(entered)
    version = plan.current_version

    strangers = {
        _kpi_error_key(kpi): [_("“%(metric)s” is not a KPI of this plan.") % {"metric": kpi.metric}]
        for kpi in kpis.values()
        if kpi.objective.version.plan_id != plan.pk
    }
    if strangers:
        raise RuleViolation(
            _("Nothing was recorded: some of these KPIs are not KPIs of this plan."), errors=strangers
        )
    refused = {}
    for kpi in kpis.values():
        if refusal := permissions.measurement_refusal(actor, kpi):
            refused[_kpi_error_key(kpi)] = [refusal]
    if refused:
        raise NotAllowed(
            _("Nothing was recorded: you may not record some of these KPIs. ")
            + " ".join(m for ms in refused.values() for m in ms),
            errors=refused,
        )

    errors = period_problems(period_start, period_end)
    if problem := _source_problem(source):
        errors["source"] = [problem]
    summary = [m for ms in errors.values() for m in ms]
    clashes = {}
    if not errors:
        for existing in _overlapping({k.key for k in kpis.values()}, period_start, period_end):
            clashes.setdefault(existing.kpi_key, existing)
    for pk in sorted(kpis):
        kpi = kpis[pk]
        if version is None or kpi.objective.version_id != version.pk:
            problem = _("Measurements are recorded for the KPIs of the version in force.")
        else:
            problem = _value_problem(entered[pk])
        if not problem and kpi.key in clashes:
            problem = _clash_message(clashes[kpi.key], period_start, period_end)
        if problem:
            errors[_kpi_error_key(kpi)] = [problem]
            summary.append(f"{kpi.metric}: {problem}")
    if errors:
        raise RuleViolation(_summary(summary), errors=errors)

    created = _create(
        [(kpis[pk], period_start, period_end, entered[pk], source, note) for pk in sorted(kpis)], actor
    )
    record_decision(
        subject=plan,
        action="record_measurements",
        actor=actor,
        comment=_describe(len(created), period_start, period_end),
    )
    return created


# -- CSV import in two steps: a preview, then all rows or none ---------------------------------

COLUMNS = ("kpi", "period_start", "period_end", "date", "value", "source", "note")
# Columns of the template that say which KPI a row is, for the people filling it in.
REFERENCE_COLUMNS = ("metric", "unit", "target")
COLUMN_ALIASES = {
    "kpi_id": "kpi",
    "id": "kpi",
    "start": "period_start",
    "from": "period_start",
    "end": "period_end",
    "to": "period_end",
    "comment": "note",
    "notes": "note",
}
CSV_HELP = gettext_lazy(
    "Columns: kpi (the KPI's id, or its metric as shown on the plan), period_start and period_end "
    "(YYYY-MM-DD; or a single date column for a one-day period), value, and optionally source and note. "
    "Commas or semicolons separate the columns; a decimal comma is fine."
)


@dataclass
class ImportRow:
    """One data row of a CSV file as the preview shows it."""

    line: int
    kpi_text: str = ""
    kpi: Kpi | None = None
    period_start: date | None = None
    period_end: date | None = None
    value_text: str = ""
    value: Decimal | None = None
    source: str = ""
    note: str = ""
    problem: str = ""
    skipped: bool = False

    @property
    def ready(self):
        return not self.problem and not self.skipped

    @property
    def period(self):
        return period_label(self.period_start, self.period_end)

    @property
    def met(self):
        return self.kpi.is_met_by(self.value) if self.ready else None

    def message(self):
        return _("Row %(line)s: %(problem)s") % {"line": self.line, "problem": self.problem}


@dataclass
class ImportPreview:
    """What an import would record: every row with its problem (or none)."""

    rows: list = field(default_factory=list)
    delimiter: str = ","
    ignored_columns: list = field(default_factory=list)

    @property
    def problems(self):
        return [row for row in self.rows if row.problem]

    @property
    def ready(self):
        return [row for row in self.rows if row.ready]

    @property
    def skipped(self):
        return [row for row in self.rows if row.skipped]

    @property
    def importable(self):
        return bool(self.ready) and not self.problems


def _header_name(text):
    name = text.strip().strip("\ufeff").lower().replace(" ", "_").replace("-", "_")
    return COLUMN_ALIASES.get(name, name)


def _delimiter(header_line):
    counts = {d: header_line.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _parse_date(text, column):
    text = text.strip()
    if not text:
        return None, _("No %(column)s given.") % {"column": column}
    try:
        return date.fromisoformat(text), ""
    except ValueError:
        return None, _("“%(text)s” is not a date: write it as YYYY-MM-DD, e.g. 2026-05-31.") % {"text": text}


def _normal(text):
    return " ".join(text.split()).casefold()


class _KpiFinder:
    """Finds a row's KPI among the plan's, by id or by metric; an id of the
    same KPI in an earlier version finds the KPI in force (same key)."""

    def __init__(self, plan, kpis_in_force):
        self.in_force = {kpi.pk: kpi for kpi in kpis_in_force}
        self.by_key = {kpi.key: kpi for kpi in kpis_in_force}
        self.by_metric = {}
        for kpi in kpis_in_force:
            self.by_metric.setdefault(_normal(kpi.metric), []).append(kpi)
        # Ids of the plan's KPIs in earlier versions, for files written before a revision.
        self.earlier = dict(
            Kpi.objects.filter(objective__version__plan=plan)
            .exclude(pk__in=list(self.in_force))
            .values_list("pk", "key")
        )

    def find(self, text):
        text = text.strip()
        if not text:
            return None, _("No KPI given.")
        if text.isdigit():
            pk = int(text)
            if pk in self.in_force:
                return self.in_force[pk], ""
            if self.earlier.get(pk) in self.by_key:
                return self.by_key[self.earlier[pk]], ""
            if pk in self.earlier:
                return None, _("KPI %(id)s is not part of the version in force.") % {"id": pk}
        matches = self.by_metric.get(_normal(text), [])
        if len(matches) == 1:
            return matches[0], ""
        if len(matches) > 1:
            return None, _("Several KPIs are called “%(text)s”: give the KPI's id instead.") % {"text": text}
        return None, _("“%(text)s” is not a KPI of the version in force of this plan.") % {"text": text}


def _read_rows(file_text):
    """(delimiter, header names, [(line, {column: text}, extra fields)]) of a CSV text."""
    text = file_text.lstrip("\ufeff")
    if not text.strip():
        raise RuleViolation(_("The file is empty."), field="file")
    if len(text) > MAX_IMPORT_CHARACTERS:
        raise RuleViolation(
            _("The file is too large: import at most %(count)s characters at once.")
            % {"count": MAX_IMPORT_CHARACTERS},
            field="file",
        )
    delimiter = _delimiter(text.splitlines()[0])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [_header_name(name) for name in next(reader)]
        rows = []
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise RuleViolation(
                    _("The file has more than %(count)s rows: split it.") % {"count": MAX_IMPORT_ROWS},
                    field="file",
                )
            values = dict(zip(header, fields, strict=False))
            rows.append((reader.line_num, values, len(fields) > len(header)))
    except csv.Error as error:
        raise RuleViolation(
            _("The file cannot be read as CSV (line %(line)s: %(error)s).")
            % {"line": reader.line_num, "error": error},
            field="file",
        ) from None
    missing = []
    if "kpi" not in header and "metric" not in header:
        missing.append("kpi")
    if "date" not in header and not {"period_start", "period_end"} <= set(header):
        missing.append("period_start, period_end")
    if "value" not in header:
        missing.append("value")
    if missing:
        raise RuleViolation(
            _("The file's first line must name its columns; missing: %(missing)s. %(help)s")
            % {"missing": ", ".join(missing), "help": CSV_HELP},
            field="file",
        )
    return delimiter, header, rows


def parse_csv(*, plan, actor, file_text):
    """C1: the preview of a CSV import: each row with its KPI, period, value and
    problem (or none). Nothing is saved. See `CSV_HELP` for the columns."""
    kpis = list(
        kpis_in_force(plan)
        .select_related("assignment__operator")
        .prefetch_related("objective__version__plan__process__deputies")
    )
    refusals = {kpi.pk: permissions.measurement_refusal(actor, kpi) for kpi in kpis}
    if not kpis:
        raise RuleViolation(_("This plan has no KPIs in force to record measurements for."), field="file")
    if all(refusals.values()):
        raise NotAllowed(next(iter(refusals.values())))
    delimiter, header, lines = _read_rows(file_text)
    preview = ImportPreview(
        delimiter=delimiter, ignored_columns=[h for h in header if h and h not in COLUMNS + REFERENCE_COLUMNS]
    )
    finder = _KpiFinder(plan, kpis)
    for line, values, extra in lines:
        preview.rows.append(_check_row(line, values, extra, finder=finder, refusals=refusals, header=header))
    _check_overlaps(preview.ready)
    return preview


def _check_row(line, values, extra, *, finder, refusals, header):
    """One row of the file, with its first problem (or none); a row of the
    template whose value is left empty is skipped, not wrong."""
    row = ImportRow(
        line=line,
        kpi_text=(values.get("kpi") or values.get("metric") or "").strip(),
        value_text=(values.get("value") or "").strip(),
        source=(values.get("source") or "").strip(),
        note=(values.get("note") or "").strip(),
    )
    row.kpi, kpi_problem = finder.find(row.kpi_text)
    if (values.get("period_start") or "").strip() or "date" not in header:
        row.period_start, start_problem = _parse_date(values.get("period_start") or "", "period_start")
        row.period_end, end_problem = _parse_date(values.get("period_end") or "", "period_end")
    else:
        row.period_start, start_problem = _parse_date(values.get("date") or "", "date")
        row.period_end, end_problem = row.period_start, ""
    if extra:
        row.problem = _(
            "The row has more fields than the first line has columns: put values with a decimal comma "
            "in quotes, or separate the columns with “;”."
        )
        return row
    if not kpi_problem and not row.value_text:
        row.skipped = True
        return row
    row.problem = (
        kpi_problem
        or refusals[row.kpi.pk]
        or start_problem
        or end_problem
        or " ".join(m for ms in period_problems(row.period_start, row.period_end).values() for m in ms)
        or _value_problem(row.value_text)
        or _source_problem(row.source)
    )
    if not row.problem:
        row.value = _parse_value(row.value_text)
    return row


def _check_overlaps(rows):
    """Two rows for the same KPI and overlapping periods, or a row whose period
    already has a value: each such row has a problem."""
    if not rows:
        return
    start = min(r.period_start for r in rows)
    end = max(r.period_end for r in rows)
    recorded = {}
    for existing in _overlapping({r.kpi.key for r in rows}, start, end):
        recorded.setdefault(existing.kpi_key, []).append(existing)
    earlier = {}
    for row in rows:
        clash = next(
            (
                m
                for m in recorded.get(row.kpi.key, [])
                if m.period_start <= row.period_end and m.period_end >= row.period_start
            ),
            None,
        )
        if clash is not None:
            row.problem = _clash_message(clash, row.period_start, row.period_end)
            continue
        twin = next(
            (
                r
                for r in earlier.get(row.kpi.key, [])
                if r.period_start <= row.period_end and r.period_end >= row.period_start
            ),
            None,
        )
        if twin is not None:
            row.problem = _("Row %(line)s already gives a value of this KPI for an overlapping period.") % {
                "line": twin.line
            }
            continue
        earlier.setdefault(row.kpi.key, []).append(row)


@atomic_as_actor
def import_csv(*, plan, actor, file_text):
    """C1: record every row of a CSV file, or, if any row has a problem,
    nothing: the refusal names each row at fault (`errors["row-<n>"]`)."""
    _locked(kpis_in_force(plan).values_list("pk", flat=True))
    preview = parse_csv(plan=plan, actor=actor, file_text=file_text)
    if preview.problems:
        problems = preview.problems
        raise RuleViolation(
            ngettext(
                "Nothing was imported: %(count)s row has a problem. %(rows)s",
                "Nothing was imported: %(count)s rows have problems. %(rows)s",
                len(problems),
            )
            % {"count": len(problems), "rows": " ".join(row.message() for row in problems)},
            errors={f"row-{row.line}": [row.message()] for row in problems},
        )
    if not preview.ready:
        raise RuleViolation(_("The file has no values to import."), field="file")
    rows = preview.ready
    created = _create([(r.kpi, r.period_start, r.period_end, r.value, r.source, r.note) for r in rows], actor)
    periods = sorted({(r.period_start, r.period_end) for r in rows}, key=lambda p: (p[1], p[0]))
    if len(periods) == 1:
        comment = _describe(len(created), *periods[0])
    else:
        comment = ngettext(
            "%(count)s value for %(periods)s periods from %(first)s to %(last)s",
            "%(count)s values for %(periods)s periods from %(first)s to %(last)s",
            len(created),
        ) % {
            "count": len(created),
            "periods": len(periods),
            "first": period_label(*periods[0]),
            "last": period_label(*periods[-1]),
        }
    record_decision(
        subject=plan,
        action="record_measurements",
        actor=actor,
        comment=_("%(what)s, imported from a CSV file") % {"what": comment},
    )
    return created


def csv_template(plan, actor):
    """The CSV an import expects: one row per KPI of the version in force that
    `actor` may record, for its last full period, with the value left empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["kpi", "metric", "unit", "target", "period_start", "period_end", "value", "source", "note"]
    )
    kpis = (
        kpis_in_force(plan)
        .select_related("assignment__operator")
        .prefetch_related("objective__version__plan__process__deputies")
    )
    for kpi in kpis:
        if permissions.measurement_refusal(actor, kpi):
            continue
        start, end = last_full_period(kpi.frequency)
        writer.writerow([kpi.pk, kpi.metric, kpi.unit, plain_number(kpi.target), start, end, "", "", ""])
    return buffer.getvalue()


# -- reading ------------------------------------------------------------------------


def value_for_period(kpi, start, end):
    """The latest value of `kpi`'s series whose period ends within [start, end]
    (what a review's attainment is prefilled with), or None."""
    measurement = Measurement.objects.of_kpi(kpi).within(start, end).order_by("-period_end", "-pk").first()
    return measurement.value if measurement is not None else None


def latest_periods(kpi_keys):
    """{kpi_key: latest period_end} for several KPIs, in one query."""
    return dict(
        Measurement.objects.filter(kpi_key__in=list(kpi_keys))
        .values_list("kpi_key")
        .annotate(latest=Max("period_end"))
        .order_by()
    )


def kpis_in_force(plan):
    version = plan.current_version
    if version is None:
        return Kpi.objects.none()
    return Kpi.objects.filter(objective__version=version).select_related(
        "objective__version__plan__process", "owner"
    )


def measurements_visible_to(user):
    """Everybody who reads the whole SMS reads every measurement; staff read
    the measurements of the KPIs of plans they can read."""
    if reads_everything(user):
        return Measurement.objects.all()
    # The few thousand KPIs of the readable plans as one set, not a join of
    # every measurement up to its plan: the count of 100,000 rows probes it.
    kpis = Kpi.objects.filter(objective__version__plan__in=Plan.objects.visible_to(user).values("pk"))
    return Measurement.objects.filter(kpi__in=kpis.values("pk"))


def series(kpi):
    """C1: the KPI's values across the versions of its plan, oldest first, each
    with the KPI (and target) it was recorded under and who recorded it."""
    return (
        Measurement.objects.of_kpi(kpi)
        .select_related("kpi", "recorded_by")
        .order_by("period_end", "period_start", "pk")
    )


def latest_values(kpis):
    """The KPIs, each with `latest_value`, `latest_start` and `latest_end` of its
    series (None without values), in one query."""
    latest = Measurement.objects.filter(kpi_key=OuterRef("key")).order_by(
        "-period_end", "-period_start", "-pk"
    )
    return kpis.annotate(
        latest_value=Subquery(latest.values("value")[:1]),
        latest_start=Subquery(latest.values("period_start")[:1]),
        latest_end=Subquery(latest.values("period_end")[:1]),
    )


MET, NOT_MET, NO_DATA = "met", "not_met", "no_data"
ATTAINMENT_LABELS = {
    MET: gettext_lazy("Target met"),
    NOT_MET: gettext_lazy("Target not met"),
    NO_DATA: gettext_lazy("No data"),
}
IMPROVING, WORSENING, STEADY, NOT_ENOUGH_DATA = "improving", "worsening", "steady", "not_enough_data"
TREND_LABELS = {
    IMPROVING: gettext_lazy("Improving"),
    WORSENING: gettext_lazy("Worsening"),
    STEADY: gettext_lazy("Steady"),
    NOT_ENOUGH_DATA: gettext_lazy("Not enough data"),
}


def attainment(kpi, value):
    """Met / not met by `kpi`'s target, or no data."""
    if value is None:
        return NO_DATA
    return MET if kpi.is_met_by(value) else NOT_MET


def trend(kpi, values):
    """C1: whether the series improves, worsens or holds steady: the mean of
    the latest three values against the mean of the three before, in the
    KPI's direction. Below four values there is not enough data."""
    values = [Decimal(v) for v in values]
    if len(values) <= TREND_WINDOW:
        return NOT_ENOUGH_DATA
    recent = values[-TREND_WINDOW:]
    before = values[-2 * TREND_WINDOW : -TREND_WINDOW]
    recent_mean = sum(recent) / len(recent)
    before_mean = sum(before) / len(before)
    change = recent_mean - before_mean
    if abs(change) <= STEADY_TOLERANCE * max(abs(before_mean), abs(kpi.target)):
        return STEADY
    better = change > 0 if kpi.direction == Kpi.Direction.HIGHER else change < 0
    return IMPROVING if better else WORSENING


@dataclass
class KpiStatus:
    """Where a KPI stands: its latest value and whether it meets the target, and the trend."""

    latest: Measurement | None
    attainment: str
    trend: str
    count: int

    @property
    def attainment_label(self):
        return ATTAINMENT_LABELS[self.attainment]

    @property
    def trend_label(self):
        return TREND_LABELS[self.trend]


def kpi_status(kpi, measurements):
    """The status of `kpi` from its series (`series(kpi)`, oldest first),
    without a further query. The latest value is compared with the target in force."""
    measurements = list(measurements)
    latest = measurements[-1] if measurements else None
    return KpiStatus(
        latest=latest,
        attainment=attainment(kpi, latest.value if latest else None),
        trend=trend(kpi, [m.value for m in measurements]),
        count=len(measurements),
    )
