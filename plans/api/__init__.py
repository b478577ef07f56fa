"""The REST API of Plan under /api/v1/: processes, plans, versions,
objectives, KPIs, responsibilities and acknowledgements.

Split by layer, as pretix's API is: `serializers` (shape and type of what goes
in and out), `filters` (the API-only list filters), `views` (the viewsets,
which read through `plans.selectors` and change through `plans.services`).
`register(router)` is what the app hands to `pdca.registry.register_api_routes`.
"""

from .views import (
    AcknowledgementViewSet,
    KpiViewSet,
    ObjectiveViewSet,
    PlanViewSet,
    ProcessViewSet,
    ResponsibilityViewSet,
    VersionViewSet,
)


def register(router):
    router.register("processes", ProcessViewSet, basename="process")
    router.register("plans", PlanViewSet, basename="plan")
    router.register("versions", VersionViewSet, basename="planversion")
    router.register("objectives", ObjectiveViewSet, basename="objective")
    router.register("kpis", KpiViewSet, basename="kpi")
    router.register("responsibilities", ResponsibilityViewSet, basename="responsibility")
    router.register("acknowledgements", AcknowledgementViewSet, basename="acknowledgement")
