"""Check in the admin: read-only. Reviews, measurements and findings change
only in the portal, through the services that check the rules and record the
decisions (see pdca/admin.py)."""

from django.contrib import admin

from pdca.admin import ReadOnlyHistoryAdmin

from .models import (
    Addendum,
    Attainment,
    Finding,
    Measurement,
    Review,
    ReviewAction,
    ReviewInput,
    ReviewSchedule,
)


@admin.register(Measurement)
class MeasurementAdmin(ReadOnlyHistoryAdmin):
    list_display = ("kpi", "period_start", "period_end", "value", "recorded_by", "recorded_at")
    list_select_related = ("kpi", "recorded_by")
    date_hierarchy = "period_end"


@admin.register(ReviewSchedule)
class ReviewScheduleAdmin(ReadOnlyHistoryAdmin):
    list_display = ("plan", "interval_months", "next_planned_on", "reviewer")
    list_select_related = ("plan", "reviewer")


@admin.register(Review)
class ReviewAdmin(ReadOnlyHistoryAdmin):
    list_display = ("title", "kind", "status", "planned_on", "held_on", "reviewer", "approved_by")
    list_filter = ("kind", "status")
    list_select_related = ("reviewer", "approved_by")
    exclude = ("approved_content",)


@admin.register(ReviewInput)
class ReviewInputAdmin(ReadOnlyHistoryAdmin):
    list_display = ("review", "key", "status")
    list_select_related = ("review",)


@admin.register(Attainment)
class AttainmentAdmin(ReadOnlyHistoryAdmin):
    list_display = ("review", "objective_code", "metric", "target", "measured")
    list_select_related = ("review",)


@admin.register(Finding)
class FindingAdmin(ReadOnlyHistoryAdmin):
    list_display = ("review", "number", "grade", "process", "status")
    list_filter = ("grade", "status")
    list_select_related = ("review", "process")


@admin.register(ReviewAction)
class ReviewActionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("review", "description", "owner", "due_on", "status")
    list_filter = ("status",)
    list_select_related = ("review", "owner")


@admin.register(Addendum)
class AddendumAdmin(ReadOnlyHistoryAdmin):
    list_display = ("review", "author", "written_at")
    list_select_related = ("review", "author")
