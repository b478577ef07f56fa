"""How Plan looks in the REST API, and the shape of the input it takes.

Serializers check shape and type only: whether a change is allowed, and
whether the result keeps the rules, is for `plans.services`. Related objects
a user may not see do not exist for him or her (`VisibleVersionField`).
What a user may do now comes from `plans.permissions` (`plan_actions`,
`version_actions`), the same functions the pages render their buttons from.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.pickers import PersonRelatedField
from pdca.markdown import render_markdown

from .. import diff, next_steps, permissions, services
from ..models import Acknowledgement, Kpi, Objective, Plan, PlanVersion, Process, Responsibility

User = get_user_model()
Status = PlanVersion.Status
Kind = Responsibility.Kind

# The actions on a plan that the API offers as endpoints; `plan_actions` also
# answers for pages the API does not have (the change history).
PLAN_API_ACTIONS = ("edit", "revise", "confirm-conformance", "distribution", "archive", "restore")

REVISION_HELP = _("The version's revision this change is based on; a stale one is refused with 409.")


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


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Recorded with the decision.")
    )


class ArchiveSerializer(serializers.Serializer):
    # Required by the rule in services.archive_plan, which says so with its own message.
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_("Required: why the plan is archived (e.g. the process is retired); kept on the plan."),
    )


class RequestChangesSerializer(serializers.Serializer):
    # Required by the rule in services.request_changes, which says so with its own message.
    comment = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Required: what has to change.")
    )


class VisibleVersionField(serializers.PrimaryKeyRelatedField):
    """A version id; versions the user may not see do not exist for him or her."""

    def __init__(self, **kwargs):
        super().__init__(queryset=PlanVersion.objects.all(), **kwargs)

    def get_queryset(self):
        return PlanVersion.objects.visible_to(self.context["request"].user)


class VisibleObjectiveField(serializers.PrimaryKeyRelatedField):
    """An objective id, of a version the user may see."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Objective.objects.all(), **kwargs)

    def get_queryset(self):
        visible = PlanVersion.objects.visible_to(self.context["request"].user)
        return Objective.objects.filter(version__in=visible)


# -- processes -----------------------------------------------------------------


class ProcessSerializer(serializers.ModelSerializer):
    owner = PersonRelatedField(permissions.PROCESS_HOLDERS)
    deputies = PersonRelatedField(permissions.PROCESS_HOLDERS, many=True, required=False)
    plan = serializers.SerializerMethodField()

    class Meta:
        model = Process
        fields = ["id", "name", "description", "owner", "deputies", "plan"]

    def get_plan(self, process) -> int | None:
        plan = getattr(process, "plan", None)
        return plan.pk if plan else None


# -- objectives and KPIs ---------------------------------------------------------


class KpiSerializer(serializers.ModelSerializer):
    objective = VisibleObjectiveField()
    owner = PersonRelatedField(permissions.KPI_HOLDERS)
    revision = serializers.IntegerField(write_only=True, required=False, help_text=REVISION_HELP)

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


class ObjectiveSerializer(serializers.ModelSerializer):
    version = VisibleVersionField()
    code = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text=_("A short reference such as O1, kept across versions; the next free one when left empty."),
    )
    traces_to = serializers.PrimaryKeyRelatedField(
        queryset=Objective.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("The SMP objective this objective serves (process plans)."),
    )
    revision = serializers.IntegerField(write_only=True, required=False, min_value=1, help_text=REVISION_HELP)
    kpis = KpiSerializer(many=True, read_only=True)

    class Meta:
        model = Objective
        fields = ["id", "version", "code", "title", "description", "traces_to", "revision", "kpis"]
        # A clash of codes is refused by services.save_objective, which also picks the next free code.
        validators = []


# -- versions ----------------------------------------------------------------------


class VersionSummarySerializer(serializers.ModelSerializer):
    """A version in a list: its state, not its content."""

    plan_title = serializers.CharField(source="plan.title", read_only=True)
    plan_kind = serializers.CharField(source="plan.kind", read_only=True)
    author = PersonSerializer(read_only=True)
    last_editor = PersonSerializer(read_only=True)
    approved_by = PersonSerializer(read_only=True, allow_null=True)
    reviewed_by = PersonSerializer(read_only=True, allow_null=True)
    conforms_to = VersionRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = PlanVersion
        fields = [
            "id",
            "plan",
            "plan_title",
            "plan_kind",
            "number",
            "title",
            "status",
            "revision",
            "conforms_to",
            "author",
            "last_editor",
            "edited_at",
            "reviewer_may_approve",
            "submitted_at",
            "reviewed_at",
            "reviewed_by",
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
    """P2: the five responsibilities of a version, each a list of people (and,
    for the CSI principle, its CSI owners: A1)."""

    review = PersonSerializer(many=True)
    approval = PersonSerializer(many=True)
    communication = PersonSerializer(many=True)
    implementation = PersonSerializer(many=True)
    updating = PersonSerializer(many=True)
    csi_owner = PersonSerializer(many=True, required=False)


class DecisionNoteSerializer(serializers.Serializer):
    """A decision as the loop between people needs it: who, when, the comment."""

    by = PersonSerializer(source="actor")
    at = serializers.DateTimeField()
    comment = serializers.CharField()


class NextStepSerializer(serializers.Serializer):
    """Who acts next on the version (`plans.next_steps.next_step`), as the pages say it."""

    action = serializers.CharField(
        help_text=_("What happens next: submit, review, approve, communicate, acknowledge; '' when nothing.")
    )
    waits_for = PersonSerializer(source="people", many=True, help_text=_("The people named for it."))
    group = serializers.CharField(help_text=_("'managers' when any manager may act; else ''."))
    since = serializers.DateTimeField(allow_null=True)
    waiting = serializers.IntegerField(help_text=_("Recipients who have not acknowledged yet."))
    text = serializers.CharField(help_text=_("The sentence the pages show."))


class VersionSerializer(VersionSummarySerializer):
    """A version with its content, what the requesting user may do with it
    (and what is refused, with the reason), and, for a draft, what still keeps
    it from being submitted."""

    sections = serializers.SerializerMethodField()
    sections_html = serializers.SerializerMethodField()
    section_definitions = serializers.SerializerMethodField()
    responsibilities = serializers.SerializerMethodField()
    objectives = ObjectiveSerializer(many=True, read_only=True)
    available_actions = serializers.SerializerMethodField(
        help_text=_(
            "What you may do with the version now: edit, submit, withdraw, review, approve, "
            "request-changes, communicate, acknowledge. `edit` covers the sections, responsibilities, objectives "
            "and KPIs of a draft; `submit` only once nothing keeps the draft from being submitted."
        )
    )
    refused_actions = serializers.SerializerMethodField(
        help_text=_(
            "The actions offered to you that you may not take now, each with the reason "
            "(e.g. why a manager who is not the named approver cannot approve)."
        )
    )
    submission_problems = serializers.SerializerMethodField()
    changes_requested = serializers.SerializerMethodField(
        help_text=_(
            "For a draft sent back by its reviewer or approver, the request (who, when, the comment), "
            "until the draft is resubmitted; else null."
        )
    )
    withdrawn = serializers.SerializerMethodField(
        help_text=_("For a draft whose submission was withdrawn, who withdrew it, when, and why; else null.")
    )
    submission = serializers.SerializerMethodField(
        help_text=_("For a version awaiting a decision, the submission (who, when, the note); else null.")
    )
    next_step = serializers.SerializerMethodField(
        help_text=_("Who acts next, what they do and since when, as the pages say it.")
    )
    approved_content = serializers.JSONField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "The canonical content as approved (null before approval). `content_hash` is the SHA-256 of "
            "this JSON serialised with sorted keys, no spaces (separators ',' and ':') and UTF-8, "
            "e.g. in Python: hashlib.sha256(json.dumps(approved_content, sort_keys=True, "
            "separators=(',', ':'), ensure_ascii=False).encode()).hexdigest()."
        ),
    )

    class Meta(VersionSummarySerializer.Meta):
        fields = [
            *VersionSummarySerializer.Meta.fields,
            "approved_content",
            "section_definitions",
            "sections",
            "sections_html",
            "responsibilities",
            "objectives",
            "available_actions",
            "refused_actions",
            "submission_problems",
            "changes_requested",
            "withdrawn",
            "submission",
            "next_step",
        ]
        read_only_fields = fields

    @extend_schema_field(DecisionNoteSerializer(allow_null=True))
    def get_changes_requested(self, version):
        return self._note(self._loop(version).change_request)

    @extend_schema_field(DecisionNoteSerializer(allow_null=True))
    def get_withdrawn(self, version):
        return self._note(self._loop(version).withdrawal)

    @extend_schema_field(DecisionNoteSerializer(allow_null=True))
    def get_submission(self, version):
        return self._note(self._loop(version).submission)

    @extend_schema_field(NextStepSerializer)
    def get_next_step(self, version):
        step = next_steps.next_step(version, user=self.context["request"].user, state=self._loop(version))
        return NextStepSerializer(step).data

    def _note(self, decision):
        return DecisionNoteSerializer(decision).data if decision is not None else None

    def _loop(self, version):
        cache = self.context.setdefault("_loop_state", {})
        if version.pk not in cache:
            cache[version.pk] = next_steps.loop_state(version)
        return cache[version.pk]

    def get_sections(self, version) -> dict[str, str]:
        return {key: version.section_text(key) for key, *_ignored in version.plan.section_definitions}

    def get_sections_html(self, version) -> dict[str, str]:
        return {
            key: render_markdown(version.section_text(key))
            for key, *_ignored in version.plan.section_definitions
        }

    @extend_schema_field(SectionDefinitionSerializer(many=True))
    def get_section_definitions(self, version):
        return [{"key": k, "title": t, "guidance": g} for k, t, g in version.plan.section_definitions]

    @extend_schema_field(ResponsiblePeopleSerializer)
    def get_responsibilities(self, version):
        return {
            kind: PersonSerializer(version.responsible(kind), many=True).data
            for kind, _label in version.plan.responsibility_kinds
        }

    def get_available_actions(self, version) -> list[str]:
        return self._actions(version).allowed()

    def get_refused_actions(self, version) -> dict[str, str]:
        return self._actions(version).refused()

    def get_submission_problems(self, version) -> dict[str, list[str]] | None:
        return self._problems(version)

    def _actions(self, version):
        # Both action fields render the one answer of permissions.version_actions.
        cache = self.context.setdefault("_version_actions", {})
        if version.pk not in cache:
            cache[version.pk] = permissions.version_actions(
                self.context["request"].user, version, problems=self._problems(version)
            )
        return cache[version.pk]

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
        help_text=_(
            "Required, with PATCH too: the revision you started from; if somebody saved since, you get 409."
        ),
    )
    sections = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        help_text=_("Section texts (Markdown) by section key; sections not named keep their text."),
    )


class ResponsibilityAssignmentSerializer(serializers.Serializer):
    """P2: all five responsibilities at once; a kind left out is cleared."""

    review = PersonRelatedField(permissions.holders_of(Kind.REVIEW), many=True, required=False)
    approval = PersonRelatedField(permissions.holders_of(Kind.APPROVAL), many=True, required=False)
    communication = PersonRelatedField(permissions.holders_of(Kind.COMMUNICATION), many=True, required=False)
    implementation = PersonRelatedField(
        permissions.holders_of(Kind.IMPLEMENTATION), many=True, required=False
    )
    updating = PersonRelatedField(permissions.holders_of(Kind.UPDATING), many=True, required=False)
    csi_owner = PersonRelatedField(
        permissions.holders_of(Kind.CSI_OWNER),
        many=True,
        required=False,
        help_text=_("The CSI owners (only the CSI principle names them: A1)."),
    )
    reviewer_may_approve = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Whether one person may be named both reviewer and approver (P3); left out: unchanged."),
    )
    revision = serializers.IntegerField(required=False, min_value=1, help_text=REVISION_HELP)


# -- responsibilities and acknowledgements (read) --------------------------------


class ResponsibilitySerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)

    class Meta:
        model = Responsibility
        fields = ["id", "version", "kind", "user"]
        read_only_fields = fields


class AcknowledgementSerializer(serializers.ModelSerializer):
    user = PersonSerializer(read_only=True)
    version_number = serializers.IntegerField(
        source="version.number", read_only=True, help_text=_("The number of the version read (P6).")
    )
    acknowledged = serializers.SerializerMethodField()

    class Meta:
        model = Acknowledgement
        fields = ["id", "version", "version_number", "user", "sent_at", "acknowledged", "acknowledged_at"]
        read_only_fields = fields

    def get_acknowledged(self, acknowledgement) -> bool:
        return acknowledgement.acknowledged_at is not None


# -- plans ----------------------------------------------------------------------


class PlanSerializer(serializers.ModelSerializer):
    """A plan with its versions (that the user may see). Only the
    representation of one plan says what the user may do with it: in a list
    that would cost queries per plan."""

    process_name = serializers.CharField(source="process.name", read_only=True, allow_null=True)
    owner = PersonSerializer(read_only=True, allow_null=True)
    created_by = PersonSerializer(read_only=True)
    conforms_to = VersionRefSerializer(
        read_only=True, allow_null=True, help_text=_("The SMP version this plan conforms to (P1).")
    )
    latest_version = VersionRefSerializer(
        read_only=True, allow_null=True, help_text=_("The newest version (that you may see).")
    )
    current_version = VersionRefSerializer(
        read_only=True,
        allow_null=True,
        help_text=_("The version in force: the newest approved or communicated one."),
    )
    versions = VersionRefSerializer(
        source="versions_newest_first",
        many=True,
        read_only=True,
        help_text=_("Every version (that you may see), newest first."),
    )
    distribution_users = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    distribution_groups = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    archived_at = serializers.DateTimeField(
        read_only=True,
        allow_null=True,
        help_text=_(
            "When a manager archived the plan (null while it is in use); archived plans change no more."
        ),
    )
    archived_by = PersonSerializer(read_only=True, allow_null=True)
    archive_reason = serializers.CharField(read_only=True, help_text=_("Why the plan was archived."))
    available_actions = serializers.SerializerMethodField(
        help_text=_(
            "What you may do with the plan now (edit, revise, confirm-conformance, distribution, archive, "
            "restore); "
            "only in the representation of one plan (null in lists)."
        ),
    )
    refused_actions = serializers.SerializerMethodField(
        help_text=_(
            "The actions on the plan that you may not take now, each with the reason; only in the "
            "representation of one plan (null in lists)."
        ),
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
            "archived_at",
            "archived_by",
            "archive_reason",
            "created_by",
            "created_at",
            "available_actions",
            "refused_actions",
        ]
        read_only_fields = fields

    def get_available_actions(self, plan) -> list[str] | None:
        actions = self._actions(plan)
        return None if actions is None else [name for name in actions.allowed() if name in PLAN_API_ACTIONS]

    def get_refused_actions(self, plan) -> dict[str, str] | None:
        actions = self._actions(plan)
        if actions is None:
            return None
        return {name: reason for name, reason in actions.refused().items() if name in PLAN_API_ACTIONS}

    def _actions(self, plan):
        if not self.context.get("detail"):
            return None
        cache = self.context.setdefault("_plan_actions", {})
        if plan.pk not in cache:
            cache[plan.pk] = permissions.plan_actions(self.context["request"].user, plan)
        return cache[plan.pk]


class PlanCreateSerializer(serializers.Serializer):
    process = serializers.PrimaryKeyRelatedField(queryset=Process.objects.all())
    title = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text=_("Defaults to “<process> plan”.")
    )


class PlanTitleSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=False)
    revision = serializers.IntegerField(
        min_value=1,
        help_text=_("The revision of the plan's draft you started from; a stale one gives 409."),
    )


class DistributionSerializer(serializers.Serializer):
    users = PersonRelatedField(permissions.DISTRIBUTION_HOLDERS, many=True)
    groups = serializers.PrimaryKeyRelatedField(many=True, queryset=Group.objects.all())


# -- comparing versions (P4) ------------------------------------------------------


class CompareQuerySerializer(serializers.Serializer):
    a = serializers.IntegerField(min_value=1)
    b = serializers.IntegerField(min_value=1)


class DiffRowSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["same", "changed", "added", "removed"])
    old_html = serializers.CharField(help_text=_("The line in version a, escaped, changed words in <del>."))
    new_html = serializers.CharField(help_text=_("The line in version b, escaped, changed words in <ins>."))


class SectionDiffSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    changed = serializers.BooleanField()
    old = serializers.CharField(help_text=_("The section's plain text in version a."))
    new = serializers.CharField(help_text=_("The section's plain text in version b."))
    rows = DiffRowSerializer(many=True)


class ComparisonSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    a = VersionRefSerializer()
    b = VersionRefSerializer()
    sections = SectionDiffSerializer(many=True)


def comparison(plan, old, new):
    """What ComparisonSerializer shows: `diff.compare_versions`, section by section."""
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
