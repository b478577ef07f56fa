"""Act in the admin: read-only. The service improvement plan changes only in
the portal, through the services that check the rules and record the
decisions (see pdca/admin.py)."""

from django.contrib import admin

from pdca.admin import ReadOnlyHistoryAdmin

from .models import BaselineValue, EffectivenessCheck, Improvement, Project, ProjectMilestone, ResultValue


@admin.register(Improvement)
class ImprovementAdmin(ReadOnlyHistoryAdmin):
    list_display = ("number", "title", "scope", "owner", "priority", "status", "required_by")
    list_filter = ("status", "scope", "source", "priority")
    search_fields = ("title", "description")
    list_select_related = ("owner",)


@admin.register(BaselineValue)
class BaselineValueAdmin(ReadOnlyHistoryAdmin):
    list_display = ("improvement", "label", "value", "unit", "measured_on")
    list_select_related = ("improvement",)


@admin.register(ResultValue)
class ResultValueAdmin(ReadOnlyHistoryAdmin):
    list_display = ("improvement", "label", "value", "unit", "period_start", "period_end")
    list_select_related = ("improvement",)


@admin.register(EffectivenessCheck)
class EffectivenessCheckAdmin(ReadOnlyHistoryAdmin):
    list_display = ("improvement", "checked_by", "checked_on", "effective")
    list_select_related = ("improvement", "checked_by")


@admin.register(Project)
class ProjectAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "manager", "starts_on", "ends_on", "status")
    list_select_related = ("manager",)


@admin.register(ProjectMilestone)
class ProjectMilestoneAdmin(ReadOnlyHistoryAdmin):
    list_display = ("project", "title", "due_on", "done_on")
    list_select_related = ("project",)
