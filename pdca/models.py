"""What spans the whole cycle: the decision log and notifications."""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .exceptions import RuleViolation
from .registry import decision_label

# The "previous hash" of the first decision.
GENESIS_HASH = "0" * 64


class DecisionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise RuleViolation(gettext("A decision record is never changed."))

    update.queryset_only = True

    def delete(self):
        raise RuleViolation(gettext("A decision record is never deleted."))

    delete.queryset_only = True

    def for_object(self, obj):
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        ).select_related("actor")


class Decision(models.Model):
    """Every decision (submit, approve, reject, acknowledge, handover, close) is a
    record with actor, time and comment. Rows are only ever added: the model
    refuses to change or delete one, the database refuses it too (triggers,
    see pdca/guards.py), and each row carries the SHA-256 of its fields and of
    the row before it (a hash chain, `pdca.decisions`), so that a row changed
    or deleted by raw database access breaks the chain that `verify_records`
    checks."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)
    # The hash chain: the row's place, the hash of the row before it, and the
    # hash of its own fields with that previous hash.
    sequence = models.PositiveBigIntegerField(unique=True)
    prev_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [
            models.Index(fields=["content_type", "object_id"]),
            # The log in its order, a page at a time, and the exports of a period.
            models.Index(fields=["at", "id"], name="pdca_decision_in_order"),
        ]

    def __str__(self):
        return f"{self.actor} {self.action_label} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuleViolation(gettext("A decision record is never changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuleViolation(gettext("A decision record is never deleted."))

    @property
    def action_label(self):
        return decision_label(self.action)


class DecisionChainHead(models.Model):
    """The newest link of the decision chain: its sequence number and hash. One
    row, locked by every append, so that appends are serialised and each
    decision links to exactly one predecessor."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self):
        return f"decision {self.sequence}: {self.hash[:12]}"


class VerificationRun(models.Model):
    """One run of `verify_records`: every stored content hash recomputed and the
    decision chain walked; what was found, and the chain's head hash at the
    time, published outside the database in the log and the reports."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    records_checked = models.PositiveIntegerField(default=0)
    decisions_checked = models.PositiveIntegerField(default=0)
    chain_head = models.CharField(max_length=64, blank=True)
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        get_latest_by = "started_at"

    def __str__(self):
        state = "verified" if self.ok else f"{len(self.problems)} problem(s)"
        return f"Verification of {self.started_at:%Y-%m-%d %H:%M}: {state}"


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        """Neither read nor resolved: a notification whose task is done no
        longer waits for its reader."""
        return self.filter(read_at__isnull=True, resolved_at__isnull=True)

    def about(self, obj):
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)


class Notification(models.Model):
    """A message for one user, shown in the portal and sent by e-mail.

    The e-mail goes out from a Celery task; `emailed_at` records that it did,
    so a lost message is re-sent by the periodic sweep.

    A notification that announces a task is tied to the object (`about`) and
    the task (`task`: "approve", "acknowledge", ...). When the task is done,
    by whoever does it, or is no longer needed, the notification is resolved
    (`pdca.notifications.resolve_tasks`): it stays in the list, leaves the
    unread count, and an e-mail not yet sent is not sent any more."""

    class Kind(models.TextChoices):
        GENERAL = "general", _("Requests and decisions")
        REMINDER = "reminder", _("Reminders of due dates")

    class Resolution(models.TextChoices):
        DONE = "done", _("Done")
        WITHDRAWN = "withdrawn", _("No longer needed")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GENERAL)
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # A failed e-mail is retried by the sweep with growing pauses (never lost).
    email_attempts = models.PositiveSmallIntegerField(default=0)
    next_email_at = models.DateTimeField(null=True, blank=True)
    # What the notification is about, and the task it announces (blank: none).
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    about = GenericForeignKey("content_type", "object_id")
    task = models.CharField(max_length=40, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolution = models.CharField(max_length=20, choices=Resolution.choices, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"]),
            # A person's unread ones, the newest first, and how many (the
            # navigation and the dashboard, on every page).
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=models.Q(read_at__isnull=True, resolved_at__isnull=True),
                name="pdca_notification_unread",
            ),
            models.Index(fields=["emailed_at", "next_email_at"]),
            models.Index(fields=["content_type", "object_id", "task"]),
        ]

    def __str__(self):
        return f"{self.subject} → {self.recipient}"

    @property
    def is_unread(self):
        return self.read_at is None and self.resolved_at is None


class NotificationPreference(models.Model):
    """How a person wants notifications of one kind delivered: in the portal
    only, by e-mail at once (the default), or in one daily digest e-mail."""

    class Delivery(models.TextChoices):
        IMMEDIATE = "immediate", _("E-mail at once")
        DIGEST = "digest", _("One daily digest e-mail")
        PORTAL = "portal", _("In the portal only")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=20, choices=Notification.Kind.choices)
    delivery = models.CharField(max_length=20, choices=Delivery.choices, default=Delivery.IMMEDIATE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_preference_per_kind")]

    def __str__(self):
        return f"{self.user}: {self.get_kind_display()} – {self.get_delivery_display()}"


class Reminder(models.Model):
    """C5: one reminder of one due date at one stage (days before it: 60, 30, 7,
    0; or weeks overdue: -7, -14, ...). A row per (what is due, its due date,
    stage), created in the transaction that creates its notifications: the
    unique key makes it exactly once, however often the job runs."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    due_on = models.DateField()
    stage = models.IntegerField(help_text=_("Days before the due date; negative: days overdue."))
    raised_at = models.DateTimeField(default=timezone.now)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    recipients = models.JSONField(default=list, help_text=_("The ids of the people reminded."))
    escalated = models.BooleanField(default=False)

    class Meta:
        ordering = ["-raised_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id", "due_on", "stage"],
                name="one_reminder_per_due_date_and_stage",
            )
        ]
        indexes = [models.Index(fields=["content_type", "object_id", "due_on"])]

    def __str__(self):
        return f"{self.title} ({self.stage:+d} days, due {self.due_on})"


class CalendarToken(models.Model):
    """The secret of a person's calendar feed. The token in the feed's URL is
    the only credential, so only its SHA-256 is stored; regenerating it makes
    the old URL stop working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_token"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"Calendar feed of {self.user}"


class JobRun(models.Model):
    """When a periodic job last ran and last succeeded (for /healthz)."""

    name = models.CharField(max_length=100, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_succeeded_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True)

    def __str__(self):
        return f"{self.name}: {self.last_succeeded_at or 'never'}"


class Heartbeat(models.Model):
    """A row written by a worker, so an operator (and the tests) can see that a
    task travelled through the broker and reached the database."""

    name = models.CharField(max_length=100)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name} at {self.at}"


# -- reports (C7) ---------------------------------------------------------------------


class ReportFileQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise RuleViolation(gettext("A stored report is never changed."))

    update.queryset_only = True

    def delete(self):
        raise RuleViolation(gettext("A stored report is never deleted."))

    delete.queryset_only = True


class ReportFile(models.Model):
    """C7: the PDF of an approved document, rendered once when the document
    reached `state` (approved; superseded) and stored under MEDIA_ROOT. Every
    later download serves exactly these bytes, checked against `sha256`, so
    that what an auditor receives is what was issued: a later change of the
    template or of the data does not alter it. Rows are only ever added."""

    report = models.CharField(max_length=60, help_text=_("The kind of report (pdca.reports registry)."))
    object_id = models.PositiveBigIntegerField()
    state = models.CharField(max_length=20, help_text=_("The document's state the report was issued in."))
    title = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300, help_text=_("The file's name in the media storage."))
    sha256 = models.CharField(max_length=64, help_text=_("SHA-256 of the stored PDF's bytes."))
    size = models.PositiveBigIntegerField()
    pages = models.PositiveIntegerField()
    # What the PDF states about the record, kept beside it.
    content_hash = models.CharField(max_length=64, blank=True)
    chain_sequence = models.PositiveBigIntegerField(default=0)
    chain_head = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ReportFileQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["report", "object_id", "state"], name="one_stored_report_per_document_state"
            )
        ]

    def __str__(self):
        return f"{self.report} #{self.object_id} ({self.state}): {self.sha256[:12]}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise RuleViolation(gettext("A stored report is never changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuleViolation(gettext("A stored report is never deleted."))


class ReportJob(models.Model):
    """C7: a report rendered in the background for the person who asked for
    it: queued -> running -> done or failed (with the reason); a failed job can
    be retried. The result is either a stored report (an approved document)
    or a file of its own (a draft, an audit-trail appendix), removed after a
    day. The row stays: who exported what, and when."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Rendering")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    report = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField()
    title = models.CharField(max_length=300, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    stored = models.ForeignKey(ReportFile, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    expired = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self):
        return f"{self.title or self.report} ({self.get_status_display()})"

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
