"""Users and roles in the admin site, where administrators manage them.

Segregation of duties: nobody grants roles to himself or herself, so an
administrator's own roles, superuser flag, admin site access and permissions
are changed by another administrator; the same holds for the permissions of
a role he or she holds. People who appear in records are deactivated, never
deleted.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.actions import delete_selected as delete_selected_action
from django.contrib.admin.utils import unquote
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy, ngettext
from guardian.admin import GuardedModelAdminMixin

from . import records, services
from .models import User
from .permissions import own_rights_refusal


def with_actor(form_class, request):
    """The admin builds its forms itself; the form learns who is acting through its class."""
    return type(form_class.__name__, (form_class,), {"actor": request.user})


class UserChangeForm(auth_forms.UserChangeForm):
    actor = None

    def clean(self):
        cleaned_data = super().clean()
        refusal = own_rights_refusal(self.actor, self.instance, self.changed_data)
        if refusal:
            raise ValidationError(refusal, code="own_rights")
        return cleaned_data


@admin.register(User)
class UserAdmin(GuardedModelAdminMixin, BaseUserAdmin):
    form = UserChangeForm
    fieldsets = BaseUserAdmin.fieldsets + ((gettext_lazy("Portal"), {"fields": ("job_title",)}),)
    list_display = ("username", "first_name", "last_name", "email", "job_title", "is_active")
    list_filter = ("groups", "is_active", "is_staff")
    # Facts, not settings: a form round trip would also cut their microseconds
    # and write a change nobody made into the history.
    readonly_fields = ("last_login", "date_joined")
    actions = ["deactivate_selected", "delete_selected"]

    def get_form(self, request, obj=None, **kwargs):
        return with_actor(super().get_form(request, obj, **kwargs), request)

    def save_related(self, request, form, formsets, change):
        """Roles are set through `services.set_roles`, which refuses a grant to oneself."""
        roles = form.cleaned_data.pop("groups", None)
        super().save_related(request, form, formsets, change)
        if roles is not None:
            services.set_roles(user=form.instance, roles=list(roles), actor=request.user)

    @admin.action(description=gettext_lazy("Deactivate selected people"), permissions=["change"])
    def deactivate_selected(self, request, queryset):
        count = services.deactivate_people(people=queryset, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d person deactivated.", "%(count)d people deactivated.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Delete selected %(verbose_name_plural)s"), permissions=["delete"])
    def delete_selected(self, request, queryset):
        """Django's delete action, refused as a whole when a selected person appears in a record."""
        refusal = records.deletion_refusal(queryset)
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return None
        return delete_selected_action(self, request, queryset)

    def delete_view(self, request, object_id, extra_context=None):
        user = self.get_object(request, unquote(object_id))
        refusal = records.deletion_refusal([user]) if user is not None else ""
        if refusal:
            self.message_user(request, refusal, messages.ERROR)
            return redirect(reverse("admin:accounts_user_change", args=[user.pk]))
        return super().delete_view(request, object_id, extra_context)

    def obj_perms_manage_user_view(self, request, object_pk, user_id):
        """Object permissions are rights too: nobody grants them to himself or herself."""
        if request.method == "POST" and str(user_id) == str(request.user.pk):
            self.message_user(request, own_rights_refusal(request.user, request.user), messages.ERROR)
            return redirect(request.path)
        return super().obj_perms_manage_user_view(request, object_pk, user_id)

    def obj_perms_manage_group_view(self, request, object_pk, group_id):
        if request.method == "POST" and request.user.groups.filter(pk=group_id).exists():
            self.message_user(request, own_rights_refusal(request.user, request.user), messages.ERROR)
            return redirect(request.path)
        return super().obj_perms_manage_group_view(request, object_pk, group_id)


class RoleForm(forms.ModelForm):
    actor = None

    def clean(self):
        """A member of a role who changed its permissions would grant them to himself or herself."""
        cleaned_data = super().clean()
        if (
            "permissions" in self.changed_data
            and self.instance.pk is not None
            and self.actor.groups.filter(pk=self.instance.pk).exists()
        ):
            raise ValidationError(own_rights_refusal(self.actor, self.actor), code="own_rights")
        return cleaned_data


admin.site.unregister(Group)


@admin.register(Group)
class RoleAdmin(BaseGroupAdmin):
    form = RoleForm

    def get_form(self, request, obj=None, **kwargs):
        return with_actor(super().get_form(request, obj, **kwargs), request)
