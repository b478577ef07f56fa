from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from guardian.admin import GuardedModelAdminMixin

from .models import User


@admin.register(User)
class UserAdmin(GuardedModelAdminMixin, BaseUserAdmin):
    fieldsets = BaseUserAdmin.fieldsets + (("Portal", {"fields": ("job_title",)}),)
    list_display = ("username", "first_name", "last_name", "email", "job_title", "is_active")
    list_filter = ("groups", "is_active", "is_staff")
