"""Act's pages, under /improvements/."""

from django.urls import path

from .views import improvements, projects, register

app_name = "improvements"

urlpatterns = [
    path("", register.register, name="register"),
    path("export.csv", register.export_csv, name="export_csv"),
    path("export.xlsx", register.export_xlsx, name="export_xlsx"),
    path("export.pdf", register.export_pdf, name="export_pdf"),
    path("principle/", register.csi_principle, name="principle"),
    path("new/", improvements.propose, name="create"),
    path("promote/<int:finding_id>/", improvements.promote, name="promote"),
    path("projects/", projects.project_list, name="projects"),
    path("projects/new/", projects.project_edit, name="project_create"),
    path("projects/<int:pk>/", projects.project_detail, name="project"),
    path("projects/<int:pk>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<int:pk>/approve/", projects.project_approve, name="project_approve"),
    path("projects/<int:pk>/milestones/new/", projects.milestone_create, name="project_milestone"),
    path("<int:number>/", improvements.detail, name="detail"),
    path("<int:number>/edit/", improvements.edit, name="edit"),
    path("<int:number>/baseline/", improvements.baseline, name="baseline"),
    path("<int:number>/nonconformity/", improvements.nonconformity, name="nonconformity"),
    path("<int:number>/results/", improvements.result, name="result"),
    path("<int:number>/evaluate/", improvements.evaluate, name="evaluate"),
    path("<int:number>/<slug:transition>/", improvements.transition_view, name="transition"),
]
