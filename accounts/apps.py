from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate
from django.utils.translation import gettext_lazy as _


def _sync_roles_after_migrate(sender, using, **kwargs):
    """Once per migrate: the permissions of every app first (Django would
    create those of later apps only after this signal), then the roles."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from .roles import sync_roles

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Users and roles")

    def ready(self):
        from .models import User
        from .roles import sync_admin_access

        post_migrate.connect(_sync_roles_after_migrate, sender=self, dispatch_uid="accounts.sync_roles")
        # Administrators manage users and roles in the admin site: the role opens it.
        m2m_changed.connect(
            sync_admin_access, sender=User.groups.through, dispatch_uid="accounts.admin_access"
        )
