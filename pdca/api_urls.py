"""The REST API root at /api/v1/: pdca's own viewsets, then each app's routes
as the app registered them (`pdca.registry.register_api_routes`)."""

from rest_framework.routers import DefaultRouter

from accounts.api import UserViewSet
from pdca.api_views import CalendarFeedViewSet, DecisionViewSet, NotificationViewSet

from .registry import api_routes

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("calendar-feed", CalendarFeedViewSet, basename="calendar-feed")

for register in api_routes():
    register(router)
