"""Demo users, one per role, and the hook through which each phase seeds its data."""

from django.contrib.auth.models import Group

from accounts import roles
from accounts.models import User

from .registry import demo_seeders

DEMO_PASSWORD = "pdca-demo"

# key: (username, first, last, job title, roles, superuser)
DEMO_USERS = {
    # The administrator manages users and roles through the Administrator role;
    # no demo user is a superuser, whose flag grants no business rights anyway.
    "Administrator": ("admin", "Alex", "Adams", "SMS administrator", [roles.ADMINISTRATOR], False),
    "Manager": ("manager", "Morgan", "Meyer", "Chief Operating Officer", [roles.MANAGER], False),
    "Manager (second)": ("manager2", "Dana", "Brooks", "Head of IT Services", [roles.MANAGER], False),
    "Process owner": ("owner", "Olivia", "Owen", "Service operations lead", [roles.PROCESS_OWNER], False),
    "Process owner (second)": (
        "owner2",
        "Peter",
        "Park",
        "Change and release lead",
        [roles.PROCESS_OWNER],
        False,
    ),
    "Operator": ("operator", "Omar", "Ortiz", "Service desk supervisor", [roles.STAFF], False),
    "CSI owner": ("csi", "Chris", "Imhof", "Continual improvement manager", [roles.CSI_OWNER], False),
    "Auditor": ("auditor", "Ada", "Aldridge", "Internal auditor", [roles.AUDITOR], False),
    "Staff": ("staff", "Sam", "Stone", "Service desk agent", [roles.STAFF], False),
}


def create_users():
    users = {}
    for key, (username, first, last, title, role_names, superuser) in DEMO_USERS.items():
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "job_title": title,
                "email": f"{username}@example.com",
                "is_superuser": superuser,
                "is_staff": superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.set(Group.objects.filter(name__in=role_names))
        users[key] = user
    return users


def phase_seeders():
    """Each phase that has demo data registers a `seed(users, scale, stdout)` function."""
    return demo_seeders()
