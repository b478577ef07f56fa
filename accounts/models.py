import simple_history
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from guardian.models import GroupObjectPermission, UserObjectPermission

from .history import UNTRACKED_USER_FIELDS, RightsHistoricalRecords


class UserQuerySet(models.QuerySet):
    def delete(self):
        """People who appear in records are deactivated, never deleted: a
        queryset delete does not pass through `User.delete()`, so it asks too."""
        from .records import refuse_deletion

        refuse_deletion(list(self))
        return super().delete()


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person using the portal. What they may do comes from their roles
    (groups) and, for single objects, from guardian's object permissions.

    Who held which rights when is in the history: every change of the
    account, its roles (`groups`) and direct permissions, but not logins or
    password changes (see `accounts.history`)."""

    job_title = models.CharField(max_length=120, blank=True)

    objects = UserManager()
    history = RightsHistoricalRecords(
        excluded_fields=list(UNTRACKED_USER_FIELDS), m2m_fields=["groups", "user_permissions"]
    )

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        permissions = [("view_people_history", "Can read the history of people and roles")]

    def __str__(self):
        return self.get_full_name() or self.username

    def delete(self, *args, **kwargs):
        """People who leave are deactivated, never deleted while a record
        names them: the records must go on saying who did what."""
        from .records import refuse_deletion

        refuse_deletion([self])
        return super().delete(*args, **kwargs)

    @cached_property
    def role_names(self):
        """The user's roles (group names), read once per instance: pages ask several times."""
        return sorted(self.groups.values_list("name", flat=True))

    def has_role(self, role):
        return role in self.role_names

    @cached_property
    def business_permissions(self):
        """The model permissions ("app_label.codename") the user holds through
        a role or directly, read in one query; the superuser flag adds none
        (see `accounts.roles.has_business_permission`)."""
        # Two uncorrelated IN sets, not an OR over joins: PostgreSQL joined every
        # user's groups for it (15 ms at 9,000 users), on every page that asks.
        through_groups = Group.permissions.through.objects.filter(group__in=self.groups.values("pk"))
        through_user = self.user_permissions.through.objects.filter(user=self)
        rows = (
            Permission.objects.filter(
                Q(pk__in=through_groups.values("permission_id"))
                | Q(pk__in=through_user.values("permission_id"))
            )
            .values_list("content_type__app_label", "codename")
            .distinct()
        )
        return frozenset(f"{app_label}.{codename}" for app_label, codename in rows)

    def forget_rights(self):
        """Drop the cached roles and permissions after they changed."""
        for name in (
            "role_names",
            "business_permissions",
            "_perm_cache",
            "_user_perm_cache",
            "_group_perm_cache",
        ):
            self.__dict__.pop(name, None)


# Roles and object permissions are rights too: who got which, from whom, when.
simple_history.register(
    Group, app="accounts", records_class=RightsHistoricalRecords, m2m_fields=["permissions"]
)
simple_history.register(UserObjectPermission, app="accounts", records_class=RightsHistoricalRecords)
simple_history.register(GroupObjectPermission, app="accounts", records_class=RightsHistoricalRecords)
