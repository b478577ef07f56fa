"""The REST API of Plan: processes, plans, versions, objectives, KPIs,
responsibilities and acknowledgements under /api/v1/.

Reads are filtered by `Plan.objects.visible_to` / `PlanVersion.objects.visible_to`
(lists never show what a user may not see; anything else is a 404). Every
change calls one function of `plans.services`, which checks its rule; a broken
rule propagates as `RuleViolation` and `pdca.api.exception_handler` turns it
into `{"detail": ..., "errors": {field: [...]}}` with 400, 403 or 409.
Serializers here check shape and type only.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db.models import OuterRef, Prefetch, Subquery
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.response import Response

from pdca.markdown import render_markdown

from . import diff, permissions, services
from .models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Process, Responsibility

User = get_user_model()
Status = PlanVersion.Status


# -- permissions ---------------------------------------------------------------


class ProcessPermissions(DjangoModelPermissions):
    """Reading processes needs `plans.view_process`; who may name owners is
    decided by `services.save_process`."""

    perms_map = {
        **{method: [] for method in DjangoModelPermissions.perms_map},
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }


# -- small shared serializers ----------------------------------------------------


class PersonSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name"]
        read_only_fields = fields


class VersionRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanVersion
        fields = ["id", "number", "status", "revision"]
        read_only_fields = fields


class RefusalSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="Why the request was refused; nothing was changed.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="The messages per field at fault.",
    )


def _errors(*codes):
    described = {
        400: "Bad input, or a rule refused the change; nothing was changed.",
        403: "You may not do this to this object.",
        404: "No such object, or you may not see it.",
        409: "Somebody else changed it first, or the transition already happened.",
    }
    return {code: OpenApiResponse(RefusalSerializer, description=described[code]) for code in codes}


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Recorded with the decision."
    )


class RequestChangesSerializer(serializers.Serializer):
    # Required by the rule in services.request_changes, which says so with its own message.
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Required: what has to change."
    )


def _active_users(**kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), **kwargs)


class VisibleVersionField(serializers.PrimaryKeyRelatedField):
    """A version id; versions the user may not see do not exist for him or her."""

    def __init__(self, **kwargs):
        super().__init__(queryset=PlanVersion.objects.all(), **kwargs)

    def get_queryset(self):
        return PlanVersion.objects.visible_to(self.context["request"].user)


class VisibleObjectiveField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        super().__init__(queryset=Objective.objects.all(), **kwargs)

    def get_queryset(self):
        visible = PlanVersion.objects.visible_to(self.context["request"].user)
        return Objective.objects.filter(version__in=visible)


# -- processes -----------------------------------------------------------------


class ProcessSerializer(serializers.ModelSerializer):
    owner = _active_users()
    deputies = _active_users(many=True, required=False)
    plan = serializers.SerializerMethodField()

    class Meta:
        model = Process
        fields = ["id", "name", "description", "owner", "deputies", "plan"]

    def get_plan(self, process) -> int | None:
        plan = getattr(process, "plan", None)
        return plan.pk if plan else None


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


class KpiSerializer(serializers.ModelSerializer):
    objective = VisibleObjectiveField()
    revision = serializers.IntegerField(
        write_only=True,
        required=False,
        help_text="The version's revision this change is based on; a stale one is refused with 409.",
    )

    class Meta:
        model = Kpi
        fields = [
            "id",
            "objective",
            "metric",
            "unit",
            "direction",
            "target",
            "owner",
            "frequency",
            "revision",
        ]
        extra_kwargs = {"owner": {"queryset": User.objects.filter(is_active=True)}}


class ObjectiveSerializer(serializers.ModelSerializer):
    version = VisibleVersionField()
    code = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="A short reference such as O1, kept across versions; the next free one when left empty.",
    )
    traces_to = serializers.PrimaryKeyRelatedField(
        queryset=Objective.objects.all(),
        required=False,
        allow_null=True,
        help_text="The SMP objective this objective serves (process plans).",
    )
    revision = serializers.IntegerField(
        write_only=True,
        required=False,
        min_value=1,
        help_text="The version's revision this change is based on; a stale one is refused with 409.",
    )
    kpis = KpiSerializer(many=True, read_only=True)

    class Meta:
        model = Objective
        fields = ["id", "version", "code", "title", "description", "traces_to", "revision", "kpis"]
        # A clash of codes is refused by services.save_objective, which also picks the next free code.
        validators = []


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


class VersionSummarySerializer(serializers.ModelSerializer):
    """A version in a list: its state, not its content."""

    plan_title = serializers.CharField(source="plan.title", read_only=True)
    plan_kind = serializers.CharField(source="plan.kind", read_only=True)
    author = PersonSerializer(read_only=True)
    last_editor = PersonSerializer(read_only=True)
    approved_by = PersonSerializer(read_only=True, allow_null=True)
    conforms_to = VersionRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PlanVersion
        fields = [
            "id",
            "plan",
            "plan_title",
            "plan_kind",
            "number",
            "status",
            "revision",
            "conforms_to",
            "author",
            "last_editor",
            "edited_at",
            "submitted_at",
            "approved_at",
            "approved_by",
            "communicated_at",
            "superseded_at",
            "content_hash",
        ]
        read_only_fields = fields


class SectionDefinitionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    guidance = serializers.CharField()


class ResponsiblePeopleSerializer(serializers.Serializer):
    """P2: the five responsibilities of a version, each a list of people."""

    review = PersonSerializer(many=True)
    approval = PersonSerializer(many=True)
    communication = PersonSerializer(many=True)
    implementation = PersonSerializer(many=True)
    updating = PersonSerializer(many=True)


class VersionSerializer(VersionSummarySerializer):
    """A version with its content, what the requesting user may do with it, and,
    for a draft, what still keeps it from being submitted."""

    sections = serializers.SerializerMethodField()
    sections_html = serializers.SerializerMethodField()
    section_definitions = serializers.SerializerMethodField()
    responsibilities = serializers.SerializerMethodField()
    objectives = ObjectiveSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField()
    submission_problems = serializers.SerializerMethodField()

    class Meta(VersionSummarySerializer.Meta):
        fields = [
            *VersionSummarySerializer.Meta.fields,
            "section_definitions",
            "sections",
            "sections_html",
            "responsibilities",
            "objectives",
            "available_actions",
            "submission_problems",
        ]
        read_only_fields = fields

    def get_sections(self, version) -> dict[str, str]:
        return {key: version.section_text(key) for key, *_ in version.plan.section_definitions}

    def get_sections_html(self, version) -> dict[str, str]:
        return {
            key: render_markdown(version.section_text(key)) for key, *_ in version.plan.section_definitions
        }

    @extend_schema_field(SectionDefinitionSerializer(many=True))
    def get_section_definitions(self, version):
        return [{"key": k, "title": t, "guidance": g} for k, t, g in version.plan.section_definitions]

    @extend_schema_field(ResponsiblePeopleSerializer)
    def get_responsibilities(self, version):
        return {
            kind: PersonSerializer(version.responsible(kind), many=True).data
            for kind in Responsibility.Kind.values
        }

    def get_available_actions(self, version) -> list[str]:
        return version_actions(self.context["request"].user, version, self._problems(version))

    def get_submission_problems(self, version) -> dict[str, list[str]] | None:
        return self._problems(version)

    def _problems(self, version):
        if version.status != Status.DRAFT:
            return None
        cache = self.context.setdefault("_submission_problems", {})
        if version.pk not in cache:
            cache[version.pk] = services.submission_problems(version)
        return cache[version.pk]


class VersionEditSerializer(serializers.Serializer):
    revision = serializers.IntegerField(
        min_value=1,
        help_text="Required, with PATCH too: the revision you started from; if somebody saved "
        "since, you get 409.",
    )
    sections = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        help_text="Section texts (Markdown) by section key; sections not named keep their text.",
    )


class ResponsibilityAssignmentSerializer(serializers.Serializer):
    """P2: all five responsibilities at once; a kind left out is cleared."""

    review = _active_users(many=True, required=False)
    approval = _active_users(many=True, required=False)
    communication = _active_users(many=True, required=False)
    implementation = _active_users(many=True, required=False)
    updating = _active_users(many=True, required=False)
    revision = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The version's revision this change is based on; a stale one is refused with 409.",
    )


def version_actions(user, version, problems=None):
    """The API actions `user` may take on `version` now. "edit" covers the
    sections, responsibilities, objectives and KPIs of a draft."""
    actions = []
    if version.status == Status.DRAFT and permissions.can_edit_plan(user, version.plan):
        actions.append("edit")
        if not problems:
            actions.append("submit")
    if version.status == Status.IN_REVIEW and permissions.can_approve(user, version):
        actions += ["approve", "request-changes"]
    if version.status == Status.APPROVED and permissions.can_communicate(user, version):
        actions.append("communicate")
    if (
        version.communicated_at
        and version.acknowledgements.filter(user=user, acknowledged_at__isnull=True).exists()
    ):
        actions.append("acknowledge")
    return actions


class VersionFilter(filters.FilterSet):
    awaiting_my_approval = filters.BooleanFilter(
        method="filter_awaiting_my_approval",
        label="In review with me as the named approver",
    )

    class Meta:
        model = PlanVersion
        fields = ["plan", "status", "number"]

    def filter_awaiting_my_approval(self, queryset, name, value):
        mine = PlanVersion.objects.awaiting_approval_by(self.request.user).values("pk")
        return queryset.filter(pk__in=mine) if value else queryset.exclude(pk__in=mine)


VERSION_STATE = ("plan__process", "author", "last_editor", "approved_by", "conforms_to")


def versions_with_content(queryset):
    """What VersionSerializer (and compare_versions) read, in a fixed number of queries."""
    return queryset.select_related(*VERSION_STATE).prefetch_related(
        Prefetch("responsibilities", queryset=Responsibility.objects.select_related("user")),
        Prefetch(
            "objectives",
            queryset=Objective.objects.select_related("traces_to").prefetch_related(
                Prefetch("kpis", queryset=Kpi.objects.select_related("owner"))
            ),
        ),
    )


VERSION_RESPONSES = {200: VersionSerializer, **_errors(400, 403, 404, 409)}


class VersionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Versions of plans (`?plan=`). Only a draft changes (P4); the workflow
    actions move a version draft -> in review -> approved -> communicated (P3, P6)."""

    permission_classes = [permissions.PlanAccess]
    # Their rules (who submits, approves, communicates, acknowledges) are checked by the services.
    transition_actions = {"submit", "approve", "request_changes", "communicate", "acknowledge"}
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

    def _valid(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _respond(self, version, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=version.pk)
        serializer = VersionSerializer(fresh, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

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
        assignments = {kind: data.get(kind, []) for kind in Responsibility.Kind.values}
        services.set_responsibilities(
            version=version,
            actor=request.user,
            assignments=assignments,
            expected_revision=data.get("revision"),
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
        comment = self._valid(CommentSerializer)["comment"]
        services.submit_plan(version=version, actor=request.user, comment=comment)
        return self._respond(version)

    @extend_schema(
        request=CommentSerializer,
        responses=VERSION_RESPONSES,
        description="in review -> approved, by the named approver, who is a manager and neither "
        "author nor last editor (P3). Supersedes the previous version (P4).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        version = self.get_object()
        comment = self._valid(CommentSerializer)["comment"]
        services.approve_plan(version=version, actor=request.user, comment=comment)
        return self._respond(version)

    @extend_schema(
        request=RequestChangesSerializer,
        responses=VERSION_RESPONSES,
        description="in review -> draft, by the named approver, with a comment.",
    )
    @action(detail=True, methods=["post"], url_path="request-changes")
    def request_changes(self, request, pk=None):
        version = self.get_object()
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
        services.communicate_plan(
            version=version, actor=request.user, comment=self._valid(CommentSerializer)["comment"]
        )
        return self._respond(version)

    @extend_schema(
        request=None,
        responses=VERSION_RESPONSES,
        description="P6: confirm having read a communicated version, once.",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        version = self.get_object()
        services.acknowledge_plan(version=version, actor=request.user)
        return self._respond(version)


# -- responsibilities and acknowledgements (read) --------------------------------


class ResponsibilitySerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)

    class Meta:
        model = Responsibility
        fields = ["id", "version", "kind", "user"]
        read_only_fields = fields


class ResponsibilityViewSet(viewsets.ReadOnlyModelViewSet):
    """Who is responsible for what (`?version=`); set them with PUT /versions/{id}/responsibilities/."""

    serializer_class = ResponsibilitySerializer
    filterset_fields = ["version", "kind", "user"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Responsibility.objects.none()
        visible = PlanVersion.objects.visible_to(self.request.user)
        return Responsibility.objects.filter(version__in=visible).select_related("user")


class AcknowledgementSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)
    acknowledged = serializers.SerializerMethodField()

    class Meta:
        model = Acknowledgement
        fields = ["id", "version", "user", "sent_at", "acknowledged", "acknowledged_at"]
        read_only_fields = fields

    def get_acknowledged(self, acknowledgement) -> bool:
        return acknowledgement.acknowledged_at is not None


class AcknowledgementFilter(filters.FilterSet):
    acknowledged = filters.BooleanFilter(method="filter_acknowledged", label="Has acknowledged")

    class Meta:
        model = Acknowledgement
        fields = ["version", "user"]

    def filter_acknowledged(self, queryset, name, value):
        return queryset.filter(acknowledged_at__isnull=not value)


class AcknowledgementViewSet(viewsets.ReadOnlyModelViewSet):
    """P6: the recipients of communicated versions (`?version=`), and who has and
    has not acknowledged (`?acknowledged=false`)."""

    serializer_class = AcknowledgementSerializer
    filterset_class = AcknowledgementFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Acknowledgement.objects.none()
        visible = PlanVersion.objects.visible_to(self.request.user)
        return Acknowledgement.objects.filter(version__in=visible).select_related("user")


# -- plans ----------------------------------------------------------------------


def plan_actions(user, plan):
    """The API actions `user` may take on `plan` now."""
    editable = permissions.can_edit_plan(user, plan)
    latest = plan.latest_version
    actions = []
    if editable and latest and latest.status == Status.DRAFT:
        actions.append("edit")
    if editable and latest and latest.status not in (Status.DRAFT, Status.IN_REVIEW):
        actions.append("revise")
    if editable and plan.conformance_review_due:
        actions.append("confirm-conformance")
    if editable or any(permissions.can_communicate(user, version) for version in plan.versions_newest_first):
        actions.append("distribution")
    return actions


class PlanSerializer(serializers.ModelSerializer):
    process_name = serializers.CharField(source="process.name", read_only=True, allow_null=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    created_by = PersonSerializer(read_only=True)
    conforms_to = VersionRefSerializer(
        read_only=True, allow_null=True, help_text="The SMP version this plan conforms to (P1)."
    )
    latest_version = VersionRefSerializer(
        read_only=True, allow_null=True, help_text="The newest version (that you may see)."
    )
    current_version = VersionRefSerializer(
        read_only=True,
        allow_null=True,
        help_text="The version in force: the newest approved or communicated one.",
    )
    versions = VersionRefSerializer(
        source="versions_newest_first",
        many=True,
        read_only=True,
        help_text="Every version (that you may see), newest first.",
    )
    distribution_users = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    distribution_groups = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField(
        help_text="What you may do with the plan now; only in the representation of one plan "
        "(null in lists).",
    )

    class Meta:
        model = Plan
        fields = [
            "id",
            "kind",
            "title",
            "process",
            "process_name",
            "owner",
            "smp",
            "conforms_to",
            "conformance_review_due",
            "latest_version",
            "current_version",
            "versions",
            "distribution_users",
            "distribution_groups",
            "created_by",
            "created_at",
            "available_actions",
        ]
        read_only_fields = fields

    def get_available_actions(self, plan) -> list[str] | None:
        if not self.context.get("detail"):
            return None
        return plan_actions(self.context["request"].user, plan)


class PlanCreateSerializer(serializers.Serializer):
    process = serializers.PrimaryKeyRelatedField(queryset=Process.objects.all())
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Defaults to “<process> plan”."
    )


class PlanTitleSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False)
    revision = serializers.IntegerField(
        min_value=1,
        help_text="The revision of the plan's draft you started from; a stale one gives 409.",
    )


class DistributionSerializer(serializers.Serializer):
    users = _active_users(many=True)
    groups = serializers.PrimaryKeyRelatedField(many=True, queryset=Group.objects.all())


class CompareQuerySerializer(serializers.Serializer):
    a = serializers.IntegerField(min_value=1)
    b = serializers.IntegerField(min_value=1)


class DiffRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["same", "changed", "added", "removed"])
    old_html = serializers.CharField(help_text="The line in version a, escaped, changed words in <del>.")
    new_html = serializers.CharField(help_text="The line in version b, escaped, changed words in <ins>.")


class SectionDiffSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    changed = serializers.BooleanField()
    old = serializers.CharField(help_text="The section's plain text in version a.")
    new = serializers.CharField(help_text="The section's plain text in version b.")
    rows = DiffRowSerializer(many=True)


class ComparisonSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    a = VersionRefSerializer()
    b = VersionRefSerializer()
    sections = SectionDiffSerializer(many=True)


def comparison(plan, old, new):
    sections = []
    for section in diff.compare_versions(old, new):
        sections.append(
            {
                "key": section.key,
                "title": section.title,
                "changed": section.changed,
                "old": section.old_text,
                "new": section.new_text,
                "rows": [
                    {"kind": kind, "old_html": str(left), "new_html": str(right)}
                    for kind, left, right in section.rows
                ],
            }
        )
    return {"plan": plan.pk, "a": old, "b": new, "sections": sections}


class PlanFilter(filters.FilterSet):
    owner = filters.NumberFilter(field_name="process__owner", label="Process owner (user id)")
    status = filters.ChoiceFilter(
        choices=Status.choices,
        method="filter_status",
        label="Status of the newest version (that you may see)",
    )

    class Meta:
        model = Plan
        fields = ["kind", "process", "conformance_review_due"]

    def filter_status(self, queryset, name, value):
        visible = PlanVersion.objects.visible_to(self.request.user).values("pk")
        newest = (
            PlanVersion.objects.filter(plan=OuterRef("pk"), pk__in=visible)
            .order_by("-number")
            .values("status")[:1]
        )
        return queryset.annotate(newest_status=Subquery(newest)).filter(newest_status=value)


def plans_visible_to(user):
    """The plans `user` may see, each with only the versions he or she may see."""
    return (
        Plan.objects.visible_to(user)
        .with_current(user)
        .select_related("created_by")
        .prefetch_related("distribution_users", "distribution_groups")
    )


PLAN_RESPONSES = {200: PlanSerializer, **_errors(400, 403, 404, 409)}


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The service management plan and the process plans (P1), with their versions."""

    serializer_class = PlanSerializer
    permission_classes = [permissions.PlanAccess]
    # Checked by the services: revise/confirm by the plan's editors, the distribution
    # list also by its communication responsibility.
    transition_actions = {"revise", "confirm_conformance", "distribution"}
    filterset_class = PlanFilter
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

    def _valid(self, serializer_class, data=None):
        serializer = serializer_class(
            data=self.request.data if data is None else data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _respond(self, plan, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=plan.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    @extend_schema(
        request=PlanCreateSerializer,
        responses={201: PlanSerializer, **_errors(400, 403)},
        description="Create the plan of a process (its owner or a deputy); it belongs to the SMP "
        "and conforms to its version in force (P1).",
    )
    def create(self, request):
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
        responses={201: VersionSerializer, **_errors(403, 404, 409)},
        description="P4: start draft revision n+1 from the version in force; the approved version "
        "stays as it is until the new one is approved.",
    )
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        plan = self.get_object()
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
        services.confirm_conformance(
            plan=plan, actor=request.user, comment=self._valid(CommentSerializer)["comment"]
        )
        return self._respond(plan)

    @extend_schema(
        request=DistributionSerializer,
        responses=PLAN_RESPONSES,
        description="P6: who receives the plan when it is communicated (people and roles).",
    )
    @action(detail=True, methods=["put"])
    def distribution(self, request, pk=None):
        plan = self.get_object()
        data = self._valid(DistributionSerializer)
        services.set_distribution(plan=plan, actor=request.user, users=data["users"], groups=data["groups"])
        return self._respond(plan)

    @extend_schema(
        parameters=[
            OpenApiParameter("a", OpenApiTypes.INT, required=True, description="Number of the old version."),
            OpenApiParameter("b", OpenApiTypes.INT, required=True, description="Number of the new version."),
        ],
        responses={200: ComparisonSerializer, **_errors(400, 404)},
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
            name: [f"“{plan}” has no version {number} that you may see."]
            for name, number in numbers.items()
            if number not in versions
        }
        if missing:
            raise ValidationError(missing)
        result = comparison(plan, versions[numbers["a"]], versions[numbers["b"]])
        return Response(ComparisonSerializer(result).data)


def register(router):
    router.register("processes", ProcessViewSet, basename="process")
    router.register("plans", PlanViewSet, basename="plan")
    router.register("versions", VersionViewSet, basename="planversion")
    router.register("objectives", ObjectiveViewSet, basename="objective")
    router.register("kpis", KpiViewSet, basename="kpi")
    router.register("responsibilities", ResponsibilityViewSet, basename="responsibility")
    router.register("acknowledgements", AcknowledgementViewSet, basename="acknowledgement")
