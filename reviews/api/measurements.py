"""C1 in the REST API: /api/v1/measurements/.

Reads: everybody who reads the whole SMS reads every measurement; staff read
the measurements of KPIs of plans they can read (`measurements_visible_to`).
Anything else is a 404. Writes go through `reviews.measurements`, the same
functions as the pages: who may record, the version in force, one value per
period, all or nothing for a bulk entry; a refusal is `{"detail", "errors"}`
with 400, 403 or 409 (`pdca.api.exception_handler`).
"""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from accounts.roles import is_read_only
from pdca.api import ServiceViewSet, refusals
from pdca.exceptions import NotAllowed
from plans.api.serializers import PersonSerializer
from plans.models import Kpi, Plan, PlanVersion

from .. import measurements
from ..models import Measurement

User = get_user_model()

VALUE_HELP = gettext_lazy("A number; a decimal comma is accepted (“97,5”).")
REVISION_HELP = gettext_lazy(
    "The measurement's `revision` as you read it; a correction based on an older one is refused with 409."
)


# -- what goes out ------------------------------------------------------------------------


class MeasurementSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="kpi.objective.version.plan_id", read_only=True)
    version = serializers.IntegerField(
        source="kpi.objective.version.number",
        read_only=True,
        help_text=gettext_lazy("The number of the plan version the value was recorded under."),
    )
    metric = serializers.CharField(source="kpi.metric", read_only=True)
    unit = serializers.CharField(source="kpi.unit", read_only=True)
    target = serializers.DecimalField(
        source="kpi.target",
        max_digits=14,
        decimal_places=4,
        read_only=True,
        help_text=gettext_lazy("The target of the version the value was recorded under."),
    )
    direction = serializers.CharField(source="kpi.direction", read_only=True)
    met = serializers.BooleanField(
        read_only=True, help_text=gettext_lazy("Whether the value meets that target.")
    )
    recorded_by = PersonSerializer(read_only=True)
    revision = serializers.SerializerMethodField(help_text=REVISION_HELP)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "kpi",
            "kpi_key",
            "plan",
            "version",
            "metric",
            "unit",
            "target",
            "direction",
            "period_start",
            "period_end",
            "value",
            "met",
            "source",
            "note",
            "recorded_by",
            "recorded_at",
            "revision",
        ]
        read_only_fields = fields

    def get_revision(self, measurement) -> str:
        return measurements.measurement_revision(measurement)


# -- what comes in ------------------------------------------------------------------------
# Shape and type only: what is allowed, and whether the period is free, is for
# the services, which say so with their own messages.


class VisibleKpiField(serializers.PrimaryKeyRelatedField):
    """A KPI id, of a plan version the user may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Kpi.objects.all(), **kwargs)

    def get_queryset(self):
        visible = PlanVersion.objects.visible_to(self.context["request"].user).values("pk")
        return measurements.recording_queryset().filter(objective__version__in=visible)


class MeasurementCreateSerializer(serializers.Serializer):
    kpi = VisibleKpiField(help_text=gettext_lazy("A KPI of the version in force of its plan."))
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    value = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text=VALUE_HELP)
    source = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class MeasurementUpdateSerializer(serializers.Serializer):
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    value = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text=VALUE_HELP)
    source = serializers.CharField(required=False, allow_blank=True, max_length=200)
    note = serializers.CharField(required=False, allow_blank=True)
    revision = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text=REVISION_HELP)


class BulkValueSerializer(serializers.Serializer):
    kpi = serializers.IntegerField(
        min_value=1, help_text=gettext_lazy("A KPI of the plan's version in force.")
    )
    value = serializers.CharField(allow_blank=True, max_length=40, help_text=VALUE_HELP)


class BulkCreateSerializer(serializers.Serializer):
    plan = serializers.IntegerField(min_value=1)
    period_start = serializers.DateField(required=False, allow_null=True)
    period_end = serializers.DateField(required=False, allow_null=True)
    values = BulkValueSerializer(
        many=True, help_text=gettext_lazy("One value per KPI; empty values are skipped.")
    )
    source = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate_values(self, values):
        seen = set()
        for item in values:
            if item["kpi"] in seen:
                raise ValidationError(_("KPI %(id)s is given twice.") % {"id": item["kpi"]})
            seen.add(item["kpi"])
        return values


class MeasurementFilter(filters.FilterSet):
    kpi = filters.NumberFilter(
        field_name="kpi", help_text=gettext_lazy("The KPI of one version (see `kpi_key` for the series).")
    )
    kpi_key = filters.UUIDFilter(help_text=gettext_lazy("The KPI's series across the versions of its plan."))
    plan = filters.NumberFilter(
        field_name="kpi__objective__version__plan", help_text=gettext_lazy("A plan id.")
    )
    period_end = filters.DateFromToRangeFilter(
        help_text=gettext_lazy("`period_end_after` and `period_end_before` (YYYY-MM-DD), both inclusive.")
    )
    recorded_by = filters.NumberFilter(field_name="recorded_by", help_text=gettext_lazy("A user id."))

    class Meta:
        model = Measurement
        fields = ["kpi", "kpi_key", "plan", "period_end", "recorded_by"]


# -- the viewset ------------------------------------------------------------------------------


def _refuse_read_only(user):
    """Auditors are told so before anything they sent is looked at."""
    if is_read_only(user):
        raise NotAllowed(_("Auditors read measurements but do not record them."))


@extend_schema_view(
    list=extend_schema(responses={200: MeasurementSerializer(many=True), **refusals(400)}),
    retrieve=extend_schema(responses={200: MeasurementSerializer, **refusals(404)}),
)
class MeasurementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """C1: the values of KPIs over time, each compared with the target it was
    recorded under. Filter a KPI's whole series with `kpi_key`."""

    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilter
    ordering_fields = ["period_end", "recorded_at", "value"]
    ordering = ["-period_end", "-pk"]
    queryset = Measurement.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Measurement.objects.none()
        return measurements.measurements_visible_to(self.request.user).select_related(
            "kpi__objective__version", "recorded_by"
        )

    @extend_schema(
        request=MeasurementCreateSerializer,
        responses={201: MeasurementSerializer, **refusals(400, 403, 409)},
        description="C1: record a value of a KPI for a period, by the KPI's owner, its operator or the "
        "process owner (top management for the SMP). Only KPIs of the version in force; one value per "
        "period (an overlapping period is refused).",
    )
    def create(self, request):
        _refuse_read_only(request.user)
        data = self._valid(MeasurementCreateSerializer)
        created = measurements.record_measurement(
            kpi=data["kpi"],
            actor=request.user,
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            value=data.get("value", ""),
            source=data["source"],
            note=data["note"],
        )
        return self._respond(created, status.HTTP_201_CREATED)

    @extend_schema(
        request=MeasurementUpdateSerializer,
        responses={200: MeasurementSerializer, **refusals(400, 403, 404, 409)},
        description="C1: correct a value (the fields given; the others stay), by those who may record "
        "the KPI's series now. The history keeps what it said before.",
    )
    def update(self, request, pk=None):
        _refuse_read_only(request.user)
        measurement = self.get_object()
        # Who may correct comes first: who may only read learns nothing from a 400.
        refusal = measurements.correction_refusal(request.user, measurement)
        if refusal:
            raise NotAllowed(refusal)
        data = self._valid(MeasurementUpdateSerializer)
        current = {
            "period_start": measurement.period_start,
            "period_end": measurement.period_end,
            "value": measurement.value,
            "source": measurement.source,
            "note": measurement.note,
        }
        measurements.update_measurement(
            measurement=measurement,
            actor=request.user,
            expected_revision=data.get("revision") or None,
            **{name: data.get(name, value) for name, value in current.items()},
        )
        return self._respond(measurement)

    @extend_schema(
        request=MeasurementUpdateSerializer,
        responses={200: MeasurementSerializer, **refusals(400, 403, 404, 409)},
        description="Same as PUT: the fields given are changed, the others stay.",
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(
        request=None,
        responses={204: None, **refusals(403, 404, 409)},
        description="C1: remove a value recorded by mistake; the history keeps it.",
    )
    def destroy(self, request, pk=None):
        _refuse_read_only(request.user)
        measurement = self.get_object()
        measurements.delete_measurement(measurement=measurement, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=BulkCreateSerializer,
        responses={201: MeasurementSerializer(many=True), **refusals(400, 403, 404, 409)},
        description="C1: one period's values for several KPIs of a plan, all or nothing. A refusal "
        "names each KPI at fault in `errors` (`kpi-<id>`) and records nothing.",
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        _refuse_read_only(request.user)
        data = self._valid(BulkCreateSerializer)
        plan = get_object_or_404(Plan.objects.visible_to(request.user), pk=data["plan"])
        ids = [item["kpi"] for item in data["values"]]
        kpis = Kpi.objects.filter(pk__in=ids, objective__version__plan=plan).in_bulk()
        unknown = {
            f"kpi-{pk}": [_("KPI %(id)s is not a KPI of this plan.") % {"id": pk}]
            for pk in ids
            if pk not in kpis
        }
        if unknown:
            raise ValidationError(unknown)
        created = measurements.record_period(
            plan=plan,
            actor=request.user,
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            values={kpis[item["kpi"]]: item["value"] for item in data["values"]},
            source=data["source"],
            note=data["note"],
        )
        fresh = self.get_queryset().filter(pk__in=[m.pk for m in created]).order_by("kpi", "pk")
        return Response(
            MeasurementSerializer(fresh, many=True, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


def register(router):
    router.register("measurements", MeasurementViewSet, basename="measurement")
