"""Who may change whose rights, and who may read the history of them."""

from django.utils.translation import gettext as _

# What makes up a person's rights: roles, the superuser flag, admin site
# access and direct model permissions.
RIGHTS_FIELDS = frozenset({"groups", "is_superuser", "is_staff", "user_permissions"})

VIEW_PEOPLE_HISTORY = "accounts.view_people_history"


def own_rights_refusal(actor, user, changed=RIGHTS_FIELDS):
    """Segregation of duties: nobody grants roles to himself or herself.

    Why `actor` may not change the fields `changed` of `user`'s account, or
    '' if he or she may. Another administrator makes the change; `actor`
    None is the operator running a command (migrate, seeding)."""
    if actor is None or user.pk is None or actor.pk != user.pk:
        return ""
    if not RIGHTS_FIELDS & set(changed):
        return ""
    return _(
        "Nobody grants rights to himself or herself: another administrator changes your roles, "
        "superuser status, admin site access and permissions."
    )


def people_history_refusal(user):
    """Auditors, administrators and managers read who held which rights when."""
    if user.is_authenticated and user.has_perm(VIEW_PEOPLE_HISTORY):
        return ""
    return _("The history of people and roles is open to auditors, administrators and managers.")
