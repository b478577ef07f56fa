"""Do in the REST API: implementations, milestones and handovers.

Same rules as the browser: reads are limited to visible plans, every change
goes through plans.do.services, whose RuleViolation the project's
exception handler turns into JSON."""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from plans import permissions
from plans.api import PersonSerializer
from plans.models import Handover, Kpi, Milestone, Plan

from . import selectors
from . import services as implementation

User = get_user_model()


def _person(user):
    return PersonSerializer(user).data


class KpiOperatorSerializer(serializers.Serializer):
    kpi = serializers.IntegerField(source="pk")
    objective = serializers.CharField(source="objective.code")
    metric = serializers.CharField()
    operator = serializers.SerializerMethodField()

    def get_operator(self, kpi) -> PersonSerializer(allow_null=True):
        assignment = getattr(kpi, "assignment", None)
        return _person(assignment.operator) if assignment else None


class ImplementationSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="pk", read_only=True)
    process = serializers.CharField(source="process.name", read_only=True)
    implementation_status = serializers.ChoiceField(choices=Plan.ImplementationStatus.choices)
    responsible = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    kpis = serializers.SerializerMethodField()

    class Meta:
        model = Plan
        fields = [
            "plan",
            "process",
            "implementation_status",
            "implementation_started_at",
            "in_operation_since",
            "responsible",
            "progress",
            "kpis",
        ]
        read_only_fields = ["implementation_started_at", "in_operation_since"]

    def get_responsible(self, plan) -> PersonSerializer(many=True):
        return [_person(u) for u in permissions.implementation_holders(plan)]

    def get_progress(self, plan) -> inline_serializer(
        "Progress",
        {
            "done": serializers.IntegerField(),
            "total": serializers.IntegerField(),
            "percent": serializers.IntegerField(),
        },
    ):
        total, done = plan.milestones_total, plan.milestones_done
        return {"done": done, "total": total, "percent": round(100 * done / total) if total else 0}

    def get_kpis(self, plan) -> KpiOperatorSerializer(many=True):
        # Only on a single implementation: the list stays at a fixed number of queries.
        if self.context.get("view") is not None and self.context["view"].action == "list":
            return None
        return KpiOperatorSerializer(selectors.current_kpis(plan), many=True).data


class ImplementationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The implementation of each process plan (D2). PATCH `implementation_status`
    to start it; it goes into operation only through an accepted handover."""

    serializer_class = ImplementationSerializer
    filterset_fields = ["implementation_status", "process__owner"]

    queryset = Plan.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Plan.objects.none()
        return selectors.overview_queryset(self.request.user)

    @extend_schema(
        request=inline_serializer(
            "ImplementationStatusChange",
            {
                "implementation_status": serializers.ChoiceField(choices=Plan.ImplementationStatus.choices),
                "comment": serializers.CharField(required=False),
            },
        ),
        responses={200: ImplementationSerializer},
    )
    def partial_update(self, request, pk=None):
        plan = self.get_object()
        requested = request.data.get("implementation_status")
        if requested not in Plan.ImplementationStatus.values:
            return Response(
                {
                    "detail": "Give a valid implementation_status.",
                    "errors": {"implementation_status": ["Not a valid choice."]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        implementation.change_implementation_status(
            plan=plan, actor=request.user, status=requested, comment=request.data.get("comment", "")
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)

    @extend_schema(
        request=inline_serializer(
            "KpiOperatorAssignment",
            {
                "kpi": serializers.IntegerField(),
                "operator": serializers.IntegerField(),
            },
        ),
        responses={200: ImplementationSerializer},
    )
    @action(detail=True, methods=["post"], url_path="assign-operator")
    def assign_operator(self, request, pk=None):
        plan = self.get_object()
        kpi = get_object_or_404(Kpi, pk=request.data.get("kpi"), objective__version__plan=plan)
        operator = User.objects.filter(pk=request.data.get("operator"), is_active=True).first()
        implementation.assign_kpi_operator(kpi=kpi, actor=request.user, operator=operator)
        return Response(self.get_serializer(self.get_queryset().get(pk=plan.pk)).data)


class MilestoneSerializer(serializers.ModelSerializer):
    is_overdue = serializers.BooleanField(read_only=True)
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.filter(kind=Plan.Kind.PROCESS))
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = Milestone
        fields = ["id", "plan", "title", "owner", "due_on", "done_on", "evidence", "is_overdue"]


class MilestoneViewSet(viewsets.ModelViewSet):
    """Milestones of implementations; only the implementation responsibility changes them."""

    serializer_class = MilestoneSerializer
    filterset_fields = ["plan", "owner", "done_on"]

    queryset = Milestone.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Milestone.objects.none()
        visible = Plan.objects.visible_to(self.request.user).values("pk")
        return Milestone.objects.filter(plan__in=visible).select_related("owner", "plan")

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = implementation.save_milestone(
            plan=data["plan"],
            actor=self.request.user,
            title=data["title"],
            owner=data["owner"],
            due_on=data["due_on"],
            done_on=data.get("done_on"),
            evidence=data.get("evidence", ""),
        )

    def perform_update(self, serializer):
        milestone, data = serializer.instance, serializer.validated_data
        if "plan" in data and data["plan"].pk != milestone.plan_id:
            raise serializers.ValidationError({"plan": ["A milestone cannot move to another plan."]})
        serializer.instance = implementation.save_milestone(
            plan=milestone.plan,
            actor=self.request.user,
            milestone=milestone,
            title=data.get("title", milestone.title),
            owner=data.get("owner", milestone.owner),
            due_on=data.get("due_on", milestone.due_on),
            done_on=data.get("done_on", milestone.done_on),
            evidence=data.get("evidence", milestone.evidence),
        )

    def perform_destroy(self, instance):
        implementation.delete_milestone(milestone=instance, actor=self.request.user)

    @extend_schema(
        request=inline_serializer("MilestoneDone", {"evidence": serializers.CharField(required=False)}),
        responses={200: MilestoneSerializer},
    )
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        milestone = implementation.complete_milestone(
            milestone=self.get_object(), actor=request.user, evidence=request.data.get("evidence", "")
        )
        return Response(self.get_serializer(milestone).data)


class HandoverSerializer(serializers.ModelSerializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.filter(kind=Plan.Kind.PROCESS))
    handed_over_by = serializers.SerializerMethodField()
    receivers = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True)
    decided_by = serializers.StringRelatedField(read_only=True)

    class Meta:
        model = Handover
        fields = [
            "id",
            "plan",
            "handed_over_by",
            "receivers",
            "handover_on",
            "open_points",
            "documents",
            "status",
            "proposed_at",
            "decided_by",
            "decided_at",
            "decline_reason",
        ]
        read_only_fields = ["status", "proposed_at", "decided_at", "decline_reason"]

    def get_handed_over_by(self, handover) -> PersonSerializer:
        return _person(handover.handed_over_by)


class HandoverViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Handovers from implementers to operators (D3). POST proposes one; a named
    receiver accepts or declines it (with a reason)."""

    serializer_class = HandoverSerializer
    filterset_fields = ["plan", "status"]

    queryset = Handover.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Handover.objects.none()
        visible = Plan.objects.visible_to(self.request.user).values("pk")
        return (
            Handover.objects.filter(plan__in=visible)
            .select_related("handed_over_by", "decided_by", "plan")
            .prefetch_related("receivers")
        )

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = implementation.propose_handover(
            plan=data["plan"],
            actor=self.request.user,
            receivers=data["receivers"],
            handover_on=data.get("handover_on"),
            open_points=data.get("open_points", ""),
            documents=data.get("documents", ""),
        )

    @extend_schema(
        request=inline_serializer("HandoverAccept", {"comment": serializers.CharField(required=False)}),
        responses={200: HandoverSerializer, 403: OpenApiResponse(description="Not a named receiver")},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        handover = implementation.accept_handover(
            handover=self.get_object(), actor=request.user, comment=request.data.get("comment", "")
        )
        return Response(self.get_serializer(Handover.objects.get(pk=handover.pk)).data)

    @extend_schema(
        request=inline_serializer("HandoverDecline", {"reason": serializers.CharField()}),
        responses={200: HandoverSerializer, 403: OpenApiResponse(description="Not a named receiver")},
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        handover = implementation.decline_handover(
            handover=self.get_object(), actor=request.user, reason=request.data.get("reason", "")
        )
        return Response(self.get_serializer(Handover.objects.get(pk=handover.pk)).data)


def register(router):
    router.register("implementations", ImplementationViewSet, basename="implementation")
    router.register("milestones", MilestoneViewSet, basename="milestone")
    router.register("handovers", HandoverViewSet, basename="handover")
