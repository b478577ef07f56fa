"""The one filter of plan lists, for the plans page and the API alike."""

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from .models import Plan, PlanVersion, Process

User = get_user_model()


def _visible_plans(request):
    return Plan.objects.visible_to(request.user).values("pk")


class PlanFilter(django_filters.FilterSet):
    """Filters of plan lists. `status` is where the work on a plan stands: the
    status of its newest version that the user may see (a plan with an
    approved version and a newer draft is a draft). Choices only name what
    the user may see."""

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        help_text=_("Words in the title, the process or the owner's name."),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=PlanVersion.Status.choices,
        method="filter_status",
        empty_label=_("Any status"),
        help_text=_("The status of the newest version (that you may see)."),
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=Plan.Kind.choices, empty_label=_("Any kind"))
    process = django_filters.ModelChoiceFilter(
        label=_("Process"),
        queryset=lambda request: Process.objects.filter(plan__in=_visible_plans(request)),
        empty_label=_("Any process"),
    )
    owner = django_filters.ModelChoiceFilter(
        label=_("Owner"),
        field_name="process__owner",
        empty_label=_("Anyone"),
        help_text=_("The process owner (user id in the API)."),
        queryset=lambda request: (
            User.objects.filter(is_active=True, owned_processes__plan__in=_visible_plans(request))
            .distinct()
            .order_by("last_name", "first_name", "username")
        ),
    )
    conformance_review_due = django_filters.BooleanFilter(label=_("Conformance review due"))
    archived = django_filters.ChoiceFilter(
        label=_("Archived plans"),
        choices=[("include", _("In use and archived")), ("only", _("Archived only"))],
        method="filter_archived",
        empty_label=_("In use only"),
        help_text=_("Archived plans are left out unless asked for."),
    )

    class Meta:
        model = Plan
        fields = ["q", "status", "kind", "process", "owner", "conformance_review_due", "archived"]

    # The filters the plans page offers (the API offers all). A search field
    # rather than a list of every process and owner: the page stays small
    # with a thousand plans.
    PAGE_FILTERS = ("q", "status", "kind", "archived")

    def __init__(self, data=None, *args, **kwargs):
        # Bound even without parameters, so that the default (plans in use)
        # applies to the plans page as to the API.
        super().__init__(data if data is not None else {}, *args, **kwargs)

    def filter_queryset(self, queryset):
        # Without `archived`, lists show the plans in use (its method runs
        # only when a value is given).
        if not self.form.cleaned_data.get("archived"):
            queryset = queryset.filter(archived_at__isnull=True)
        return super().filter_queryset(queryset)

    def filter_archived(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=False) if value == "only" else queryset

    def filter_search(self, queryset, name, value):
        """Every word must occur in the title, the process name or the owner's name."""
        for word in value.split()[:10]:
            queryset = queryset.filter(
                Q(title__icontains=word)
                | Q(process__name__icontains=word)
                | Q(process__owner__first_name__icontains=word)
                | Q(process__owner__last_name__icontains=word)
                | Q(process__owner__username__icontains=word)
            )
        return queryset

    def filter_status(self, queryset, name, value):
        visible = PlanVersion.objects.visible_to(self.request.user).values("pk")
        newest = (
            PlanVersion.objects.filter(plan=OuterRef("pk"), pk__in=visible)
            .order_by("-number")
            .values("status")[:1]
        )
        return queryset.annotate(newest_status=Subquery(newest)).filter(newest_status=value)
