"""Check's pages, under /reviews/."""

from django.urls import path

from .views import calendar, findings, measurements, reviews, schedules

app_name = "reviews"

urlpatterns = [
    path("", calendar.calendar, name="calendar"),
    path("new/", reviews.review_create, name="create"),
    path("approvals/", reviews.approval_queue, name="approvals"),
    path("findings/", findings.register, name="findings"),
    path("kpis/<int:kpi_id>/", measurements.kpi_detail, name="kpi"),
    path("plans/<int:plan_id>/measurements/", measurements.bulk_entry, name="measurements"),
    path("plans/<int:plan_id>/measurements/import/", measurements.csv_import, name="measurements_import"),
    path("plans/<int:plan_id>/schedule/", schedules.schedule_edit, name="schedule"),
    path("<int:pk>/", reviews.review_detail, name="detail"),
    path("<int:pk>/edit/", reviews.review_edit, name="edit"),
    path("<int:pk>/inputs/", reviews.inputs_edit, name="inputs"),
    path("<int:pk>/attainment/", reviews.attainment_edit, name="attainment"),
    path("<int:pk>/findings/new/", reviews.finding_edit, name="finding_create"),
    path("<int:pk>/findings/<int:number>/", reviews.finding_edit, name="finding_edit"),
    path("<int:pk>/findings/<int:number>/delete/", reviews.finding_delete, name="finding_delete"),
    path("<int:pk>/actions/new/", reviews.action_edit, name="action_create"),
    path("<int:pk>/actions/<int:action_id>/", reviews.action_edit, name="action_edit"),
    path("<int:pk>/actions/<int:action_id>/delete/", reviews.action_delete, name="action_delete"),
    path("<int:pk>/actions/<int:action_id>/done/", reviews.action_done, name="action_done"),
    path("<int:pk>/addenda/new/", reviews.addendum_create, name="addendum"),
    path("<int:pk>/invite.ics", reviews.review_invite, name="invite"),
    path("<int:pk>/<slug:transition>/", reviews.review_transition, name="transition"),
]
