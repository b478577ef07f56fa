"""Targets and values with their meaningful precision, the same everywhere."""

from decimal import Decimal

import pytest
from django.template import Context, Template

from pdca.quantities import quantity, target_text


@pytest.mark.parametrize(
    ("direction", "target", "unit", "shown"),
    [
        ("higher", Decimal("4.2000"), "points", "≥ 4.2 points"),
        ("higher", Decimal("99.9000"), "%", "≥ 99.9 %"),
        ("lower", Decimal("30.0000"), "min", "≤ 30 min"),
        ("higher", Decimal("100.0000"), "", "≥ 100"),
        ("", Decimal("0.5000"), "h", "0.5 h"),
        ("higher", None, "%", ""),
    ],
)
def test_a_target_is_shown_with_its_meaningful_precision(direction, target, unit, shown):
    assert target_text(direction, target, unit) == shown


def test_a_value_keeps_its_significant_digits():
    assert [quantity(Decimal(v)) for v in ("95.0000", "4.2500", "0.0010", "1200")] == [
        "95",
        "4.25",
        "0.001",
        "1200",
    ]


def test_the_template_filter_reads_objects_and_rows():
    class Kpi:
        direction, target, unit = "lower", Decimal("2.5000"), "hours"

    template = Template("{% load portal %}{{ kpi|target }} / {{ row|target }}")
    row = {"direction": "higher", "target": Decimal("95.0000"), "unit": "%"}
    assert template.render(Context({"kpi": Kpi(), "row": row})) == "≤ 2.5 hours / ≥ 95 %"
