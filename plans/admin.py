from django.contrib import admin
from guardian.admin import GuardedModelAdmin
from simple_history.admin import SimpleHistoryAdmin

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
class ProcessAdmin(SimpleHistoryAdmin):
    list_display = ("name", "owner")
    filter_horizontal = ("deputies",)
    search_fields = ("name",)


@admin.register(Plan)
class PlanAdmin(GuardedModelAdmin, SimpleHistoryAdmin):
    list_display = ("title", "kind", "process", "conformance_review_due")
    list_filter = ("kind", "conformance_review_due")
    filter_horizontal = ("distribution_users", "distribution_groups")


class ResponsibilityInline(admin.TabularInline):
    model = Responsibility
    extra = 0


@admin.register(PlanVersion)
class PlanVersionAdmin(SimpleHistoryAdmin):
    list_display = ("plan", "number", "status", "author", "approved_by", "approved_at")
    list_filter = ("status", "plan__kind")
    readonly_fields = ("content_hash",)
    inlines = [ResponsibilityInline]


@admin.register(Responsibility)
class ResponsibilityAdmin(SimpleHistoryAdmin):
    list_display = ("version", "kind", "user")
    list_filter = ("kind",)


class KpiInline(admin.TabularInline):
    model = Kpi
    extra = 0


@admin.register(Objective)
class ObjectiveAdmin(SimpleHistoryAdmin):
    list_display = ("code", "title", "version", "traces_to")
    inlines = [KpiInline]


@admin.register(Kpi)
class KpiAdmin(SimpleHistoryAdmin):
    list_display = ("metric", "objective", "target", "unit", "direction", "owner", "frequency")


@admin.register(Acknowledgement)
class AcknowledgementAdmin(SimpleHistoryAdmin):
    list_display = ("version", "user", "sent_at", "acknowledged_at")


@admin.register(Milestone)
class MilestoneAdmin(SimpleHistoryAdmin):
    list_display = ("title", "plan", "owner", "due_on", "done_on")
    list_filter = ("done_on",)


@admin.register(KpiAssignment)
class KpiAssignmentAdmin(SimpleHistoryAdmin):
    list_display = ("kpi", "operator", "assigned_by", "assigned_at")


@admin.register(Handover)
class HandoverAdmin(SimpleHistoryAdmin):
    list_display = ("plan", "handed_over_by", "handover_on", "status", "decided_by", "decided_at")
    list_filter = ("status",)
    filter_horizontal = ("receivers",)
