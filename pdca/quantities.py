"""Numbers as people read them: a measured or target value with its
meaningful precision, and a target with its direction and unit
("≥ 4.2 points", "≤ 30 min", "≥ 99.9 %"), the same on every page, report and
export."""

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format

SIGNS = {"higher": "≥", "lower": "≤"}


def quantity(value):
    """4.2, not 4.2000; 95, not 95.0000 (localised decimal separator)."""
    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)).normalize()
    except InvalidOperation:
        return value
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_format(number, decimal_pos=places)


def target_text(direction, target, unit=""):
    """“≥ 4.2 points”: the sign of the direction (none when it has none), the
    target with its meaningful precision, the unit; '' without a target."""
    if target in (None, ""):
        return ""
    return " ".join(
        part for part in (SIGNS.get(str(direction or ""), ""), quantity(target), unit or "") if part
    )
