from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PdcaConfig(AppConfig):
    name = "pdca"
    verbose_name = _("PDCA cycle")

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
        from .celery import ensure_broker_folders

        ensure_broker_folders()

        from django.contrib.auth.signals import user_logged_in

        from .inbox import count_at_login

        # The task inbox's count in the navigation, from the first page on.
        user_logged_in.connect(count_at_login, dispatch_uid="pdca.inbox.count_at_login")
