"""How Act looks in the REST API, and the shape of the input it takes.

Serializers check shape and type only: whether a change is allowed, and
whether the result keeps the rules (A2-A5), is for `improvements.services`,
which says so with its own message (a field a rule requires is optional here
when the service names it, e.g. the reason of a rejection). Related objects a
user may not see do not exist for him or her (`VisibleImprovementField`,
`VisibleFindingField`, `VisibleKpiField`, `VisibleProcessField`).
What a user may do with an improvement now comes from
`improvements.permissions.improvement_actions`, the function the pages render
their buttons from.

An improvement is named by its register number (`I-<number>`), in the URL as
in every field that refers to one.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from plans.api.serializers import PersonSerializer
from plans.models import Kpi, PlanVersion, Process
from reviews.models import Finding, Review

from .. import permissions, services
from ..models import BaselineValue, EffectivenessCheck, Improvement, Project, ProjectMilestone, ResultValue
from .filters import visible_improvements, visible_processes

User = get_user_model()

AMOUNT = {"max_digits": 16, "decimal_places": 4}


def _active_users(**kwargs):
    return serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True), **kwargs)


# -- what a user may name -------------------------------------------------------------------------------


class VisibleImprovementField(serializers.SlugRelatedField):
    """An improvement's number; improvements the user may not see do not exist for him or her."""

    def __init__(self, **kwargs):
        super().__init__(slug_field="number", queryset=Improvement.objects.all(), **kwargs)

    def get_queryset(self):
        return visible_improvements(self.context["request"].user)


class VisibleFindingField(serializers.PrimaryKeyRelatedField):
    """A finding id, of a review the user may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Finding.objects.all(), **kwargs)

    def get_queryset(self):
        visible = Review.objects.visible_to(self.context["request"].user).values("pk")
        return Finding.objects.filter(review__in=visible)


class VisibleKpiField(serializers.PrimaryKeyRelatedField):
    """A KPI id, of a plan version the user may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Kpi.objects.all(), **kwargs)

    def get_queryset(self):
        visible = PlanVersion.objects.visible_to(self.context["request"].user)
        return Kpi.objects.filter(objective__version__in=visible)


class VisibleProcessField(serializers.PrimaryKeyRelatedField):
    """A process id: any process for who reads the whole SMS, else one of the plans you may read."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Process.objects.all(), **kwargs)

    def get_queryset(self):
        return visible_processes(self.context["request"].user)


# -- small shared shapes ------------------------------------------------------------------------------


class ImprovementProcessSerializer(serializers.ModelSerializer):
    class Meta:
        model = Process
        fields = ["id", "name"]
        read_only_fields = fields


class FindingLinkSerializer(serializers.ModelSerializer):
    """A2: the finding an improvement comes from."""

    code = serializers.CharField(read_only=True)

    class Meta:
        model = Finding
        fields = ["id", "code", "review", "grade"]
        read_only_fields = fields


class ProjectRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "status"]
        read_only_fields = fields


class ImprovementRefSerializer(serializers.ModelSerializer):
    code = serializers.CharField(read_only=True)

    class Meta:
        model = Improvement
        fields = ["number", "code", "title", "scope", "status"]
        read_only_fields = fields


class ImprovementKpiSerializer(serializers.ModelSerializer):
    class Meta:
        model = Kpi
        fields = ["id", "metric", "unit", "direction", "target"]
        read_only_fields = fields


# -- baseline values, results and effectiveness checks (A4, A5) ------------------------------------------


class BaselineValueSerializer(serializers.ModelSerializer):
    """A4: a value of service quality or service level before the improvement."""

    improvement = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = BaselineValue
        fields = [
            "id",
            "improvement",
            "kpi",
            "label",
            "unit",
            "value",
            "measured_on",
            "from_measurements",
            "evidence",
        ]
        read_only_fields = fields


class ResultValueSerializer(serializers.ModelSerializer):
    """A4: a value achieved after implementation, measured over a period."""

    improvement = serializers.SlugRelatedField(slug_field="number", read_only=True)
    recorded_by = PersonSerializer(read_only=True)

    class Meta:
        model = ResultValue
        fields = [
            "id",
            "improvement",
            "kpi",
            "label",
            "unit",
            "value",
            "period_start",
            "period_end",
            "evidence",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class EffectivenessCheckSerializer(serializers.ModelSerializer):
    """A5: who checked whether the improvement worked, when, the result and the evidence."""

    improvement = serializers.SlugRelatedField(slug_field="number", read_only=True)
    checked_by = PersonSerializer(read_only=True)

    class Meta:
        model = EffectivenessCheck
        fields = ["id", "improvement", "checked_by", "checked_on", "effective", "evidence", "recorded_at"]
        read_only_fields = fields


# -- improvements (A2-A5) -----------------------------------------------------------------------------------


class ImprovementSummarySerializer(serializers.ModelSerializer):
    """An improvement in the register: what, whose, how far; not its content."""

    code = serializers.CharField(read_only=True, help_text=_("I-<number>, as in the register."))
    owner = PersonSerializer(read_only=True, allow_null=True)
    raised_by = PersonSerializer(read_only=True)
    processes = ImprovementProcessSerializer(many=True, read_only=True)
    finding = FindingLinkSerializer(
        read_only=True, allow_null=True, help_text=_("The finding it comes from (A2); null otherwise.")
    )
    projects = ProjectRefSerializer(
        many=True, read_only=True, help_text=_("The projects that carry it (A3).")
    )
    overdue = serializers.SerializerMethodField(help_text=_("Open, and its required-by date has passed."))

    class Meta:
        model = Improvement
        fields = [
            "id",
            "number",
            "code",
            "title",
            "source",
            "scope",
            "status",
            "priority",
            "size",
            "owner",
            "processes",
            "finding",
            "projects",
            "raised_on",
            "raised_by",
            "required_by",
            "overdue",
            "effective",
            "approved_at",
            "closed_at",
            "revision",
        ]
        read_only_fields = fields

    def get_overdue(self, improvement) -> bool:
        return improvement.is_overdue()


class ImprovementSerializer(ImprovementSummarySerializer):
    """An improvement with its planning, decisions, baseline, results,
    effectiveness checks and, for a nonconformity, how it is eliminated; and
    what the requesting user may do with it now (and what is refused, with
    the reason)."""

    kpi = ImprovementKpiSerializer(read_only=True, allow_null=True, help_text=_("The KPI it aims at."))
    approved_by = PersonSerializer(read_only=True, allow_null=True)
    closed_by = PersonSerializer(read_only=True, allow_null=True)
    baseline_accepted_by = PersonSerializer(read_only=True, allow_null=True)
    needs_project = serializers.BooleanField(
        read_only=True,
        help_text=_("A3: spanning processes or company-wide, so carried out as one or more projects."),
    )
    is_nonconformity = serializers.BooleanField(
        read_only=True, help_text=_("It comes from a nonconformity, which must be eliminated (A5).")
    )
    baseline = BaselineValueSerializer(
        many=True,
        read_only=True,
        help_text=_("A4: the values before implementation; accepted by the owner before it starts."),
    )
    results = ResultValueSerializer(
        many=True, read_only=True, help_text=_("A4: the values achieved after implementation.")
    )
    effectiveness_checks = EffectivenessCheckSerializer(
        source="checks", many=True, read_only=True, help_text=_("A5: oldest first.")
    )
    nonconformity_problems = serializers.SerializerMethodField(
        help_text=_(
            "A5: for a nonconformity, what it still lacks before it can close (correction, root cause, "
            "corrective action, a positive effectiveness check); null for other improvements."
        )
    )
    available_actions = serializers.SerializerMethodField(
        help_text=_(
            "What you may do with the improvement now: edit (PATCH), approve, reject, baseline (POST "
            "baseline/ and baseline/accept/), start, root-cause (PUT nonconformity/), implemented, "
            "result (POST results/), evaluate, close."
        )
    )
    refused_actions = serializers.SerializerMethodField(
        help_text=_(
            "The actions offered to you that you may not take now, each with the reason "
            "(e.g. why a CSI owner who owns the improvement cannot approve it)."
        )
    )

    class Meta(ImprovementSummarySerializer.Meta):
        fields = [
            *ImprovementSummarySerializer.Meta.fields,
            "description",
            "timescale",
            "justification",
            "expected_benefit",
            "kpi",
            "kpi_key",
            "target",
            "needs_project",
            "approved_by",
            "rejection_reason",
            "implementation_started_at",
            "implemented_at",
            "evaluated_at",
            "result",
            "closed_by",
            "baseline_on",
            "baseline_accepted_by",
            "baseline_accepted_at",
            "baseline",
            "results",
            "effectiveness_checks",
            "is_nonconformity",
            "correction",
            "root_cause",
            "root_cause_method",
            "similar_elsewhere",
            "corrective_action",
            "nonconformity_problems",
            "created_at",
            "available_actions",
            "refused_actions",
        ]
        read_only_fields = fields

    def get_nonconformity_problems(self, improvement) -> list[str] | None:
        if not improvement.is_nonconformity:
            return None
        return [str(problem) for problem in services.nonconformity_problems(improvement)]

    def get_available_actions(self, improvement) -> list[str]:
        return self._actions(improvement).allowed()

    def get_refused_actions(self, improvement) -> dict[str, str]:
        return self._actions(improvement).refused()

    def _actions(self, improvement):
        # Both action fields render the one answer of permissions.improvement_actions.
        cache = self.context.setdefault("_improvement_actions", {})
        if improvement.pk not in cache:
            cache[improvement.pk] = permissions.improvement_actions(self.context["request"].user, improvement)
        return cache[improvement.pk]


class ImprovementProposeSerializer(serializers.Serializer):
    """A2: a new improvement; it starts as proposed. A3: one process is owned
    by that process's owner; several processes or company-wide by the owner named."""

    # Required by the rules in services.propose_improvement, which say so with their own messages.
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text=_("Required.")
    )
    description = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required.")
    )
    scope = serializers.ChoiceField(choices=Improvement.Scope.choices, default=Improvement.Scope.PROCESS)
    processes = VisibleProcessField(
        many=True,
        required=False,
        help_text=_("Exactly one for scope “process”, at least two for “processes”, any for “company”."),
    )
    source = serializers.ChoiceField(
        choices=Improvement.Source.choices,
        default=Improvement.Source.SUGGESTION,
        help_text=_("Not “finding”: findings enter the plan from their review (A2) or by promotion."),
    )
    owner = _active_users(
        required=False,
        allow_null=True,
        help_text=_("Who carries it out; for one process, that process's owner whatever is given (A3)."),
    )
    priority = serializers.ChoiceField(
        choices=Improvement.Priority.choices, default=Improvement.Priority.MEDIUM
    )
    size = serializers.ChoiceField(choices=Improvement.Size.choices, default=Improvement.Size.MEDIUM)
    timescale = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    required_by = serializers.DateField(required=False, allow_null=True, default=None)
    justification = serializers.CharField(required=False, allow_blank=True, default="")
    expected_benefit = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("The measurable benefit expected.")
    )
    kpi = VisibleKpiField(required=False, allow_null=True, default=None, help_text=_("The KPI it aims at."))
    target = serializers.DecimalField(
        **AMOUNT, required=False, allow_null=True, default=None, help_text=_("The KPI value it aims at.")
    )


class ImprovementEditSerializer(serializers.Serializer):
    """The details of an open improvement (its owner or a CSI owner); the
    fields left out keep their value. Scope and processes change only while
    it is proposed."""

    revision = serializers.IntegerField(
        min_value=1,
        help_text=_("Required: the revision you started from; if somebody saved since, you get 409."),
    )
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    scope = serializers.ChoiceField(choices=Improvement.Scope.choices, required=False)
    processes = VisibleProcessField(many=True, required=False)
    owner = _active_users(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=Improvement.Priority.choices, required=False)
    size = serializers.ChoiceField(choices=Improvement.Size.choices, required=False)
    timescale = serializers.CharField(max_length=100, required=False, allow_blank=True)
    required_by = serializers.DateField(required=False, allow_null=True)
    justification = serializers.CharField(required=False, allow_blank=True)
    expected_benefit = serializers.CharField(required=False, allow_blank=True)
    kpi = VisibleKpiField(required=False, allow_null=True)
    target = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)


class RejectSerializer(serializers.Serializer):
    # Required by the rule in services.reject_improvement, which says so with its own message.
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required: why it is rejected.")
    )


class EvaluateSerializer(serializers.Serializer):
    """A5: the effectiveness check of an implemented improvement."""

    effective = serializers.BooleanField(
        help_text=_("true: evaluated; false: not effective, back in implementation (A5).")
    )
    # Required by the rule in services.check_effectiveness, which says so with its own message.
    evidence = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required: what the check rests on.")
    )
    result = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("What the improvement achieved; left empty, the result recorded so far stays."),
    )


class BaselineInputSerializer(serializers.Serializer):
    """A4: either take the baseline from the KPIs' measurements (`baseline_on`,
    optionally `kpis`), or enter one value with its evidence (`label`,
    `value`, `unit`, `measured_on`, `evidence`, optionally `kpi`)."""

    baseline_on = serializers.DateField(
        required=False,
        help_text=_(
            "Take the baseline from the measurements: the last value of each KPI on or before this date."
        ),
    )
    kpis = VisibleKpiField(
        many=True,
        required=False,
        help_text=_("With `baseline_on`: the KPIs to take it from; left out, the improvement's KPI."),
    )
    # Required (for a value entered by hand) by services.add_baseline_value, which says so itself.
    label = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("What the value measures.")
    )
    value = serializers.DecimalField(**AMOUNT, required=False, allow_null=True)
    unit = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    measured_on = serializers.DateField(required=False, allow_null=True, help_text=_("Defaults to today."))
    evidence = serializers.CharField(
        required=False, allow_blank=True, help_text=_("Required for a value entered by hand.")
    )
    kpi = VisibleKpiField(required=False, allow_null=True, help_text=_("The KPI the value belongs to."))

    ENTERED = ("label", "value", "measured_on", "evidence", "kpi")

    def validate(self, data):
        entered = [name for name in self.ENTERED if name in data]
        if "baseline_on" in data and entered:
            raise serializers.ValidationError(
                _(
                    "Either take the baseline from the measurements (baseline_on, kpis) or enter a value "
                    "(label, value, evidence), not both at once."
                )
            )
        if "kpis" in data and "baseline_on" not in data:
            raise serializers.ValidationError({"kpis": [_("The KPIs go with `baseline_on`.")]})
        if "baseline_on" not in data and not entered:
            raise serializers.ValidationError(
                {
                    "baseline_on": [
                        _(
                            "Give the date to take the baseline from the measurements, or enter a value "
                            "with label, value and evidence."
                        )
                    ]
                }
            )
        return data


class ResultInputSerializer(serializers.Serializer):
    """A4: a value achieved after implementation, measured over a period."""

    # Required by the rules in services.record_result, which say so with their own messages.
    label = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text=_("Required."))
    value = serializers.DecimalField(**AMOUNT, required=False, allow_null=True, help_text=_("Required."))
    unit = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    period_start = serializers.DateField(required=False, allow_null=True, help_text=_("Required."))
    period_end = serializers.DateField(required=False, allow_null=True, help_text=_("Required."))
    evidence = serializers.CharField(required=False, allow_blank=True, default="")
    kpi = VisibleKpiField(required=False, allow_null=True, default=None)


class NonconformitySerializer(serializers.Serializer):
    """A5: how a nonconformity is eliminated; the fields left out keep their value."""

    correction = serializers.CharField(
        required=False, allow_blank=True, help_text=_("What was done at once to contain it.")
    )
    root_cause = serializers.CharField(required=False, allow_blank=True)
    root_cause_method = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text=_("e.g. 5 whys, fishbone.")
    )
    similar_elsewhere = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text=_("Whether similar nonconformities exist or could occur elsewhere."),
    )
    corrective_action = serializers.CharField(
        required=False, allow_blank=True, help_text=_("What removes the cause.")
    )
    revision = serializers.IntegerField(
        required=False,
        help_text=_("The improvement's revision you read: a save from a stale copy is refused (409)."),
    )


class PromoteSerializer(serializers.Serializer):
    finding = VisibleFindingField(
        help_text=_("The id of an observation of an approved review (A2: promoted by hand).")
    )


# -- projects (A3) ---------------------------------------------------------------------------------------


class ProjectMilestoneSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProjectMilestone
        fields = ["id", "title", "due_on", "done_on"]
        read_only_fields = fields


class ImprovementProjectSerializer(serializers.ModelSerializer):
    """A3: a project that carries improvements spanning processes or the
    company, with its milestones (and only the improvements you may see)."""

    manager = PersonSerializer(read_only=True)
    improvements = ImprovementRefSerializer(many=True, read_only=True)
    milestones = ProjectMilestoneSerializer(many=True, read_only=True)
    approved_by = PersonSerializer(read_only=True, allow_null=True)
    created_by = PersonSerializer(read_only=True)
    available_actions = serializers.SerializerMethodField(
        help_text=_("What you may do with the project now: edit (PUT/PATCH), approve, milestone.")
    )
    refused_actions = serializers.SerializerMethodField(
        help_text=_("The actions on the project you may not take now, each with the reason.")
    )

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "manager",
            "starts_on",
            "ends_on",
            "status",
            "description",
            "improvements",
            "milestones",
            "approved_by",
            "approved_at",
            "created_by",
            "created_at",
            "available_actions",
            "refused_actions",
        ]
        read_only_fields = fields

    def get_available_actions(self, project) -> list[str]:
        return self._actions(project).allowed()

    def get_refused_actions(self, project) -> dict[str, str]:
        return self._actions(project).refused()

    def _actions(self, project):
        # Both fields render the one answer of permissions.project_actions.
        cache = self.context.setdefault("_project_actions", {})
        if project.pk not in cache:
            cache[project.pk] = permissions.project_actions(self.context["request"].user, project)
        return cache[project.pk]


class ProjectInputSerializer(serializers.Serializer):
    # Required by the rules in services.save_project, which say so with their own messages.
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text=_("Required."))
    manager = _active_users(required=False, allow_null=True, help_text=_("Required: the project manager."))
    starts_on = serializers.DateField(required=False, allow_null=True, help_text=_("Required."))
    ends_on = serializers.DateField(required=False, allow_null=True, help_text=_("Required."))
    description = serializers.CharField(required=False, allow_blank=True)
    improvements = VisibleImprovementField(
        many=True,
        required=False,
        help_text=_("The numbers of the improvements it carries (replaces the list)."),
    )


class MilestoneInputSerializer(serializers.Serializer):
    # Required by the rule in services.save_project_milestone, which says so with its own message.
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, help_text=_("Required."))
    due_on = serializers.DateField(required=False, allow_null=True, help_text=_("Required."))
    done_on = serializers.DateField(required=False, allow_null=True)
