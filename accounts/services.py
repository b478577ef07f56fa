"""Changes of people's rights and accounts, each recorded in the history with
the person who made it."""

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

from pdca.exceptions import NotAllowed, RuleViolation
from pdca.history import atomic_as_actor

from .permissions import own_rights_refusal


@atomic_as_actor
def set_roles(*, user, roles, actor):
    """Give `user` exactly `roles` (groups or role names).

    Segregation of duties: nobody grants roles to himself or herself; an
    unchanged set of roles is no grant and goes through. `actor` None is the
    operator running a command."""
    groups = [role for role in roles if isinstance(role, Group)]
    names = {role for role in roles if isinstance(role, str)}
    if names:
        found = list(Group.objects.filter(name__in=names))
        unknown = names - {group.name for group in found}
        if unknown:
            raise RuleViolation(
                _("There is no role %(names)s.") % {"names": ", ".join(sorted(unknown))}, field="roles"
            )
        groups += found
    if {group.pk for group in groups} == set(user.groups.values_list("pk", flat=True)):
        return user
    refusal = own_rights_refusal(actor, user, {"groups"})
    if refusal:
        raise NotAllowed(refusal, field="roles")
    user.groups.set(groups)
    user.forget_rights()
    return user


@atomic_as_actor
def deactivate_people(*, people, actor):
    """People who leave are deactivated, never deleted while records name
    them. Each deactivation is saved through the model, so that the history
    says who deactivated whom and when. Returns how many were active."""
    from .models import User

    pks = [person.pk for person in people]
    count = 0
    for person in User.objects.select_for_update().filter(pk__in=pks, is_active=True):
        person.is_active = False
        person.save(update_fields=["is_active"])
        count += 1
    return count
