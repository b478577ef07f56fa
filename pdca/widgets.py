"""Form widgets and choices shared by the apps, for lists of choices that
are long at scale (every process, every KPI in force, every open improvement).

`ListSelect` is Django's `Select` written out in Python instead of through a
template per option: the same markup, but a filter of a thousand processes or
owners renders in a few milliseconds rather than in a hundred (the template
engine's include per option dominated the review calendar and the
improvement register at scale).
"""

from html import escape

from django import forms
from django.forms.models import ModelChoiceIterator, ModelChoiceIteratorValue
from django.utils.safestring import mark_safe


def _escape(value):
    """`conditional_escape` without its lazy-string wrapper, which cost more
    than the escaping itself at a thousand options."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return escape(str(value))


def _attrs(attrs):
    """The attributes as Django's `attrs.html` writes them: `False` leaves one
    out, `True` writes its name alone."""
    return "".join(
        f" {_escape(name)}" if value is True else f' {_escape(name)}="{_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListSelect(forms.Select):
    """`forms.Select` with the markup of `django/forms/widgets/select.html`
    and `select_option.html`, built without a template per option."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<select name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
        for group_name, group_choices, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{_escape(group_name)}">')
            parts.extend(
                f'\n  <option value="{_escape(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_escape(option['label'])}</option>\n"
                for option in group_choices
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))


class ListCheckboxes(forms.CheckboxSelectMultiple):
    """`forms.CheckboxSelectMultiple` whose options (`{{ choice.tag }}` in a
    choice group) are written in Python with the markup of
    `django/forms/widgets/checkbox_option.html`: a thousand processes to tick
    cost a template rendering each otherwise."""

    def _render(self, template_name, context, renderer=None):
        if template_name != self.option_template_name:
            return super()._render(template_name, context, renderer)
        option = context["widget"]
        value = "" if option["value"] is None else f' value="{_escape(option["value"])}"'
        html = f'<input type="{_escape(option["type"])}" name="{_escape(option["name"])}"{value}'
        html += f"{_attrs(option['attrs'])}>"
        if option.get("wrap_label"):
            label_for = option["attrs"].get("id")
            label_for = f' for="{_escape(label_for)}"' if label_for else ""
            html = f"<label{label_for}>{html}\n {_escape(option['label'])}</label>"
        return mark_safe(html)


class ValuesChoiceIterator(ModelChoiceIterator):
    """The choices of a model choice field read as rows of values, not as
    model instances (thousands of KPIs with their objective, version and plan
    cost more to build than to render). The field names the columns its
    label needs (`label_values`) and writes the label (`label_from_values`;
    or the function its `values_labeller()` returns, which may ask once what
    every label needs, e.g. the language)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        labeller = getattr(self.field, "values_labeller", None)
        label = labeller() if labeller else self.field.label_from_values
        for pk, *values in self.queryset.values_list("pk", *self.field.label_values):
            yield ModelChoiceIteratorValue(pk, None), label(*values)


class _NameChoices:
    """Options that are the rows' names (a process), read as values
    (`ValuesChoiceIterator`): a thousand processes are cheaper as rows of two
    columns than as model instances."""

    iterator = ValuesChoiceIterator
    label_values = ("name",)

    def label_from_values(self, name):
        return name


class NameChoiceField(_NameChoices, forms.ModelChoiceField):
    """A model choice of one row, named by its name."""


class NamesChoiceField(_NameChoices, forms.ModelMultipleChoiceField):
    """A model choice of several rows, named by their names."""
