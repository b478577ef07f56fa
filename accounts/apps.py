from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles_after_migrate(sender, **kwargs):
    from .roles import sync_roles

    sync_roles()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users and roles"

    def ready(self):
        # Runs once per migrate, after every app has created its permissions.
        post_migrate.connect(_sync_roles_after_migrate, dispatch_uid="accounts.sync_roles")
