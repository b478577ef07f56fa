"""The REST API root at /api/v1/: each app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from accounts.api import UserViewSet
from pdca.api_views import DecisionViewSet, NotificationViewSet

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("decisions", DecisionViewSet, basename="decision")

try:
    from plans.api import register as register_plans

    register_plans(router)
except ImportError:
    pass

from plans.implementation_api import register as register_implementation  # noqa: E402

register_implementation(router)
