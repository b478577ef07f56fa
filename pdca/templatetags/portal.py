from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from pdca import quantities
from pdca.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """Render user-written Markdown as sanitised HTML."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3


@register.filter(name="quantity")
def quantity_filter(value):
    """A measured or target value with its meaningful precision: 4.2, not
    4.2000; 95, not 95.0000 (localised decimal separator)."""
    return quantities.quantity(value)


@register.filter(name="target")
def target_filter(item):
    """A KPI's target as people read it: “≥ 4.2 points”. `item` is anything
    with `direction`, `target` and `unit` (a KPI, an attainment row, a dict)."""

    def read(name):
        return item.get(name) if isinstance(item, dict) else getattr(item, name, None)

    return quantities.target_text(read("direction"), read("target"), read("unit"))


@register.filter(name="choice_labels")
def choice_labels(field):
    """The options of a checkbox group, each `<label class="choice">` holding
    its box and its label, written in Python: a group of a thousand processes
    costs a template loop per option otherwise (see `pdca.widgets`)."""
    return mark_safe(
        "".join(
            f'<label class="choice">{choice.tag()} {conditional_escape(choice.choice_label)}</label>'
            for choice in field
        )
    )
