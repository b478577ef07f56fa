"""The filters of the API's version and acknowledgement lists.

Plan lists are filtered by `plans.filters.PlanFilter`, shared with the plans
page; these two lists exist only in the API (the pages show versions and
acknowledgements on their plan's page).
"""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from ..models import Acknowledgement, PlanVersion


class VersionFilter(filters.FilterSet):
    awaiting_my_approval = filters.BooleanFilter(
        method="filter_awaiting_my_approval",
        label=_("In review with me as the named approver"),
    )

    class Meta:
        model = PlanVersion
        fields = ["plan", "status", "number"]

    def filter_awaiting_my_approval(self, queryset, name, value):
        mine = PlanVersion.objects.awaiting_approval_by(self.request.user).values("pk")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)


class AcknowledgementFilter(filters.FilterSet):
    """P6: who has and has not acknowledged a communicated version."""

    acknowledged = filters.BooleanFilter(method="filter_acknowledged", label=_("Has acknowledged"))

    class Meta:
        model = Acknowledgement
        fields = ["version", "user"]

    def filter_acknowledged(self, queryset, name, value):
        return queryset.filter(acknowledged_at__isnull=not value)
