"""Who may hold which responsibility: the one rule behind every people picker.

A responsibility (approver, process owner, KPI operator, reviewer, ...) may be
held only by active people whose roles allow it: auditors and staff read,
they do not approve or own; only managers approve; administrators who hold no
business role administer and are named nowhere. `eligible_for()` is the
queryset the pickers offer and search; `eligibility_refusal()` is the check
the form fields, the API fields and the services make, with one message.
"""

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Concat, NullIf, Trim
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import roles

User = get_user_model()

# How many matches the search returns, and how many people a picker lists as
# plain choices before it asks for a search instead.
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class Responsibility:
    label: str  # what the person would be, e.g. "approver"
    roles: frozenset  # holds at least one of these roles ...
    who: str  # ... which the refusal names
    permission: str = ""  # or holds this model permission ("app_label.codename")
    read_only_allowed: bool = False  # auditors may hold it


APPROVER = "approver"
RESPONSIBLE = "responsible"
OPERATOR = "operator"
REVIEWER = "reviewer"
RECIPIENT = "recipient"

_DOERS = frozenset({roles.MANAGER, roles.PROCESS_OWNER, roles.CSI_OWNER})

RESPONSIBILITIES = {
    APPROVER: Responsibility(
        label=_("approver"),
        roles=frozenset(),
        permission="plans.approve_plan",
        who=_("the approver must be a manager"),
    ),
    RESPONSIBLE: Responsibility(
        label=_("responsible"),
        roles=_DOERS,
        who=_("it is held by a manager, a process owner or a CSI owner"),
    ),
    OPERATOR: Responsibility(
        label=_("operator"),
        roles=_DOERS | {roles.STAFF},
        who=_("it is held by a manager, a process owner, a CSI owner or a member of staff"),
    ),
    REVIEWER: Responsibility(
        label=_("reviewer"),
        roles=_DOERS | {roles.AUDITOR},
        who=_("reviews are led by managers, process owners, CSI owners or auditors"),
        read_only_allowed=True,
    ),
    RECIPIENT: Responsibility(
        label=_("recipient"),
        roles=frozenset(roles.ALL_ROLES),
        who=_("only people with a role in the portal take part"),
        read_only_allowed=True,
    ),
}


def _responsibility(name):
    try:
        return RESPONSIBILITIES[name]
    except KeyError:
        raise ValueError(f"Unknown responsibility {name!r}; known: {', '.join(RESPONSIBILITIES)}") from None


def _with_role(names):
    return Exists(User.groups.through.objects.filter(user_id=OuterRef("pk"), group__name__in=names))


def eligible_for(responsibility):
    """The active people who may hold `responsibility` (one of RESPONSIBILITIES),
    by name. Membership is tested with EXISTS subqueries, so the queryset
    pages and counts without DISTINCT."""
    rule = _responsibility(responsibility)
    people = User.objects.filter(is_active=True)
    if rule.permission:
        app_label, codename = rule.permission.split(".")
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
        through_role = Exists(
            User.groups.through.objects.filter(user_id=OuterRef("pk"), group__permissions__in=permission)
        )
        direct = Exists(
            User.user_permissions.through.objects.filter(user_id=OuterRef("pk"), permission__in=permission)
        )
        people = people.filter(through_role | direct)
    if rule.roles:
        people = people.filter(_with_role(rule.roles))
    if not rule.read_only_allowed:
        people = people.exclude(_with_role([roles.AUDITOR]))
    return people.order_by("last_name", "first_name", "username")


def eligibility_refusal(person, responsibility):
    """Why `person` may not hold `responsibility`, or '' if he or she may."""
    if person is None:
        return ""
    rule = _responsibility(responsibility)
    if not person.is_active:
        return gettext("%(person)s is no longer active.") % {"person": person}
    if eligible_for(responsibility).filter(pk=person.pk).exists():
        return ""
    return gettext("%(person)s cannot be named %(label)s: %(who)s.") % {
        "person": person,
        "label": rule.label,
        "who": rule.who,
    }


def search(responsibility, text, *, limit=SEARCH_LIMIT):
    """At most `limit` people eligible for `responsibility` whose name or user
    name contains `text` (every word of it), by name. E-mail addresses are not
    searched: the search must not reveal them."""
    people = eligible_for(responsibility).annotate(full_name=Concat("first_name", Value(" "), "last_name"))
    for word in (text or "").split()[:5]:
        people = people.filter(
            Q(full_name__icontains=word) | Q(username__icontains=word) | Q(last_name__icontains=word)
        )
    return list(people[:limit])


def label(person):
    """How a picker names a person: “Olivia Owen (owner)”."""
    name = person.get_full_name()
    return f"{name} ({person.username})" if name else person.username


def require_eligible(field, responsibility, *persons):
    """Refuse (a RuleViolation naming `field`) when one of `persons` may not
    hold `responsibility`: the check the services make, whatever the route."""
    from pdca.exceptions import RuleViolation

    refusals = [r for r in (eligibility_refusal(p, responsibility) for p in persons) if r]
    if refusals:
        raise RuleViolation(" ".join(refusals), field=field)


def name_of(relation):
    """The SQL form of a person's name as `User.__str__` gives it (the full
    name, or the username without one), for the person `relation` names:
    lists of thousands of rows show it without a User object per row."""
    full = Trim(Concat(f"{relation}__first_name", Value(" "), f"{relation}__last_name"))
    return Coalesce(NullIf(full, Value("")), f"{relation}__username")
