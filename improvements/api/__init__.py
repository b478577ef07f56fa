"""The REST API of Act under /api/v1/."""


def register(router):
    from . import views

    views.register(router)
