"""How Check looks in the REST API, and the shape of the input it takes.

Serializers check shape and type only: whether a change is allowed, and
whether the result keeps the rules, is for `reviews.services`, which says so
with its own message (a field the rule requires is optional here when the
service names it, e.g. a finding's evidence). Related objects a user may not
see do not exist for him or her (`VisiblePlanField`, `VisibleReviewField`).
What a user may do with a review now comes from
`reviews.permissions.review_actions`, the function the pages render too.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from pdca.markdown import render_markdown
from plans.api.serializers import CommentSerializer, PersonSerializer
from plans.models import Plan, PlanVersion, Process

from .. import permissions
from ..models import (
    Addendum,
    Attainment,
    Finding,
    Review,
    ReviewAction,
    ReviewInput,
    ReviewSchedule,
)
from ..rules import submission_problems

User = get_user_model()

REVISION_HELP = _("The review's revision this change is based on; a stale one is refused with 409.")


def _users(**kwargs):
    # Any user: the services say it with their own message when a person is no longer active.
    return serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), **kwargs)


def _active_users(**kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), **kwargs)


class VisiblePlanField(serializers.PrimaryKeyRelatedField):
    """A plan id; plans the user may not see do not exist for him or her."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Plan.objects.all(), **kwargs)

    def get_queryset(self):
        return Plan.objects.visible_to(self.context["request"].user)


class VisibleReviewField(serializers.PrimaryKeyRelatedField):
    """A review id; reviews the user may not see do not exist for him or her."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Review.objects.all(), **kwargs)

    def get_queryset(self):
        return Review.objects.visible_to(self.context["request"].user)


# -- small shared shapes -------------------------------------------------------------


class ProcessRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Process
        fields = ["id", "name"]
        read_only_fields = fields


class ReviewedVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanVersion
        fields = ["id", "number"]
        read_only_fields = fields


class ReturnSerializer(serializers.Serializer):
    # Required by the rule in services.return_review, which says so with its own message.
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required: what has to change.")
    )


# -- review schedules (C2) -----------------------------------------------------------------


class ScheduleSerializer(serializers.ModelSerializer):
    plan_title = serializers.CharField(source="plan.title", read_only=True)
    reviewer = PersonSerializer(read_only=True)
    overdue = serializers.SerializerMethodField(help_text=_("The next review's date has passed."))

    class Meta:
        model = ReviewSchedule
        fields = [
            "id",
            "plan",
            "plan_title",
            "interval_months",
            "next_planned_on",
            "last_planned_on",
            "reviewer",
            "overdue",
            "created_at",
        ]
        read_only_fields = fields

    def get_overdue(self, schedule) -> bool:
        return schedule.is_overdue()


class ScheduleEditSerializer(serializers.Serializer):
    # Bounds are the rule's (C2, services.save_schedule), which says so with its own message.
    interval_months = serializers.IntegerField(
        help_text=_("Months between two reviews: 1 to 12 (a plan is reviewed at least once a year).")
    )
    next_planned_on = serializers.DateField(help_text=_("The date the next review is planned for."))
    reviewer = _active_users(help_text=_("Who leads the plan's scheduled reviews."))


# -- the parts of a review ------------------------------------------------------------------


class InputSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)

    class Meta:
        model = ReviewInput
        fields = ["key", "label", "position", "status", "notes"]
        read_only_fields = fields


class AttainmentSerializer(serializers.ModelSerializer):
    met = serializers.BooleanField(
        read_only=True,
        allow_null=True,
        help_text=_("Whether the target was met; null if nothing was measured."),
    )

    class Meta:
        model = Attainment
        fields = [
            "id",
            "kpi",
            "objective_code",
            "objective_title",
            "metric",
            "unit",
            "direction",
            "target",
            "measured",
            "met",
            "comment",
        ]
        read_only_fields = fields


class FindingPartSerializer(serializers.ModelSerializer):
    """A finding as part of its review."""

    code = serializers.CharField(read_only=True)
    process = ProcessRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "code",
            "number",
            "grade",
            "clause",
            "process",
            "description",
            "evidence",
            "status",
            "raised_at",
            "closed_at",
        ]
        read_only_fields = fields


class ActionPartSerializer(serializers.ModelSerializer):
    """An action as part of its review."""

    owner = PersonSerializer(read_only=True)
    done_by = PersonSerializer(read_only=True, allow_null=True)
    overdue = serializers.SerializerMethodField(help_text=_("Open, and its due date has passed."))
    finding = serializers.SlugRelatedField(
        slug_field="number",
        read_only=True,
        allow_null=True,
        help_text=_("The number of the finding of the same review the action addresses, if any."),
    )

    class Meta:
        model = ReviewAction
        fields = [
            "id",
            "description",
            "owner",
            "due_on",
            "finding",
            "status",
            "done_on",
            "done_by",
            "done_note",
            "overdue",
        ]
        read_only_fields = fields

    def get_overdue(self, action) -> bool:
        return action.is_overdue()


class AddendumSerializer(serializers.ModelSerializer):
    author = PersonSerializer(read_only=True)

    class Meta:
        model = Addendum
        fields = ["id", "author", "written_at", "text"]
        read_only_fields = fields


class ApprovalSerializer(serializers.Serializer):
    by = PersonSerializer()
    at = serializers.DateTimeField()


# -- reviews (C3, C4) --------------------------------------------------------------------------


class ReviewSummarySerializer(serializers.ModelSerializer):
    """A review in a list: what, when, who and how far, not its content."""

    plan_title = serializers.CharField(source="plan.title", read_only=True, allow_null=True)
    version = ReviewedVersionSerializer(read_only=True, allow_null=True)
    processes = ProcessRefSerializer(many=True, read_only=True)
    reviewer = PersonSerializer(read_only=True)
    findings_count = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "kind",
            "title",
            "status",
            "plan",
            "plan_title",
            "version",
            "processes",
            "schedule",
            "planned_on",
            "held_on",
            "period_start",
            "period_end",
            "reviewer",
            "revision",
            "submitted_at",
            "approved_at",
            "findings_count",
        ]
        read_only_fields = fields

    def get_findings_count(self, review) -> int:
        # Counted by the list's query (`selectors.reviews_summary`), else from the prefetched findings.
        if hasattr(review, "findings_count"):
            return review.findings_count
        return len(review.findings.all())


class ReviewSerializer(ReviewSummarySerializer):
    """A review with its content and parts, what the requesting user may do
    with it now (and what is refused, with the reason), and, while it is in
    progress, what still keeps it from being submitted."""

    participants = PersonSerializer(many=True, read_only=True)
    author = PersonSerializer(read_only=True)
    last_editor = PersonSerializer(read_only=True)
    decisions_html = serializers.SerializerMethodField(help_text=_("The decisions as sanitised HTML."))
    minutes_html = serializers.SerializerMethodField(help_text=_("The minutes as sanitised HTML."))
    inputs = InputSerializer(
        many=True,
        read_only=True,
        help_text=_("C3: the inputs of a management review (empty for the others)."),
    )
    attainment = AttainmentSerializer(
        source="attainments",
        many=True,
        read_only=True,
        help_text=_("C4: each objective's KPI, its target and what was measured in the period."),
    )
    findings = FindingPartSerializer(many=True, read_only=True)
    actions = ActionPartSerializer(many=True, read_only=True)
    addenda = AddendumSerializer(many=True, read_only=True)
    approval = serializers.SerializerMethodField(
        help_text=_("Who approved the review and when; null before.")
    )
    approved_content = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "The canonical content as approved (null before approval). `content_hash` is the SHA-256 of "
            "this JSON serialised with sorted keys, no spaces (separators ',' and ':') and UTF-8."
        ),
    )
    available_actions = serializers.SerializerMethodField(
        help_text=_(
            "What you may do with the review now: edit (also its inputs, attainment, findings and "
            "actions), start, submit, approve, return, add-addendum."
        )
    )
    refused_actions = serializers.SerializerMethodField(
        help_text=_(
            "The actions offered to you that you may not take now, each with the reason "
            "(e.g. why a manager who took part cannot approve)."
        )
    )
    submission_problems = serializers.SerializerMethodField(
        help_text=_("While in progress: what keeps the review from being submitted, by part; null otherwise.")
    )

    class Meta(ReviewSummarySerializer.Meta):
        fields = [
            *ReviewSummarySerializer.Meta.fields,
            "participants",
            "author",
            "last_editor",
            "edited_at",
            "started_at",
            "decisions",
            "decisions_html",
            "minutes",
            "minutes_html",
            "inputs",
            "attainment",
            "findings",
            "actions",
            "addenda",
            "approval",
            "content_hash",
            "approved_content",
            "available_actions",
            "refused_actions",
            "submission_problems",
        ]
        read_only_fields = fields

    def get_decisions_html(self, review) -> str:
        return render_markdown(review.decisions)

    def get_minutes_html(self, review) -> str:
        return render_markdown(review.minutes)

    @extend_schema_field(ApprovalSerializer(allow_null=True))
    def get_approval(self, review):
        if review.approved_at is None:
            return None
        return {"by": PersonSerializer(review.approved_by).data, "at": review.approved_at}

    def get_available_actions(self, review) -> list[str]:
        return self._actions(review).allowed()

    def get_refused_actions(self, review) -> dict[str, str]:
        return self._actions(review).refused()

    def get_submission_problems(self, review) -> dict[str, list[str]] | None:
        if review.status != Review.Status.IN_PROGRESS:
            return None
        return {field: [str(m) for m in messages] for field, messages in submission_problems(review).items()}

    def _actions(self, review):
        # Both action fields render the one answer of permissions.review_actions.
        cache = self.context.setdefault("_review_actions", {})
        if review.pk not in cache:
            cache[review.pk] = permissions.review_actions(self.context["request"].user, review)
        return cache[review.pk]


class ReviewPlanSerializer(serializers.Serializer):
    """C3: what a new review reviews, when, and who leads it."""

    kind = serializers.ChoiceField(choices=Review.Kind.choices)
    plan = VisiblePlanField(
        required=False,
        allow_null=True,
        help_text=_("The process plan of a process review; a management review reviews the SMP."),
    )
    processes = serializers.PrimaryKeyRelatedField(
        queryset=Process.objects.all(),
        many=True,
        required=False,
        help_text=_("The processes an internal audit covers (required for an audit)."),
    )
    # Required by the rules in services.plan_review, which say so with their own messages.
    reviewer = _users(required=False, allow_null=True, help_text=_("Required: who leads the review."))
    participants = _active_users(many=True, required=False)
    planned_on = serializers.DateField(
        required=False, allow_null=True, help_text=_("Required: the date the review is planned for.")
    )
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("Defaults to the kind and the month.")
    )
    period_start = serializers.DateField(
        required=False, allow_null=True, help_text=_("Defaults to one interval before the period's end.")
    )
    period_end = serializers.DateField(
        required=False, allow_null=True, help_text=_("Defaults to the planned date.")
    )


class ReviewEditSerializer(serializers.Serializer):
    """C4: what a review records while it is planned or in progress; the fields
    left out keep their value."""

    revision = serializers.IntegerField(
        min_value=1,
        help_text=_("Required: the revision you started from; if somebody saved since, you get 409."),
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    held_on = serializers.DateField(required=False, allow_null=True)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False)
    decisions = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text=_("Markdown.")
    )
    minutes = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False, help_text=_("Markdown.")
    )
    participants = _active_users(
        many=True, required=False, help_text=_("Who took part (replaces the list); the reviewer is implied.")
    )


class InputAddressSerializer(serializers.Serializer):
    """C3: how an input of a management review was dealt with."""

    status = serializers.ChoiceField(choices=ReviewInput.Status.choices)
    # Required (unless open) by the rule in services.address_input, which says so itself.
    notes = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("How the input was addressed, or why it does not apply (required unless open)."),
    )
    revision = serializers.IntegerField(required=False, min_value=1, help_text=REVISION_HELP)


class AttainmentEditSerializer(serializers.Serializer):
    """C4: the measured value of an objective's KPI and a comment; left out, they keep their value."""

    measured = serializers.DecimalField(
        max_digits=16,
        decimal_places=4,
        required=False,
        allow_null=True,
        help_text=_("What was measured in the period (null: nothing was)."),
    )
    comment = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    revision = serializers.IntegerField(required=False, min_value=1, help_text=REVISION_HELP)


class AddendumInputSerializer(serializers.Serializer):
    # Required by the rule in services.add_addendum, which says so with its own message.
    text = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required: the correction or completion.")
    )


# -- findings (C6) --------------------------------------------------------------------------------


class FindingSerializer(FindingPartSerializer):
    """A finding with the review it came from."""

    review_title = serializers.CharField(source="review.title", read_only=True)
    review_kind = serializers.ChoiceField(source="review.kind", choices=Review.Kind.choices, read_only=True)
    review_status = serializers.ChoiceField(
        source="review.status", choices=Review.Status.choices, read_only=True
    )
    closed_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta(FindingPartSerializer.Meta):
        fields = [
            "id",
            "review",
            "review_title",
            "review_kind",
            "review_status",
            *FindingPartSerializer.Meta.fields[1:],
            "closed_by",
            "closure_note",
        ]
        read_only_fields = fields


class FindingReviewSerializer(serializers.Serializer):
    review = VisibleReviewField(help_text=_("The review the finding belongs to (while it is open)."))


class FindingEditSerializer(serializers.Serializer):
    """C6: grade, clause, process and the finding with its objective evidence."""

    grade = serializers.ChoiceField(choices=Finding.Grade.choices)
    clause = serializers.CharField(
        max_length=40, required=False, allow_blank=True, help_text=_("ISO/IEC 20000-1 clause, e.g. 8.3.2.")
    )
    process = serializers.PrimaryKeyRelatedField(
        queryset=Process.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("One of the processes the review covers; left empty, the only one it covers."),
    )
    # Required by the rule in services.save_finding, which says so with its own message.
    description = serializers.CharField(required=False, allow_blank=True, help_text=_("Required."))
    evidence = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Required: the objective evidence the finding rests on."),
    )


class FindingCreateSerializer(FindingReviewSerializer, FindingEditSerializer):
    """The documented shape of a new finding: its review and its content."""


# -- actions (C4) -----------------------------------------------------------------------------------


class ActionSerializer(ActionPartSerializer):
    """An action with the review it was decided in."""

    review_title = serializers.CharField(source="review.title", read_only=True)

    class Meta(ActionPartSerializer.Meta):
        fields = ["id", "review", "review_title", *ActionPartSerializer.Meta.fields[1:]]
        read_only_fields = fields


class ActionReviewSerializer(serializers.Serializer):
    review = VisibleReviewField(help_text=_("The review the action is decided in (while it is open)."))


class ActionEditSerializer(serializers.Serializer):
    """C4: an action with its owner and due date."""

    # Required by the rule in services.save_action, which says so with its own message.
    description = serializers.CharField(required=False, allow_blank=True, help_text=_("Required."))
    owner = _users(required=False, allow_null=True, help_text=_("Required: who carries the action out."))
    due_on = serializers.DateField(required=False, allow_null=True, help_text=_("Required."))
    finding = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        help_text=_("The number of the finding of the same review the action addresses; null for none."),
    )


class ActionCreateSerializer(ActionReviewSerializer, ActionEditSerializer):
    """The documented shape of a new action: its review and its content."""


class ActionDoneSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("What was done; recorded with it.")
    )
    done_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text=_("Defaults to today; never in the future.")
    )


class StartSerializer(CommentSerializer):
    held_on = serializers.DateField(
        required=False, allow_null=True, help_text=_("The day the review is held (not in the future).")
    )
