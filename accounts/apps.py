from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate


def _sync_roles_after_migrate(sender, **kwargs):
    from .roles import sync_roles

    sync_roles()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self):
        from .models import User
        from .roles import sync_admin_access

        # Runs once per migrate, after every app has created its permissions.
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
        # Administrators manage users and roles in the admin site: the role opens it.
        m2m_changed.connect(
            sync_admin_access, sender=User.groups.through, dispatch_uid="accounts.admin_access"
        )
