"""The REST API root at /api/v1/: pdca's own viewsets, then each app's routes
as the app registered them (`pdca.registry.register_api_routes`)."""

from rest_framework.routers import DefaultRouter

from accounts.api import UserViewSet
from pdca.api_views import CalendarFeedViewSet, DecisionViewSet, NotificationViewSet

from .inbox_api import TaskViewSet
from .registry import api_routes
from .report_api import register as register_report_routes

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("calendar-feed", CalendarFeedViewSet, basename="calendar-feed")
router.register("tasks", TaskViewSet, basename="task")
register_report_routes(router)  # C7: report jobs, audit trails, the decision-log export

for register in api_routes():
    register(router)
