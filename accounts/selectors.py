"""Page-shaped reads of accounts: the history of people and roles."""

from collections import defaultdict

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.paginator import Paginator
from django.db.models import CharField, OuterRef, Subquery, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.models import GroupObjectPermission, UserObjectPermission

from pdca.history import Describer, HistoryEntry

from .models import User

PAGE_SIZE = 50

USER_FIELD_NAMES = {
    "username": gettext_lazy("user name"),
    "first_name": gettext_lazy("first name"),
    "last_name": gettext_lazy("last name"),
    "email": gettext_lazy("e-mail"),
    "job_title": gettext_lazy("job title"),
    "is_superuser": gettext_lazy("superuser"),
    "is_staff": gettext_lazy("admin site access"),
    "is_active": gettext_lazy("active"),
    "date_joined": gettext_lazy("joined"),
    "name": gettext_lazy("name"),
}
FLAGS = ("is_superuser", "is_staff", "is_active")
M2M_FIELDS = ("groups", "user_permissions", "permissions")


def _yes_no(value):
    return _("yes") if value else _("no")


def _history_model(model):
    return model.history.model


def _m2m_history_model(model, field_name):
    return getattr(_history_model(model), field_name).model


def people_history(page_number, per_page=PAGE_SIZE):
    """Who held which rights when: every change of an account (its roles,
    flags and direct permissions), of a role's permissions, and every object
    permission granted or withdrawn, newest first, one page of `HistoryEntry`.

    The page is cut in the database (one union of the four histories), and
    what is on it is read in a fixed number of queries whatever the length of
    the history: the records with their predecessors, the membership and
    permission snapshots, and the names they refer to."""
    sources = {
        "account": _history_model(User),
        "role": _history_model(Group),
        "user_object_permission": _history_model(UserObjectPermission),
        "role_object_permission": _history_model(GroupObjectPermission),
    }
    keys = None
    for kind, model in sources.items():
        rows = (
            model.objects.order_by()
            .annotate(kind=Value(kind, output_field=CharField()))
            .values_list("history_date", "history_id", "kind")
        )
        keys = rows if keys is None else keys.union(rows, all=True)
    page = Paginator(keys.order_by("-history_date", "-history_id", "kind"), per_page).get_page(page_number)
    on_page = list(page.object_list)
    ids = defaultdict(list)
    for _at, history_id, kind in on_page:
        ids[kind].append(history_id)

    accounts, earlier_accounts = _with_predecessors(sources["account"], ids["account"])
    roles, earlier_roles = _with_predecessors(sources["role"], ids["role"])
    user_grants = list(
        sources["user_object_permission"]
        .objects.filter(history_id__in=ids["user_object_permission"])
        .select_related("history_user", "user", "permission__content_type")
    )
    role_grants = list(
        sources["role_object_permission"]
        .objects.filter(history_id__in=ids["role_object_permission"])
        .select_related("history_user", "group", "permission__content_type")
    )

    account_ids = [r.history_id for r in (*accounts, *earlier_accounts.values())]
    role_ids = [r.history_id for r in (*roles, *earlier_roles.values())]
    memberships = _snapshots(_m2m_history_model(User, "groups"), account_ids, "group_id")
    direct = _snapshots(_m2m_history_model(User, "user_permissions"), account_ids, "permission_id")
    role_permissions = _snapshots(_m2m_history_model(Group, "permissions"), role_ids, "permission_id")

    group_ids = {pk for snapshot in memberships.values() for pk in snapshot}
    permission_ids = {pk for snapshots in (direct, role_permissions) for s in snapshots.values() for pk in s}
    group_names = dict(Group.objects.filter(pk__in=group_ids).values_list("pk", "name"))
    permission_names = {
        p.pk: f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(pk__in=permission_ids).select_related("content_type")
    }
    objects = _objects_of([*user_grants, *role_grants])

    describe = Describer(labels=dict.fromkeys(FLAGS, _yes_no))
    say = _Sayer(
        describe=describe,
        group_name=lambda pk: group_names.get(pk, _("role #%(pk)s") % {"pk": pk}),
        permission_name=lambda pk: permission_names.get(pk, f"#{pk}"),
    )
    entries = {}
    for record in accounts:
        previous = earlier_accounts.get(record.previous_id)
        entries["account", record.history_id] = say.entry(
            record, _person_at(record), say.account_lines(record, previous, memberships, direct)
        )
    for record in roles:
        previous = earlier_roles.get(record.previous_id)
        entries["role", record.history_id] = say.entry(
            record,
            _("role “%(name)s”") % {"name": record.name},
            say.role_lines(record, previous, role_permissions),
        )
    for record in user_grants:
        holder = str(record.user) if record.user else _("user #%(pk)s") % {"pk": record.user_id}
        entries["user_object_permission", record.history_id] = say.entry(
            record, holder, [say.grant_line(record, holder, objects)]
        )
    for record in role_grants:
        name = record.group.name if record.group else f"#{record.group_id}"
        holder = _("role “%(name)s”") % {"name": name}
        entries["role_object_permission", record.history_id] = say.entry(
            record, holder, [say.grant_line(record, holder, objects)]
        )
    page.object_list = [entries[kind, history_id] for _at, history_id, kind in on_page]
    return page


def _with_predecessors(model, history_ids):
    """The records `history_ids` (with who made them) and, by history id, the
    record of the same object just before each: what it changed from."""
    earlier = (
        model.objects.filter(id=OuterRef("id"), history_id__lt=OuterRef("history_id"))
        .order_by("-history_id")
        .values("history_id")[:1]
    )
    records = list(
        model.objects.filter(history_id__in=history_ids)
        .annotate(previous_id=Subquery(earlier))
        .select_related("history_user")
    )
    previous = model.objects.in_bulk([r.previous_id for r in records if r.previous_id])
    return records, previous


def _snapshots(m2m_model, history_ids, target):
    """{history id: {target ids}}: a many-to-many field as it was at each record."""
    snapshots = defaultdict(set)
    rows = m2m_model.objects.filter(history_id__in=history_ids).values_list("history_id", target)
    for history_id, target_id in rows:
        snapshots[history_id].add(target_id)
    return snapshots


def _objects_of(grants):
    """{(content type id, object pk): label} of the objects the object
    permissions are on: one query per kind of object."""
    wanted = defaultdict(set)
    for grant in grants:
        wanted[grant.content_type_id].add(grant.object_pk)
    labels = {}
    for content_type_id, pks in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        found = model._base_manager.in_bulk(list(pks)) if model else {}
        for pk, obj in found.items():
            labels[content_type_id, str(pk)] = f"“{obj}”"
        for pk in pks:
            if (content_type_id, pk) not in labels:
                name = model._meta.verbose_name if model else _("object")
                labels[content_type_id, pk] = _("%(kind)s #%(pk)s (deleted)") % {"kind": name, "pk": pk}
    return labels


def _person_at(record):
    """The account as it was named at the time of the change."""
    return f"{record.first_name} {record.last_name}".strip() or record.username


class _Sayer:
    """Says each kind of historical record in words."""

    def __init__(self, *, describe, group_name, permission_name):
        self.describe = describe
        self.group_name = group_name
        self.permission_name = permission_name

    def entry(self, record, subject, lines):
        return HistoryEntry(
            record.history_date,
            record.history_user,
            subject,
            record.get_history_type_display(),
            lines or [_("no visible change")],
        )

    def set_change(self, label, old, new, name_of):
        parts = [f"+ {name}" for name in sorted(name_of(pk) for pk in new - old)]
        parts += [f"− {name}" for name in sorted(name_of(pk) for pk in old - new)]
        if not parts:
            return None
        return _("%(field)s: %(changes)s") % {"field": label, "changes": ", ".join(parts)}

    def field_lines(self, record, previous):
        lines = []
        for change in record.diff_against(previous, excluded_fields=M2M_FIELDS).changes:
            lines.append(
                _("%(field)s: %(old)s → %(new)s")
                % {
                    "field": USER_FIELD_NAMES.get(change.field, change.field.replace("_", " ")),
                    "old": self.describe(change.field, change.old),
                    "new": self.describe(change.field, change.new),
                }
            )
        return lines

    def account_lines(self, record, previous, memberships, direct):
        if record.history_type == "-":
            return [_("account deleted")]
        if record.history_type == "+":
            lines = [_("account created")]
            if record.is_superuser:
                lines.append(
                    _("%(field)s: %(value)s")
                    % {"field": USER_FIELD_NAMES["is_superuser"], "value": _yes_no(True)}
                )
        else:
            lines = self.field_lines(record, previous) if previous is not None else []
        before = previous.history_id if previous is not None and record.history_type != "+" else None
        lines += [
            line
            for line in (
                self.set_change(
                    _("roles"),
                    memberships.get(before, set()),
                    memberships.get(record.history_id, set()),
                    self.group_name,
                ),
                self.set_change(
                    _("direct permissions"),
                    direct.get(before, set()),
                    direct.get(record.history_id, set()),
                    self.permission_name,
                ),
            )
            if line
        ]
        return lines

    def role_lines(self, record, previous, role_permissions):
        if record.history_type == "-":
            return [_("role deleted")]
        lines = [_("role created")] if record.history_type == "+" else []
        if record.history_type == "~" and previous is not None:
            lines += self.field_lines(record, previous)
        before = previous.history_id if previous is not None and record.history_type != "+" else None
        change = self.set_change(
            _("permissions"),
            role_permissions.get(before, set()),
            role_permissions.get(record.history_id, set()),
            self.permission_name,
        )
        return lines + ([change] if change else [])

    def grant_line(self, record, holder, objects):
        values = {
            "permission": f"{record.permission.content_type.app_label}.{record.permission.codename}"
            if record.permission
            else f"#{record.permission_id}",
            "object": objects.get((record.content_type_id, record.object_pk), f"#{record.object_pk}"),
            "holder": holder,
        }
        if record.history_type == "+":
            return _("object permission %(permission)s on %(object)s granted to %(holder)s") % values
        if record.history_type == "-":
            return _("object permission %(permission)s on %(object)s withdrawn from %(holder)s") % values
        return _("object permission %(permission)s on %(object)s of %(holder)s changed") % values
