"""The history of who held which rights when, written so that an auditor can
trust it and read it.

django-simple-history writes a historical row on every save and on every
change of a tracked many-to-many field. For accounts and roles two things
keep that from being an honest record, and `RightsHistoricalRecords` fixes
both:

- A login saves `last_login`, a password change saves the password hash, and
  a form saved without changes saves every field again. None of them changes
  who holds which rights, and a row that says nothing buries the rows that
  do. A save is recorded only when a tracked field changed.
- A membership changed from the other side (`group.user_set.add(user)`) is
  sent to simple-history with the group as the instance, which it records as
  a change of the group. It is a change of each person added or removed, and
  is recorded on each of them.
"""

from django.conf import settings
from simple_history.models import HistoricalRecords

# Saved on every login and password change; neither is a right.
UNTRACKED_USER_FIELDS = ("password", "last_login")


class RightsHistoricalRecords(HistoricalRecords):
    """`HistoricalRecords` that records changes only (see the module docstring)."""

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return  # a login or a password change: nothing tracked was saved
        if not created and not self._changed_since_last_record(instance):
            return
        super().post_save(instance, created, using=using, **kwargs)

    def _changed_since_last_record(self, instance):
        latest = getattr(instance, self.manager_name).order_by("-history_id").first()
        if latest is None:
            return True  # no record yet (history added later, or rows written without it)
        return any(
            getattr(latest, field.attname) != getattr(instance, field.attname)
            for field in self.fields_included(instance)
        )

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        if not reverse:
            return super().m2m_changed(instance, action, attr, pk_set, reverse, **kwargs)
        if not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
            return None
        # `instance` is the other side (a group); `pk_set` names the tracked objects.
        stash = f"_history_{attr}_cleared"
        if action == "pre_clear":
            affected = self.cls._default_manager.filter(**{attr: instance}).values_list("pk", flat=True)
            setattr(instance, stash, list(affected))
            return None
        if action == "post_clear":
            pk_set = getattr(instance, stash, [])
        elif action not in ("post_add", "post_remove"):
            return None
        for changed in self.cls._default_manager.filter(pk__in=pk_set or []):
            self.create_historical_record(changed, "~")
        return None
