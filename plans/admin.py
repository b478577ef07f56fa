"""Plans in the admin: read-only. Plans, versions and their content change only
in the portal, through the services that check the rules and record the
decisions (see pdca/admin.py); administrators manage users and roles."""

from django.contrib import admin

from pdca.admin import ReadOnlyHistoryAdmin

from .models import (
    Acknowledgement,
    Handover,
    Kpi,
    KpiAssignment,
    Milestone,
    Objective,
    Plan,
    PlanVersion,
    Process,
    Responsibility,
)


@admin.register(Process)
class ProcessAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "owner")
    search_fields = ("name",)
    list_select_related = ("owner",)


@admin.register(Plan)
class PlanAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "kind", "process", "conformance_review_due", "archived_at")
    list_filter = ("kind", "conformance_review_due", ("archived_at", admin.EmptyFieldListFilter))
    list_select_related = ("process",)


class ResponsibilityInline(admin.TabularInline):
    model = Responsibility
    extra = 0

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("plan", "number", "status", "author", "approved_by", "approved_at")
    list_filter = ("status", "plan__kind")
    list_select_related = ("plan", "author", "approved_by")
    exclude = ("approved_content",)
    inlines = [ResponsibilityInline]


@admin.register(Responsibility)
class ResponsibilityAdmin(ReadOnlyHistoryAdmin):
    list_display = ("version", "kind", "user")
    list_filter = ("kind",)
    list_select_related = ("version__plan", "user")


@admin.register(Objective)
class ObjectiveAdmin(ReadOnlyHistoryAdmin):
    list_display = ("code", "title", "version", "traces_to")
    list_select_related = ("version__plan", "traces_to")


@admin.register(Kpi)
class KpiAdmin(ReadOnlyHistoryAdmin):
    list_display = ("metric", "objective", "target", "unit", "direction", "owner", "frequency")
    list_select_related = ("objective", "owner")


@admin.register(Acknowledgement)
class AcknowledgementAdmin(ReadOnlyHistoryAdmin):
    list_display = ("version", "user", "sent_at", "acknowledged_at")
    list_select_related = ("version__plan", "user")


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "plan", "owner", "due_on", "done_on")
    list_filter = ("done_on",)
    list_select_related = ("plan", "owner")


@admin.register(KpiAssignment)
class KpiAssignmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("kpi", "operator", "assigned_by", "assigned_at")
    list_select_related = ("kpi", "operator", "assigned_by")


@admin.register(Handover)
class HandoverAdmin(ReadOnlyHistoryAdmin):
    list_display = ("plan", "handed_over_by", "handover_on", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    list_select_related = ("plan", "handed_over_by", "decided_by")
