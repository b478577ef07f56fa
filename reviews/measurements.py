"""C1: recording KPI measurements, and reading a KPI's series against its target.

Every change goes through these functions; each checks who may record
(`reviews.permissions.measurement_refusal`) and that the KPI belongs to the
version in force. A set of values (a period's bulk entry, a CSV import) is
saved all together or not at all.
"""

from decimal import Decimal, InvalidOperation

from django.db.models import Max
from django.utils.translation import gettext as _

from pdca.exceptions import NotAllowed, RuleViolation
from pdca.history import atomic_as_actor
from plans.models import Kpi, PlanVersion

from . import permissions
from .models import Measurement


def _parse_value(value):
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, AttributeError):
        raise RuleViolation(_("“%(value)s” is not a number.") % {"value": value}, field="value") from None


def measurement_problems(kpi, *, period_start, period_end, value, measurement=None):
    """What is wrong with a value for `kpi` in a period, by field; empty if nothing."""
    errors = {}
    version = kpi.objective.version
    if version.status not in PlanVersion.IN_FORCE:
        errors["kpi"] = [_("Measurements are recorded for the KPIs of the version in force.")]
    if period_start is None:
        errors["period_start"] = [_("Give the start of the period.")]
    if period_end is None:
        errors["period_end"] = [_("Give the end of the period.")]
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = [_("The period ends before it starts.")]
    if value is None or value == "":
        errors["value"] = [_("Give the measured value.")]
    else:
        try:
            _parse_value(value)
        except RuleViolation as refusal:
            errors["value"] = [refusal.message]
    if not errors:
        clash = Measurement.objects.filter(kpi_key=kpi.key, period_start=period_start, period_end=period_end)
        if measurement is not None:
            clash = clash.exclude(pk=measurement.pk)
        if clash.exists():
            errors["period_start"] = [
                _("A value for this period is already recorded: correct that one instead.")
            ]
    return errors


@atomic_as_actor
def record_measurement(*, kpi, actor, period_start, period_end, value, source="", note=""):
    """C1: a value of a KPI for a period, by its owner, operator or process owner."""
    refusal = permissions.measurement_refusal(actor, kpi)
    if refusal:
        raise NotAllowed(refusal)
    errors = measurement_problems(kpi, period_start=period_start, period_end=period_end, value=value)
    if errors:
        raise RuleViolation(
            _("The measurement cannot be recorded: ") + " ".join(m for ms in errors.values() for m in ms),
            errors=errors,
        )
    return Measurement.objects.create(
        kpi=kpi,
        kpi_key=kpi.key,
        period_start=period_start,
        period_end=period_end,
        value=_parse_value(value),
        source=source or "",
        note=note or "",
        recorded_by=actor,
    )


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
    return Kpi.objects.filter(objective__version=version).select_related("objective", "owner")
