"""What spans the whole cycle: the decision log and notifications."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from .registry import decision_label


class DecisionQuerySet(models.QuerySet):
    def for_object(self, obj):
        return self.filter(
            content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
        ).select_related("actor")


class Decision(models.Model):
    """Every decision (submit, approve, reject, acknowledge, handover, close) is a
    record with actor, time and comment. Rows are only ever added."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    action = models.CharField(max_length=40)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    comment = models.TextField(blank=True)
    from_state = models.CharField(max_length=40, blank=True)
    to_state = models.CharField(max_length=40, blank=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self):
        return f"{self.actor} {self.action_label} at {self.at:%Y-%m-%d %H:%M}"

    @property
    def action_label(self):
        return decision_label(self.action)


class Notification(models.Model):
    """A message for one user, shown in the portal and sent by e-mail.

    The e-mail goes out from a Celery task; `emailed_at` records that it did,
    so a lost message is re-sent by the periodic sweep."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.subject} → {self.recipient}"


class Heartbeat(models.Model):
    """A row written by a worker, so an operator (and the tests) can see that a
    task travelled through the broker and reached the database."""

    name = models.CharField(max_length=100)
    at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.name} at {self.at}"
