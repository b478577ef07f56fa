"""Where a person appears in the records, and why that keeps the account.

People who leave are deactivated, never deleted while they appear in a
record: a plan version, a decision, a responsibility, a handover, a
notification, an admin log entry or a change in the history must go on
naming who did it. Deleting would cascade some of those records away, or set
the history's "who" to nothing.

The records are found generically, from every relation that points to the
user model, so that a new app's records count without being listed here.
Many of those relations are hidden (`related_name="+"`: a version's author,
a decision's actor), so `User._meta.related_objects`, which leaves hidden
relations out, is not enough.
"""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalChanges

from pdca.exceptions import RuleViolation

# What belongs to the account itself and goes with it: its API token and its
# object permissions (whose removal the history records).
ACCOUNT_BELONGINGS = {"authtoken.token", "guardian.userobjectpermission"}

CHANGE_HISTORY = gettext_lazy("change history")


def record_relations():
    """Every relation through which a record names a person: (model, field
    name, what to call such records)."""
    relations = []
    for field in get_user_model()._meta.get_fields(include_hidden=True):
        if not (field.is_relation and field.auto_created and not field.concrete):
            continue
        model = field.related_model
        if model._meta.auto_created:
            continue  # a many-to-many's own table: the many-to-many relation is listed itself
        if model._meta.label_lower in ACCOUNT_BELONGINGS:
            continue
        if issubclass(model, HistoricalChanges):
            # A historical row names the person who made the change (kept) and
            # copies of other fields as they were (the live record counts).
            if field.field.name == "history_user":
                relations.append((model, field.field.name, CHANGE_HISTORY))
            continue
        relations.append((model, field.field.name, model._meta.verbose_name_plural))
    return relations


def records_naming(users):
    """{user pk: [what records name him or her]}, one query per relation."""
    pks = [user.pk for user in users if user.pk is not None]
    found = {}
    if not pks:
        return found
    for model, name, label in record_relations():
        named = model._base_manager.filter(**{f"{name}__in": pks}).values_list(name, flat=True).distinct()
        for pk in named:
            labels = found.setdefault(pk, [])
            if str(label) not in labels:
                labels.append(str(label))
    return found


def deletion_refusal(users):
    """Why `users` may not be deleted, or '' when none appears in a record."""
    users = list(users)
    found = records_naming(users)
    if not found:
        return ""
    people = ", ".join(str(user) for user in users if user.pk in found)
    kinds = sorted({label for labels in found.values() for label in labels})
    return _(
        "%(people)s cannot be deleted: the records name them (%(records)s). "
        "Deactivate the account instead; the records keep saying who did what."
    ) % {"people": people, "records": ", ".join(kinds)}


def refuse_deletion(users):
    refusal = deletion_refusal(users)
    if refusal:
        raise RuleViolation(refusal)
