"""The API's filter backend (`DEFAULT_FILTER_BACKENDS`) and paging
(`DEFAULT_PAGINATION_CLASS`): a list's invalid query parameter is refused with
a 400 that names it, where django-filter or DRF would ignore it and answer the
whole list.

A module of its own: DRF imports the classes named in the settings while
importing its generic views, so this module imports none of them.
"""

import re

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

BOOLEAN_VALUES = {"true", "false", "True", "False", "1", "0"}
INTEGER = re.compile(r"^-?[0-9]+$")


class FilterBackend(DjangoFilterBackend):
    """The API's filter backend (`DEFAULT_FILTER_BACKENDS`): django-filter's,
    with each query parameter of a filter held to the type the schema gives it
    before the filter runs. django-filter reads an empty value, `true` spelt
    otherwise or `0.5` for an id as "no filter" and answers the whole list; here
    they are a 400 naming the parameter."""

    def filter_queryset(self, request, queryset, view):
        # A list's filters narrow lists; a detail, an action or an update
        # answers about the object its URL names (DRF would filter those too:
        # an archived plan, left out of lists by default, would be a 404).
        if getattr(view, "action", "list") not in ("list", None):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = filter_errors(filterset, request.query_params)
            if errors:
                raise ValidationError(errors)
        return filterset


def filter_errors(filterset, params):
    """{parameter: [message]} for the query parameters of `filterset`'s filters
    whose value its type does not allow."""
    errors = {}
    model = filterset._meta.model or filterset.queryset.model
    for name, filter_ in filterset.filters.items():
        field = filter_.field
        widget = field.widget
        suffixes = getattr(widget, "suffixes", None)
        if suffixes:  # a range: `<name>_after`, `<name>_before`, each of its own type
            parts = zip((widget.suffixed(name, s) for s in suffixes), field.fields, strict=False)
        else:
            parts = [(name, field)]
        multiple = isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField)
        for param, part in parts:
            values = params.getlist(param)
            if not values:
                continue
            message = _filter_value_error(values, part, multiple, model, filter_)
            if message:
                errors[param] = [message]
    return errors


def _filter_value_error(values, field, multiple, model, filter_):
    if len(values) > 1 and not multiple:
        return _("Give this parameter once.")
    for value in values:
        if value == "" and (isinstance(field, forms.UUIDField) or not isinstance(field, forms.CharField)):
            return _("Give a value, or leave the parameter out.")
        if isinstance(field, forms.NullBooleanField) and value not in BOOLEAN_VALUES:
            return _("Give true or false.")
        if (
            isinstance(field, forms.DecimalField)
            and _integer_field(model, filter_.field_name)
            and not INTEGER.match(value)
        ):
            return _("Give a whole number.")
    return None


def _integer_field(model, field_name):
    """Whether the model field a filter compares is an integer (an id included)."""
    try:
        model_field = get_model_field(model, field_name)
    except FieldDoesNotExist:
        return False
    if model_field is None:
        return False
    if model_field.is_relation:
        model_field = model_field.target_field
    return isinstance(model_field, models.IntegerField)


class Pagination(PageNumberPagination):
    """The API's paging (`DEFAULT_PAGINATION_CLASS`): DRF's, with `page` given at
    most once and never empty (DRF would read the last one, or page 1); a page
    that is not a number or past the end stays DRF's 404."""

    def paginate_queryset(self, queryset, request, view=None):
        values = request.query_params.getlist(self.page_query_param)
        if len(values) > 1:
            raise ValidationError({self.page_query_param: [_("Give this parameter once.")]})
        if values == [""]:
            raise ValidationError({self.page_query_param: [_("Give a value, or leave the parameter out.")]})
        return super().paginate_queryset(queryset, request, view)
