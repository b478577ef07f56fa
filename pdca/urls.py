"""The project's URLs: what spans the cycle here, each phase app's pages and API
routes as the app registered them (`pdca.registry`)."""

from importlib import import_module

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularSwaggerView

from . import api_views, benchmark, inbox_views, report_views, views
from .api_urls import router
from .registry import url_includes

# C7: reports, audit trails and the decision-log export (pdca/report_views.py).
report_urls = (
    [
        path("", report_views.index, name="index"),
        path("decisions.<slug:file_format>", report_views.decisions_export, name="decisions"),
        path("stored/<int:pk>/", report_views.stored_file, name="stored"),
        path("jobs/<uuid:job_id>/", report_views.job, name="job"),
        path("jobs/<uuid:job_id>/download/", report_views.job_download, name="job_download"),
        path("jobs/<uuid:job_id>/retry/", report_views.job_retry, name="job_retry"),
        path("trail/<str:record>/<int:pk>.csv", report_views.trail_csv, name="trail_csv"),
        path("<str:report>/<int:pk>/", report_views.document, name="document"),
        path("<str:report>/<int:pk>/render/", report_views.render_document, name="render"),
    ],
    "reports",
)

# A URL under /api/ that names no operation answers JSON, as the API's other refusals.
handler404 = "pdca.api.not_found"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", views.favicon, name="favicon"),
    # The baseline of `manage.py benchmark`: "hello" through the whole middleware
    # stack, behind the login like every page; it reveals nothing.
    path("-/hello/", benchmark.hello, name="hello"),
    path("tasks/", inbox_views.task_list, name="tasks"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("notifications/<int:pk>/open/", views.notification_open, name="notification_open"),
    path("notifications/settings/", views.notification_settings, name="notification_settings"),
    path("calendar/", views.calendar_feed_page, name="calendar_feed_page"),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("accounts/", include("accounts.urls")),
    path("reports/", include(report_urls)),
    *[path(prefix, include(import_module(module))) for prefix, module in url_includes()],
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/schema/", api_views.SchemaView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
