"""The roles of DESIGN.md as groups, and the model permissions each one holds.

Object-level rules (a process owner changes only his or her own plans) are in
each app's permissions.py; these are the coarse "may this role ever ..." rights.
The groups are created by a data migration; `sync_roles` (run after every
migrate) gives them the permissions below, so new models join without a
hand-written migration.
"""

ADMINISTRATOR = "Administrator"
MANAGER = "Manager"
PROCESS_OWNER = "Process owner"
CSI_OWNER = "CSI owner"
AUDITOR = "Auditor"
STAFF = "Staff"

ALL_ROLES = [ADMINISTRATOR, MANAGER, PROCESS_OWNER, CSI_OWNER, AUDITOR, STAFF]

# Roles that read the whole service management system (every plan, review and
# improvement); staff read what was communicated to them.
READ_EVERYTHING = {MANAGER, AUDITOR, ADMINISTRATOR, PROCESS_OWNER, CSI_OWNER}


def reads_everything(user):
    if not user.is_authenticated:
        return False
    return user.is_superuser or any(user.has_role(role) for role in READ_EVERYTHING)


def is_read_only(user):
    """Auditors read everything and change nothing, whatever else they are: the
    superuser flag, which gives administration rights only, included."""
    return user.is_authenticated and user.has_role(AUDITOR)


def has_business_permission(user, perm):
    """Whether `user` holds the model permission `perm` ("app_label.codename")
    through a role or as a direct permission.

    Segregation of duties: the superuser flag grants administration (users,
    roles, configuration), not business decisions. Django's `has_perm` says
    yes to every active superuser; this asks only the roles and direct
    permissions, so that a superuser who is not a manager cannot approve.
    Inactive people hold no permission, as with `has_perm`. Read once per
    user instance (`User.business_permissions`)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return perm in user.business_permissions


# "app_label.codename" per role; "app_label.view_*" means every view permission of the app.
ROLE_PERMISSIONS = {
    ADMINISTRATOR: [
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_user",
        "accounts.view_people_history",
        "auth.view_group",
        "auth.change_group",
        "plans.view_*",
        "reviews.view_*",
        "improvements.view_*",
        "pdca.view_*",
    ],
    MANAGER: [
        "accounts.view_user",
        "accounts.view_people_history",
        "plans.view_*",
        "plans.approve_plan",
        "plans.add_process",
        "plans.change_process",
        "reviews.view_*",
        "reviews.approve_review",
        "improvements.view_*",
        "improvements.approve_improvement",
        "pdca.view_decision",
    ],
    PROCESS_OWNER: [
        "accounts.view_user",
        "plans.view_*",
        "plans.add_plan",
        "plans.change_plan",
        "reviews.view_*",
        "improvements.view_*",
    ],
    CSI_OWNER: [
        "accounts.view_user",
        "plans.view_*",
        "reviews.view_*",
        "improvements.view_*",
        "improvements.add_improvement",
        "improvements.change_improvement",
    ],
    AUDITOR: [
        "accounts.view_user",
        "accounts.view_people_history",
        "plans.view_*",
        "reviews.view_*",
        "improvements.view_*",
        "pdca.view_*",
        "plans.view_history",
        "reviews.export_report",
    ],
    STAFF: [
        "plans.view_plan",
        "plans.view_planversion",
    ],
}


def sync_roles(apps=None, **kwargs):
    """Create the role groups and give each exactly the permissions above."""
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.select_related("content_type"))
    for role, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        granted = []
        for spec in wanted:
            app_label, codename = spec.split(".", 1)
            for permission in permissions:
                if permission.content_type.app_label != app_label:
                    continue
                if codename.endswith("*"):
                    if permission.codename.startswith(codename[:-1]):
                        granted.append(permission)
                elif permission.codename == codename:
                    granted.append(permission)
        group.permissions.set(granted)


def sync_admin_access(sender, instance, action, reverse=False, pk_set=None, **kwargs):
    """Members of the Administrator role may open the admin site (is_staff),
    where their permissions let them manage users and roles; nobody else may,
    superusers apart."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if action == "pre_clear" and reverse:  # group.user_set.clear(): remember who is in it
        instance._admin_access_cleared = list(
            User.objects.filter(groups=instance).values_list("pk", flat=True)
        )
        return
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    if reverse:  # group.user_set changed
        if action == "post_clear":
            pk_set = getattr(instance, "_admin_access_cleared", [])
        users = User.objects.filter(pk__in=pk_set or [])
    else:
        users = [instance]
    for user in users:
        is_admin = user.is_superuser or user.groups.filter(name=ADMINISTRATOR).exists()
        if user.is_staff != is_admin:
            # Saved through the model, so that the history shows the access
            # opening or closing together with the role change that caused it.
            user.is_staff = is_admin
            user.save(update_fields=["is_staff"])
