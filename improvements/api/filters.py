"""The filters of Act's API lists: the register, projects, and the baseline
values, results and effectiveness checks of improvements.

The register's filter is the one its page uses (`improvements.selectors`),
with what only the API offers. Every filter validates its value: an unknown
status, a date that is not one, `overdue=maybe` or an improvement the user
may not see is a 400 naming the parameter, never a silently unfiltered list.
The choices a filter offers name only what the user may see. Ordering is a
filter too (`ordering`), so an unknown column is refused like any other
value; the register sorts as its page does (priority low to critical, status
in the workflow's order).
"""

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from accounts.roles import reads_everything
from plans.models import Plan, Process
from reviews.models import Finding, Review

from .. import selectors
from ..models import BaselineValue, EffectivenessCheck, Improvement, Project, ResultValue

User = get_user_model()


# -- shared pieces --------------------------------------------------------------------------------


class StrictBooleanField(forms.NullBooleanField):
    """true or false; anything else is refused (a plain BooleanFilter ignores it)."""

    widget = forms.TextInput

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in (True, "true", "True", "1"):
            return True
        if value in (False, "false", "False", "0"):
            return False
        raise forms.ValidationError(_("Say true or false."), code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class Ordering(django_filters.OrderingFilter):
    """`ordering=<column>` or `-<column>`, validated; ties keep the order of
    creation, so that pages never overlap."""

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.order_by(*(self.get_ordering_value(param) for param in value), "pk")


def visible_improvements(user):
    return Improvement.objects.visible_to(user)


def visible_processes(user):
    """Every process for who reads the whole SMS; staff the processes of the plans they may read."""
    if reads_everything(user):
        return Process.objects.all()
    plans = Plan.objects.visible_to(user).filter(process__isnull=False).values("process_id")
    return Process.objects.filter(pk__in=plans)


class UserFilterSet(django_filters.FilterSet):
    """A filter whose choices depend on who asks (`limit_choices`)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        if user is not None:
            self.limit_choices(user)

    def limit_choices(self, user):
        """Narrow the querysets of the choice filters to what `user` may see."""


def _improvement_filter(**kwargs):
    return django_filters.ModelChoiceFilter(
        queryset=Improvement.objects.all(),
        to_field_name="number",
        label=_("Improvement"),
        help_text=_("The improvement's number (I-<number>)."),
        **kwargs,
    )


# -- the register (A2) ------------------------------------------------------------------------------


def _sorts():
    names = list(selectors.REGISTER_SORTS)
    return [(sort, sort) for name in names for sort in (name, f"-{name}")]


class ImprovementFilter(selectors.ImprovementFilter):
    """The register's filter, the one its page uses (`selectors.ImprovementFilter`:
    search, status, scope, owner, process, source, priority, overdue), with what
    only the API offers: the finding, the required-by dates and the order."""

    overdue = StrictBooleanFilter(
        method="filter_overdue",
        label=_("Overdue"),
        help_text=_("Open, and its required-by date has passed."),
    )
    finding = django_filters.ModelChoiceFilter(
        queryset=Finding.objects.none(),
        label=_("Finding"),
        help_text=_("The id of the finding the improvement comes from (A2)."),
    )
    required_before = django_filters.DateFilter(
        field_name="required_by",
        lookup_expr="lte",
        label=_("Required on or before"),
    )
    required_after = django_filters.DateFilter(
        field_name="required_by",
        lookup_expr="gte",
        label=_("Required on or after"),
    )
    ordering = django_filters.ChoiceFilter(
        choices=_sorts(),
        method="filter_ordering",
        label=_("Order by"),
        help_text=_(
            "number, required_by, priority (low to critical) or status (in the workflow's order), as on "
            "the register page; a leading '-' reverses. Default: newest number first."
        ),
    )

    class Meta(selectors.ImprovementFilter.Meta):
        fields = [
            *selectors.ImprovementFilter.Meta.fields,
            "finding",
            "required_before",
            "required_after",
            "ordering",
        ]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        user = request.user
        super().__init__(data, queryset, request=request, prefix=prefix, user=user)
        self.filters["finding"].queryset = Finding.objects.filter(
            review__in=Review.objects.visible_to(user).values("pk")
        )

    def filter_ordering(self, queryset, name, value):
        # The page's order (`selectors.register_ordering`) on the ranks `selectors.register_rows` annotates.
        return queryset.order_by(*selectors.register_ordering(value)[0])


# -- projects (A3) ---------------------------------------------------------------------------------------


class ProjectFilter(UserFilterSet):
    status = django_filters.ChoiceFilter(choices=Project.Status.choices, label=_("Status"))
    manager = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Project manager"))
    improvement = _improvement_filter(field_name="improvements")
    ordering = Ordering(
        fields=(("name", "name"), ("starts_on", "starts_on"), ("ends_on", "ends_on"), ("status", "status")),
        label=_("Order by"),
        help_text=_("name, starts_on, ends_on or status; a leading '-' reverses. Default: by start."),
    )

    class Meta:
        model = Project
        fields = ["status", "manager", "improvement"]

    def limit_choices(self, user):
        self.filters["improvement"].queryset = visible_improvements(user)


# -- baseline values, results and effectiveness checks (A4, A5) ---------------------------------------


class ImprovementPartFilter(UserFilterSet):
    improvement = _improvement_filter()

    def limit_choices(self, user):
        self.filters["improvement"].queryset = visible_improvements(user)


class BaselineValueFilter(ImprovementPartFilter):
    class Meta:
        model = BaselineValue
        fields = ["improvement", "kpi", "from_measurements"]

    from_measurements = StrictBooleanFilter(
        label=_("From measurements"),
        help_text=_("Taken from the KPI's measurements (true) or entered with evidence (false)."),
    )


class ResultValueFilter(ImprovementPartFilter):
    class Meta:
        model = ResultValue
        fields = ["improvement", "kpi"]


class EffectivenessCheckFilter(ImprovementPartFilter):
    effective = StrictBooleanFilter(label=_("Effective"))

    class Meta:
        model = EffectivenessCheck
        fields = ["improvement", "effective"]
