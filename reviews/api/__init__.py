"""The REST API of Check under /api/v1/: measurements, schedules, reviews (with
their transitions as actions), findings and actions."""


def register(router):
    from . import measurements, views

    views.register(router)
    measurements.register(router)
