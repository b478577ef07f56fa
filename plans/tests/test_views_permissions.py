"""Object-level permissions in the browser: who may view, edit, submit and approve
which plan. A refused request answers 403 (or 404 where the user may not even
know the plan) and changes nothing."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from pdca.models import Decision
from plans import permissions, services
from plans.models import PlanVersion
from plans.tests import factories

pytestmark = pytest.mark.django_db

ROLES = ["owner", "other_owner", "manager", "auditor", "staff"]
# Which plan is "own": the owner owns Incident management, the other owner Change management.
EDITOR_OF = {"incident": "owner", "change": "other_owner"}


@pytest.fixture
def plans(smp, owner, other_owner, manager):
    return {
        "incident": factories.draft_process_plan(owner, manager, name="Incident management"),
        "change": factories.draft_process_plan(other_owner, manager, name="Change management"),
    }


@pytest.fixture
def users(owner, other_owner, manager, auditor, staff):
    return {
        "owner": owner,
        "other_owner": other_owner,
        "manager": manager,
        "auditor": auditor,
        "staff": staff,
    }


def browser_for(user):
    client = Client()
    client.force_login(user)
    return client


def snapshot(plan):
    """Everything a refused request must leave as it was."""
    version = PlanVersion.objects.get(plan=plan, number=1)
    return (
        version.status,
        version.revision,
        dict(version.sections),
        sorted(version.responsibilities.values_list("kind", "user_id")),
        Decision.objects.count(),
    )


@pytest.mark.parametrize("plan_key", ["incident", "change"])
@pytest.mark.parametrize("role", ROLES)
def test_who_may_view_a_draft_plan(role, plan_key, plans, users):
    plan = plans[plan_key]
    client = browser_for(users[role])
    detail = client.get(reverse("plans:detail", args=[plan.pk]))
    version = client.get(reverse("plans:version", args=[plan.pk, 1]))
    want = 404 if role == "staff" else 200
    assert (detail.status_code, version.status_code) == (want, want)


@pytest.mark.parametrize("plan_key", ["incident", "change"])
@pytest.mark.parametrize("role", ROLES)
def test_only_the_process_owner_edits_a_section(role, plan_key, plans, users):
    plan = plans[plan_key]
    may_edit = role == EDITOR_OF[plan_key]
    url = reverse("plans:section_edit", args=[plan.pk, 1, "purpose"])
    client = browser_for(users[role])
    before = snapshot(plan)

    form = client.get(url)
    response = client.post(url, {"text": "Rewritten by " + role, "revision": before[1], "save": "1"})

    if may_edit:
        assert form.status_code == 200
        assert response.status_code == 302
        assert PlanVersion.objects.get(plan=plan, number=1).sections["purpose"] == "Rewritten by " + role
    else:
        want = 404 if role == "staff" else 403
        assert (form.status_code, response.status_code) == (want, want)
        assert snapshot(plan) == before


@pytest.mark.parametrize("plan_key", ["incident", "change"])
@pytest.mark.parametrize("role", ROLES)
def test_only_the_process_owner_submits(role, plan_key, plans, users):
    plan = plans[plan_key]
    client = browser_for(users[role])
    before = snapshot(plan)
    response = client.post(reverse("plans:transition", args=[plan.pk, 1, "submit"]))
    if role == EDITOR_OF[plan_key]:
        assert response.status_code == 302
        assert PlanVersion.objects.get(plan=plan, number=1).status == PlanVersion.Status.IN_REVIEW
    else:
        assert response.status_code == (404 if role == "staff" else 403)
        assert snapshot(plan) == before


@pytest.mark.parametrize("plan_key", ["incident", "change"])
@pytest.mark.parametrize("role", ROLES)
def test_only_the_named_manager_approves(role, plan_key, plans, users):
    plan = plans[plan_key]
    factories.submit_and_review(plan.latest_version, users[EDITOR_OF[plan_key]])
    client = browser_for(users[role])
    before = snapshot(plan)
    response = client.post(reverse("plans:transition", args=[plan.pk, 1, "approve"]))
    if role == "manager":
        assert response.status_code == 302
        assert PlanVersion.objects.get(plan=plan, number=1).status == PlanVersion.Status.APPROVED
    else:
        assert response.status_code == (404 if role == "staff" else 403)
        assert snapshot(plan) == before
        if role != "staff":
            assert "Nothing was changed" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_what_each_role_may_open_on_a_draft_plan(role, plans, users):
    """The other edit pages follow the same rule as section editing."""
    plan = plans["incident"]
    version = plan.latest_version
    objective = version.objectives.first()
    kpi = objective.kpis.first()
    urls = [
        reverse("plans:responsibilities", args=[plan.pk, 1]),
        reverse("plans:objective_create", args=[plan.pk, 1]),
        reverse("plans:objective_edit", args=[plan.pk, 1, objective.pk]),
        reverse("plans:objective_delete", args=[plan.pk, 1, objective.pk]),
        reverse("plans:kpi_create", args=[plan.pk, 1, objective.pk]),
        reverse("plans:kpi_edit", args=[plan.pk, 1, kpi.pk]),
        reverse("plans:kpi_delete", args=[plan.pk, 1, kpi.pk]),
        reverse("plans:distribution", args=[plan.pk]),
    ]
    client = browser_for(users[role])
    want = {"owner": 200, "staff": 404}.get(role, 403)
    assert {url: client.get(url).status_code for url in urls} == dict.fromkeys(urls, want)


@pytest.mark.parametrize("role", ["other_owner", "manager", "auditor"])
def test_refused_edits_of_objectives_kpis_and_responsibilities_change_nothing(role, plans, users, manager):
    plan = plans["incident"]
    version = plan.latest_version
    objective = version.objectives.first()
    kpi = objective.kpis.first()
    client = browser_for(users[role])
    before = (
        snapshot(plan),
        list(version.objectives.values_list("title", flat=True)),
        list(objective.kpis.values_list("metric", flat=True)),
    )
    responses = [
        client.post(reverse("plans:objective_edit", args=[plan.pk, 1, objective.pk]), {"title": "Hijacked"}),
        client.post(reverse("plans:objective_delete", args=[plan.pk, 1, objective.pk])),
        client.post(
            reverse("plans:kpi_edit", args=[plan.pk, 1, kpi.pk]),
            {
                "metric": "Hijacked",
                "unit": "%",
                "direction": "higher",
                "target": "1",
                "owner": manager.pk,
                "frequency": "monthly",
            },
        ),
        client.post(reverse("plans:kpi_delete", args=[plan.pk, 1, kpi.pk])),
        client.post(reverse("plans:responsibilities", args=[plan.pk, 1]), {"approval": [manager.pk]}),
    ]
    assert [r.status_code for r in responses] == [403] * 5
    assert (
        snapshot(plan),
        list(version.objectives.values_list("title", flat=True)),
        list(objective.kpis.values_list("metric", flat=True)),
    ) == before


def test_history_is_for_managers_auditors_and_plan_readers_not_staff(
    approved_plan, client_for, owner, staff, auditor, manager
):
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.latest_version, actor=owner)
    url = reverse("plans:history", args=[approved_plan.pk])
    assert browser_for(auditor).get(url).status_code == 200
    assert browser_for(manager).get(url).status_code == 200
    assert browser_for(staff).get(url).status_code == 403


def test_staff_read_only_communicated_versions(approved_plan, owner, staff):
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.latest_version, actor=owner)
    services.revise_plan(plan=approved_plan, actor=owner)
    client = browser_for(staff)
    assert client.get(reverse("plans:version", args=[approved_plan.pk, 1])).status_code == 200
    assert client.get(reverse("plans:version", args=[approved_plan.pk, 2])).status_code == 404
    detail = client.get(reverse("plans:detail", args=[approved_plan.pk]))
    assert [v.number for v in detail.context["versions"]] == [1]
    assert detail.context["draft"] is None


def test_transitions_answer_only_to_post(process_plan, owner):
    client = browser_for(owner)
    assert client.get(reverse("plans:transition", args=[process_plan.pk, 1, "submit"])).status_code == 405
    assert client.post(reverse("plans:transition", args=[process_plan.pk, 1, "explode"])).status_code == 404


# Whatever a refused form holds: nothing, or nonsense.
ANY_FORM = [{}, {"revision": "latest", "text": "x", "title": "", "target": "high", "users": "everybody"}]


@pytest.mark.parametrize("role", ["other_owner", "manager", "auditor", "staff"])
def test_a_refused_edit_form_says_why_whatever_it_holds(role, plans, users):
    """Who reads the draft but may not change it is told why (403) whatever the form
    holds, never which field is missing; staff, who may not read it, get a 404."""
    plan = plans["incident"]
    version = plan.latest_version
    objective = version.objectives.first()
    kpi = objective.kpis.first()
    user = users[role]
    editing = escape(permissions.edit_refusal(user, plan))
    pages = {
        reverse("plans:section_edit", args=[plan.pk, 1, "purpose"]): editing,
        reverse("plans:responsibilities", args=[plan.pk, 1]): editing,
        reverse("plans:objective_create", args=[plan.pk, 1]): editing,
        reverse("plans:objective_edit", args=[plan.pk, 1, objective.pk]): editing,
        reverse("plans:kpi_create", args=[plan.pk, 1, objective.pk]): editing,
        reverse("plans:kpi_edit", args=[plan.pk, 1, kpi.pk]): editing,
        reverse("plans:distribution", args=[plan.pk]): escape(permissions.distribution_refusal(user, plan)),
    }
    client = browser_for(user)
    before = (
        snapshot(plan),
        list(version.objectives.values_list("title", flat=True)),
        list(objective.kpis.values_list("metric", "target")),
        list(plan.distribution_users.all()),
    )
    for url, why in pages.items():
        for data in ANY_FORM:
            response = client.post(url, data)
            if role == "staff":
                assert response.status_code == 404, (url, data, response.status_code)
                continue
            html = response.content.decode()
            assert response.status_code == 403, (url, data, response.status_code)
            assert why and why in html, (url, data)
            assert "This field is required" not in html and "Enter a whole number" not in html, (url, data)
    assert (
        snapshot(plan),
        list(version.objectives.values_list("title", flat=True)),
        list(objective.kpis.values_list("metric", "target")),
        list(plan.distribution_users.all()),
    ) == before
