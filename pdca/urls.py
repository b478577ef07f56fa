"""The project's URLs: what spans the cycle here, each phase app's pages and API
routes as the app registered them (`pdca.registry`)."""

from importlib import import_module

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import views
from .api_urls import router
from .registry import url_includes

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("calendar/", views.calendar_feed_page, name="calendar_feed_page"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("accounts/", include("accounts.urls")),
    *[path(prefix, include(import_module(module))) for prefix, module in url_includes()],
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
