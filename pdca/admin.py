"""The admin site administers users, roles and configuration. The records an
auditor relies on (controlled documents and their parts, acknowledgements,
decisions, notifications) are shown read-only: nobody adds, changes, deletes
or reverts them by hand, the superuser included. They change only through the
services, which check the rules and record the decisions."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

from .models import (
    CalendarToken,
    Decision,
    DecisionChainHead,
    Heartbeat,
    JobRun,
    Notification,
    NotificationPreference,
    Reminder,
    ReportFile,
    ReportJob,
    VerificationRun,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable in the admin, never added, changed or deleted there."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyHistoryAdmin(ReadOnlyAdmin, SimpleHistoryAdmin):
    """A read-only record whose change history is shown, without "revert":
    reverting would write an old state over the record by hand."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Records are not reverted by hand.")
        return super().history_form_view(request, object_id, version_id, extra_context)


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = (
        "sequence",
        "at",
        "actor",
        "action",
        "content_type",
        "object_id",
        "from_state",
        "to_state",
    )
    list_filter = ("action", "content_type")
    search_fields = ("comment", "actor__username")
    date_hierarchy = "at"
    list_select_related = ("actor", "content_type")


@admin.register(DecisionChainHead)
class DecisionChainHeadAdmin(ReadOnlyAdmin):
    list_display = ("sequence", "hash")


@admin.register(VerificationRun)
class VerificationRunAdmin(ReadOnlyAdmin):
    list_display = ("started_at", "ok", "records_checked", "decisions_checked", "chain_head")
    list_filter = ("ok",)


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "subject", "task", "read_at", "resolved_at", "emailed_at")
    list_filter = ("read_at", "resolved_at", "resolution", "emailed_at")
    search_fields = ("subject", "recipient__username")
    list_select_related = ("recipient",)


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """The reminder log: what was reminded, when, and to whom (C5)."""

    list_display = ("raised_at", "title", "due_on", "stage", "escalated")
    list_filter = ("escalated", "content_type")
    search_fields = ("title",)
    date_hierarchy = "raised_at"


@admin.register(CalendarToken)
class CalendarTokenAdmin(ReadOnlyAdmin):
    """Who has a calendar feed (the token itself is only stored hashed)."""

    list_display = ("user", "created_at")
    exclude = ("token_hash",)

    def has_delete_permission(self, request, obj=None):
        return True  # revoking a feed is an administrator's right


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin):
    list_display = ("name", "last_started_at", "last_succeeded_at")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "delivery")
    list_filter = ("kind", "delivery")
    list_select_related = ("user",)


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin):
    list_display = ("name", "at")


@admin.register(ReportFile)
class ReportFileAdmin(ReadOnlyAdmin):
    """C7: the stored PDFs of approved documents, never changed or deleted."""

    list_display = ("created_at", "report", "object_id", "state", "title", "pages", "sha256")
    list_filter = ("report", "state")
    search_fields = ("title", "sha256")


@admin.register(ReportJob)
class ReportJobAdmin(ReadOnlyAdmin):
    """C7: who asked for which report, and what became of it."""

    list_display = ("created_at", "report", "object_id", "requested_by", "status", "attempts")
    list_filter = ("status", "report")
    list_select_related = ("requested_by",)
