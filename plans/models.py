"""Plan and Do: the service management plan, process plans and their versions.

A `Plan` is a controlled document (the SMP, or the plan of one process); its
content lives in `PlanVersion`s. Only a draft version can change; approval
freezes it (P4) and stores a SHA-256 of its content.
"""

import hashlib
import json

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from pdca.exceptions import RuleViolation

from . import sections as plan_sections


class Process(models.Model):
    """An ISO/IEC 20000 process with its owner and deputies."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_processes"
    )
    deputies = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="deputy_processes")

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "processes"

    def __str__(self):
        return self.name


class PlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Lists never show what a user may not see (see plans.permissions)."""
        from .permissions import reads_all_plans

        if reads_all_plans(user):
            return self
        return self.filter(
            Q(versions__communicated_at__isnull=False)
            | Q(versions__responsibilities__user=user)
            | Q(process__owner=user)
            | Q(process__deputies=user)
        ).distinct()

    def with_current(self, user=None):
        """Plans with their newest versions, process and owner, in a fixed number
        of queries. Given a user, only the versions he or she may see are
        loaded, so staff do not learn that a draft exists."""
        versions = PlanVersion.objects.all() if user is None else PlanVersion.objects.visible_to(user)
        return self.select_related("process__owner", "conforms_to__plan").prefetch_related(
            Prefetch(
                "versions",
                queryset=versions.select_related("author").order_by("-number"),
                to_attr="versions_newest_first",
            )
        )


class Plan(models.Model):
    """A controlled document: the superordinate SMP or one process plan (P1)."""

    class Kind(models.TextChoices):
        SMP = "smp", "Service management plan"
        PROCESS = "process", "Process plan"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=200)
    process = models.OneToOneField(
        Process, null=True, blank=True, on_delete=models.PROTECT, related_name="plan"
    )
    smp = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="process_plans",
        limit_choices_to={"kind": "smp"},
        verbose_name="service management plan",
    )
    # P1/P5: the SMP version this plan currently conforms to. Set when a version
    # of the plan is approved, and when its owner confirms conformance to a
    # newer SMP version.
    conforms_to = models.ForeignKey(
        "PlanVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    conformance_review_due = models.BooleanField(default=False)
    distribution_users = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="distributed_plans",
        verbose_name="distribution list (people)",
    )
    distribution_groups = models.ManyToManyField(
        Group, blank=True, related_name="distributed_plans", verbose_name="distribution list (roles)"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class ImplementationStatus(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_IMPLEMENTATION = "in_implementation", "In implementation"
        IN_OPERATION = "in_operation", "In operation"

    # D2: a communicated plan is implemented, then operated. It reaches "in
    # operation" only through an accepted handover (D3).
    implementation_status = models.CharField(
        max_length=20, choices=ImplementationStatus.choices, default=ImplementationStatus.NOT_STARTED
    )
    implementation_started_at = models.DateTimeField(null=True, blank=True)
    in_operation_since = models.DateTimeField(null=True, blank=True)

    objects = PlanQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at"])

    class Meta:
        ordering = ["-kind", "title"]  # the SMP first, then process plans
        permissions = [
            ("approve_plan", "Can approve plans (top management)"),
            ("view_history", "Can view the change history"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="smp"), name="only_one_smp"),
            models.CheckConstraint(
                condition=Q(kind="smp", process__isnull=True, smp__isnull=True)
                | Q(kind="process", process__isnull=False, smp__isnull=False),
                name="process_plans_have_a_process_and_belong_to_the_smp",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("plans:detail", args=[self.pk])

    @property
    def is_smp(self):
        return self.kind == self.Kind.SMP

    @property
    def section_definitions(self):
        return plan_sections.SMP_SECTIONS if self.is_smp else plan_sections.PROCESS_SECTIONS

    def _versions(self):
        # Uses the prefetch of PlanQuerySet.with_current() when there is one.
        if hasattr(self, "versions_newest_first"):
            return self.versions_newest_first
        return list(self.versions.order_by("-number"))

    @property
    def latest_version(self):
        versions = self._versions()
        return versions[0] if versions else None

    @property
    def current_version(self):
        """The version in force: the newest approved or communicated one."""
        for version in self._versions():
            if version.status in PlanVersion.IN_FORCE:
                return version
        return None

    @property
    def draft(self):
        latest = self.latest_version
        return (
            latest
            if latest and latest.status in (PlanVersion.Status.DRAFT, PlanVersion.Status.IN_REVIEW)
            else None
        )

    @property
    def owner(self):
        return self.process.owner if self.process_id else None


class PlanVersionQuerySet(models.QuerySet):
    def visible_to(self, user):
        from .permissions import reads_all_plans

        if reads_all_plans(user):
            return self
        return self.filter(
            Q(communicated_at__isnull=False)
            | Q(plan__versions__responsibilities__user=user)
            | Q(plan__process__owner=user)
            | Q(plan__process__deputies=user)
        ).distinct()

    def awaiting_approval_by(self, user):
        return self.filter(
            status=PlanVersion.Status.IN_REVIEW,
            responsibilities__kind=Responsibility.Kind.APPROVAL,
            responsibilities__user=user,
        ).select_related("plan__process", "author")


class PlanVersion(models.Model):
    """One revision of a plan. Draft -> in review -> approved -> communicated (P3);
    approving a newer version supersedes this one (P4)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        COMMUNICATED = "communicated", "Communicated"
        SUPERSEDED = "superseded", "Superseded"

    IN_FORCE = (Status.APPROVED, Status.COMMUNICATED)
    FROZEN = (Status.IN_REVIEW, Status.APPROVED, Status.COMMUNICATED, Status.SUPERSEDED)
    CONTENT_FIELDS = ("sections", "conforms_to_id")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    sections = models.JSONField(default=dict, blank=True)
    conforms_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conforming_versions",
        help_text="The SMP version this process plan was written against (P1).",
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_editor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    edited_at = models.DateTimeField(default=timezone.now)
    # Optimistic lock: every change of content increments it, and a save that
    # started from an older revision is refused (nothing typed is lost).
    revision = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    communicated_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the approved content.")

    objects = PlanVersionQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_number_per_version")]

    def __str__(self):
        return f"{self.plan} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk and not kwargs.get("force_insert"):
            stored = PlanVersion.objects.filter(pk=self.pk).values("status", *self.CONTENT_FIELDS).first()
            if stored and stored["status"] in self.FROZEN:
                changed = [f for f in self.CONTENT_FIELDS if stored[f] != getattr(self, f)]
                if changed:
                    raise ImmutableVersion(self)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("plans:version", args=[self.plan_id, self.number])

    def delete(self, *args, **kwargs):
        if self.status != self.Status.DRAFT:
            raise ImmutableVersion(self)
        return super().delete(*args, **kwargs)

    @property
    def is_editable(self):
        return self.status == self.Status.DRAFT

    @property
    def is_frozen(self):
        return self.status in self.FROZEN

    def section_text(self, key):
        return self.sections.get(key, "")

    def responsible(self, kind):
        responsibilities = self.responsibilities.all()
        if "responsibilities" not in getattr(self, "_prefetched_objects_cache", {}):
            responsibilities = responsibilities.select_related("user")
        return [r.user for r in responsibilities if r.kind == kind]

    def canonical_content(self):
        """Everything that the approval covers, in a stable form for hashing."""
        objectives = []
        with_kpis = self.objectives.select_related("traces_to").prefetch_related(
            Prefetch("kpis", queryset=Kpi.objects.select_related("owner"))
        )
        for objective in with_kpis:
            objectives.append(
                {
                    "code": objective.code,
                    "title": objective.title,
                    "description": objective.description,
                    "traces_to": objective.traces_to.code if objective.traces_to_id else None,
                    "kpis": [
                        {
                            "metric": k.metric,
                            "unit": k.unit,
                            "direction": k.direction,
                            "target": str(k.target),
                            "owner": k.owner.username,
                            "frequency": k.frequency,
                        }
                        for k in objective.kpis.all()
                    ],
                }
            )
        return {
            "plan": {"kind": self.plan.kind, "title": self.plan.title, "process": self.plan.process_id},
            "number": self.number,
            "conforms_to": (
                {"plan": self.conforms_to.plan_id, "number": self.conforms_to.number}
                if self.conforms_to_id
                else None
            ),
            "sections": {key: self.sections.get(key, "") for key, *_ in self.plan.section_definitions},
            "objectives": sorted(objectives, key=lambda o: o["code"]),
            "responsibilities": sorted(
                [r.kind, r.user.username] for r in self.responsibilities.select_related("user")
            ),
        }

    def compute_hash(self):
        payload = json.dumps(self.canonical_content(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()


class ImmutableVersion(RuleViolation):
    """P4: only a draft changes; approved versions never do."""

    def __init__(self, version):
        if version.status == PlanVersion.Status.IN_REVIEW:
            advice = "It is in review: the approver can request changes, which returns it to draft."
        else:
            advice = "Approved versions never change: use “Revise” to start a new draft revision."
        super().__init__(
            f"Version {version.number} of “{version.plan}” is {version.get_status_display().lower()} "
            f"and cannot be changed. {advice}"
        )


class VersionContent(models.Model):
    """Base for what belongs to one version's content: it changes only while the
    version is a draft (P4)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        version = self._owning_version()
        if not version.is_editable:
            raise ImmutableVersion(version)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        version = self._owning_version()
        if not version.is_editable:
            raise ImmutableVersion(version)
        return super().delete(*args, **kwargs)

    def _owning_version(self):
        raise NotImplementedError


class Responsibility(VersionContent):
    """P2: who is responsible for review, approval, communication, implementation
    and updating of a plan; each kind names at least one user."""

    class Kind(models.TextChoices):
        REVIEW = "review", "Review"
        APPROVAL = "approval", "Approval"
        COMMUNICATION = "communication", "Communication"
        IMPLEMENTATION = "implementation", "Implementation"
        UPDATING = "updating", "Updating"

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="responsibilities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="responsibilities"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "kind", "user__last_name"]
        verbose_name_plural = "responsibilities"
        constraints = [
            models.UniqueConstraint(
                fields=["version", "kind", "user"], name="one_responsibility_per_user_and_kind"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.user} ({self.version})"

    def _owning_version(self):
        return self.version


class Objective(VersionContent):
    """An objective of a plan. A process plan's objective traces to an objective
    of the SMP version the plan conforms to (P1). `code` stays the same across
    versions, so an objective can be followed through revisions."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(max_length=20, help_text="A short reference such as O1, kept across versions.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    traces_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="traced_by",
        help_text="The SMP objective this objective serves.",
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="one_objective_code_per_version")
        ]

    def __str__(self):
        return f"{self.code} {self.title}"

    def _owning_version(self):
        return self.version


class Kpi(VersionContent):
    """D1: a measurable key performance indicator of an objective."""

    class Direction(models.TextChoices):
        HIGHER = "higher", "Higher is better"
        LOWER = "lower", "Lower is better"

    class Frequency(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        YEARLY = "yearly", "Yearly"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="kpis")
    metric = models.CharField(max_length=200)
    unit = models.CharField(max_length=40)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    target = models.DecimalField(max_digits=14, decimal_places=4)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_kpis")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)

    history = HistoricalRecords()

    class Meta:
        ordering = ["objective", "pk"]
        verbose_name = "KPI"

    def __str__(self):
        return f"{self.metric} ({'≥' if self.direction == self.Direction.HIGHER else '≤'} {self.target:g} {self.unit})"

    def _owning_version(self):
        return self.objective.version

    def is_met_by(self, value):
        return value >= self.target if self.direction == self.Direction.HIGHER else value <= self.target


class Acknowledgement(models.Model):
    """P6: a recipient of a communicated version, and when he or she confirmed reading it."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    sent_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "user__last_name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["version", "user"], name="one_acknowledgement_per_user")
        ]

    def __str__(self):
        state = (
            f"acknowledged {self.acknowledged_at:%Y-%m-%d}"
            if self.acknowledged_at
            else "not yet acknowledged"
        )
        return f"{self.user}: {self.version} ({state})"


# -- Do ----------------------------------------------------------------------


class MilestoneQuerySet(models.QuerySet):
    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(done_on__isnull=True, due_on__lt=today)


class Milestone(models.Model):
    """D2: a step in putting a communicated plan into practice."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="milestones")
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    evidence = models.TextField(blank=True, help_text="What shows that the milestone is reached.")

    objects = MilestoneQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["plan", "due_on", "pk"]

    def __str__(self):
        return self.title

    @property
    def is_done(self):
        return self.done_on is not None

    @property
    def is_overdue(self):
        return self.done_on is None and self.due_on < timezone.localdate()


class KpiAssignment(models.Model):
    """D1: the person who operates (measures and steers) a KPI of the version in
    force. Kept apart from the KPI itself, which is frozen with its version."""

    kpi = models.OneToOneField(Kpi, on_delete=models.CASCADE, related_name="assignment")
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="operated_kpis"
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = "KPI operator"

    def __str__(self):
        return f"{self.kpi}: {self.operator}"


class HandoverQuerySet(models.QuerySet):
    def pending_for(self, user):
        return self.filter(status=Handover.Status.PROPOSED, receivers=user).select_related(
            "plan__process", "handed_over_by"
        )


class Handover(models.Model):
    """D3: the implementers hand a process over to its operators. It takes effect
    only when a receiver accepts it; from then on the receivers hold the plan's
    implementation responsibility."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="handovers")
    handed_over_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    receivers = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="received_handovers")
    handover_on = models.DateField(default=timezone.localdate)
    open_points = models.TextField(blank=True)
    documents = models.TextField(blank=True, help_text="The documents handed over, one per line.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    objects = HandoverQuerySet.as_manager()
    history = HistoricalRecords(m2m_fields=[receivers])

    class Meta:
        ordering = ["plan", "-proposed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=Q(status="proposed"), name="one_open_handover_per_plan"
            )
        ]

    def __str__(self):
        return f"Handover of {self.plan} on {self.handover_on}"

    def get_absolute_url(self):
        return reverse("plans:implementation", args=[self.plan_id]) + f"#handover-{self.pk}"
