"""The REST API root at /api/v1/: each app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from accounts.api import UserViewSet
from pdca.api_views import DecisionViewSet, NotificationViewSet
from plans.api import register as register_plans
from plans.implementation_api import register as register_implementation

router = DefaultRouter()
router.register("users", UserViewSet, basename="user")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("decisions", DecisionViewSet, basename="decision")

register_plans(router)
register_implementation(router)
