from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.functional import cached_property


class User(AbstractUser):
    """A person using the portal. What they may do comes from their roles
    (groups) and, for single objects, from guardian's object permissions."""

    job_title = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["last_name", "first_name", "username"]

    def __str__(self):
        return self.get_full_name() or self.username

    @cached_property
    def role_names(self):
        """The user's roles (group names), read once per instance: pages ask several times."""
        return sorted(self.groups.values_list("name", flat=True))

    def has_role(self, role):
        return role in self.role_names
