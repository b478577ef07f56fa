from django.contrib.auth.models import AbstractUser
from django.db import models

from . import roles


class User(AbstractUser):
    """A person using the portal. What they may do comes from their roles
    (groups) and, for single objects, from guardian's object permissions."""

    job_title = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    def has_role(self, role):
        # Group names are prefetched by the auth middleware-less paths too, so
        # cache them per instance: templates ask several times per page.
        if not hasattr(self, "_role_names"):
            self._role_names = set(self.groups.values_list("name", flat=True))
        return role in self._role_names

    @property
    def is_manager(self):
        return self.has_role(roles.MANAGER)

    @property
    def is_auditor(self):
        return self.has_role(roles.AUDITOR)

    @property
    def is_process_owner(self):
        return self.has_role(roles.PROCESS_OWNER)

    @property
    def is_csi_owner(self):
        return self.has_role(roles.CSI_OWNER)

    @property
    def is_administrator(self):
        return self.is_superuser or self.has_role(roles.ADMINISTRATOR)

    @property
    def role_names(self):
        self.has_role("")
        return sorted(self._role_names)
