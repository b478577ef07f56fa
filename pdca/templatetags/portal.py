from django import template
from django.utils.safestring import mark_safe

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
    from decimal import Decimal, InvalidOperation

    from django.utils.formats import number_format

    if value in (None, ""):
        return ""
    try:
        number = Decimal(str(value)).normalize()
    except InvalidOperation:
        return value
    exponent = number.as_tuple().exponent
    places = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return number_format(number, decimal_pos=places)
