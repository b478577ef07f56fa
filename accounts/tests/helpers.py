"""What the accounts tests share: the admin's user form as a browser posts it."""


def user_form_data(user, **changes):
    """The admin change form of `user` as posted unchanged, with `changes`
    applied (flags as booleans, roles and permissions as lists of pks)."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "job_title": user.job_title,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
        "groups": list(user.groups.values_list("pk", flat=True)),
        "user_permissions": list(user.user_permissions.values_list("pk", flat=True)),
    }
    data.update(changes)
    # A browser leaves unticked boxes out.
    return {key: ("on" if value is True else value) for key, value in data.items() if value is not False}
