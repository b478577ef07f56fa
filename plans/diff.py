"""P4: compare two versions of a plan section by section."""

import difflib
from dataclasses import dataclass, field

from django.db.models import Prefetch, prefetch_related_objects
from django.utils.html import escape
from django.utils.safestring import mark_safe

from .sections import SECTION_TITLES


@dataclass
class SectionDiff:
    key: str
    title: str
    changed: bool
    rows: list = field(
        default_factory=list
    )  # (kind, left_html, right_html); kind: same|changed|added|removed
    old_text: str = ""
    new_text: str = ""

    @property
    def unified(self):
        return [row for row in self.rows if row[0] != "same"]


def _inline(a, b):
    """Word-level highlight of the differences between two lines."""
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


def _objectives_text(version):
    lines = []
    for objective in version.objectives.all():
        trace = f" → SMP {objective.traces_to.code}" if objective.traces_to_id else ""
        lines.append(f"{objective.code} {objective.title}{trace}")
        if objective.description:
            lines.append(f"    {objective.description}")
        for kpi in objective.kpis.all():
            lines.append(
                f"    KPI: {kpi.metric}, target {kpi.target:g} {kpi.unit} ({kpi.get_direction_display().lower()}), "
                f"{kpi.get_frequency_display().lower()}, owner {kpi.owner}"
            )
    return "\n".join(lines)


def _responsibilities_text(version):
    by_kind = {}
    for responsibility in version.responsibilities.all():
        by_kind.setdefault(responsibility.kind, []).append(str(responsibility.user))
    return "\n".join(
        f"{label}: {', '.join(sorted(by_kind.get(kind, []))) or '—'}"
        for kind, label in version.plan.responsibility_kinds
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
    for key, title, _ in new.plan.section_definitions:
        a, b = old.sections.get(key, ""), new.sections.get(key, "")
        result.append(SectionDiff(key, SECTION_TITLES.get(key, title), a != b, diff_text(a, b), a, b))
    for key, title, render in (
        ("objectives", "Objectives and KPIs", _objectives_text),
        ("responsibilities", "Responsibilities", _responsibilities_text),
    ):
        a, b = render(old), render(new)
        result.append(SectionDiff(key, title, a != b, diff_text(a, b), a, b))
    return result
