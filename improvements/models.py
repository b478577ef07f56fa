"""Act (A1-A5): the service improvement plan (SIP) and its improvements, the
projects that carry the ones spanning processes, baselines before and results
after implementation, and the elimination of nonconformities.

The CSI principle (A1) is a plan of its own kind (`plans.Plan.Kind.CSI`): it
names the CSI owners, who hold the CSI owner's rights while it is in force.
An improvement is a register entry with a workflow (proposed -> approved ->
in implementation -> implemented -> evaluated -> closed, or rejected); every
transition is a decision record and every change is in the history.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import reads_everything
from pdca.derived import DerivedFields
from plans.models import Kpi, Process, involvement
from reviews.models import Finding


def readable_by(user, prefix=""):
    """The condition of `ImprovementQuerySet.visible_to`, also for the rows of a
    related model: `BaselineValue.objects.filter(readable_by(user, "improvement__"))`
    filters the improvement it joins anyway instead of selecting the visible
    improvements apart."""
    if reads_everything(user):
        return Q()
    # The plans everybody reads are a column (`readable_by_all`); what is
    # left is the handful of plans `user` is involved in, one small
    # uncorrelated set, not a semi-join over every improvement.
    involved = involvement(user).processes
    linked = Improvement.processes.through.objects.filter(process_id__in=involved).values("improvement_id")
    # ... and what they raised or own themselves (a company-wide proposal, say).
    return (
        Q(**{f"{prefix}readable_by_all": True})
        | Q(**{f"{prefix}pk__in": linked})
        | Q(**{f"{prefix}raised_by": user})
        | Q(**{f"{prefix}owner": user})
    )


class ImprovementQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The SIP is read by everybody who reads the whole SMS; staff read the
        improvements of the processes whose plans they can read (`readable_by`)."""
        if reads_everything(user):
            return self
        return self.filter(readable_by(user))

    def refresh_readable_by_all(self):
        """Recompute `readable_by_all` of these improvements from their process
        links, in one statement (see `Improvement.readable_by_all`)."""
        readable = Improvement.processes.through.objects.filter(
            improvement=OuterRef("pk"), process__plan__readable_by_all=True
        )
        return self.update(readable_by_all=Exists(readable))


class Improvement(DerivedFields, models.Model):
    """A2: an entry of the service improvement plan (the CSI register)."""

    class Source(models.TextChoices):
        FINDING = "finding", _("Finding")
        REVIEW_DECISION = "review_decision", _("Review decision")
        MEASUREMENT = "measurement", _("Measurement")
        SUGGESTION = "suggestion", _("Suggestion")

    class Scope(models.TextChoices):
        PROCESS = "process", _("One process")
        PROCESSES = "processes", _("Several processes")
        COMPANY = "company", _("Company-wide")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")
        CRITICAL = "critical", _("Critical")

    class Size(models.TextChoices):
        SMALL = "small", _("Small")
        MEDIUM = "medium", _("Medium")
        LARGE = "large", _("Large")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", _("Approved")
        IN_IMPLEMENTATION = "in_implementation", _("In implementation")
        IMPLEMENTED = "implemented", _("Implemented")
        EVALUATED = "evaluated", _("Evaluated")
        CLOSED = "closed", _("Closed")
        REJECTED = "rejected", _("Rejected")

    OPEN_STATES = (
        Status.PROPOSED,
        Status.APPROVED,
        Status.IN_IMPLEMENTATION,
        Status.IMPLEMENTED,
        Status.EVALUATED,
    )

    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField()
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.SUGGESTION)
    # A2: the finding it comes from, linked both ways (one improvement per finding).
    finding = models.OneToOneField(
        Finding, null=True, blank=True, on_delete=models.PROTECT, related_name="improvement"
    )
    raised_on = models.DateField(default=timezone.localdate)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    processes = models.ManyToManyField(Process, blank=True, related_name="improvements")
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.PROCESS)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="improvements_owned",
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    size = models.CharField(max_length=10, choices=Size.choices, default=Size.MEDIUM)
    timescale = models.CharField(
        max_length=100, blank=True, help_text=_("e.g. “this quarter”, “within 6 months”.")
    )
    required_by = models.DateField(null=True, blank=True)
    justification = models.TextField(blank=True)
    expected_benefit = models.TextField(blank=True, help_text=_("The measurable benefit expected."))
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kpi_key = models.UUIDField(null=True, blank=True, help_text=_("The KPI's identity across plan versions."))
    target = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    implementation_started_at = models.DateTimeField(null=True, blank=True)
    implemented_at = models.DateTimeField(null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    effective = models.BooleanField(null=True, blank=True)
    result = models.TextField(blank=True, help_text=_("What the improvement achieved."))
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A4: the baseline is accepted by the owner before implementation.
    baseline_on = models.DateField(null=True, blank=True)
    baseline_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    baseline_accepted_at = models.DateTimeField(null=True, blank=True)
    # A5: how a nonconformity is eliminated.
    correction = models.TextField(
        blank=True, help_text=_("What was done at once to contain the nonconformity.")
    )
    root_cause = models.TextField(blank=True)
    root_cause_method = models.CharField(max_length=100, blank=True, help_text=_("e.g. 5 whys, fishbone."))
    similar_elsewhere = models.TextField(
        blank=True, help_text=_("Whether similar nonconformities exist or could occur elsewhere.")
    )
    corrective_action = models.TextField(blank=True, help_text=_("What removes the cause."))
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    # Linked to a process whose plan everybody reads (`Plan.readable_by_all`):
    # then everybody reads the improvement too. Derived, never edited: kept
    # when the links change and when such a plan is first communicated
    # (`improvements.apps`), so that staff's lists filter a column.
    readable_by_all = models.BooleanField(default=False, editable=False)
    DERIVED_FIELDS = ("readable_by_all",)

    objects = ImprovementQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[processes], excluded_fields=["readable_by_all"])

    class Meta:
        ordering = ["-number"]
        permissions = [("approve_improvement", "Can approve improvements (CSI owners)")]
        indexes = [
            models.Index(fields=["status", "required_by"]),
            # What staff's visibility (`visible_to`) and the register's counts and
            # choices read of every improvement, without its wide rows.
            models.Index(
                fields=["readable_by_all", "owner", "raised_by", "status", "required_by", "id"],
                name="improvement_readable_idx",
            ),
        ]

    def __str__(self):
        return self.label_of(self.number, self.title)

    def get_absolute_url(self):
        return reverse("improvements:detail", args=[self.number])

    @staticmethod
    def label_of(number, title):
        """How an improvement is named ("I-12: Faster triage"), from its number and title."""
        return f"I-{number}: {title}"

    @property
    def code(self):
        return f"I-{self.number}"

    @property
    def is_nonconformity(self):
        return self.finding_id is not None and self.finding.grade in Finding.NONCONFORMITIES

    @property
    def is_open(self):
        return self.status in self.OPEN_STATES

    def is_overdue(self, today=None):
        return (
            self.is_open
            and self.required_by is not None
            and self.required_by < (today or timezone.localdate())
        )

    @property
    def needs_project(self):
        """A3: spanning processes, company-wide, or a company-wide nonconformity."""
        return self.scope in (self.Scope.PROCESSES, self.Scope.COMPANY)


class BaselineValue(models.Model):
    """A4: a value of service quality or service level before the improvement:
    taken from the KPI's measurements (the last value before the baseline
    date) or entered with evidence."""

    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="baseline")
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kpi_key = models.UUIDField(null=True, blank=True)
    label = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True)
    value = models.DecimalField(max_digits=16, decimal_places=4)
    measured_on = models.DateField()
    from_measurements = models.BooleanField(default=False)
    evidence = models.TextField(blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["improvement", "pk"]

    def __str__(self):
        return f"{self.label}: {self.value} {self.unit}"


class ResultValue(models.Model):
    """A4: a value achieved after implementation, measured for a set period and
    compared with the baseline and the target."""

    improvement = models.ForeignKey(Improvement, on_delete=models.CASCADE, related_name="results")
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kpi_key = models.UUIDField(null=True, blank=True)
    label = models.CharField(max_length=200)
    unit = models.CharField(max_length=40, blank=True)
    value = models.DecimalField(max_digits=16, decimal_places=4)
    period_start = models.DateField()
    period_end = models.DateField()
    evidence = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["improvement", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")), name="result_period_in_order"
            )
        ]

    def __str__(self):
        return f"{self.label}: {self.value} {self.unit}"


class EffectivenessCheck(models.Model):
    """A5: whether an implemented improvement (a corrective action above all)
    worked: who checked, when, with what result and evidence. A failed check
    reopens the improvement."""

    improvement = models.ForeignKey(Improvement, on_delete=models.PROTECT, related_name="checks")
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_on = models.DateField(default=timezone.localdate)
    effective = models.BooleanField()
    evidence = models.TextField()
    recorded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["improvement", "checked_on", "pk"]

    def __str__(self):
        return f"{self.improvement}: {'effective' if self.effective else 'not effective'} ({self.checked_on})"


class Project(models.Model):
    """A3: an improvement that spans processes, or a company-wide one, is
    carried out as one or more projects."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    name = models.CharField(max_length=200, unique=True)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="projects_managed"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    description = models.TextField(blank=True)
    improvements = models.ManyToManyField(Improvement, blank=True, related_name="projects")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords(m2m_fields=[improvements])

    class Meta:
        ordering = ["starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="project_ends_after_it_starts"
            )
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("improvements:project", args=[self.pk])


class ProjectMilestone(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["project", "due_on", "pk"]

    def __str__(self):
        return self.title
