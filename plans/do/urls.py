"""Do's pages, under /plans/ beside Plan's, in their own namespace."""

from django.urls import path

from . import views

app_name = "do"

urlpatterns = [
    path("implementation/", views.overview, name="overview"),
    path("<int:pk>/implementation/", views.implementation_detail, name="plan"),
    path("<int:pk>/implementation/start/", views.start, name="start"),
    path("<int:pk>/implementation/milestones/new/", views.milestone_edit, name="milestone_create"),
    path(
        "<int:pk>/implementation/milestones/<int:milestone_id>/", views.milestone_edit, name="milestone_edit"
    ),
    path(
        "<int:pk>/implementation/milestones/<int:milestone_id>/done/",
        views.milestone_done,
        name="milestone_done",
    ),
    path(
        "<int:pk>/implementation/milestones/<int:milestone_id>/delete/",
        views.milestone_delete,
        name="milestone_delete",
    ),
    path("<int:pk>/implementation/kpis/<int:kpi_id>/operator/", views.kpi_operator, name="kpi_operator"),
    path("<int:pk>/implementation/handover/", views.handover_propose, name="handover_propose"),
    path(
        "<int:pk>/implementation/handover/<int:handover_id>/<slug:decision>/",
        views.handover_decide,
        name="handover_decide",
    ),
]
