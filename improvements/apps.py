from django.apps import AppConfig


class ImprovementsConfig(AppConfig):
    name = "improvements"
    verbose_name = "Act"
