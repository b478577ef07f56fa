"""C1: a KPI's series against its target, drawn on the server as SVG.

The chart is plain markup: no JavaScript and nothing fetched from elsewhere, so
it shows in every browser, in a page saved to disk and in a PDF report. It
reads without colour: values that miss the target are hollow diamonds, those
that meet it filled circles, the target a dashed line labelled with its value;
a legend says so, and `<title>`/`<desc>` tell a screen reader what it shows.
Every text that comes from users (metric, unit, labels) is escaped.
"""

import math
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pdca import quantities
from pdca.templatetags.portal import quantity_filter as quantity
from plans.models import Kpi

# Room around the plot for the tick labels, the legend and the axis titles.
LEFT, RIGHT, TOP, BOTTOM = 62, 20, 40, 46
INK, MUTED, GRID = "#1c2430", "#5a6472", "#e3e7ed"
LINE, MET, MISSED, TARGET, MARK = "#1f5fbf", "#1d7a46", "#b42318", "#a15c00", "#8a2d8f"


def direction_label(kpi):
    if kpi.direction == Kpi.Direction.HIGHER:
        return _("higher is better")
    return _("lower is better")


def target_text(kpi):
    return quantities.target_text(kpi.direction, kpi.target, kpi.unit)


def _nice_step(span, ticks=4):
    """A round step (1, 2 or 5 times a power of ten) giving about `ticks` intervals."""
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _y_scale(values):
    """(low, high, ticks) of the value axis: round numbers around every value."""
    low, high = min(values), max(values)
    # Some air above and below, so that no point sits on the frame.
    pad = (high - low) * 0.08 if high > low else abs(low) * 0.1 or 1.0
    low, high = low - pad, high + pad
    step = _nice_step(high - low)
    low = math.floor(low / step) * step
    high = math.ceil(high / step) * step
    if low == high:
        high = low + step
    count = round((high - low) / step)
    return low, high, [low + i * step for i in range(count + 1)]


def _tick_text(value, step):
    exponent = Decimal(repr(round(step, 9))).normalize().as_tuple().exponent
    return quantity(f"{value:.{max(0, -exponent)}f}")


def _date_text(day, span_days):
    return date_format(day, "M Y" if span_days > 92 else "j M")


def _fmt(number):
    return f"{number:.1f}"


class _Svg:
    """Collects the elements of the chart; every text goes through `text()`."""

    def __init__(self):
        self.parts = []

    def add(self, markup):
        self.parts.append(markup)

    def text(
        self,
        x,
        y,
        content,
        *,
        anchor="start",
        size=12,
        fill=INK,
        css="",
        weight="normal",
        rotate=None,
        halo=False,
    ):
        transform = f' transform="rotate({rotate} {_fmt(x)} {_fmt(y)})"' if rotate is not None else ""
        bold = ' font-weight="600"' if weight != "normal" else ""
        # A white outline keeps a label legible where it crosses a line.
        outline = ' stroke="#fff" stroke-width="3" paint-order="stroke"' if halo else ""
        css = f' class="{css}"' if css else ""
        self.add(
            f'<text x="{_fmt(x)}" y="{_fmt(y)}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{fill}"{css}{bold}{outline}{transform}>{escape(content)}</text>'
        )

    def line(self, x1, y1, x2, y2, *, stroke, width=1, dash="", css=""):
        dasharray = f' stroke-dasharray="{dash}"' if dash else ""
        css = f' class="{css}"' if css else ""
        self.add(
            f'<line x1="{_fmt(x1)}" y1="{_fmt(y1)}" x2="{_fmt(x2)}" y2="{_fmt(y2)}" '
            f'stroke="{stroke}" stroke-width="{width}"{dasharray}{css}/>'
        )


def _point_markup(x, y, radius, met, label, css="kpi-chart__point"):
    title = f"<title>{escape(label)}</title>"
    if met:
        return (
            f'<circle class="{css} {css}--met" cx="{_fmt(x)}" cy="{_fmt(y)}" '
            f'r="{_fmt(radius)}" fill="{MET}" stroke="#fff" stroke-width="1">{title}</circle>'
        )
    size = radius * 1.45
    path = (
        f"M{_fmt(x)} {_fmt(y - size)} L{_fmt(x + size)} {_fmt(y)} "
        f"L{_fmt(x)} {_fmt(y + size)} L{_fmt(x - size)} {_fmt(y)} Z"
    )
    return (
        f'<path class="{css} {css}--missed" d="{path}" fill="#fff" '
        f'stroke="{MISSED}" stroke-width="2">{title}</path>'
    )


def _description(kpi, points):
    target = _("Target %(target)s, %(direction)s.") % {
        "target": target_text(kpi),
        "direction": direction_label(kpi),
    }
    if not points:
        return _("No values recorded yet.") + " " + target
    first, last = points[0], points[-1]
    missed = sum(1 for m in points if not m.met)
    summary = ngettext(
        "%(count)s value from %(first)s to %(last)s.",
        "%(count)s values from %(first)s to %(last)s.",
        len(points),
    ) % {
        "count": len(points),
        "first": date_format(first.period_end, "j M Y"),
        "last": date_format(last.period_end, "j M Y"),
    }
    latest = _("Latest: %(value)s %(unit)s (%(state)s).") % {
        "value": quantity(last.value),
        "unit": kpi.unit,
        "state": _("target met") if kpi.is_met_by(last.value) else _("target not met"),
    }
    misses = ngettext("%(count)s value misses its target.", "%(count)s values miss their target.", missed) % {
        "count": missed
    }
    return " ".join([summary, latest, target, misses])


def _older_targets(kpi, points):
    """Runs of consecutive values recorded under another target than the
    current one (an earlier version of the plan): [(target, first, last)]."""
    runs = []
    for m in points:
        if runs and (runs[-1][0].target, runs[-1][0].direction) == (m.kpi.target, m.kpi.direction):
            runs[-1][2] = m
        else:
            runs.append([m.kpi, m, m])
    return [tuple(run) for run in runs if (run[0].target, run[0].direction) != (kpi.target, kpi.direction)]


def kpi_chart(kpi, measurements, *, width=640, height=240, marks=None):
    """C1: the series of `kpi` (its measurements, any order) as safe SVG markup:
    a line with a point per value (filled circle: target met; hollow diamond:
    missed, each compared with the target it was recorded under), the target
    as a dashed line labelled with its value and unit, the axes with the unit,
    the direction, and `marks` ([(date, label)]) as labelled vertical lines."""
    points = sorted(measurements, key=lambda m: (m.period_end, m.period_start, m.pk or 0))
    marks = sorted(marks or [], key=lambda mark: mark[0])
    plot_left, plot_right = LEFT, width - RIGHT
    plot_top, plot_bottom = TOP, height - BOTTOM
    title_id = f"kpi-chart-{kpi.pk}-title"
    desc_id = f"kpi-chart-{kpi.pk}-desc"

    older = _older_targets(kpi, points)
    low, high, ticks = _y_scale(
        [float(m.value) for m in points] + [float(kpi.target)] + [float(k.target) for k, _f, _l in older]
    )

    def y_of(value):
        return plot_bottom - (float(value) - low) / (high - low) * (plot_bottom - plot_top)

    days = [m.period_end.toordinal() for m in points] + [d.toordinal() for d, _label in marks]
    first_day, last_day = (min(days), max(days)) if days else (0, 0)
    span = last_day - first_day

    def x_of(day: date):
        if span == 0:
            return (plot_left + plot_right) / 2
        inset = 12  # keep the first and last point off the axis
        return plot_left + inset + (day.toordinal() - first_day) / span * (plot_right - plot_left - 2 * inset)

    svg = _Svg()
    svg.add(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kpi-chart" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-labelledby="{title_id} {desc_id}" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, DejaVu Sans, sans-serif">'
    )
    svg.add(f'<title id="{title_id}">{escape(_("%(metric)s over time") % {"metric": kpi.metric})}</title>')
    svg.add(f'<desc id="{desc_id}">{escape(_description(kpi, points))}</desc>')

    # The direction, top left; the legend, top right.
    arrow = "↑" if kpi.direction == Kpi.Direction.HIGHER else "↓"
    svg.text(
        plot_left,
        16,
        f"{arrow} {direction_label(kpi).capitalize()}",
        weight="bold",
        css="kpi-chart__direction",
    )
    # The legend, right-aligned: its items laid out right to left (text widths estimated).
    svg.add('<g class="kpi-chart__legend" aria-hidden="true">')
    x = plot_right
    for kind, label in (("target", _("target")), ("missed", _("target missed")), ("met", _("target met"))):
        svg.text(x, 16, label, anchor="end", size=11, fill=MUTED)
        x -= len(label) * 6 + 10
        if kind == "target":
            svg.line(x - 12, 12, x + 4, 12, stroke=TARGET, width=2, dash="5 3")
            x -= 8
        else:
            svg.add(_point_markup(x, 12, 4.5, kind == "met", label, css="kpi-chart__key"))
        x -= 18
    svg.add("</g>")

    # The value axis: grid lines and round numbers, titled with the unit.
    step = ticks[1] - ticks[0]
    for tick in ticks:
        y = y_of(tick)
        svg.line(plot_left, y, plot_right, y, stroke=GRID, css="kpi-chart__grid")
        svg.text(plot_left - 8, y + 4, _tick_text(tick, step), anchor="end", size=11, fill=MUTED)
    svg.text(
        16,
        (plot_top + plot_bottom) / 2,
        kpi.unit or _("value"),
        anchor="middle",
        size=11,
        fill=MUTED,
        rotate=-90,
    )
    svg.line(plot_left, plot_top, plot_left, plot_bottom, stroke=MUTED, css="kpi-chart__axis")
    svg.line(plot_left, plot_bottom, plot_right, plot_bottom, stroke=MUTED, css="kpi-chart__axis")

    # The time axis: a few of the values' dates, and its title.
    if points:
        chosen = (
            sorted({round(i * (len(points) - 1) / 5) for i in range(6)})
            if len(points) > 6
            else range(len(points))
        )
        shown = set()
        for index in chosen:
            day = points[index].period_end
            label = _date_text(day, span)
            if label in shown:
                continue
            shown.add(label)
            x = x_of(day)
            svg.line(x, plot_bottom, x, plot_bottom + 4, stroke=MUTED)
            svg.text(x, plot_bottom + 17, label, anchor="middle", size=11, fill=MUTED)
    svg.text(
        (plot_left + plot_right) / 2, height - 8, _("end of period"), anchor="middle", size=11, fill=MUTED
    )

    # Earlier targets (values recorded under an earlier version of the plan).
    for earlier, first, last in older:
        y = y_of(earlier.target)
        x1, x2 = x_of(first.period_end) - 6, x_of(last.period_end) + 6
        svg.line(x1, y, x2, y, stroke=TARGET, width=1, dash="2 3", css="kpi-chart__earlier-target")
        svg.text(
            x1,
            y - 4,
            _("earlier target %(target)s") % {"target": target_text(earlier)},
            size=10,
            fill=TARGET,
            halo=True,
        )

    # The target in force: a dashed line with its value and unit.
    target_y = y_of(kpi.target)
    svg.line(
        plot_left, target_y, plot_right, target_y, stroke=TARGET, width=2, dash="7 4", css="kpi-chart__target"
    )
    label_y = target_y - 6 if target_y - 6 > plot_top + 10 else target_y + 15
    svg.text(
        plot_right - 4,
        label_y,
        _("Target %(target)s") % {"target": target_text(kpi)},
        anchor="end",
        size=12,
        fill=TARGET,
        weight="bold",
        css="kpi-chart__target-label",
        halo=True,
    )

    # Marks: labelled vertical lines (e.g. an improvement's baseline and result).
    for index, (day, label) in enumerate(marks):
        x = x_of(day)
        svg.line(x, plot_top, x, plot_bottom, stroke=MARK, width=1.5, dash="3 3", css="kpi-chart__mark")
        near_right = x > (plot_left + plot_right) / 2
        svg.text(
            x - 4 if near_right else x + 4,
            plot_top + 12 + 13 * (index % 2),
            label,
            anchor="end" if near_right else "start",
            size=11,
            fill=MARK,
            css="kpi-chart__mark-label",
            halo=True,
        )

    # The series: a line through the values, and a point per value.
    if len(points) > 1:
        coordinates = " ".join(f"{_fmt(x_of(m.period_end))},{_fmt(y_of(m.value))}" for m in points)
        svg.add(
            f'<polyline class="kpi-chart__line" points="{coordinates}" fill="none" stroke="{LINE}" '
            f'stroke-width="2" stroke-linejoin="round"/>'
        )
    radius = 4.5 if len(points) <= 40 else 3 if len(points) <= 120 else 2
    for m in points:
        met = m.met
        label = _("%(period)s: %(value)s %(unit)s, target %(state)s") % {
            "period": date_format(m.period_end, "j M Y"),
            "value": quantity(m.value),
            "unit": kpi.unit,
            "state": _("met") if met else _("missed"),
        }
        svg.add(_point_markup(x_of(m.period_end), y_of(m.value), radius, met, label))

    if not points:
        middle = (plot_top + plot_bottom) / 2
        svg.text(
            (plot_left + plot_right) / 2,
            middle if abs(middle - target_y) > 24 else target_y + 30,
            _("No values recorded yet"),
            anchor="middle",
            size=13,
            fill=MUTED,
            halo=True,
        )
    svg.add("</svg>")
    return mark_safe("".join(svg.parts))  # noqa: S308 - every text above is escaped
