"""The viewsets of Act: the service improvement plan (the register of
improvements, with their transitions as actions), the projects that carry
them, and the read-only lists of baseline values, results and effectiveness
checks.

An improvement is addressed by its register number (`/improvements/12/` is
I-12, as on its page), and every field that names one takes that number.
Reads go through `Improvement.objects.visible_to`: lists never show what a
user may not see, and anything else is a 404. Every change asks who may first
(an `improvements.permissions` predicate, so that somebody who may not act
learns nothing from a 400), then validates its input with a serializer, then
calls one function of `improvements.services`, which checks every rule again
under a row lock; a broken rule propagates as `RuleViolation` and
`pdca.api.exception_handler` turns it into `{"detail": ..., "errors": {...}}`
with 400, 403 or 409.
"""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from pdca.api import ServiceViewSet, refusals
from pdca.api_filters import FilterBackend
from pdca.exceptions import refuse
from plans.api.serializers import CommentSerializer  # one "Comment" shape in the schema

from .. import permissions, selectors, services
from ..models import (
    BaselineValue,
    EffectivenessCheck,
    Improvement,
    Project,
    ProjectMilestone,
    ResultValue,
    readable_by,
)
from .filters import (
    BaselineValueFilter,
    EffectivenessCheckFilter,
    ImprovementFilter,
    ProjectFilter,
    ResultValueFilter,
)
from .serializers import (
    BaselineInputSerializer,
    BaselineValueSerializer,
    EffectivenessCheckSerializer,
    EvaluateSerializer,
    ImprovementEditSerializer,
    ImprovementProjectSerializer,
    ImprovementProposeSerializer,
    ImprovementSerializer,
    ImprovementSummarySerializer,
    MilestoneInputSerializer,
    NonconformitySerializer,
    ProjectInputSerializer,
    PromoteSerializer,
    RejectSerializer,
    ResultInputSerializer,
    ResultValueSerializer,
)

# -- the querysets (what each list and object reads) ----------------------------------------------------
# The page-shaped reads are the selectors the pages use (`improvements.selectors`).


def improvements_summary(queryset):
    """The register's rows, as its page reads them, with their projects: a
    fixed number of queries whatever their number."""
    return (
        selectors.register_rows(queryset)
        .select_related("raised_by")
        .prefetch_related(Prefetch("projects", queryset=Project.objects.order_by("starts_on", "name")))
    )


def projects_with_parts(user):
    """The projects `user` may see (`selectors.projects_visible_to`), each with
    its milestones and the improvements it carries that `user` may see."""
    visible = Improvement.objects.visible_to(user).values("pk")
    return (
        selectors.projects_visible_to(user)
        .select_related("manager", "approved_by", "created_by")
        .prefetch_related(
            Prefetch("milestones", queryset=ProjectMilestone.objects.order_by("due_on", "pk")),
            Prefetch("improvements", queryset=Improvement.objects.filter(pk__in=visible).order_by("number")),
        )
    )


# -- improvements (A2-A5) ----------------------------------------------------------------------------------


IMPROVEMENT_RESPONSES = {200: ImprovementSerializer, **refusals(400, 403, 404, 409)}

NUMBER = OpenApiParameter(
    "number",
    OpenApiTypes.INT,
    OpenApiParameter.PATH,
    description="The improvement's register number (I-<number>).",
)


@extend_schema_view(
    list=extend_schema(responses={200: ImprovementSummarySerializer(many=True), **refusals(400)}),
    retrieve=extend_schema(responses={200: ImprovementSerializer, **refusals(404)}),
)
class ImprovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """A2: the service improvement plan (the CSI register). Proposed ->
    approved -> in implementation -> implemented -> evaluated -> closed, or
    rejected with a reason. CSI owners approve, reject, evaluate and close;
    the owner carries the improvement out (for one process, that process's
    owner, A3); auditors read everything and change nothing."""

    permission_classes = [permissions.ImprovementAccess]
    lookup_field = "number"
    lookup_value_regex = "[0-9]+"
    filter_backends = [FilterBackend]  # ordering is a filter of `ImprovementFilter`, validated
    filterset_class = ImprovementFilter
    queryset = Improvement.objects.none()  # for the schema; reads go through get_queryset

    def get_serializer_class(self):
        return ImprovementSummarySerializer if self.action == "list" else ImprovementSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Improvement.objects.none()
        visible = Improvement.objects.visible_to(self.request.user)
        if self.action == "list":
            return improvements_summary(visible)
        return selectors.improvement_with_parts(visible)

    @extend_schema(
        request=ImprovementProposeSerializer,
        responses={201: ImprovementSerializer, **refusals(400, 403)},
        description="A2: propose an improvement (anyone but an auditor); it starts as proposed, in "
        "the SIP. A3: one process is owned by that process's owner; several processes or a company-wide "
        "one by the owner named, and carried out as a project.",
    )
    def create(self, request):
        refuse(permissions.propose_refusal(request.user))
        data = self._valid(ImprovementProposeSerializer)
        improvement = services.propose_improvement(actor=request.user, **data)
        return self._respond_created(improvement)

    @extend_schema(
        request=ImprovementEditSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="The details of an open improvement, by its owner or a CSI owner; the fields left out "
        "keep their value. `revision` is required: a stale one is refused with 409. Scope and processes "
        "change only while it is proposed.",
    )
    def partial_update(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.edit_refusal(request.user, improvement))
        data = dict(self._valid(ImprovementEditSerializer))
        revision = data.pop("revision")
        services.update_improvement(
            improvement=improvement,
            actor=request.user,
            expected_revision=revision,
            scope=data.pop("scope", None),
            processes=data.pop("processes", None),
            **data,
        )
        return self._respond(improvement)

    # -- deciding (A2, A3) --

    @extend_schema(
        request=CommentSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="proposed -> approved, by a CSI owner who neither owns nor proposed it. A3: an "
        "improvement of several processes, or a company-wide one, is refused (400, on `projects`) until "
        "a project carries it.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.decide_refusal(request.user, improvement))
        comment = self._valid(CommentSerializer)["comment"]
        services.approve_improvement(improvement=improvement, actor=request.user, comment=comment)
        return self._respond(improvement)

    @extend_schema(
        request=RejectSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="proposed -> rejected, by a CSI owner, with the reason. A5: a nonconformity is never "
        "rejected (400).",
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.decide_refusal(request.user, improvement))
        reason = self._valid(RejectSerializer)["reason"]
        services.reject_improvement(improvement=improvement, actor=request.user, reason=reason)
        return self._respond(improvement)

    # -- the baseline (A4) --

    @extend_schema(
        request=BaselineInputSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="A4: record the baseline, by the owner, before the implementation starts: with "
        "`baseline_on` (and optionally `kpis`) the last measurement of each KPI on or before that date; "
        "with `label`, `value`, `evidence` (and `unit`, `measured_on`, `kpi`) one value entered by hand. "
        "Refused with 409 once the baseline is accepted.",
    )
    @action(detail=True, methods=["post"])
    def baseline(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.act_refusal(request.user, improvement))
        data = self._valid(BaselineInputSerializer)
        if "baseline_on" in data:
            services.take_baseline(
                improvement=improvement,
                actor=request.user,
                baseline_on=data["baseline_on"],
                kpis=data.get("kpis"),
            )
        else:
            services.add_baseline_value(
                improvement=improvement,
                actor=request.user,
                label=data.get("label", ""),
                value=data.get("value"),
                unit=data.get("unit", ""),
                measured_on=data.get("measured_on"),
                evidence=data.get("evidence", ""),
                kpi=data.get("kpi"),
            )
        return self._respond(improvement)

    @extend_schema(
        request=None,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="A4: the owner accepts the baseline; from then on it never changes, and the "
        "implementation may start.",
    )
    @action(detail=True, methods=["post"], url_path="baseline/accept", url_name="accept-baseline")
    def accept_baseline(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.act_refusal(request.user, improvement))
        services.accept_baseline(improvement=improvement, actor=request.user)
        return self._respond(improvement)

    # -- implementation (A4, A5) --

    @extend_schema(
        request=CommentSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="approved -> in implementation, by the owner. A4: refused (400, on `baseline`) "
        "without an accepted baseline.",
    )
    @action(detail=True, methods=["post"])
    def start(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.act_refusal(request.user, improvement))
        comment = self._valid(CommentSerializer)["comment"]
        services.start_implementation(improvement=improvement, actor=request.user, comment=comment)
        return self._respond(improvement)

    @extend_schema(
        request=NonconformitySerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="A5: the correction, root cause (and its method), similar nonconformities elsewhere "
        "and the corrective action, by the owner while the improvement is approved or in "
        "implementation; the fields left out keep their value.",
    )
    @action(detail=True, methods=["put"])
    def nonconformity(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.act_refusal(request.user, improvement))
        data = dict(self._valid(NonconformitySerializer))
        services.record_nonconformity_handling(
            improvement=improvement, actor=request.user, expected_revision=data.pop("revision", None), **data
        )
        return self._respond(improvement)

    @extend_schema(
        request=CommentSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="in implementation -> implemented, by the owner. A5: a nonconformity's root cause "
        "and corrective action are recorded first (400, on `root_cause`).",
    )
    @action(detail=True, methods=["post"])
    def implemented(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.act_refusal(request.user, improvement))
        comment = self._valid(CommentSerializer)["comment"]
        services.mark_implemented(improvement=improvement, actor=request.user, comment=comment)
        return self._respond(improvement)

    @extend_schema(
        request=ResultInputSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="A4: a value achieved after implementation, measured over a period, by the owner "
        "(once the improvement is implemented).",
    )
    @action(detail=True, methods=["post"])
    def results(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.act_refusal(request.user, improvement))
        data = self._valid(ResultInputSerializer)
        services.record_result(
            improvement=improvement,
            actor=request.user,
            label=data.get("label", ""),
            value=data.get("value"),
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            unit=data["unit"],
            evidence=data["evidence"],
            kpi=data["kpi"],
        )
        return self._respond(improvement)

    # -- evaluating and closing (A4, A5) --

    @extend_schema(
        request=EvaluateSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="A5: the effectiveness check of an implemented improvement, by a CSI owner other "
        "than its owner, with evidence, once the achieved values are recorded. Effective: implemented "
        "-> evaluated. Not effective: back to in implementation, and its owner and the CSI owners are "
        "told.",
    )
    @action(detail=True, methods=["post"])
    def evaluate(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.decide_refusal(request.user, improvement))
        data = self._valid(EvaluateSerializer)
        services.check_effectiveness(improvement=improvement, actor=request.user, **data)
        return self._respond(improvement)

    @extend_schema(
        request=CommentSerializer,
        parameters=[NUMBER],
        responses=IMPROVEMENT_RESPONSES,
        description="evaluated -> closed, by a CSI owner, once found effective. A5: a nonconformity "
        "closes only with its correction, root cause, corrective action and a positive effectiveness "
        "check (see `nonconformity_problems`); its finding closes with it.",
    )
    @action(detail=True, methods=["post"])
    def close(self, request, number=None):
        improvement = self.get_object()
        refuse(permissions.decide_refusal(request.user, improvement))
        comment = self._valid(CommentSerializer)["comment"]
        services.close_improvement(improvement=improvement, actor=request.user, comment=comment)
        return self._respond(improvement)

    # -- promoting an observation (A2) --

    @extend_schema(
        request=PromoteSerializer,
        responses={201: ImprovementSerializer, **refusals(400, 403, 409)},
        description="A2: an observation of an approved review enters the improvement plan by hand, by a "
        "CSI owner or the owner of its process. Nonconformities and opportunities enter when their "
        "review is approved (400); an observation already in the plan is a 409.",
    )
    @action(detail=False, methods=["post"])
    def promote(self, request):
        refuse(permissions.promote_refusal(request.user))
        finding = self._valid(PromoteSerializer)["finding"]
        improvement = services.promote_observation(finding=finding, actor=request.user)
        return self._respond_created(improvement)

    def _respond_created(self, improvement):
        """201 with the new improvement, also when its author may not read it
        back (staff see the improvements of the processes whose plans they
        read, so not a company-wide one they proposed)."""
        if self.get_queryset().filter(pk=improvement.pk).exists():
            return self._respond(improvement, status.HTTP_201_CREATED)
        fresh = selectors.improvement_with_parts(Improvement.objects.all()).get(pk=improvement.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)


# -- projects (A3) ---------------------------------------------------------------------------------------


PROJECT_RESPONSES = {200: ImprovementProjectSerializer, **refusals(400, 403, 404)}


@extend_schema_view(
    list=extend_schema(responses={200: ImprovementProjectSerializer(many=True), **refusals(400)}),
    retrieve=extend_schema(responses={200: ImprovementProjectSerializer, **refusals(404)}),
)
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ServiceViewSet):
    """A3: the projects that carry improvements spanning processes or the
    company, with their milestones. CSI owners and managers set them up (the
    project manager keeps his or her own); a manager who neither manages nor
    set it up approves it."""

    permission_classes = [permissions.ImprovementAccess]
    serializer_class = ImprovementProjectSerializer
    filter_backends = [FilterBackend]  # ordering is a filter of `ProjectFilter`, validated
    filterset_class = ProjectFilter
    queryset = Project.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Project.objects.none()
        return projects_with_parts(self.request.user)

    @extend_schema(
        request=ProjectInputSerializer,
        responses={201: ImprovementProjectSerializer, **refusals(400, 403)},
        description="A3: set up a project (CSI owners and managers) with its manager, start and end, "
        "and the improvements it carries.",
    )
    def create(self, request):
        refuse(permissions.project_refusal(request.user))
        data = self._valid(ProjectInputSerializer)
        project = services.save_project(
            actor=request.user,
            name=data.get("name", ""),
            manager=data.get("manager"),
            starts_on=data.get("starts_on"),
            ends_on=data.get("ends_on"),
            description=data.get("description", ""),
            improvements=data.get("improvements", []),
        )
        return self._respond(project, status.HTTP_201_CREATED)

    @extend_schema(request=ProjectInputSerializer, responses=PROJECT_RESPONSES)
    def update(self, request, pk=None):
        return self._save()

    @extend_schema(
        request=ProjectInputSerializer,
        responses=PROJECT_RESPONSES,
        description="As PUT; the fields left out keep their value.",
    )
    def partial_update(self, request, pk=None):
        return self._save()

    def _save(self):
        project = self.get_object()
        refuse(permissions.project_refusal(self.request.user, project))
        data = self._valid(ProjectInputSerializer)
        services.save_project(
            actor=self.request.user,
            project=project,
            name=data.get("name", project.name),
            manager=data.get("manager", project.manager),
            starts_on=data.get("starts_on", project.starts_on),
            ends_on=data.get("ends_on", project.ends_on),
            description=data.get("description", project.description),
            # The improvements the user may not see stay with the project.
            improvements=data["improvements"] + list(self._hidden_improvements(project))
            if "improvements" in data
            else list(project.improvements.all()),
        )
        return self._respond(project)

    def _hidden_improvements(self, project):
        visible = Improvement.objects.visible_to(self.request.user).values("pk")
        return Improvement.objects.filter(projects=project).exclude(pk__in=visible)

    @extend_schema(
        request=CommentSerializer,
        responses={200: ImprovementProjectSerializer, **refusals(400, 403, 404, 409)},
        description="A3: planned -> running, by a manager who neither manages nor set up the project.",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        project = self.get_object()
        refuse(permissions.project_approval_refusal(request.user, project))
        comment = self._valid(CommentSerializer)["comment"]
        services.approve_project(project=project, actor=request.user, comment=comment)
        return self._respond(project)

    @extend_schema(
        request=MilestoneInputSerializer,
        responses={201: ImprovementProjectSerializer, **refusals(400, 403, 404)},
        description="A3: add a milestone to the project (whoever may change the project).",
    )
    @action(detail=True, methods=["post"])
    def milestones(self, request, pk=None):
        project = self.get_object()
        refuse(permissions.project_refusal(request.user, project))
        data = self._valid(MilestoneInputSerializer)
        services.save_project_milestone(
            project=project,
            actor=request.user,
            title=data.get("title", ""),
            due_on=data.get("due_on"),
            done_on=data.get("done_on"),
        )
        return self._respond(project, status.HTTP_201_CREATED)

    @extend_schema(
        request=MilestoneInputSerializer,
        parameters=[
            OpenApiParameter(
                "milestone_id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The milestone's id."
            )
        ],
        responses=PROJECT_RESPONSES,
        description="Change a milestone of the project, e.g. record the day it was reached (`done_on`); "
        "the fields left out keep their value.",
    )
    @action(detail=True, methods=["put"], url_path=r"milestones/(?P<milestone_id>[0-9]+)")
    def milestone(self, request, pk=None, milestone_id=None):
        project = self.get_object()
        refuse(permissions.project_refusal(request.user, project))
        milestone = get_object_or_404(ProjectMilestone, pk=milestone_id, project=project)
        data = self._valid(MilestoneInputSerializer)
        services.save_project_milestone(
            project=project,
            actor=request.user,
            milestone=milestone,
            title=data.get("title", milestone.title),
            due_on=data.get("due_on", milestone.due_on),
            done_on=data.get("done_on", milestone.done_on),
        )
        return self._respond(project)


# -- baseline values, results and effectiveness checks (A4, A5) ------------------------------------------


def _documented(serializer_class):
    """The list and the read of a part, with their refusals."""
    return extend_schema_view(
        list=extend_schema(responses={200: serializer_class(many=True), **refusals(400)}),
        retrieve=extend_schema(responses={200: serializer_class, **refusals(404)}),
    )


class ImprovementPartViewSet(viewsets.ReadOnlyModelViewSet):
    """The parts of the improvements the user may see; written through the
    improvement's actions."""

    model = None
    related = ()
    filter_backends = [FilterBackend]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model.objects.none()
        return (
            self.model.objects.filter(readable_by(self.request.user, "improvement__"))
            .select_related("improvement", *self.related)
            .order_by("-improvement__number", "pk")
        )


@_documented(BaselineValueSerializer)
class BaselineValueViewSet(ImprovementPartViewSet):
    """A4: the baseline values of improvements (`?improvement=<number>`); recorded with
    POST /improvements/{number}/baseline/."""

    model = BaselineValue
    serializer_class = BaselineValueSerializer
    filterset_class = BaselineValueFilter
    queryset = BaselineValue.objects.none()


@_documented(ResultValueSerializer)
class ResultValueViewSet(ImprovementPartViewSet):
    """A4: the values achieved by improvements (`?improvement=<number>`); recorded with
    POST /improvements/{number}/results/."""

    model = ResultValue
    related = ("recorded_by",)
    serializer_class = ResultValueSerializer
    filterset_class = ResultValueFilter
    queryset = ResultValue.objects.none()


@_documented(EffectivenessCheckSerializer)
class EffectivenessCheckViewSet(ImprovementPartViewSet):
    """A5: the effectiveness checks of improvements (`?improvement=<number>`); made with
    POST /improvements/{number}/evaluate/."""

    model = EffectivenessCheck
    related = ("checked_by",)
    serializer_class = EffectivenessCheckSerializer
    filterset_class = EffectivenessCheckFilter
    queryset = EffectivenessCheck.objects.none()


def register(router):
    router.register("improvements", ImprovementViewSet, basename="improvement")
    router.register("improvement-projects", ProjectViewSet, basename="improvement-project")
    router.register("baselines", BaselineValueViewSet, basename="baseline")
    router.register("results", ResultValueViewSet, basename="result")
    router.register("effectiveness-checks", EffectivenessCheckViewSet, basename="effectiveness-check")
