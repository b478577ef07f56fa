"""The filters of Check's lists: review schedules, reviews, findings and actions.

`FindingFilter` is the one filter of finding lists, for the findings register
page (`reviews.selectors.findings_register`) and the API alike, as
`plans.filters.PlanFilter` is for plans. The choices a filter offers name
only what the user may see; who asks is the request's user in the API, the
`user` a selector passes for the pages.
"""

import datetime

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pdca.widgets import ListSelect
from plans.models import Plan, Process

from .. import selectors
from ..models import Finding, Review, ReviewAction, ReviewSchedule

User = get_user_model()


class UserFilterSet(django_filters.FilterSet):
    """A filter whose choices depend on who asks (`limit_choices`)."""

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, user=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        self.user = user if user is not None else getattr(request, "user", None)
        if self.user is not None:
            self.limit_choices(self.user)

    def limit_choices(self, user):
        """Narrow the querysets of the choice filters to what `user` may see."""


def _visible_plans(user):
    return Plan.objects.visible_to(user).values("pk")


def _visible_reviews(user):
    return Review.objects.visible_to(user).values("pk")


# -- review schedules (C2) --------------------------------------------------------------------


class ScheduleFilter(UserFilterSet):
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("Overdue"), help_text=_("The next review's date has passed.")
    )
    due_before = django_filters.DateFilter(
        field_name="next_planned_on",
        lookup_expr="lte",
        label=_("Due on or before"),
        help_text=_("The next review is due on or before this date."),
    )

    class Meta:
        model = ReviewSchedule
        fields = ["plan", "reviewer", "overdue", "due_before"]

    def limit_choices(self, user):
        self.filters["plan"].queryset = Plan.objects.filter(pk__in=_visible_plans(user))

    def filter_overdue(self, queryset, name, value):
        overdue = Q(next_planned_on__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


# -- reviews (C3, C4) -------------------------------------------------------------------------


class ReviewFilter(UserFilterSet):
    kind = django_filters.ChoiceFilter(choices=Review.Kind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=Review.Status.choices, label=_("Status"))
    process = django_filters.ModelChoiceFilter(
        field_name="processes",
        queryset=Process.objects.all(),
        label=_("Process"),
        help_text=_("A process the review covers."),
    )
    planned_on = django_filters.DateFromToRangeFilter(
        label=_("Planned between"),
        help_text=_("`planned_on_after` and `planned_on_before`, both inclusive."),
    )
    awaiting_my_approval = django_filters.BooleanFilter(
        method="filter_awaiting_my_approval",
        label=_("Awaiting my approval"),
        help_text=_("Submitted, and you may approve or return it (C4)."),
    )

    class Meta:
        model = Review
        fields = ["kind", "status", "plan", "process", "reviewer", "planned_on", "awaiting_my_approval"]

    def limit_choices(self, user):
        self.filters["plan"].queryset = Plan.objects.filter(pk__in=_visible_plans(user))

    def filter_awaiting_my_approval(self, queryset, name, value):
        mine = selectors.awaiting_decision(self.user).values("pk")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)


# -- findings (C6) ------------------------------------------------------------------------------

AGES = [
    ("30", _("Older than 30 days")),
    ("90", _("Older than 90 days")),
    ("180", _("Older than 180 days")),
    ("365", _("Older than a year")),
]


class FindingFilter(UserFilterSet):
    """Filters of finding lists: the register page offers `PAGE_FILTERS`, the API all."""

    grade = django_filters.ChoiceFilter(
        choices=Finding.Grade.choices, label=_("Grade"), empty_label=_("Any grade")
    )
    process = django_filters.ModelChoiceFilter(
        queryset=Process.objects.all(),
        label=_("Process"),
        empty_label=_("Any process"),
        null_label=_("No single process"),
        widget=ListSelect,  # the register's filter offers every process: a thousand at scale
    )
    review = django_filters.ModelChoiceFilter(queryset=Review.objects.all(), label=_("Review"))
    review_kind = django_filters.ChoiceFilter(
        field_name="review__kind",
        choices=Review.Kind.choices,
        label=_("Kind of review"),
        empty_label=_("Any kind"),
    )
    status = django_filters.ChoiceFilter(
        choices=Finding.Status.choices, label=_("Open or closed"), empty_label=_("Open and closed")
    )
    older_than = django_filters.ChoiceFilter(
        choices=AGES,
        method="filter_older_than",
        label=_("Age"),
        empty_label=_("Any age"),
        help_text=_("Raised more than this many days ago."),
    )
    raised_after = django_filters.DateFilter(
        field_name="raised_at",
        lookup_expr="date__gte",
        label=_("Raised on or after"),
    )
    raised_before = django_filters.DateFilter(
        field_name="raised_at",
        lookup_expr="date__lte",
        label=_("Raised on or before"),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("Search"),
        help_text=_("Words in the description or the evidence."),
    )

    class Meta:
        model = Finding
        fields = [
            "grade",
            "process",
            "review",
            "review_kind",
            "status",
            "older_than",
            "raised_after",
            "raised_before",
            "search",
        ]

    # The filters the register page offers, in its order.
    PAGE_FILTERS = ("search", "grade", "process", "review_kind", "status", "older_than")

    def limit_choices(self, user):
        reviews = _visible_reviews(user)
        self.filters["review"].queryset = Review.objects.filter(pk__in=reviews)
        # A set and an EXISTS, not DISTINCT over two OR-ed joins (every finding's row).
        self.filters["process"].queryset = Process.objects.filter(
            Q(pk__in=Plan.objects.filter(pk__in=_visible_plans(user)).values("process_id"))
            | Exists(Finding.objects.filter(process=OuterRef("pk"), review__in=reviews))
        ).order_by("name")

    def filter_older_than(self, queryset, name, days):
        return queryset.filter(raised_at__date__lt=timezone.localdate() - datetime.timedelta(days=int(days)))

    def filter_search(self, queryset, name, value):
        words = value.split()
        for word in words:
            queryset = queryset.filter(Q(description__icontains=word) | Q(evidence__icontains=word))
        return queryset


# -- actions (C4) -------------------------------------------------------------------------------


class ActionFilter(UserFilterSet):
    due_before = django_filters.DateFilter(
        field_name="due_on", lookup_expr="lte", label=_("Due on or before")
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=_("Overdue"), help_text=_("Open, and its due date has passed.")
    )

    class Meta:
        model = ReviewAction
        fields = ["review", "owner", "status", "due_before", "overdue"]

    def limit_choices(self, user):
        self.filters["review"].queryset = Review.objects.filter(
            Q(pk__in=_visible_reviews(user)) | Q(actions__owner=user)
        ).distinct()

    def filter_overdue(self, queryset, name, value):
        overdue = Q(status=ReviewAction.Status.OPEN, due_on__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
