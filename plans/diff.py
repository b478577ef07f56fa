"""P4: compare two versions of a plan, part by part, as the reader sees them.

Each section's Markdown is rendered and sanitised (`pdca.markdown`); lxml's
`htmldiff` (a maintained word-level HTML diff) marks the words that changed
with <ins> and <del>. Objectives with their KPIs and the responsibilities are
rendered as lists and compared the same way. Every result is sanitised again,
so that only the tags a section may have (ins and del among them) reach the
page, whatever the diff did with the markup.

Each part is shown inline (one text, deletions and insertions marked) or side
by side (the old version with its deletions, the new one with its
insertions, each in its own structure). The API also keeps the line-by-line
comparison of the Markdown source (`rows`).
"""

import difflib
from dataclasses import dataclass, field

import nh3
from django.db.models import Prefetch, prefetch_related_objects
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from lxml.html import fragment_fromstring, tostring
from lxml.html.diff import htmldiff

from pdca.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown


@dataclass
class SectionDiff:
    key: str
    title: str
    changed: bool
    rows: list = field(
        default_factory=list
    )  # (kind, left_html, right_html) of the source; kind: same|changed|added|removed
    old_text: str = ""
    new_text: str = ""
    inline: str = ""  # the rendered new text with <ins> and <del>
    old_html: str = ""  # the rendered old text, deleted words in <del>
    new_html: str = ""  # the rendered new text, inserted words in <ins>

    @property
    def unified(self):
        return [row for row in self.rows if row[0] != "same"]


# -- the rendered comparison ------------------------------------------------------------


def _sanitise(html):
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def _tidy(html, drop=None, rename=None):
    """`html` without the elements tagged `drop` (and their text), with the
    remaining marks renamed by `rename` (old, new), and without the marks and
    list items or paragraphs that are left empty. Done on lxml's tree."""
    if not html.strip():
        return ""
    root = fragment_fromstring(html, create_parent="div")
    if drop:
        for element in list(root.iter(drop)):
            element.drop_tree()
    if rename:
        for element in root.iter(rename[0]):
            element.tag = rename[1]
    emptied = ("ins", "del", "li", "p") if drop else ("ins", "del")
    for element in list(root.iter(*emptied)):
        if not len(element) and not (element.text or "").strip():
            element.drop_tree()
    inner = tostring(root, encoding="unicode", method="html")
    return inner[len("<div>") : -len("</div>")].strip()


def rendered_diff(old_html, new_html):
    """(inline, old side, new side) of two sanitised HTML fragments, as safe HTML."""
    if old_html == new_html:
        same = mark_safe(_sanitise(new_html))
        return same, same, same
    forward = htmldiff(old_html, new_html) if (old_html.strip() or new_html.strip()) else ""
    # The old side keeps the old text's structure: the diff taken the other
    # way round, its insertions (what only the old text has) shown as deletions.
    backward = htmldiff(new_html, old_html) if old_html.strip() else ""
    inline = _sanitise(_tidy(forward))
    new_side = _sanitise(_tidy(forward, drop="del"))
    old_side = _sanitise(_tidy(backward, drop="del", rename=("ins", "del")))
    return mark_safe(inline), mark_safe(old_side), mark_safe(new_side)


# -- the source comparison (API rows) --------------------------------------------------


def _inline(a, b):
    """Word-level highlight of the differences between two lines of source."""
    a_words, b_words = a.split(" "), b.split(" ")
    left, right = [], []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a_words, b_words, autojunk=False).get_opcodes():
        old, new = escape(" ".join(a_words[i1:i2])), escape(" ".join(b_words[j1:j2]))
        if op == "equal":
            left.append(old)
            right.append(new)
        else:
            if old:
                left.append(f"<del>{old}</del>")
            if new:
                right.append(f"<ins>{new}</ins>")
    return mark_safe(" ".join(left)), mark_safe(" ".join(right))


def diff_text(old, new):
    old_lines, new_lines = (old or "").splitlines(), (new or "").splitlines()
    rows = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [("same", escape(line), escape(line)) for line in old_lines[i1:i2]]
        elif op == "replace":
            pairs = max(i2 - i1, j2 - j1)
            for k in range(pairs):
                a = old_lines[i1 + k] if i1 + k < i2 else None
                b = new_lines[j1 + k] if j1 + k < j2 else None
                if a is not None and b is not None:
                    rows.append(("changed", *_inline(a, b)))
                elif a is not None:
                    rows.append(("removed", escape(a), ""))
                else:
                    rows.append(("added", "", escape(b)))
        elif op == "delete":
            rows += [("removed", escape(line), "") for line in old_lines[i1:i2]]
        elif op == "insert":
            rows += [("added", "", escape(line)) for line in new_lines[j1:j2]]
    return rows


# -- objectives and responsibilities, as text and as HTML --------------------------------


def _kpi_line(kpi):
    return _(
        "KPI: %(metric)s, target %(target)s %(unit)s (%(direction)s), %(frequency)s, owner %(owner)s"
    ) % {
        "metric": kpi.metric,
        "target": f"{kpi.target:g}",
        "unit": kpi.unit,
        "direction": kpi.get_direction_display().lower(),
        "frequency": kpi.get_frequency_display().lower(),
        "owner": kpi.owner,
    }


def _trace(objective):
    return _(" → SMP %(code)s") % {"code": objective.traces_to.code} if objective.traces_to_id else ""


def _objectives_text(version):
    lines = []
    for objective in version.objectives.all():
        lines.append(f"{objective.code} {objective.title}{_trace(objective)}")
        if objective.description:
            lines.append(f"    {objective.description}")
        for kpi in objective.kpis.all():
            lines.append(f"    {_kpi_line(kpi)}")
    return "\n".join(lines)


def _objectives_html(version):
    items = []
    for objective in version.objectives.all():
        kpis = format_html_join("", "<li>{}</li>", ((_kpi_line(kpi),) for kpi in objective.kpis.all()))
        items.append(
            format_html(
                "<li><strong>{}</strong> {}{}{}{}</li>",
                objective.code,
                objective.title,
                _trace(objective),
                format_html("<p>{}</p>", objective.description) if objective.description else "",
                format_html("<ul>{}</ul>", kpis) if kpis else "",
            )
        )
    return format_html("<ul>{}</ul>", mark_safe("".join(items))) if items else ""


def _responsibility_lines(version):
    by_kind = {}
    for responsibility in version.responsibilities.all():
        by_kind.setdefault(responsibility.kind, []).append(str(responsibility.user))
    return [
        (str(label), ", ".join(sorted(by_kind.get(kind, []))) or "—")
        for kind, label in version.plan.responsibility_kinds
    ]


def _responsibilities_text(version):
    return "\n".join(f"{label}: {people}" for label, people in _responsibility_lines(version))


def _responsibilities_html(version):
    return format_html(
        "<ul>{}</ul>",
        format_html_join("", "<li><strong>{}:</strong> {}</li>", _responsibility_lines(version)),
    )


def compare_versions(old, new):
    """A list of SectionDiff, one per section, plus objectives and responsibilities."""
    from .models import Kpi, Objective, Responsibility

    # The parts of both versions in a fixed number of queries, however many objectives.
    prefetch_related_objects(
        [old, new],
        Prefetch(
            "objectives",
            queryset=Objective.objects.select_related("traces_to").prefetch_related(
                Prefetch("kpis", queryset=Kpi.objects.select_related("owner"))
            ),
        ),
        Prefetch("responsibilities", queryset=Responsibility.objects.select_related("user")),
    )
    result = []
    for key, title, _guidance in new.plan.section_definitions:
        a, b = old.sections.get(key, ""), new.sections.get(key, "")
        inline, left, right = rendered_diff(render_markdown(a), render_markdown(b))
        result.append(SectionDiff(key, title, a != b, diff_text(a, b), a, b, inline, left, right))
    for key, title, as_text, as_html in (
        ("objectives", _("Objectives and KPIs"), _objectives_text, _objectives_html),
        ("responsibilities", _("Responsibilities"), _responsibilities_text, _responsibilities_html),
    ):
        a, b = as_text(old), as_text(new)
        inline, left, right = rendered_diff(as_html(old), as_html(new))
        result.append(SectionDiff(key, title, a != b, diff_text(a, b), a, b, inline, left, right))
    return result
