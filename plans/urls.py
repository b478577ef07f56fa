from django.urls import path

from . import views

app_name = "plans"

urlpatterns = [
    path("", views.plan_list, name="list"),
    path("approvals/", views.approval_queue, name="approvals"),
    path("new/", views.plan_create, name="create"),
    path("processes/", views.process_list, name="processes"),
    path("processes/new/", views.process_edit, name="process_create"),
    path("processes/<int:process_id>/", views.process_edit, name="process_edit"),
    path("<int:pk>/", views.plan_detail, name="detail"),
    path("<int:pk>/history/", views.plan_history, name="history"),
    path("<int:pk>/distribution/", views.distribution_edit, name="distribution"),
    path("<int:pk>/revise/", views.plan_revise, name="revise"),
    path("<int:pk>/confirm-conformance/", views.confirm_conformance, name="confirm_conformance"),
    path("<int:pk>/compare/", views.version_compare, name="compare"),
    path("<int:pk>/v<int:number>/", views.version_detail, name="version"),
    path("<int:pk>/v<int:number>/sections/<slug:section>/", views.section_edit, name="section_edit"),
    path("<int:pk>/v<int:number>/responsibilities/", views.responsibilities_edit, name="responsibilities"),
    path("<int:pk>/v<int:number>/objectives/new/", views.objective_edit, name="objective_create"),
    path(
        "<int:pk>/v<int:number>/objectives/<int:objective_id>/", views.objective_edit, name="objective_edit"
    ),
    path(
        "<int:pk>/v<int:number>/objectives/<int:objective_id>/delete/",
        views.objective_delete,
        name="objective_delete",
    ),
    path("<int:pk>/v<int:number>/objectives/<int:objective_id>/kpis/new/", views.kpi_edit, name="kpi_create"),
    path("<int:pk>/v<int:number>/kpis/<int:kpi_id>/", views.kpi_edit, name="kpi_edit"),
    path("<int:pk>/v<int:number>/kpis/<int:kpi_id>/delete/", views.kpi_delete, name="kpi_delete"),
    path("<int:pk>/v<int:number>/<slug:transition>/", views.version_transition, name="transition"),
]
