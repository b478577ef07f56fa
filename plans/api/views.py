"""The viewsets of Plan: processes, plans, versions, objectives, KPIs,
responsibilities and acknowledgements.

Reads are filtered by `Plan.objects.visible_to` / `PlanVersion.objects.visible_to`
(lists never show what a user may not see; anything else is a 404); the
page-shaped reads are the selectors the pages use too (`plans.selectors`).
Every change asks who may first (a `plans.permissions` predicate, so that
somebody who may not act gets a 403 whatever the body, never a 400), then
validates its input with a serializer and calls one function of
`plans.services`, which checks its rule; a broken rule propagates as
`RuleViolation` and `pdca.api.exception_handler` turns it into
`{"detail": ..., "errors": {field: [...]}}` with 400, 403 or 409.
"""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, DjangoModelPermissions
from rest_framework.response import Response

from pdca.api import ServiceViewSet, refusals
from pdca.exceptions import NotAllowed, refuse

from .. import permissions, services
from ..filters import PlanFilter
from ..models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Process, Responsibility
from ..selectors import VERSION_STATE, plans_visible_to, versions_with_content
from .filters import AcknowledgementFilter, VersionFilter
from .serializers import (
    AcknowledgementSerializer,
    ArchiveSerializer,
    CommentSerializer,
    CompareQuerySerializer,
    ComparisonSerializer,
    DistributionSerializer,
    KpiSerializer,
    ObjectiveSerializer,
    PlanCreateSerializer,
    PlanSerializer,
    PlanTitleSerializer,
    ProcessSerializer,
    RequestChangesSerializer,
    ResponsibilityAssignmentSerializer,
    ResponsibilitySerializer,
    VersionEditSerializer,
    VersionSerializer,
    VersionSummarySerializer,
    comparison,
)


def _refuse_read_only(user):
    """Auditors change no plan: told so before the body (and the plan or
    version it names) is read. `edit_refusal` says so before it asks for a plan."""
    if permissions.is_read_only(user):
        raise NotAllowed(permissions.edit_refusal(user, None))


# -- processes -----------------------------------------------------------------


class ProcessPermissions(DjangoModelPermissions):
    """Reading processes needs `plans.view_process`; who may name owners is
    decided by `services.save_process`."""

    perms_map = {
        **{method: [] for method in DjangoModelPermissions.perms_map},
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request, view):
        # Who may name owners is asked before the body is read (403, not 400).
        if request.method not in SAFE_METHODS and request.user.is_authenticated:
            creating = request.method == "POST"
            refuse(permissions.manage_processes_refusal(request.user, creating=creating))
        return super().has_permission(request, view)


class ProcessViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """ISO/IEC 20000 processes. Managers create them and name their owner and
    deputies (`services.save_process`); the object permissions follow."""

    serializer_class = ProcessSerializer
    permission_classes = [ProcessPermissions]
    queryset = Process.objects.select_related("owner", "plan").prefetch_related("deputies")
    filterset_fields = ["owner"]
    ordering_fields = ["name"]

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.save_process(
            actor=self.request.user,
            name=data["name"],
            description=data.get("description", ""),
            owner=data["owner"],
            deputies=data.get("deputies", []),
        )

    def perform_update(self, serializer):
        process, data = serializer.instance, serializer.validated_data
        serializer.instance = services.save_process(
            actor=self.request.user,
            process=process,
            name=data.get("name", process.name),
            description=data.get("description", process.description),
            owner=data.get("owner", process.owner),
            deputies=data.get("deputies", list(process.deputies.all())),
        )


# -- objectives and KPIs ---------------------------------------------------------


class ObjectiveViewSet(viewsets.ModelViewSet):
    """Objectives of a version (`?version=`); changed only while the version is a draft."""

    serializer_class = ObjectiveSerializer
    permission_classes = [permissions.PlanAccess]
    transition_actions = set()
    filterset_fields = ["version", "code"]
    ordering_fields = ["code"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Objective.objects.none()
        visible = PlanVersion.objects.visible_to(self.request.user)
        return (
            Objective.objects.filter(version__in=visible)
            .select_related("version__plan", "traces_to")
            .prefetch_related("kpis")
        )

    def create(self, request, *args, **kwargs):
        _refuse_read_only(request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        self._save(serializer, objective=None)

    def perform_update(self, serializer):
        self._save(serializer, objective=serializer.instance)

    def _save(self, serializer, objective):
        data = serializer.validated_data
        serializer.instance = services.save_objective(
            version=data.get("version", objective.version if objective else None),
            actor=self.request.user,
            title=data.get("title", objective.title if objective else ""),
            description=data.get("description", objective.description if objective else ""),
            traces_to=data.get("traces_to", objective.traces_to if objective else None),
            code=data.get("code", objective.code if objective else ""),
            objective=objective,
            expected_revision=data.get("revision"),
        )

    def perform_destroy(self, instance):
        services.delete_objective(objective=instance, actor=self.request.user)


class KpiViewSet(viewsets.ModelViewSet):
    """KPIs of an objective (`?objective=`, `?version=`); changed only while the version is a draft."""

    serializer_class = KpiSerializer
    permission_classes = [permissions.PlanAccess]
    transition_actions = set()
    filterset_fields = {"objective": ["exact"], "objective__version": ["exact"]}

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Kpi.objects.none()
        visible = PlanVersion.objects.visible_to(self.request.user)
        return Kpi.objects.filter(objective__version__in=visible).select_related("objective__version__plan")

    def create(self, request, *args, **kwargs):
        _refuse_read_only(request.user)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        self._save(serializer, kpi=None)

    def perform_update(self, serializer):
        self._save(serializer, kpi=serializer.instance)

    def _save(self, serializer, kpi):
        data = serializer.validated_data
        current = kpi or Kpi()  # a new KPI starts from the model's defaults (direction, frequency)
        fields = ("objective", "metric", "unit", "direction", "target", "owner", "frequency")
        values = {name: data[name] if name in data else getattr(current, name) for name in fields}
        serializer.instance = services.save_kpi(
            actor=self.request.user, kpi=kpi, expected_revision=data.get("revision"), **values
        )

    def perform_destroy(self, instance):
        services.delete_kpi(kpi=instance, actor=self.request.user)


# -- versions ----------------------------------------------------------------------


VERSION_RESPONSES = {200: VersionSerializer, **refusals(400, 403, 404, 409)}


class VersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """Versions of plans (`?plan=`). Only a draft changes (P4); the workflow
    actions move a version draft -> in review -> reviewed -> approved ->
    communicated (P3, P6)."""

    permission_classes = [permissions.PlanAccess]
    # Their rules (who submits, approves, communicates, acknowledges) are checked by the services.
    transition_actions = {
        "submit",
        "withdraw",
        "review",
        "approve",
        "request_changes",
        "communicate",
        "acknowledge",
    }
    filterset_class = VersionFilter
    ordering_fields = ["number", "edited_at", "submitted_at", "approved_at"]

    def get_serializer_class(self):
        return VersionSummarySerializer if self.action == "list" else VersionSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return PlanVersion.objects.none()
        queryset = PlanVersion.objects.visible_to(self.request.user)
        if self.action == "list":
            return queryset.select_related(*VERSION_STATE)
        return versions_with_content(queryset)

    @extend_schema(
        request=VersionEditSerializer,
        responses=VERSION_RESPONSES,
        description="Save section texts of a draft (`services.update_draft`). An approved version "
        "never changes: revise the plan instead.",
    )
    def update(self, request, pk=None):
        version = self.get_object()
        data = self._valid(VersionEditSerializer)
        services.update_draft(
            version=version, actor=request.user, expected_revision=data["revision"], sections=data["sections"]
        )
        return self._respond(version)

    @extend_schema(
        request=VersionEditSerializer,
        responses=VERSION_RESPONSES,
        description="Same as PUT: `revision` and `sections` are required; the sections named are "
        "saved, the others keep their text.",
    )
    def partial_update(self, request, pk=None):
        return self.update(request, pk)

    @extend_schema(
        request=ResponsibilityAssignmentSerializer,
        responses=VERSION_RESPONSES,
        description="P2: name the five responsibilities of a draft at once.",
    )
    @action(detail=True, methods=["put"])
    def responsibilities(self, request, pk=None):
        version = self.get_object()
        data = self._valid(ResponsibilityAssignmentSerializer)
        assignments = {kind: data.get(kind, []) for kind, _label in version.plan.responsibility_kinds}
        services.set_responsibilities(
            version=version,
            actor=request.user,
            assignments=assignments,
            expected_revision=data.get("revision"),
            reviewer_may_approve=data.get("reviewer_may_approve"),
        )
        return self._respond(version)

    @extend_schema(
        request=CommentSerializer,
        responses=VERSION_RESPONSES,
        description="draft -> in review. Refused (400, `errors` per field) while a "
        "responsibility, objective, KPI or section is missing (P2).",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        version = self.get_object()
        refuse(permissions.edit_refusal(request.user, version.plan))
        comment = self._valid(CommentSerializer)["comment"]
        services.submit_plan(version=version, actor=request.user, comment=comment)
        return self._respond(version)

    @extend_schema(
        request=CommentSerializer,
        responses=VERSION_RESPONSES,
        description="in review or reviewed -> draft, before the approver decides (P3): the author or "
        "the plan's editors take a submission back, with an optional comment; the reviewers and approvers "
        "are told. Refused (403) to others, and (409) once the version is decided.",
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        version = self.get_object()
        refuse(permissions.withdraw_refusal(request.user, version))
        comment = self._valid(CommentSerializer)["comment"]
        services.withdraw_submission(version=version, actor=request.user, comment=comment)
        return self._respond(version)

    @extend_schema(
        request=CommentSerializer,
        responses=VERSION_RESPONSES,
        description="in review -> reviewed, by the named reviewer (P3): the version then waits for "
        "its approver.",
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        version = self.get_object()
        refuse(permissions.review_refusal(request.user, version))
        comment = self._valid(CommentSerializer)["comment"]
        services.review_plan(version=version, actor=request.user, comment=comment)
        return self._respond(version)

    @extend_schema(
        request=CommentSerializer,
        responses=VERSION_RESPONSES,
        description="reviewed -> approved, by the named approver, who is a manager and neither "
        "author nor an editor (P3). Where the plan allows the reviewer to approve, the named reviewer "
        "and approver approves a version in review directly (both decisions are recorded). "
        "Supersedes the previous version (P4).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        version = self.get_object()
        refuse(permissions.approval_refusal(request.user, version))
        comment = self._valid(CommentSerializer)["comment"]
        services.approve_plan(version=version, actor=request.user, comment=comment)
        return self._respond(version)

    @extend_schema(
        request=RequestChangesSerializer,
        responses=VERSION_RESPONSES,
        description="in review or reviewed -> draft, by the named reviewer (in review) or approver, "
        "with a comment.",
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        version = self.get_object()
        refuse(permissions.request_changes_refusal(request.user, version))
        services.request_changes(
            version=version, actor=request.user, comment=self._valid(RequestChangesSerializer)["comment"]
        )
        return self._respond(version)

    @extend_schema(
        request=CommentSerializer,
        responses=VERSION_RESPONSES,
        description="approved -> communicated: sent to the plan's distribution list (P6).",
    )
    @action(detail=True, methods=["post"])
    def communicate(self, request, pk=None):
        version = self.get_object()
        refuse(permissions.communicate_refusal(request.user, version))
        services.communicate_plan(
            version=version, actor=request.user, comment=self._valid(CommentSerializer)["comment"]
        )
        return self._respond(version)

    @extend_schema(
        request=None,
        responses=VERSION_RESPONSES,
        description="P6: confirm having read this communicated version, once; the acknowledgement is "
        "of this version. A superseded version is refused (409): read and acknowledge the one in force.",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        version = self.get_object()
        services.acknowledge_plan(version=version, actor=request.user)
        return self._respond(version)


# -- responsibilities and acknowledgements (read) --------------------------------


class ResponsibilityViewSet(viewsets.ReadOnlyModelViewSet):
    """Who is responsible for what (`?version=`); set them with PUT /versions/{id}/responsibilities/."""

    serializer_class = ResponsibilitySerializer
    filterset_fields = ["version", "kind", "user"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Responsibility.objects.none()
        visible = PlanVersion.objects.visible_to(self.request.user)
        return Responsibility.objects.filter(version__in=visible).select_related("user")


class AcknowledgementViewSet(viewsets.ReadOnlyModelViewSet):
    """P6: the recipients of communicated versions (`?version=`), and who has and
    has not acknowledged (`?acknowledged=false`)."""

    serializer_class = AcknowledgementSerializer
    filterset_class = AcknowledgementFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Acknowledgement.objects.none()
        visible = PlanVersion.objects.visible_to(self.request.user)
        return Acknowledgement.objects.filter(version__in=visible).select_related("user", "version")


# -- plans ----------------------------------------------------------------------


PLAN_RESPONSES = {200: PlanSerializer, **refusals(400, 403, 404, 409)}


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """The service management plan and the process plans (P1), with their versions."""

    serializer_class = PlanSerializer
    permission_classes = [permissions.PlanAccess]
    # Checked by the services: revise/confirm by the plan's editors, the distribution
    # list also by its communication responsibility.
    transition_actions = {"revise", "confirm_conformance", "distribution", "archive", "restore"}
    filterset_class = PlanFilter  # the one filter of plan lists, as on the plans page
    ordering_fields = ["title", "kind", "created_at"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Plan.objects.none()
        queryset = plans_visible_to(self.request.user)
        if self.action != "list":
            queryset = queryset.prefetch_related("versions_newest_first__responsibilities__user")
        return queryset

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "detail": self.action != "list"}

    @extend_schema(
        request=PlanCreateSerializer,
        responses={201: PlanSerializer, **refusals(400, 403)},
        description="Create the plan of a process (its owner or a deputy); it belongs to the SMP "
        "and conforms to its version in force (P1).",
    )
    def create(self, request):
        _refuse_read_only(request.user)
        data = self._valid(PlanCreateSerializer)
        plan = services.create_process_plan(
            process=data["process"], actor=request.user, title=data.get("title", "")
        )
        return self._respond(plan, status.HTTP_201_CREATED)

    @extend_schema(
        request=PlanTitleSerializer,
        responses=PLAN_RESPONSES,
        description="Change the title; saved with the plan's draft version, so it needs that "
        "draft's revision.",
    )
    def partial_update(self, request, pk=None):
        plan = self.get_object()
        data = self._valid(PlanTitleSerializer)
        services.update_draft(
            version=plan.latest_version,
            actor=request.user,
            expected_revision=data["revision"],
            title=data["title"],
        )
        return self._respond(plan)

    @extend_schema(
        request=CommentSerializer,
        responses={201: VersionSerializer, **refusals(403, 404, 409)},
        description="P4: start draft revision n+1 from the version in force; the approved version "
        "stays as it is until the new one is approved.",
    )
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        plan = self.get_object()
        refuse(permissions.edit_refusal(request.user, plan))
        comment = self._valid(CommentSerializer)["comment"]
        draft = services.revise_plan(plan=plan, actor=request.user, comment=comment)
        version = versions_with_content(PlanVersion.objects.visible_to(request.user)).get(pk=draft.pk)
        return Response(
            VersionSerializer(version, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=CommentSerializer,
        responses=PLAN_RESPONSES,
        description="P5: the owner confirms that the plan conforms to the SMP version in force; "
        "clears `conformance_review_due`.",
    )
    @action(detail=True, methods=["post"], url_path="confirm-conformance")
    def confirm_conformance(self, request, pk=None):
        plan = self.get_object()
        refuse(permissions.edit_refusal(request.user, plan))
        services.confirm_conformance(
            plan=plan, actor=request.user, comment=self._valid(CommentSerializer)["comment"]
        )
        return self._respond(plan)

    @extend_schema(
        request=ArchiveSerializer,
        responses=PLAN_RESPONSES,
        description="A manager archives a process plan whose process is retired, saying why (plans with "
        "approved versions are never deleted). Refused while a version waits for a decision or a handover "
        "for its receivers; the plan then changes no more and its reviews are reminded no more.",
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        plan = self.get_object()
        refuse(permissions.archiver_refusal(request.user))
        reason = self._valid(ArchiveSerializer)["reason"]
        return self._respond(services.archive_plan(plan=plan, actor=request.user, reason=reason))

    @extend_schema(
        request=CommentSerializer,
        responses=PLAN_RESPONSES,
        description="A manager puts an archived plan back in use; a plan that conforms to an older SMP "
        "version is flagged for a conformance review (P5).",
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        plan = self.get_object()
        refuse(permissions.restorer_refusal(request.user))
        comment = self._valid(CommentSerializer)["comment"]
        return self._respond(services.restore_plan(plan=plan, actor=request.user, comment=comment))

    @extend_schema(
        request=DistributionSerializer,
        responses=PLAN_RESPONSES,
        description="P6: who receives the plan when it is communicated (people and roles).",
    )
    @action(detail=True, methods=["put"])
    def distribution(self, request, pk=None):
        plan = self.get_object()
        refuse(permissions.distribution_refusal(request.user, plan))
        data = self._valid(DistributionSerializer)
        services.set_distribution(plan=plan, actor=request.user, users=data["users"], groups=data["groups"])
        return self._respond(plan)

    @extend_schema(
        parameters=[
            OpenApiParameter("a", OpenApiTypes.INT, required=True, description="Number of the old version."),
            OpenApiParameter("b", OpenApiTypes.INT, required=True, description="Number of the new version."),
        ],
        responses={200: ComparisonSerializer, **refusals(400, 404)},
        description="P4: compare two versions section by section (and objectives, responsibilities).",
    )
    @action(detail=True, methods=["get"])
    def compare(self, request, pk=None):
        plan = self.get_object()
        numbers = self._valid(CompareQuerySerializer, data=request.query_params)
        versions = {
            v.number: v
            for v in versions_with_content(PlanVersion.objects.visible_to(request.user)).filter(
                plan=plan, number__in=[numbers["a"], numbers["b"]]
            )
        }
        missing = {
            name: [
                _("“%(plan)s” has no version %(number)s that you may see.") % {"plan": plan, "number": number}
            ]
            for name, number in numbers.items()
            if number not in versions
        }
        if missing:
            raise ValidationError(missing)
        result = comparison(plan, versions[numbers["a"]], versions[numbers["b"]])
        return Response(ComparisonSerializer(result).data)
