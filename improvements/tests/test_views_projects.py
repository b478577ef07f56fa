"""Projects in the browser (A3): an improvement of several processes, or a
company-wide one, is carried out as one or more projects. CSI owners and
managers set them up; a manager who neither manages nor set up a project
approves it; milestones are added and marked done. The project page runs a
constant number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from improvements import services
from improvements.models import Improvement, Project, ProjectMilestone

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 3, 1)


@pytest.fixture
def company(csi_principle, owner):
    """A company-wide improvement owned by the process owner, proposed."""
    return services.propose_improvement(
        actor=owner,
        title="Single sign-on",
        description="All tools.",
        scope=Improvement.Scope.COMPANY,
        owner=owner,
    )


@pytest.fixture
def project(company, csi_owner, other_owner):
    return services.save_project(
        actor=csi_owner,
        name="Identity 2026",
        manager=other_owner,
        starts_on=TODAY,
        ends_on=TODAY + datetime.timedelta(days=90),
        improvements=[company],
    )


def test_a_csi_owner_sets_up_the_project_that_carries_a_company_wide_improvement(
    client_for, company, csi_owner, other_owner
):
    client = client_for(csi_owner)
    page = client.get(reverse("improvements:project_create") + f"?improvement={company.number}")
    assert page.status_code == 200 and page.context["form"].initial["improvements"] == [company.pk]
    response = client.post(
        reverse("improvements:project_create"),
        {
            "name": "Identity 2026",
            "manager": other_owner.pk,
            "starts_on": "2026-03-01",
            "ends_on": "2026-06-01",
            "improvements": [company.pk],
        },
    )
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == project.get_absolute_url()
    assert list(project.improvements.all()) == [company]
    # A3: with its project, the improvement can be approved.
    assert (
        client.post(reverse("improvements:transition", args=[company.number, "approve"])).status_code == 302
    )
    assert Improvement.objects.get(pk=company.pk).status == Improvement.Status.APPROVED


def test_a_project_that_ends_before_it_starts_is_refused_with_what_was_typed(
    client_for, company, csi_owner, owner
):
    response = client_for(csi_owner).post(
        reverse("improvements:project_create"),
        {"name": "Backwards", "manager": owner.pk, "starts_on": "2026-06-01", "ends_on": "2026-03-01"},
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["ends_on"] == ["The project ends before it starts."]
    assert form["name"].value() == "Backwards"
    assert not Project.objects.exists()


def test_a_process_owner_does_not_set_up_projects(client_for, company, owner, other_owner):
    client = client_for(owner)
    page = client.get(reverse("improvements:project_create"))
    assert page.status_code == 403
    assert "Only CSI owners and managers set up improvement projects." in page.content.decode()
    response = client.post(
        reverse("improvements:project_create"),
        {"name": "Mine", "manager": owner.pk, "starts_on": "2026-03-01", "ends_on": "2026-04-01"},
    )
    assert response.status_code == 403 and not Project.objects.exists()


def test_the_project_manager_edits_his_project(client_for, project, other_owner, company):
    client = client_for(other_owner)
    assert client.get(reverse("improvements:project_edit", args=[project.pk])).status_code == 200
    response = client.post(
        reverse("improvements:project_edit", args=[project.pk]),
        {
            "name": "Identity 2027",
            "manager": other_owner.pk,
            "starts_on": "2026-03-01",
            "ends_on": "2026-07-01",
            "improvements": [company.pk],
        },
    )
    assert response.status_code == 302 and Project.objects.get().name == "Identity 2027"


def test_a_manager_who_did_not_set_it_up_approves_the_project(client_for, project, manager, csi_owner):
    refused = client_for(csi_owner).post(
        reverse("improvements:project_approve", args=[project.pk]), {"comment": "ok"}
    )
    assert refused.status_code == 403
    assert "Only a manager approves improvement projects." in refused.content.decode()
    assert Project.objects.get().status == Project.Status.PLANNED
    page = client_for(manager).get(project.get_absolute_url())
    assert page.context["actions"].approve
    response = client_for(manager).post(
        reverse("improvements:project_approve", args=[project.pk]), {"comment": "Go"}
    )
    assert response.status_code == 302
    project = Project.objects.get()
    assert (project.status, project.approved_by) == (Project.Status.RUNNING, manager)
    again = client_for(manager).post(reverse("improvements:project_approve", args=[project.pk]))
    assert again.status_code == 409 and "This project is running." in again.content.decode()


def test_milestones_are_added_and_marked_done(client_for, project, csi_owner, other_owner):
    client = client_for(other_owner)
    url = reverse("improvements:project_milestone", args=[project.pk])
    response = client.post(url, {"title": "", "due_on": ""})
    assert response.status_code == 400
    assert "Give the milestone a title." in response.content.decode()
    assert not ProjectMilestone.objects.exists()
    assert client.post(url, {"title": "Directory chosen", "due_on": "2026-04-01"}).status_code == 302
    milestone = ProjectMilestone.objects.get()
    assert milestone.done_on is None
    assert client.post(url, {"milestone": milestone.pk}).status_code == 302
    assert ProjectMilestone.objects.get().done_on == timezone.localdate()
    page = client.get(project.get_absolute_url())
    assert "Directory chosen" in page.content.decode() and "Done " in page.content.decode()


def test_others_do_not_add_milestones(client_for, project, owner):
    response = client_for(owner).post(
        reverse("improvements:project_milestone", args=[project.pk]),
        {"title": "Mine", "due_on": "2026-04-01"},
    )
    assert response.status_code == 403 and not ProjectMilestone.objects.exists()


def test_the_project_list_shows_each_project_with_its_improvements_and_milestones(
    client_for, project, auditor
):
    services.save_project_milestone(
        project=project, actor=project.created_by, title="One", due_on=TODAY, done_on=TODAY
    )
    services.save_project_milestone(project=project, actor=project.created_by, title="Two", due_on=TODAY)
    response = client_for(auditor).get(reverse("improvements:projects"))
    assert response.status_code == 200
    listed = list(response.context["page"])
    assert [(p.name, p.improvement_count, p.milestones_done, p.milestone_count) for p in listed] == [
        ("Identity 2026", 1, 1, 2)
    ]
    assert "Set up a project" not in response.content.decode()


def test_the_project_page_runs_a_constant_number_of_queries(client_for, project, csi_owner, owner, manager):
    client = client_for(manager)
    url = project.get_absolute_url()
    client.get(url)

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200
        return len(captured), response

    few, response = count()
    assert len(response.context["improvements"]) == 1
    carried = [project.improvements.get()]
    for n in range(5):
        carried.append(
            services.propose_improvement(
                actor=owner, title=f"More {n}", description="x", scope=Improvement.Scope.COMPANY, owner=owner
            )
        )
        services.save_project_milestone(project=project, actor=csi_owner, title=f"M{n}", due_on=TODAY)
    services.save_project(
        actor=csi_owner,
        project=project,
        name=project.name,
        manager=project.manager,
        starts_on=project.starts_on,
        ends_on=project.ends_on,
        improvements=carried,
    )
    services.approve_project(project=project, actor=manager)
    many, response = count()
    assert len(response.context["improvements"]) == 6 and len(response.context["milestones"]) == 5
    assert many == few


def test_staff_see_no_project_that_carries_nothing_they_may_read(client_for, project, staff):
    assert client_for(staff).get(project.get_absolute_url()).status_code == 404
    assert not list(client_for(staff).get(reverse("improvements:projects")).context["page"])
