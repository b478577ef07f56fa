from django.apps import AppConfig


class PdcaConfig(AppConfig):
    name = "pdca"
    verbose_name = "PDCA cycle"

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
        from .celery import ensure_broker_folders

        ensure_broker_folders()
