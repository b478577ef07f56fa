from django.urls import path

from .views import content, history, plans, processes, versions

app_name = "plans"

urlpatterns = [
    path("", plans.plan_list, name="list"),
    path("approvals/", plans.approval_queue, name="approvals"),
    path("new/", plans.plan_create, name="create"),
    path("processes/", processes.process_list, name="processes"),
    path("processes/new/", processes.process_edit, name="process_create"),
    path("processes/<int:process_id>/", processes.process_edit, name="process_edit"),
    path("<int:pk>/", plans.plan_detail, name="detail"),
    path("<int:pk>/history/", history.plan_history, name="history"),
    path("<int:pk>/distribution/", plans.distribution_edit, name="distribution"),
    path("<int:pk>/revise/", plans.plan_revise, name="revise"),
    path("<int:pk>/archive/", plans.plan_archive, name="archive"),
    path("<int:pk>/restore/", plans.plan_restore, name="restore"),
    path("<int:pk>/confirm-conformance/", plans.confirm_conformance, name="confirm_conformance"),
    path("<int:pk>/compare/", history.version_compare, name="compare"),
    path("<int:pk>/v<int:number>/", versions.version_detail, name="version"),
    path("<int:pk>/v<int:number>/approved-content.json", versions.approved_content, name="approved_content"),
    path("<int:pk>/v<int:number>/sections/<slug:section>/", content.section_edit, name="section_edit"),
    path("<int:pk>/v<int:number>/responsibilities/", content.responsibilities_edit, name="responsibilities"),
    path("<int:pk>/v<int:number>/objectives/new/", content.objective_edit, name="objective_create"),
    path(
        "<int:pk>/v<int:number>/objectives/<int:objective_id>/", content.objective_edit, name="objective_edit"
    ),
    path(
        "<int:pk>/v<int:number>/objectives/<int:objective_id>/delete/",
        content.objective_delete,
        name="objective_delete",
    ),
    path(
        "<int:pk>/v<int:number>/objectives/<int:objective_id>/kpis/new/", content.kpi_edit, name="kpi_create"
    ),
    path("<int:pk>/v<int:number>/kpis/<int:kpi_id>/", content.kpi_edit, name="kpi_edit"),
    path("<int:pk>/v<int:number>/kpis/<int:kpi_id>/delete/", content.kpi_delete, name="kpi_delete"),
    path("<int:pk>/v<int:number>/<slug:transition>/", versions.version_transition, name="transition"),
]
