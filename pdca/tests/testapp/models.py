from django.conf import settings
from django.db import models

from pdca.controlled import AcknowledgementBase, ControlledContent, ControlledDocument, person


class Memo(ControlledDocument):
    """Draft -> submitted -> approved -> archived, returned from submitted to draft."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        ARCHIVED = "archived", "Archived"

    EDITABLE_STATES = (Status.DRAFT,)
    APPROVED_STATES = (Status.APPROVED, Status.ARCHIVED)
    FROZEN_TRANSITIONS = frozenset(
        {
            (Status.SUBMITTED, Status.DRAFT),
            (Status.SUBMITTED, Status.APPROVED),
            (Status.APPROVED, Status.ARCHIVED),
        }
    )
    AFTER_APPROVAL_FIELDS = ("archived_at",)
    CONTENT_FIELDS = ("title", "body")

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(max_length=100)
    body = models.TextField(blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.title

    def approval_excluded_users(self):
        return {self.reviewer_id: "You reviewed this memo: the approver is never its reviewer."}

    def canonical_content(self):
        return {
            "title": self.title,
            "body": self.body,
            "lines": [line.text for line in self.lines.order_by("pk")],
            "author": person(self.author),
        }


class MemoLine(ControlledContent):
    DOCUMENT_LOOKUP = "memo"

    memo = models.ForeignKey(Memo, on_delete=models.CASCADE, related_name="lines")
    text = models.CharField(max_length=100)

    def __str__(self):
        return self.text


class MemoAcknowledgement(AcknowledgementBase):
    memo = models.ForeignKey(Memo, on_delete=models.CASCADE, related_name="acknowledgements")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"{self.user}: {self.memo}"
