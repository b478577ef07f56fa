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


# -- the people of the scaled copies (seed_demo --scale N) ------------------------------

FIRST_NAMES = [
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannes", "Ida", "Jonas",
    "Katrin", "Lukas", "Mia", "Noah", "Paula", "Quentin", "Rosa", "Simon", "Tara", "Uwe",
]  # fmt: skip
LAST_NAMES = [
    "Becker", "Fischer", "Hoffmann", "Klein", "Koch", "Lange", "Meier", "Neumann", "Richter", "Schmidt",
    "Schulz", "Vogel", "Wagner", "Weber", "Wolf", "Zimmermann", "Krause", "Braun", "Hartmann", "Lorenz",
]  # fmt: skip

# Per copy of the 15 processes: an owner, a deputy and STAFF_PER_PROCESS staff
# for each process, and the people of the copy's SMS (about 10 per process).
STAFF_PER_PROCESS = 7
COPY_ROLES = {
    "manager": (3, roles.MANAGER, "Manager"),
    "auditor": (2, roles.AUDITOR, "Internal auditor"),
    # A1: the CSI owner role is held by exactly the people the CSI principle
    # names (the demo's CSI owner); the copies' improvement coordinators are staff.
    "csi": (2, roles.STAFF, "Improvement coordinator"),
    "admin": (1, roles.ADMINISTRATOR, "SMS administrator"),
}


def _scale_usernames(copy, processes):
    """(username, role, job title) of the people of one scaled copy."""
    for prefix, (count, role, title) in COPY_ROLES.items():
        for i in range(count):
            yield f"{prefix}-{copy}-{i:02d}", role, title
    for i in range(processes):
        yield f"owner-{copy}-{i:02d}", roles.PROCESS_OWNER, "Process owner"
        yield f"deputy-{copy}-{i:02d}", roles.PROCESS_OWNER, "Deputy process owner"
        for k in range(STAFF_PER_PROCESS):
            yield f"staff-{copy}-{i:02d}-{k}", roles.STAFF, "Service operations"


def create_scale_users(copies, *, processes, progress=None):
    """The people of the scaled copies, in bulk: one password hash for all
    (the demo password), each with his or her role. Idempotent."""
    from django.contrib.auth.hashers import make_password

    from .scale import insert

    wanted = [row for copy in copies for row in _scale_usernames(copy, processes)]
    existing = set(
        User.objects.filter(username__in=[name for name, *_ in wanted]).values_list("username", flat=True)
    )
    missing = [row for row in wanted if row[0] not in existing]
    if not missing:
        return
    password = make_password(DEMO_PASSWORD)
    users = []
    for n, (username, _role, title) in enumerate(missing):
        users.append(
            User(
                username=username,
                first_name=FIRST_NAMES[n % len(FIRST_NAMES)],
                last_name=LAST_NAMES[(n // len(FIRST_NAMES) + n) % len(LAST_NAMES)],
                job_title=title,
                email=f"{username}@example.com",
                password=password,
            )
        )
    users = insert(User, users)
    groups = dict(Group.objects.values_list("name", "pk"))
    Membership = User.groups.through
    Membership.objects.bulk_create(
        Membership(user_id=user.pk, group_id=groups[role])
        for user, (_name, role, _title) in zip(users, missing, strict=True)
    )
    if progress is not None:
        progress(f"People: {len(users)} users for copies {copies[0]}-{copies[-1]}.")


def scale_people(copies):
    """{copy: {"manager": [...], "owner": [...], "deputy": [...], "staff":
    [[...] per process], ...}} of the scaled copies, in one query."""
    people = {copy: {"staff": {}} for copy in copies}
    pattern = "^[a-z]+-(" + "|".join(str(copy) for copy in copies) + ")-[0-9]+"
    names = User.objects.filter(username__regex=pattern).order_by("username")
    for user in names:
        prefix, copy, index, *rest = user.username.split("-")
        copy = int(copy)
        if copy not in people:
            continue
        if prefix == "staff":
            people[copy]["staff"].setdefault(int(index), []).append(user)
        else:
            people[copy].setdefault(prefix, []).append(user)
    for group in people.values():
        group["staff"] = [group["staff"][i] for i in sorted(group["staff"])]
    return people
