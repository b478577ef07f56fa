"""Check (C1-C4, C6): KPI measurements, review schedules, reviews of three
kinds, and their findings and actions.

A `Review` is a controlled document (`pdca.controlled`): it is written while
planned or in progress, frozen when submitted, and never changes once
approved; later corrections are `Addendum`s. Its inputs, objective attainment,
findings and actions are its parts. A finding's state and an action's progress
keep changing after approval (Act closes findings; owners complete actions).
"""

import uuid
from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import reads_everything
from pdca.controlled import ControlledContent, ControlledDocument, ControlledDocumentQuerySet, person
from plans.models import Kpi, Plan, PlanVersion, Process

from .dates import add_months

# -- measurements (C1) -----------------------------------------------------------------


class MeasurementQuerySet(models.QuerySet):
    def of_kpi(self, kpi):
        """The series of a KPI across the versions of its plan (same key)."""
        return self.filter(kpi_key=kpi.key)

    def within(self, start, end):
        """Measurements whose period ends within [start, end]."""
        return self.filter(period_end__gte=start, period_end__lte=end)


class Measurement(models.Model):
    """C1: a value of a KPI for a period, compared with the KPI's target. It is
    recorded against the KPI of the version in force and belongs to the KPI's
    series across versions (`kpi_key`)."""

    kpi = models.ForeignKey(Kpi, on_delete=models.PROTECT, related_name="measurements")
    kpi_key = models.UUIDField(db_index=True, editable=False)
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.DecimalField(max_digits=16, decimal_places=4)
    source = models.CharField(max_length=200, blank=True, help_text=_("Where the value comes from."))
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    objects = MeasurementQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kpi_key", "period_end", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi_key", "period_start", "period_end"], name="one_value_per_period"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="period_in_order"
            ),
        ]
        indexes = [
            models.Index(fields=["kpi_key", "period_end"]),
            # The API's list, the latest first.
            models.Index(fields=["period_end", "id"], name="measurement_latest_idx"),
        ]

    def __str__(self):
        return f"{self.kpi.metric}: {self.value} ({self.period_start} – {self.period_end})"

    @property
    def met(self):
        return self.kpi.is_met_by(self.value)


# -- review schedules (C2) ----------------------------------------------------------------


class ReviewScheduleQuerySet(models.QuerySet):
    def in_use(self):
        """The schedules of plans in use: an archived plan is reviewed no more."""
        return self.filter(plan__archived_at__isnull=True)

    def overdue(self, today=None):
        return self.filter(next_planned_on__lt=today or timezone.localdate())

    def due_within(self, days, today=None):
        today = today or timezone.localdate()
        return self.filter(next_planned_on__gte=today, next_planned_on__lte=today + timedelta(days=days))


class ReviewSchedule(models.Model):
    """C2: every approved plan is reviewed at regular intervals, at least once a
    year. The next due date counts from the planned date of the last review,
    not from the day it was held."""

    MAX_INTERVAL_MONTHS = 12

    plan = models.OneToOneField(Plan, on_delete=models.PROTECT, related_name="review_schedule")
    interval_months = models.PositiveSmallIntegerField(default=12)
    next_planned_on = models.DateField()
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The planned date the next one was counted from (the last review's planned date).
    last_planned_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReviewScheduleQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["next_planned_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_months__gte=1, interval_months__lte=12), name="reviewed_at_least_yearly"
            )
        ]

    def __str__(self):
        return f"{self.plan}: every {self.interval_months} months, next {self.next_planned_on}"

    def get_absolute_url(self):
        return self.plan.get_absolute_url() + "#review-schedule"

    def is_overdue(self, today=None):
        return self.next_planned_on < (today or timezone.localdate())

    def next_after(self, planned_on):
        """C2: the next due date after a review planned for `planned_on`."""
        return add_months(planned_on, self.interval_months)


# -- reviews (C3, C4) -------------------------------------------------------------------


class ReviewQuerySet(ControlledDocumentQuerySet):
    def visible_to(self, user):
        """Everybody who reads the whole SMS reads every review; staff read the
        approved reviews of the plans they can read."""
        if reads_everything(user):
            return self
        return self.filter(status=Review.Status.APPROVED, plan__in=Plan.objects.visible_to(user).values("pk"))

    def awaiting_approval(self):
        return self.filter(status=Review.Status.SUBMITTED)


class Review(ControlledDocument):
    """C3, C4: a management review of the SMS, a process review of one process
    plan, or an internal audit of one or more processes. Planned -> in progress
    -> submitted -> approved; "return" sends a submitted review back. A manager
    who is neither the reviewer nor a participant approves it."""

    class Kind(models.TextChoices):
        MANAGEMENT = "management", _("Management review")
        PROCESS = "process", _("Process review")
        INTERNAL_AUDIT = "internal_audit", _("Internal audit")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")

    EDITABLE_STATES = (Status.PLANNED, Status.IN_PROGRESS)
    APPROVED_STATES = (Status.APPROVED,)
    FROZEN_TRANSITIONS = frozenset(
        {(Status.SUBMITTED, Status.IN_PROGRESS), (Status.SUBMITTED, Status.APPROVED)}
    )
    CONTENT_FIELDS = (
        "kind",
        "title",
        "plan",
        "version",
        "planned_on",
        "held_on",
        "period_start",
        "period_end",
        "reviewer",
        "decisions",
        "minutes",
    )
    AUTHOR_REFUSAL = _("You led this review: the approver is never its reviewer.")
    LAST_EDITOR_REFUSAL = _("You edited this review last: the approver is never its last editor.")
    EDITOR_REFUSAL = _("You edited this review: the approver is never one of its editors.")
    STALE_MESSAGE = _(
        "%(editor)s saved this review at %(time)s after you opened it. Your text is kept below: "
        "compare it with the current text and save again."
    )

    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    # What is reviewed: the plan and the exact version (the SMP for a
    # management review, the process plan for a process review); an internal
    # audit names its processes and may name no plan.
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews")
    version = models.ForeignKey(
        PlanVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    processes = models.ManyToManyField(Process, blank=True, related_name="audits")
    schedule = models.ForeignKey(
        ReviewSchedule, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    planned_on = models.DateField()
    held_on = models.DateField(null=True, blank=True)
    period_start = models.DateField()
    period_end = models.DateField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_led"
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="reviews_attended"
    )
    decisions = models.TextField(blank=True, help_text=_("The decisions taken (Markdown)."))
    minutes = models.TextField(blank=True, help_text=_("The minutes of the review (Markdown)."))
    started_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ReviewQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["approved_content"], m2m_fields=[participants, processes])

    class Meta:
        ordering = ["-planned_on", "-pk"]
        permissions = [
            ("approve_review", "Can approve reviews (top management)"),
            ("export_report", "Can export review reports"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="review_period_in_order"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "planned_on"]),
            # The lists of reviews, the latest planned first (the model's ordering).
            models.Index(fields=["planned_on", "id"], name="review_planned_idx"),
            # The calendar's month: the reviews planned or held in it.
            models.Index(fields=["held_on"], name="review_held_idx"),
            # The latest approved reviews (the reports panel of the dashboard).
            models.Index(fields=["status", "approved_at"], name="review_status_approved_idx"),
            # Staff read the approved reviews of the plans they read: the set of
            # their ids from the index alone, not from the wide rows.
            models.Index(fields=["status", "plan", "id"], name="review_visible_idx"),
            # The open review of a schedule (C2: "Reviews to plan" excludes the
            # schedules that have one): the few open reviews, not every review.
            models.Index(
                fields=["schedule"], condition=~Q(status="approved"), name="review_open_by_schedule_idx"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reviews:detail", args=[self.pk])

    def immutable_message(self):
        if self.status == self.Status.SUBMITTED:
            return str(
                _("This review is submitted and cannot be changed; a manager can return it for changes.")
            )
        return str(_("This review is approved and never changes: add an addendum to correct or complete it."))

    def approval_excluded_users(self):
        """C4: the approver is neither the reviewer nor a participant."""
        excluded = {self.reviewer_id: _("You led this review: the approver is never its reviewer.")}
        for participant_id in self.participants.values_list("pk", flat=True):
            excluded.setdefault(
                participant_id, _("You took part in this review: the approver is never a participant.")
            )
        return excluded

    @property
    def is_management_review(self):
        return self.kind == self.Kind.MANAGEMENT

    def canonical_content(self):
        """Everything the approval covers (C4), in a stable form for hashing."""
        return {
            "kind": self.kind,
            "title": self.title,
            "plan": {"id": self.plan_id, "title": self.version.title if self.version_id else None},
            "version": {"id": self.version_id, "number": self.version.number} if self.version_id else None,
            "processes": sorted(
                ({"id": p.pk, "name": p.name} for p in self.processes.all()), key=lambda p: p["id"]
            ),
            "planned_on": self.planned_on.isoformat(),
            "held_on": self.held_on.isoformat() if self.held_on else None,
            "period": [self.period_start.isoformat(), self.period_end.isoformat()],
            "reviewer": person(self.reviewer),
            "participants": sorted((person(u) for u in self.participants.all()), key=lambda p: p["id"]),
            "inputs": [
                {"key": i.key, "status": i.status, "notes": i.notes}
                for i in self.inputs.order_by("position", "pk")
            ],
            "attainment": [
                {
                    "objective": a.objective_code,
                    "kpi": a.metric,
                    "target": str(a.target),
                    "direction": a.direction,
                    "unit": a.unit,
                    "measured": str(a.measured) if a.measured is not None else None,
                    "met": a.met,
                    "comment": a.comment,
                }
                for a in self.attainments.order_by("objective_code", "pk")
            ],
            "findings": [
                {
                    "number": f.number,
                    "grade": f.grade,
                    "clause": f.clause,
                    "process": {"id": f.process_id, "name": f.process.name} if f.process_id else None,
                    "description": f.description,
                    "evidence": f.evidence,
                }
                for f in self.findings.select_related("process").order_by("number")
            ],
            "decisions": self.decisions,
            "actions": [
                {
                    "description": a.description,
                    "owner": person(a.owner),
                    "due_on": a.due_on.isoformat(),
                    # Only when set: the content of reviews approved before actions named findings is unchanged.
                    **({"finding": a.finding.number} if a.finding_id else {}),
                }
                for a in self.actions.select_related("owner", "finding").order_by("pk")
            ],
            "minutes": self.minutes,
            "author": person(self.author),
        }


# -- the parts of a review ------------------------------------------------------------------

# C3: the inputs of a management review (ISO/IEC 20000-1, 9.3), in order.
MANAGEMENT_REVIEW_INPUTS = [
    ("previous_actions", _("Status of actions from previous management reviews")),
    ("context_changes", _("Changes in external and internal issues relevant to the SMS")),
    ("nonconformity_trends", _("Trends in nonconformities and corrective actions")),
    ("measurement_results", _("Monitoring and measurement results")),
    ("audit_results", _("Audit results")),
    ("improvement_opportunities", _("Opportunities for improvement")),
    ("feedback", _("Feedback from customers and interested parties")),
    ("policy_adherence", _("Adherence to the service management policy and other policies")),
    ("objectives_attained", _("Extent to which the service management objectives have been met")),
    ("service_performance", _("Performance of the services")),
    ("parties_performance", _("Performance of other parties involved in the services (suppliers)")),
    ("resources", _("Adequacy of resources")),
    ("risks", _("Effectiveness of actions taken to address risks and opportunities")),
]


class ReviewInput(ControlledContent):
    """C3: an input of a management review, addressed or marked not applicable
    with a reason before the review can be submitted."""

    DOCUMENT_LOOKUP = "review"

    class Status(models.TextChoices):
        OPEN = "open", _("Not yet addressed")
        ADDRESSED = "addressed", _("Addressed")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="inputs")
    key = models.CharField(max_length=40)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    notes = models.TextField(blank=True, help_text=_("How it was addressed, or why it does not apply."))

    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["review", "key"], name="one_input_per_key")]

    def __str__(self):
        return f"{self.label}: {self.get_status_display()}"

    @property
    def label(self):
        return dict(MANAGEMENT_REVIEW_INPUTS).get(self.key, self.key)


class Attainment(ControlledContent):
    """C4: how far an objective of the reviewed version was attained: a KPI's
    target against what was measured in the period (prefilled from the
    measurements), with a comment. Target and KPI are copied, so the review
    says what it compared even if the plan changes later."""

    DOCUMENT_LOOKUP = "review"

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="attainments")
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kpi_key = models.UUIDField(null=True, blank=True)
    objective_code = models.CharField(max_length=20)
    objective_title = models.CharField(max_length=200)
    metric = models.CharField(max_length=200)
    unit = models.CharField(max_length=40)
    direction = models.CharField(max_length=10, choices=Kpi.Direction.choices)
    target = models.DecimalField(max_digits=14, decimal_places=4)
    measured = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    comment = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "objective_code", "pk"]

    def __str__(self):
        return f"{self.objective_code} {self.metric}"

    @property
    def met(self):
        """Met, not met, or None when nothing was measured."""
        if self.measured is None:
            return None
        if self.direction == Kpi.Direction.HIGHER:
            return self.measured >= self.target
        return self.measured <= self.target


class Finding(ControlledContent):
    """C6: a nonconformity (major, minor), an observation or an opportunity for
    improvement, with clause reference, process and objective evidence. It is
    part of its review; its open/closed state changes later (A2, A5)."""

    DOCUMENT_LOOKUP = "review"
    FROZEN_UPDATABLE_FIELDS = ("status", "closed_at", "closed_by", "closure_note")

    class Grade(models.TextChoices):
        MAJOR = "major", _("Major nonconformity")
        MINOR = "minor", _("Minor nonconformity")
        OBSERVATION = "observation", _("Observation")
        OPPORTUNITY = "opportunity", _("Opportunity for improvement")

    NONCONFORMITIES = (Grade.MAJOR, Grade.MINOR)

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="findings")
    number = models.PositiveIntegerField()
    grade = models.CharField(max_length=20, choices=Grade.choices)
    clause = models.CharField(max_length=40, blank=True, help_text=_("ISO/IEC 20000-1 clause, e.g. 8.3.2."))
    process = models.ForeignKey(
        Process, null=True, blank=True, on_delete=models.PROTECT, related_name="findings"
    )
    description = models.TextField()
    evidence = models.TextField(help_text=_("The objective evidence the finding rests on."))
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closure_note = models.TextField(blank=True)
    # For the service improvement plan (Act) to link to, without Check knowing it.
    reference = models.UUIDField(default=uuid.uuid4, editable=False, unique=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "number"]
        constraints = [models.UniqueConstraint(fields=["review", "number"], name="one_number_per_finding")]
        indexes = [
            models.Index(fields=["grade", "status"]),
            # The findings register, the newest first.
            models.Index(fields=["raised_at", "id"], name="finding_raised_idx"),
        ]

    def __str__(self):
        return f"{self.code}: {self.get_grade_display()}"

    @property
    def code(self):
        return f"F{self.review_id}-{self.number}"

    @property
    def is_nonconformity(self):
        return self.grade in self.NONCONFORMITIES

    def get_absolute_url(self):
        return reverse("reviews:detail", args=[self.review_id]) + f"#finding-{self.number}"


class ReviewAction(ControlledContent):
    """C4: an action decided in a review, with its owner and due date. The
    action is part of the review; its progress (done or not) changes later."""

    DOCUMENT_LOOKUP = "review"
    FROZEN_UPDATABLE_FIELDS = ("status", "done_on", "done_by", "done_note")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="actions")
    description = models.TextField()
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="review_actions"
    )
    due_on = models.DateField()
    finding = models.ForeignKey(
        "Finding",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="actions",
        help_text=_("The finding of the same review the action addresses, if any."),
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    done_on = models.DateField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    done_note = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "due_on", "pk"]
        indexes = [
            models.Index(fields=["status", "due_on"]),
            # The API's list, by due date.
            models.Index(fields=["due_on", "id"], name="reviewaction_due_idx"),
        ]

    def __str__(self):
        return self.description[:80]

    def is_overdue(self, today=None):
        return self.status == self.Status.OPEN and self.due_on < (today or timezone.localdate())

    def get_absolute_url(self):
        return reverse("reviews:detail", args=[self.review_id]) + f"#action-{self.pk}"


class Addendum(models.Model):
    """C4: a later correction or completion of an approved review, with its own
    author and date; the approved review itself never changes. Only added."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="addenda")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    written_at = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "written_at", "pk"]
        verbose_name_plural = _("addenda")

    def __str__(self):
        return f"Addendum to {self.review} by {self.author}"


def period_before(day: date, months: int):
    """The period a review on `day` covers by default: the `months` before it."""
    return add_months(day, -months), day
