"""The viewsets of Check: review schedules, reviews (with their transitions,
inputs, attainment and addenda), findings and actions.

Reads go through `Review.objects.visible_to` and the selectors the pages use
too (`reviews.selectors`): lists never show what a user may not see, and
anything else is a 404. Every change asks who may first (a `reviews.permissions`
predicate, so that somebody who may not act learns nothing from a 400), then
validates its input with a serializer, then calls one function of
`reviews.services`, which checks every rule again under a row lock; a broken
rule propagates as `RuleViolation` and `pdca.api.exception_handler` turns it
into `{"detail": ..., "errors": {field: [...]}}` with 400, 403 or 409.
"""

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from pdca.api import ServiceViewSet, refusals
from pdca.exceptions import refuse
from plans.api.serializers import CommentSerializer  # one "Comment" shape in the schema
from plans.models import Plan

from .. import permissions, selectors, services
from ..models import Attainment, Finding, Review, ReviewAction, ReviewSchedule
from .filters import ActionFilter, FindingFilter, ReviewFilter, ScheduleFilter
from .serializers import (
    ActionCreateSerializer,
    ActionDoneSerializer,
    ActionEditSerializer,
    ActionReviewSerializer,
    ActionSerializer,
    AddendumInputSerializer,
    AddendumSerializer,
    AttainmentEditSerializer,
    FindingCreateSerializer,
    FindingEditSerializer,
    FindingReviewSerializer,
    FindingSerializer,
    InputAddressSerializer,
    ReturnSerializer,
    ReviewEditSerializer,
    ReviewPlanSerializer,
    ReviewSerializer,
    ReviewSummarySerializer,
    ScheduleEditSerializer,
    ScheduleSerializer,
    StartSerializer,
)

Kind = Review.Kind


def _finding_of(review, number):
    """The finding `number` of `review`, None for none; a number the review
    does not have is a 400 that names the field."""
    if number is None:
        return None
    finding = review.findings.filter(number=number).first()
    if finding is None:
        raise ValidationError({"finding": [_("The review has no finding %(number)s.") % {"number": number}]})
    return finding


class CheckViewSet(ServiceViewSet):
    """`ServiceViewSet`, with PATCH bodies validated field by field."""

    permission_classes = [permissions.ReviewAccess]

    def _valid(self, serializer_class, data=None, partial=False):
        if not partial:
            return super()._valid(serializer_class, data)
        serializer = serializer_class(
            data=self.request.data if data is None else data,
            context=self.get_serializer_context(),
            partial=True,
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


# -- review schedules (C2) -----------------------------------------------------------------


SCHEDULE_RESPONSES = {200: ScheduleSerializer, **refusals(400, 403, 404)}


@extend_schema_view(retrieve=extend_schema(responses={200: ScheduleSerializer, **refusals(404)}))
class ScheduleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CheckViewSet):
    """C2: the review schedule of each plan: reviewed at regular intervals, at
    least once a year; the next due date counts from the planned date of the
    last review. Created when a plan is first communicated."""

    serializer_class = ScheduleSerializer
    filterset_class = ScheduleFilter
    ordering_fields = ["next_planned_on", "interval_months"]
    queryset = ReviewSchedule.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReviewSchedule.objects.none()
        return selectors.schedules_visible_to(self.request.user)

    @extend_schema(
        request=ScheduleEditSerializer,
        responses=SCHEDULE_RESPONSES,
        description="C2: interval (1 to 12 months), next date and reviewer, by the process owner "
        "or a deputy (top management for the SMP). An interval over 12 months is refused "
        "(400, on `interval_months`).",
    )
    def update(self, request, pk=None):
        return self._save(partial=False)

    @extend_schema(
        request=ScheduleEditSerializer,
        responses=SCHEDULE_RESPONSES,
        description="As PUT; the fields left out keep their value.",
    )
    def partial_update(self, request, pk=None):
        return self._save(partial=True)

    def _save(self, partial):
        schedule = self.get_object()
        refuse(permissions.schedule_refusal(self.request.user, schedule.plan))
        data = self._valid(ScheduleEditSerializer, partial=partial)
        services.save_schedule(
            plan=schedule.plan,
            actor=self.request.user,
            interval_months=data.get("interval_months", schedule.interval_months),
            next_planned_on=data.get("next_planned_on", schedule.next_planned_on),
            reviewer=data.get("reviewer", schedule.reviewer),
        )
        return self._respond(schedule)


# -- reviews (C3, C4) ---------------------------------------------------------------------------


REVIEW_RESPONSES = {200: ReviewSerializer, **refusals(400, 403, 404, 409)}


def _planning_refusal(user):
    """Why `user` may plan no review at all, or '' (then the service decides
    for the review asked for). C3: managers plan every kind; the owners and
    deputies of a process plan its process reviews."""
    refusal = permissions.plan_review_refusal(user, Kind.MANAGEMENT)
    if not refusal:
        return ""
    owned = (
        Plan.objects.filter(kind=Plan.Kind.PROCESS)
        .filter(Q(process__owner=user) | Q(process__deputies=user))
        .select_related("process")
        .first()
    )
    return permissions.plan_review_refusal(user, Kind.PROCESS, plan=owned) if owned else refusal


@extend_schema_view(retrieve=extend_schema(responses={200: ReviewSerializer, **refusals(404)}))
class ReviewViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CheckViewSet):
    """C3, C4: management reviews, process reviews and internal audits. Planned
    -> in progress -> submitted -> approved ("return" sends a submitted review
    back). Written while planned or in progress; frozen when submitted; an
    approved review never changes and is completed by addenda."""

    filterset_class = ReviewFilter
    ordering_fields = ["planned_on", "held_on", "submitted_at", "approved_at", "title"]
    queryset = Review.objects.none()  # for the schema; reads go through get_queryset

    def get_serializer_class(self):
        return ReviewSummarySerializer if self.action == "list" else ReviewSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Review.objects.none()
        visible = Review.objects.visible_to(self.request.user)
        if self.action == "list":
            return selectors.reviews_summary(visible)
        return selectors.reviews_with_parts(visible)

    @extend_schema(
        request=ReviewPlanSerializer,
        responses={201: ReviewSerializer, **refusals(400, 403)},
        description="C3: plan a review. Managers plan management reviews (of the SMS, i.e. the SMP) and "
        "internal audits (led by an independent auditor); the owner or a deputy of a process plans "
        "its process reviews. The review fulfils the plan's next scheduled date.",
    )
    def create(self, request):
        refuse(_planning_refusal(request.user))
        data = self._valid(ReviewPlanSerializer)
        review = services.plan_review(
            actor=request.user,
            kind=data["kind"],
            plan=data.get("plan"),
            processes=data.get("processes", []),
            reviewer=data.get("reviewer"),
            participants=data.get("participants", []),
            planned_on=data.get("planned_on"),
            title=data.get("title", ""),
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
        )
        return self._respond(review, status.HTTP_201_CREATED)

    @extend_schema(
        request=ReviewEditSerializer,
        responses=REVIEW_RESPONSES,
        description="C4: dates, period, decisions, minutes and participants, while the review is planned "
        "or in progress, by its reviewer (for a process review also the process owner and deputies). "
        "`revision` is required: a stale one is refused with 409. A submitted or approved review is "
        "refused (400).",
    )
    def partial_update(self, request, pk=None):
        review = self.get_object()
        refuse(permissions.edit_refusal(request.user, review))
        data = dict(self._valid(ReviewEditSerializer))
        revision = data.pop("revision")
        participants = data.pop("participants", None)
        services.update_review(
            review=review,
            actor=request.user,
            expected_revision=revision,
            participants=participants,
            **data,
        )
        return self._respond(review)

    @extend_schema(
        request=StartSerializer,
        responses=REVIEW_RESPONSES,
        description="planned -> in progress: the review is being held (on `held_on`, when given); the "
        "attainment is filled from the period's measurements.",
    )
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        review = self.get_object()
        refuse(permissions.edit_refusal(request.user, review))
        data = self._valid(StartSerializer)
        services.start_review(
            review=review, actor=request.user, comment=data["comment"], held_on=data.get("held_on")
        )
        return self._respond(review)

    @extend_schema(
        request=CommentSerializer,
        responses=REVIEW_RESPONSES,
        description="in progress -> submitted, by the reviewer. Refused (400, `errors` per part) while "
        "something keeps it from submission (see `submission_problems`), e.g. a management review's "
        "unaddressed input (C3).",
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        review = self.get_object()
        refuse(permissions.submit_refusal(request.user, review))
        comment = self._valid(CommentSerializer)["comment"]
        services.submit_review(review=review, actor=request.user, comment=comment)
        return self._respond(review)

    @extend_schema(
        request=ReturnSerializer,
        responses=REVIEW_RESPONSES,
        description="submitted -> in progress, by a manager who may approve it, with a comment saying "
        "what has to change.",
    )
    @action(detail=True, methods=["post"], url_path="return")
    def return_review(self, request, pk=None):
        review = self.get_object()
        refuse(permissions.decide_refusal(request.user, review))
        comment = self._valid(ReturnSerializer)["comment"]
        services.return_review(review=review, actor=request.user, comment=comment)
        return self._respond(review)

    @extend_schema(
        request=CommentSerializer,
        responses=REVIEW_RESPONSES,
        description="submitted -> approved, by a manager who is neither the reviewer nor a participant, "
        "nor who planned or edited it (C4). Stores the approved content and its SHA-256; the review "
        "never changes afterwards, and its schedule's next date counts from its planned date (C2).",
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        review = self.get_object()
        refuse(permissions.decide_refusal(request.user, review))
        comment = self._valid(CommentSerializer)["comment"]
        services.approve_review(review=review, actor=request.user, comment=comment)
        return self._respond(review)

    @extend_schema(
        request=AddendumInputSerializer,
        responses={201: AddendumSerializer, **refusals(400, 403, 404)},
        description="C4: a later correction or completion of an approved review, by its reviewer, a "
        "participant, a manager or the process owner; the approved review itself never changes.",
    )
    @action(detail=True, methods=["post"])
    def addenda(self, request, pk=None):
        review = self.get_object()
        refuse(permissions.addendum_refusal(request.user, review))
        text = self._valid(AddendumInputSerializer)["text"]
        addendum = services.add_addendum(review=review, actor=request.user, text=text)
        return Response(AddendumSerializer(addendum).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=InputAddressSerializer,
        responses=REVIEW_RESPONSES,
        parameters=[
            OpenApiParameter(
                "key",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The input's key, e.g. `feedback`.",
            )
        ],
        description="C3: an input of a management review is addressed, or marked not applicable with "
        "the reason.",
    )
    @action(detail=True, methods=["put"], url_path=r"inputs/(?P<key>[a-z_]+)")
    def inputs(self, request, pk=None, key=None):
        review = self.get_object()
        refuse(permissions.edit_refusal(request.user, review))
        if not any(item.key == key for item in review.inputs.all()):
            raise NotFound(_("This review has no such input."))
        data = self._valid(InputAddressSerializer)
        services.address_input(
            review=review,
            actor=request.user,
            key=key,
            status=data["status"],
            notes=data["notes"],
            expected_revision=data.get("revision"),
        )
        return self._respond(review)

    @extend_schema(
        request=AttainmentEditSerializer,
        responses=REVIEW_RESPONSES,
        parameters=[
            OpenApiParameter(
                "attainment_id",
                OpenApiTypes.INT,
                OpenApiParameter.PATH,
                description="The attainment row's id.",
            )
        ],
        description="C4: the measured value of an objective's KPI (prefilled from the measurements, "
        "correctable) and a comment.",
    )
    @action(detail=True, methods=["patch"], url_path=r"attainment/(?P<attainment_id>[0-9]+)")
    def attainment(self, request, pk=None, attainment_id=None):
        review = self.get_object()
        refuse(permissions.edit_refusal(request.user, review))
        row = get_object_or_404(Attainment, pk=attainment_id, review=review)
        data = self._valid(AttainmentEditSerializer, partial=True)
        services.save_attainment(
            attainment=row,
            actor=request.user,
            measured=data.get("measured", row.measured),
            comment=data.get("comment", row.comment),
            expected_revision=data.get("revision"),
        )
        return self._respond(review)


# -- findings (C6) ----------------------------------------------------------------------------------


FINDING_RESPONSES = {200: FindingSerializer, **refusals(400, 403, 404, 409)}


@extend_schema_view(retrieve=extend_schema(responses={200: FindingSerializer, **refusals(404)}))
class FindingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    CheckViewSet,
):
    """C6: findings of the reviews you may read: nonconformities (major, minor),
    observations and opportunities for improvement, with clause, process and
    objective evidence. Written while their review is open; a submitted or
    approved review's findings are refused (400)."""

    serializer_class = FindingSerializer
    filterset_class = FindingFilter
    ordering_fields = ["raised_at", "grade", "status", "clause", "number"]
    queryset = Finding.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Finding.objects.none()
        return (
            selectors.visible_findings(self.request.user)
            .select_related("closed_by")
            .order_by("-raised_at", "-pk")
        )

    @extend_schema(
        request=FindingCreateSerializer,
        responses={201: FindingSerializer, **refusals(400, 403)},
        description="C6: add a finding to an open review, by whoever writes the review. Numbered "
        "within its review.",
    )
    def create(self, request):
        review = self._valid(FindingReviewSerializer)["review"]
        refuse(permissions.edit_refusal(request.user, review))
        data = self._valid(FindingEditSerializer)
        finding = services.save_finding(review=review, actor=request.user, **self._content(data))
        return self._respond(finding, status.HTTP_201_CREATED)

    @extend_schema(request=FindingEditSerializer, responses=FINDING_RESPONSES)
    def update(self, request, pk=None):
        return self._save(partial=False)

    @extend_schema(
        request=FindingEditSerializer,
        responses=FINDING_RESPONSES,
        description="As PUT; the fields left out keep their value.",
    )
    def partial_update(self, request, pk=None):
        return self._save(partial=True)

    @extend_schema(responses={204: None, **refusals(400, 403, 404)})
    def destroy(self, request, pk=None):
        finding = self.get_object()
        refuse(permissions.edit_refusal(request.user, finding.review))
        services.delete_finding(finding=finding, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _save(self, partial):
        finding = self.get_object()
        refuse(permissions.edit_refusal(self.request.user, finding.review))
        data = self._valid(FindingEditSerializer, partial=partial)
        services.save_finding(
            review=finding.review, actor=self.request.user, finding=finding, **self._content(data, finding)
        )
        return self._respond(finding)

    @staticmethod
    def _content(data, finding=None):
        """The finding's content: what was sent, else what it has (nothing, for a new one)."""
        fields = ("grade", "clause", "process", "description", "evidence")
        return {
            name: data[name] if name in data else (getattr(finding, name) if finding else None)
            for name in fields
        }


# -- actions (C4) -----------------------------------------------------------------------------------


ACTION_RESPONSES = {200: ActionSerializer, **refusals(400, 403, 404, 409)}


@extend_schema_view(retrieve=extend_schema(responses={200: ActionSerializer, **refusals(404)}))
class ActionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, CheckViewSet):
    """C4: the actions decided in reviews, with owner and due date: those of the
    reviews you may read, and yours. Written while their review is open; the
    owner (or the reviewer) marks one done, also after approval."""

    serializer_class = ActionSerializer
    filterset_class = ActionFilter
    ordering_fields = ["due_on", "status", "done_on"]
    queryset = ReviewAction.objects.none()  # for the schema; reads go through get_queryset

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReviewAction.objects.none()
        return selectors.actions_visible_to(self.request.user).order_by("due_on", "pk")

    @extend_schema(
        request=ActionCreateSerializer,
        responses={201: ActionSerializer, **refusals(400, 403)},
        description="C4: add an action to an open review, by whoever writes the review.",
    )
    def create(self, request):
        review = self._valid(ActionReviewSerializer)["review"]
        refuse(permissions.edit_refusal(request.user, review))
        data = self._valid(ActionEditSerializer)
        action_ = services.save_action(
            review=review,
            actor=request.user,
            description=data.get("description", ""),
            owner=data.get("owner"),
            due_on=data.get("due_on"),
            finding=_finding_of(review, data.get("finding")),
        )
        return self._respond(action_, status.HTTP_201_CREATED)

    @extend_schema(request=ActionEditSerializer, responses=ACTION_RESPONSES)
    def update(self, request, pk=None):
        return self._save(partial=False)

    @extend_schema(
        request=ActionEditSerializer,
        responses=ACTION_RESPONSES,
        description="As PUT; the fields left out keep their value.",
    )
    def partial_update(self, request, pk=None):
        return self._save(partial=True)

    @extend_schema(responses={204: None, **refusals(400, 403, 404)})
    def destroy(self, request, pk=None):
        review_action = self.get_object()
        refuse(permissions.edit_refusal(request.user, review_action.review))
        services.delete_action(action=review_action, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _save(self, partial):
        review_action = self.get_object()
        refuse(permissions.edit_refusal(self.request.user, review_action.review))
        data = self._valid(ActionEditSerializer, partial=partial)
        services.save_action(
            review=review_action.review,
            actor=self.request.user,
            action=review_action,
            description=data.get("description", review_action.description),
            owner=data.get("owner", review_action.owner),
            due_on=data.get("due_on", review_action.due_on),
            finding=_finding_of(review_action.review, data["finding"])
            if "finding" in data
            else review_action.finding,
        )
        return self._respond(review_action)

    @extend_schema(
        request=ActionDoneSerializer,
        responses=ACTION_RESPONSES,
        description="C4: the owner of the action, or the reviewer, marks it done (also after the review "
        "was approved); recorded on the review's decisions. Done twice: 409.",
    )
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        review_action = self.get_object()
        refuse(permissions.action_progress_refusal(request.user, review_action))
        data = self._valid(ActionDoneSerializer)
        services.complete_action(
            action=review_action, actor=request.user, note=data["note"], done_on=data["done_on"]
        )
        return self._respond(review_action)


def register(router):
    router.register("review-schedules", ScheduleViewSet, basename="reviewschedule")
    router.register("reviews", ReviewViewSet, basename="review")
    router.register("findings", FindingViewSet, basename="finding")
    router.register("review-actions", ActionViewSet, basename="reviewaction")
