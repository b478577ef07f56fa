from django.contrib import admin

from .models import Decision, Heartbeat, Notification


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "content_type", "object_id", "from_state", "to_state")
    list_filter = ("action", "content_type")
    search_fields = ("comment", "actor__username")
    date_hierarchy = "at"

    # The decision log is only ever added to.
    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "recipient", "subject", "read_at", "emailed_at")
    list_filter = ("read_at", "emailed_at")
    search_fields = ("subject", "recipient__username")


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "at")
