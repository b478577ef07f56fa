"""C1: the KPI chart is valid SVG that shows the series against the target,
readable without colour and without JavaScript, whatever the number of values."""

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from plans.models import Kpi
from reviews.charts import kpi_chart
from reviews.models import Measurement

SVG = "{http://www.w3.org/2000/svg}"


def make_kpi(**fields):
    values = {
        "pk": 7,
        "metric": "Incidents resolved in time",
        "unit": "%",
        "direction": "higher",
        "target": Decimal("95"),
    }
    return Kpi(**{**values, **fields})


def monthly(kpi, values, *, start=datetime.date(2025, 1, 1)):
    series = []
    for index, value in enumerate(values):
        month = datetime.date(
            start.year + (start.month - 1 + index) // 12, (start.month - 1 + index) % 12 + 1, 1
        )
        end = (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)
        series.append(
            Measurement(
                pk=index + 1,
                kpi=kpi,
                kpi_key=kpi.key,
                period_start=month,
                period_end=end,
                value=Decimal(str(value)),
            )
        )
    return series


def parse(markup):
    return ET.fromstring(str(markup))


def points(svg):
    return [e for e in svg.iter() if "kpi-chart__point" in e.get("class", "").split()]


def texts(svg):
    return ["".join(e.itertext()) for e in svg.iter(f"{SVG}text")]


def test_c1_the_chart_is_valid_svg_with_a_title_and_a_description():
    kpi = make_kpi()
    svg = parse(kpi_chart(kpi, monthly(kpi, [90, 92, 96, 97, 94, 98])))
    assert svg.tag == f"{SVG}svg" and svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert title.text == "Incidents resolved in time over time"
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    assert "6 values from 31 Jan 2025 to 30 Jun 2025" in desc.text
    assert "Latest: 98 % (target met)" in desc.text and "3 values miss their target" in desc.text


def test_c1_the_chart_draws_one_point_per_value_and_misses_as_another_shape():
    kpi = make_kpi()
    values = [90, 92, 96, 97, 94, 98]
    svg = parse(kpi_chart(kpi, monthly(kpi, values)))
    drawn = points(svg)
    assert len(drawn) == len(values)
    # Met: filled circles; missed: hollow diamonds (a shape, not only a colour).
    assert [e.tag for e in drawn] == [f"{SVG}{'circle' if v >= 95 else 'path'}" for v in values]
    assert {e.get("fill") for e in drawn if e.tag == f"{SVG}path"} == {"#fff"}
    assert drawn[0].find(f"{SVG}title").text == "31 Jan 2025: 90 %, target missed"
    line = svg.find(f".//{SVG}polyline")
    assert len(line.get("points").split()) == len(values)


def test_c1_the_target_is_a_dashed_line_labelled_with_its_value_and_unit():
    kpi = make_kpi(direction="lower", target=Decimal("4.5"), unit="hours")
    svg = parse(kpi_chart(kpi, monthly(kpi, [5, 4, 3])))
    target = next(e for e in svg.iter(f"{SVG}line") if e.get("class") == "kpi-chart__target")
    assert target.get("stroke-dasharray") and target.get("y1") == target.get("y2")
    assert "Target ≤ 4.5 hours" in texts(svg)
    assert "↓ Lower is better" in texts(svg)
    assert "hours" in texts(svg)  # the value axis is titled with the unit


def test_c1_a_higher_value_is_drawn_higher():
    kpi = make_kpi()
    drawn = points(parse(kpi_chart(kpi, monthly(kpi, [90, 99]))))
    low, high = (float(e.get("cy") or e.get("d").split()[1]) for e in drawn)
    assert high < low  # SVG's y grows downwards


@pytest.mark.parametrize("count", [0, 1, 2, 300])
def test_c1_the_chart_handles_no_one_and_hundreds_of_values(count):
    kpi = make_kpi()
    series = [
        Measurement(
            pk=i + 1,
            kpi=kpi,
            period_start=datetime.date(2025, 1, 1) + datetime.timedelta(days=i),
            period_end=datetime.date(2025, 1, 1) + datetime.timedelta(days=i),
            value=Decimal(90 + i % 10),
        )
        for i in range(count)
    ]
    svg = parse(kpi_chart(kpi, series))
    assert len(points(svg)) == count
    if count == 0:
        assert "No values recorded yet" in texts(svg)
        assert "No values recorded yet." in svg.find(f"{SVG}desc").text


def test_c1_a_flat_series_is_drawn_inside_the_plot():
    kpi = make_kpi(target=Decimal("5"))
    svg = parse(kpi_chart(kpi, monthly(kpi, [5, 5, 5, 5]), height=240))
    ys = {float(e.get("cy")) for e in points(svg)}
    assert len(ys) == 1 and 20 < ys.pop() < 220


def test_c1_marks_are_labelled_vertical_lines():
    kpi = make_kpi()
    marks = [(datetime.date(2025, 2, 15), "Baseline"), (datetime.date(2025, 5, 15), "Achieved")]
    svg = parse(kpi_chart(kpi, monthly(kpi, [90, 92, 96, 97, 94, 98]), marks=marks))
    lines = [e for e in svg.iter(f"{SVG}line") if e.get("class") == "kpi-chart__mark"]
    assert len(lines) == 2 and all(e.get("x1") == e.get("x2") for e in lines)
    assert {"Baseline", "Achieved"} <= set(texts(svg))


def test_c1_every_user_text_is_escaped_and_nothing_is_fetched_or_run():
    kpi = make_kpi(metric='<script>alert("x")</script> & co', unit="<b>%</b>")
    markup = str(
        kpi_chart(
            kpi, monthly(kpi, [90, 96]), marks=[(datetime.date(2025, 1, 15), "<img src=x onerror=alert(1)>")]
        )
    )
    svg = parse(markup)
    assert not [
        e
        for e in svg.iter()
        if e.tag.removeprefix(SVG) in {"script", "image", "img", "foreignObject", "a", "use"}
    ]
    assert "<script" not in markup and "<img" not in markup  # the user's text is there, escaped
    assert "http" not in markup.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert svg.find(f"{SVG}title").text == '<script>alert("x")</script> & co over time'


def test_c1_values_recorded_under_an_earlier_target_are_compared_with_it():
    earlier = make_kpi(pk=3, target=Decimal("90"))
    kpi = make_kpi(pk=7, target=Decimal("95"))
    series = monthly(earlier, [91, 92]) + monthly(kpi, [93, 96], start=datetime.date(2025, 3, 1))
    svg = parse(kpi_chart(kpi, series))
    assert [e.tag for e in points(svg)] == [f"{SVG}circle", f"{SVG}circle", f"{SVG}path", f"{SVG}circle"]
    assert "earlier target ≥ 90 %" in texts(svg)
