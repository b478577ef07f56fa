"""Plan: the service management plan, process plans and their versions.

A `Plan` is the SMP or the plan of one process; its content lives in
`PlanVersion`s, which are controlled documents (`pdca.controlled`): only a
draft changes, approval freezes it (P4) and stores its canonical content with
a SHA-256. Objectives, KPIs and responsibilities are parts of their version.
"""

import uuid
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.roles import reads_everything
from pdca.controlled import (
    AcknowledgementBase,
    ControlledContent,
    ControlledDocument,
    ControlledDocumentQuerySet,
    ImmutableRecord,
    person,
)
from pdca.derived import DerivedFields
from pdca.memo import once_per_request

from .. import sections as plan_sections


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
        verbose_name_plural = _("processes")

    def __str__(self):
        return self.name


class PlanQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Lists never show what a user may not see (see plans.permissions)."""
        if reads_everything(user):
            return self
        # A column and the handful of plans `user` is involved in, read
        # first: no joins, no DISTINCT before paging, and what builds on plans
        # (reviews, measurements, improvements) filters on the flag instead
        # of a semi-join per row.
        return self.filter(Q(readable_by_all=True) | Q(pk__in=involvement(user).plans))

    def involving(self, user):
        """The plans `user` reads because he or she is involved: owner or deputy
        of the plan's process, or named for a responsibility in any of its
        versions; they show him or her their drafts too. A handful for anyone."""
        return self.filter(pk__in=_involved_plan_ids(user))

    def active(self):
        """Plans in use: not archived."""
        return self.filter(archived_at__isnull=True)

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


class Plan(DerivedFields, models.Model):
    """A controlled document: the superordinate SMP or one process plan (P1)."""

    class Kind(models.TextChoices):
        SMP = "smp", "Service management plan"
        PROCESS = "process", "Process plan"
        CSI = "csi", "CSI principle"

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
        verbose_name=_("service management plan"),
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
        verbose_name=_("distribution list (people)"),
    )
    distribution_groups = models.ManyToManyField(
        Group, blank=True, related_name="distributed_plans", verbose_name=_("distribution list (roles)")
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

    # A plan is never deleted once it has an approved version: when its process
    # is retired, a manager archives it. An archived plan keeps every version,
    # decision and report, changes no more and is reminded of nothing; a
    # manager can restore it.
    archived_at = models.DateTimeField(null=True, blank=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    archive_reason = models.TextField(blank=True)

    # Everybody reads a plan once a version of it has been communicated (the
    # DESIGN's "staff read communicated plans"). Set by `communicate_plan`, never
    # cleared: a communicated version stays communicated. Kept on the plan so
    # that visibility is a column, not a search of the versions.
    readable_by_all = models.BooleanField(default=False, editable=False)
    DERIVED_FIELDS = ("readable_by_all",)

    objects = PlanQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["created_at", "readable_by_all"])

    class Meta:
        ordering = ["-kind", "title"]  # the SMP first, then process plans
        permissions = [
            ("approve_plan", "Can approve plans (top management)"),
            ("view_history", "Can view the change history"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="smp"), name="only_one_smp"),
            models.UniqueConstraint(fields=["kind"], condition=Q(kind="csi"), name="only_one_csi_principle"),
            models.CheckConstraint(
                condition=Q(kind="smp", process__isnull=True, smp__isnull=True)
                | Q(kind="process", process__isnull=False, smp__isnull=False)
                | Q(kind="csi", process__isnull=True, smp__isnull=False),
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
    def is_archived(self):
        return self.archived_at is not None

    @property
    def is_csi_principle(self):
        return self.kind == self.Kind.CSI

    @property
    def section_definitions(self):
        if self.is_smp:
            return plan_sections.SMP_SECTIONS
        if self.is_csi_principle:
            return plan_sections.CSI_SECTIONS
        return plan_sections.PROCESS_SECTIONS

    @property
    def responsibility_kinds(self):
        """P2's five responsibilities; the CSI principle also names its CSI owners (A1)."""
        kinds = list(Responsibility.Kind.choices[:5])
        if self.is_csi_principle:
            kinds.append((Responsibility.Kind.CSI_OWNER, Responsibility.Kind.CSI_OWNER.label))
        return kinds

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
        return latest if latest and latest.status in PlanVersion.IN_PROGRESS else None

    @property
    def owner(self):
        return self.process.owner if self.process_id else None


class PlanVersionQuerySet(ControlledDocumentQuerySet):
    def visible_to(self, user):
        if reads_everything(user):
            return self
        return self.filter(Q(communicated_at__isnull=False) | Q(plan__in=involvement(user).plans))

    def awaiting_approval_by(self, user):
        """P3: reviewed versions that name `user` as approver, and versions in
        review that `user` reviews and approves at once (where the plan allows it)."""
        Status = PlanVersion.Status
        return (
            self.filter(_names(user, Responsibility.Kind.APPROVAL))
            .filter(
                Q(status=Status.REVIEWED)
                | Q(status=Status.IN_REVIEW, reviewer_may_approve=True)
                & _names(user, Responsibility.Kind.REVIEW)
            )
            .select_related("plan__process", "author")
        )

    def awaiting_review_by(self, user):
        """P3: versions in review that name `user` as reviewer (and that he or
        she does not approve at once)."""
        return (
            self.filter(status=PlanVersion.Status.IN_REVIEW)
            .filter(_names(user, Responsibility.Kind.REVIEW))
            .exclude(Q(reviewer_may_approve=True) & _names(user, Responsibility.Kind.APPROVAL))
            .select_related("plan__process", "author")
        )


def _involved_plan_ids(user):
    """The ids of the plans `user` is involved in, as one UNION ALL of three
    index lookups: the database estimates it as the handful it is, so that
    the lists built on it keep their index scans (an OR of the three would
    be guessed as most plans)."""
    owning = Plan.objects.filter(process__owner=user).order_by().values("pk")
    deputising = Plan.objects.filter(
        process__in=Process.deputies.through.objects.filter(user=user).values("process_id")
    )
    named = Responsibility.objects.filter(user=user).order_by().values("version__plan_id")
    return owning.union(deputising.order_by().values("pk"), named, all=True)


class Involvement(NamedTuple):
    plans: list
    processes: list


def involvement(user):
    """The ids of the plans `user` is involved in (`PlanQuerySet.involving`)
    and of their processes, read in one query. The lists built on them get
    the ids as values: the database then plans the rest for the handful it
    is (a subquery, even a UNION, is costed per row and sends a list of 50
    rows to a full sort or a parallel scan). Read once per request
    (`pdca.memo`); a change of a plan, a process, its deputies or a
    responsibility forgets it (`plans.apps`)."""
    return once_per_request(("involvement", user.pk), lambda: _read_involvement(user))


def _read_involvement(user):
    rows = list(Plan.objects.involving(user).values_list("pk", "process_id"))
    return Involvement(
        plans=[plan for plan, _process in rows], processes=[process for _plan, process in rows if process]
    )


def _names(user, kind):
    """The version names `user` for the responsibility `kind`."""
    return Exists(Responsibility.objects.filter(version=OuterRef("pk"), kind=kind, user=user))


class PlanVersion(ControlledDocument):
    """One revision of a plan. Draft -> in review -> approved -> communicated (P3);
    approving a newer version supersedes this one (P4). A controlled document:
    see `pdca.controlled` for what that guarantees."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        REVIEWED = "reviewed", _("Reviewed")
        APPROVED = "approved", _("Approved")
        COMMUNICATED = "communicated", _("Communicated")
        SUPERSEDED = "superseded", _("Superseded")

    IN_FORCE = (Status.APPROVED, Status.COMMUNICATED)
    # Submitted and not yet decided: waiting for the reviewer, then the approver.
    IN_PROGRESS = (Status.DRAFT, Status.IN_REVIEW, Status.REVIEWED)
    AWAITING_DECISION = (Status.IN_REVIEW, Status.REVIEWED)
    EDITABLE_STATES = (Status.DRAFT,)
    APPROVED_STATES = (Status.APPROVED, Status.COMMUNICATED, Status.SUPERSEDED)
    FROZEN_TRANSITIONS = frozenset(
        {
            (Status.IN_REVIEW, Status.DRAFT),
            (Status.IN_REVIEW, Status.REVIEWED),
            (Status.REVIEWED, Status.DRAFT),
            (Status.REVIEWED, Status.APPROVED),
            (Status.APPROVED, Status.COMMUNICATED),
            (Status.APPROVED, Status.SUPERSEDED),
            (Status.COMMUNICATED, Status.SUPERSEDED),
        }
    )
    AFTER_APPROVAL_FIELDS = ("communicated_at", "superseded_at")
    CONTENT_FIELDS = ("title", "sections", "conforms_to", "reviewer_may_approve")
    STALE_MESSAGE = _(
        "%(editor)s saved this plan at %(time)s after you opened it. Your text is kept below: "
        "compare it with the current version and save again."
    )
    AUTHOR_REFUSAL = _("You wrote this version: the approver is never the plan's author.")
    LAST_EDITOR_REFUSAL = _("You edited this version last: the approver is never the plan's last editor.")
    EDITOR_REFUSAL = _("You edited this version: the approver is never one of the plan's editors.")

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    # The plan's title as this version has it: renaming the plan in a later
    # draft leaves the approved versions as they were.
    title = models.CharField(max_length=200, blank=True)
    sections = models.JSONField(default=dict, blank=True)
    conforms_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conforming_versions",
        help_text=_("The SMP version this process plan was written against (P1)."),
    )
    # P3: the named reviewer reviews before the approver decides; one person
    # may do both only if the plan says so.
    reviewer_may_approve = models.BooleanField(
        default=False,
        help_text=_(
            "The same person may be named reviewer and approver, and then reviews and approves at once."
        ),
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    communicated_at = models.DateTimeField(null=True, blank=True)
    superseded_at = models.DateTimeField(null=True, blank=True)

    objects = PlanVersionQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["approved_content"])

    class Meta:
        ordering = ["plan", "-number"]
        constraints = [models.UniqueConstraint(fields=["plan", "number"], name="one_number_per_version")]

    def __str__(self):
        return f"{self.title or self.plan} v{self.number}"

    def get_absolute_url(self):
        return reverse("plans:version", args=[self.plan_id, self.number])

    def immutable_message(self):
        """P4: only a draft changes; approved versions never do."""
        if self.status in self.AWAITING_DECISION:
            advice = _("It is in review: the approver can request changes, which returns it to draft.")
        else:
            advice = _("Approved versions never change: use “Revise” to start a new draft revision.")
        return _("Version %(number)s of “%(plan)s” is %(status)s and cannot be changed. %(advice)s") % {
            "number": self.number,
            "plan": self.title or self.plan,
            "status": self.get_status_display().lower(),
            "advice": advice,
        }

    def section_text(self, key):
        return self.sections.get(key, "")

    def responsible(self, kind):
        responsibilities = self.responsibilities.all()
        if "responsibilities" not in getattr(self, "_prefetched_objects_cache", {}):
            responsibilities = responsibilities.select_related("user")
        return [r.user for r in responsibilities if r.kind == kind]

    def canonical_content(self):
        """Everything the approval covers (P4), in a stable form for hashing:
        the title, sections, objectives with their KPIs, the five
        responsibilities, and the SMP version it conforms to. People appear
        with their id and their name as it is now (`pdca.controlled.person`)."""
        plan = self.plan
        objectives = []
        with_kpis = self.objectives.select_related("traces_to").prefetch_related(
            Prefetch("kpis", queryset=Kpi.objects.select_related("owner").order_by("pk"))
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
                            "owner": person(k.owner),
                            "frequency": k.frequency,
                        }
                        for k in objective.kpis.all()
                    ],
                }
            )
        responsibilities = self.responsibilities.all()
        if "responsibilities" not in getattr(self, "_prefetched_objects_cache", {}):
            responsibilities = responsibilities.select_related("user")
        return {
            "plan": {
                "id": plan.pk,
                "kind": plan.kind,
                "process": {"id": plan.process_id, "name": str(plan.process)} if plan.process_id else None,
            },
            "title": self.title,
            "number": self.number,
            "conforms_to": (
                {"plan": self.conforms_to.plan_id, "number": self.conforms_to.number}
                if self.conforms_to_id
                else None
            ),
            "sections": {key: self.sections.get(key, "") for key, *_ in plan.section_definitions},
            "objectives": sorted(objectives, key=lambda o: o["code"]),
            "responsibilities": sorted(
                ({"kind": r.kind, "user": person(r.user)} for r in responsibilities),
                key=lambda r: (r["kind"], r["user"]["id"]),
            ),
            "reviewer_may_approve": self.reviewer_may_approve,
            "review": (
                {"by": person(self.reviewed_by), "at": self.reviewed_at.isoformat()}
                if self.reviewed_at
                else None
            ),
            "author": person(self.author),
        }


ImmutableVersion = ImmutableRecord


class Responsibility(ControlledContent):
    """P2: who is responsible for review, approval, communication, implementation
    and updating of a plan; each kind names at least one user."""

    class Kind(models.TextChoices):
        REVIEW = "review", "Review"
        APPROVAL = "approval", "Approval"
        COMMUNICATION = "communication", "Communication"
        IMPLEMENTATION = "implementation", "Implementation"
        UPDATING = "updating", "Updating"
        # A1: only the CSI principle names CSI owners.
        CSI_OWNER = "csi_owner", "CSI owner"

    DOCUMENT_LOOKUP = "version"

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="responsibilities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="responsibilities"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "kind", "user__last_name"]
        verbose_name_plural = _("responsibilities")
        constraints = [
            models.UniqueConstraint(
                fields=["version", "kind", "user"], name="one_responsibility_per_user_and_kind"
            )
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.user} ({self.version})"


class Objective(ControlledContent):
    """An objective of a plan. A process plan's objective traces to an objective
    of the SMP version the plan conforms to (P1). `code` stays the same across
    versions, so an objective can be followed through revisions."""

    DOCUMENT_LOOKUP = "version"

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="objectives")
    code = models.CharField(max_length=20, help_text=_("A short reference such as O1, kept across versions."))
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    traces_to = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="traced_by",
        help_text=_("The SMP objective this objective serves."),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["version", "code"]
        constraints = [
            models.UniqueConstraint(fields=["version", "code"], name="one_objective_code_per_version")
        ]

    def __str__(self):
        return f"{self.code} {self.title}"


class Kpi(ControlledContent):
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

    DOCUMENT_LOOKUP = "objective__version"

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="kpis")
    # C1: the KPI's identity across versions (a revision copies it), so that
    # its measurements stay with it when the plan is revised.
    key = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    metric = models.CharField(max_length=200)
    unit = models.CharField(max_length=40)
    direction = models.CharField(max_length=10, choices=Direction.choices, default=Direction.HIGHER)
    target = models.DecimalField(max_digits=14, decimal_places=4)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_kpis")
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY)

    history = HistoricalRecords()

    class Meta:
        ordering = ["objective", "pk"]
        verbose_name = _("KPI")

    def __str__(self):
        return f"{self.metric} ({'≥' if self.direction == self.Direction.HIGHER else '≤'} {self.target:g} {self.unit})"

    def is_met_by(self, value):
        return value >= self.target if self.direction == self.Direction.HIGHER else value <= self.target


class Acknowledgement(AcknowledgementBase):
    """P6: a recipient of a communicated version, and when he or she confirmed reading it."""

    version = models.ForeignKey(PlanVersion, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acknowledgements"
    )

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
