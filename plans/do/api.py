"""Do in the REST API: implementations, milestones and handovers.

Same rules as the browser: reads are limited to visible plans, every change
goes through plans.do.services, whose RuleViolation the project's
exception handler turns into JSON. Who may act is asked first (a
`plans.permissions` predicate): who may not gets a 403 with the reason,
whatever the body. Every input then goes through a serializer
(`ServiceViewSet._valid`): a JSON array, `null` or a value of the wrong type
is a 400 with a message per field before any service runs, never a 500.
What a user may do now comes from `plans.permissions.implementation_actions`
and `handover_actions`, which the pages render too.
"""

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS

from pdca.api import ServiceViewSet, refusals
from pdca.exceptions import NotAllowed, refuse
from plans import permissions
from plans.api.serializers import PersonSerializer
from plans.models import Handover, Kpi, Milestone, Plan

from . import selectors
from . import services as implementation

User = get_user_model()


def _person(user):
    """What `PersonSerializer` writes of `user`, without building a serializer
    per person (a list of implementations names a few hundred)."""
    return {"id": user.pk, "username": user.username, "name": str(user)}


def _refuse_read_only(user):
    """Auditors change no implementation: told so before the body (and the
    plan it names) is read. `implementation_refusal` says so before it asks
    for the plan."""
    if permissions.is_read_only(user):
        raise NotAllowed(permissions.implementation_refusal(user, None))


# -- implementations -----------------------------------------------------------------


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
    kpis = serializers.SerializerMethodField(
        allow_null=True,
        help_text=_("The KPIs and their operators; only on a single implementation (null in the list)."),
    )
    available_actions = serializers.SerializerMethodField(
        help_text=_("What you may do with the implementation now: manage, start, propose-handover.")
    )
    refused_actions = serializers.SerializerMethodField(
        help_text=_("The actions on the implementation that you may not take now, each with the reason.")
    )

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
            "available_actions",
            "refused_actions",
        ]
        read_only_fields = ["implementation_started_at", "in_operation_since"]

    def get_responsible(self, plan) -> PersonSerializer(many=True):
        return [_person(u) for u in self._holders(plan)]

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

    def get_available_actions(self, plan) -> list[str]:
        return self._actions(plan).allowed()

    def get_refused_actions(self, plan) -> dict[str, str]:
        return self._actions(plan).refused()

    def _holders(self, plan):
        # From the handovers and responsibilities `overview_queryset` prefetched: no query per plan.
        cache = self.context.setdefault("_implementation_holders", {})
        if plan.pk not in cache:
            cache[plan.pk] = permissions.implementation_holders(plan)
        return cache[plan.pk]

    def _actions(self, plan):
        cache = self.context.setdefault("_implementation_actions", {})
        if plan.pk not in cache:
            cache[plan.pk] = permissions.implementation_actions(
                self.context["request"].user, plan, holders=self._holders(plan)
            )
        return cache[plan.pk]


class ImplementationStatusChangeSerializer(serializers.Serializer):
    implementation_status = serializers.ChoiceField(
        choices=Plan.ImplementationStatus.choices,
        help_text=_(
            "“in_implementation” starts it; it goes into operation only through an accepted handover."
        ),
    )
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Recorded with the decision.")
    )


class KpiOperatorAssignmentSerializer(serializers.Serializer):
    kpi = serializers.IntegerField(min_value=1, help_text=_("A KPI of the plan's version in force."))
    # Optional here: the rule in services.assign_kpi_operator asks for the person with its own message.
    operator = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        help_text=_("Required: the id of the active user who operates the KPI."),
    )


@extend_schema_view(retrieve=extend_schema(responses={200: ImplementationSerializer, **refusals(404)}))
class ImplementationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
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
        request=ImplementationStatusChangeSerializer,
        responses={200: ImplementationSerializer, **refusals(400, 403, 404, 409)},
        description="D2: not started -> in implementation, by the implementation responsibility, "
        "once the plan is communicated.",
    )
    def partial_update(self, request, pk=None):
        plan = self.get_object()
        refuse(permissions.implementation_refusal(request.user, plan))
        data = self._valid(ImplementationStatusChangeSerializer)
        implementation.change_implementation_status(
            plan=plan, actor=request.user, status=data["implementation_status"], comment=data["comment"]
        )
        return self._respond(plan)

    @extend_schema(
        request=KpiOperatorAssignmentSerializer,
        responses={200: ImplementationSerializer, **refusals(400, 403, 404)},
        description="D1: name the person who operates a KPI of the version in force "
        "(the implementation responsibility).",
    )
    @action(detail=True, methods=["post"], url_path="assign-operator")
    def assign_operator(self, request, pk=None):
        plan = self.get_object()
        # Who may comes first: somebody who may not assign learns nothing about KPIs or people.
        refuse(permissions.implementation_refusal(request.user, plan))
        data = self._valid(KpiOperatorAssignmentSerializer)
        kpi = get_object_or_404(Kpi, pk=data["kpi"], objective__version__plan=plan)
        operator = None
        if data.get("operator") is not None:
            operator = User.objects.filter(pk=data["operator"], is_active=True).first()
        implementation.assign_kpi_operator(kpi=kpi, actor=request.user, operator=operator)
        return self._respond(plan)


# -- milestones ----------------------------------------------------------------------


class VisibleProcessPlanField(serializers.PrimaryKeyRelatedField):
    """A process plan's id; a plan the user may not read does not exist for him
    or her (the same answer as for an id that exists nowhere)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Plan.objects.filter(kind=Plan.Kind.PROCESS), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        plans = Plan.objects.filter(kind=Plan.Kind.PROCESS)
        return plans.visible_to(request.user) if request is not None else plans.none()


class MilestoneSerializer(serializers.ModelSerializer):
    is_overdue = serializers.BooleanField(read_only=True)
    plan = VisibleProcessPlanField()
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))

    class Meta:
        model = Milestone
        fields = ["id", "plan", "title", "owner", "due_on", "done_on", "evidence", "is_overdue"]


class MilestoneDoneSerializer(serializers.Serializer):
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("What shows the milestone is reached; left empty, the milestone keeps its evidence."),
    )


@extend_schema_view(
    retrieve=extend_schema(responses={200: MilestoneSerializer, **refusals(404)}),
    create=extend_schema(responses={201: MilestoneSerializer, **refusals(400, 403)}),
    update=extend_schema(responses={200: MilestoneSerializer, **refusals(400, 403, 404, 409)}),
    partial_update=extend_schema(responses={200: MilestoneSerializer, **refusals(400, 403, 404, 409)}),
    destroy=extend_schema(responses={204: None, **refusals(403, 404)}),
)
class MilestoneViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ServiceViewSet,
):
    """Milestones of implementations; only the implementation responsibility changes them."""

    serializer_class = MilestoneSerializer
    filterset_fields = ["plan", "owner", "done_on"]

    queryset = Milestone.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Milestone.objects.none()
        visible = Plan.objects.visible_to(self.request.user).values("pk")
        return Milestone.objects.filter(plan__in=visible).select_related("owner", "plan")

    def create(self, request, *args, **kwargs):
        _refuse_read_only(request.user)
        return super().create(request, *args, **kwargs)

    def check_object_permissions(self, request, obj):
        # Every change of a milestone (PUT, PATCH, DELETE, done): the implementation
        # responsibility, asked as the milestone is found, before the body is read.
        super().check_object_permissions(request, obj)
        if request.method not in SAFE_METHODS:
            refuse(permissions.implementation_refusal(request.user, obj.plan))

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
            raise serializers.ValidationError({"plan": [gettext("A milestone cannot move to another plan.")]})
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
        request=MilestoneDoneSerializer,
        responses={200: MilestoneSerializer, **refusals(400, 403, 404, 409)},
        description="D2: the milestone is reached today (the implementation responsibility).",
    )
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        milestone = self.get_object()
        data = self._valid(MilestoneDoneSerializer)
        implementation.complete_milestone(milestone=milestone, actor=request.user, evidence=data["evidence"])
        return self._respond(milestone)


# -- handovers ----------------------------------------------------------------------


class HandoverSerializer(serializers.ModelSerializer):
    """A handover (D3). Only the representation of one handover says what the
    user may do with it: deciding who is a receiver costs a query per handover."""

    plan = VisibleProcessPlanField()
    handed_over_by = serializers.SerializerMethodField()
    receivers = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), many=True)
    decided_by = serializers.StringRelatedField(read_only=True)
    available_actions = serializers.SerializerMethodField(
        help_text=_(
            "What you may do with the handover now: accept, decline; only in the representation of "
            "one handover (null in lists)."
        )
    )
    refused_actions = serializers.SerializerMethodField(
        help_text=_(
            "The decisions on the handover that you may not take, each with the reason; only in the "
            "representation of one handover (null in lists)."
        )
    )

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
            "available_actions",
            "refused_actions",
        ]
        read_only_fields = ["status", "proposed_at", "decided_at", "decline_reason"]
        # No validator from the model's "one pending handover per plan"
        # constraint: it would answer everybody, before the permission check.
        # The service refuses a second one (409) to who may propose at all.
        validators = []

    def get_handed_over_by(self, handover) -> PersonSerializer:
        return _person(handover.handed_over_by)

    def get_available_actions(self, handover) -> list[str] | None:
        actions = self._actions(handover)
        return None if actions is None else actions.allowed()

    def get_refused_actions(self, handover) -> dict[str, str] | None:
        actions = self._actions(handover)
        return None if actions is None else actions.refused()

    def _actions(self, handover):
        view = self.context.get("view")
        if view is None or view.action == "list":
            return None
        cache = self.context.setdefault("_handover_actions", {})
        if handover.pk not in cache:
            cache[handover.pk] = permissions.handover_actions(self.context["request"].user, handover)
        return cache[handover.pk]


class HandoverAcceptSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Recorded with the decision.")
    )


class HandoverDeclineSerializer(serializers.Serializer):
    # Required by the rule in services.decline_handover, which says so with its own message.
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required: why you decline.")
    )


HANDOVER_DECISION = {200: HandoverSerializer, **refusals(400, 403, 404, 409)}


@extend_schema_view(
    retrieve=extend_schema(responses={200: HandoverSerializer, **refusals(404)}),
    create=extend_schema(responses={201: HandoverSerializer, **refusals(400, 403, 409)}),
)
class HandoverViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet
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

    def create(self, request, *args, **kwargs):
        _refuse_read_only(request.user)
        return super().create(request, *args, **kwargs)

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
        request=HandoverAcceptSerializer,
        responses=HANDOVER_DECISION,
        description="D3: a named receiver accepts; the receivers now hold the implementation "
        "responsibility and the process is in operation. 403 for anybody else.",
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        handover = self.get_object()
        refuse(permissions.handover_decision_refusal(request.user, handover, gettext("accept")))
        data = self._valid(HandoverAcceptSerializer)
        implementation.accept_handover(handover=handover, actor=request.user, comment=data["comment"])
        return self._respond(handover)

    @extend_schema(
        request=HandoverDeclineSerializer,
        responses=HANDOVER_DECISION,
        description="D3: a named receiver declines, with a reason; the responsibility stays where "
        "it was. 403 for anybody else.",
    )
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        handover = self.get_object()
        refuse(permissions.handover_decision_refusal(request.user, handover, gettext("decline")))
        data = self._valid(HandoverDeclineSerializer)
        implementation.decline_handover(handover=handover, actor=request.user, reason=data["reason"])
        return self._respond(handover)


def register(router):
    router.register("implementations", ImplementationViewSet, basename="implementation")
    router.register("milestones", MilestoneViewSet, basename="milestone")
    router.register("handovers", HandoverViewSet, basename="handover")
