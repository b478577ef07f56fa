"""Do: putting a communicated plan into practice (D1-D3): milestones, the
operators of its KPIs, and the handover from implementers to operators."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from plans.models.plan import Kpi, Plan


class MilestoneQuerySet(models.QuerySet):
    def overdue(self, today=None):
        today = today or timezone.localdate()
        # An archived plan's open milestones are overdue for nobody.
        return self.filter(done_on__isnull=True, due_on__lt=today, plan__archived_at__isnull=True)


class Milestone(models.Model):
    """D2: a step in putting a communicated plan into practice."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="milestones")
    due_on = models.DateField()
    done_on = models.DateField(null=True, blank=True)
    evidence = models.TextField(blank=True, help_text=_("What shows that the milestone is reached."))

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
        verbose_name = _("KPI operator")

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
    documents = models.TextField(blank=True, help_text=_("The documents handed over, one per line."))
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
        return reverse("do:plan", args=[self.plan_id]) + f"#handover-{self.pk}"
