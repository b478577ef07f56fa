"""The API refuses what the browser refuses: roles x (own / other plan) x
(retrieve, PATCH a section, submit, approve). A refusal changes nothing."""

import pytest
from django.urls import reverse

from accounts import roles
from accounts.tests.factories import UserFactory
from pdca.models import Decision
from plans import services
from plans.models import PlanVersion, Process
from plans.tests import factories

Status = PlanVersion.Status

# role -> which plan -> expected status of (retrieve, patch, submit, approve).
# "own" is the plan of `owner`, "other" the plan of `other_owner`; `manager` is
# the named approver of both. Staff do not see drafts at all (404).
MATRIX = {
    ("owner", "own"): (200, 200, 200, 403),
    ("owner", "other"): (200, 403, 403, 403),
    ("other_owner", "own"): (200, 403, 403, 403),
    ("other_owner", "other"): (200, 200, 200, 403),
    ("manager", "own"): (200, 403, 403, 200),
    ("manager", "other"): (200, 403, 403, 200),
    ("auditor", "own"): (200, 403, 403, 403),
    ("auditor", "other"): (200, 403, 403, 403),
    ("staff", "own"): (404, 404, 404, 404),
    ("staff", "other"): (404, 404, 404, 404),
}
CASES = [
    pytest.param(role, which, expected, id=f"{role}-{which}") for (role, which), expected in MATRIX.items()
]


@pytest.fixture
def plans(smp, owner, other_owner, manager):
    return {
        "own": factories.draft_process_plan(owner, manager),
        "other": factories.draft_process_plan(other_owner, manager, name="Change management"),
    }


def _snapshot(version):
    version = PlanVersion.objects.get(pk=version.pk)
    return version.status, version.revision, dict(version.sections)


@pytest.mark.django_db
@pytest.mark.parametrize("role, which, expected", CASES)
def test_who_may_read_a_draft_through_the_api(request, api_for, plans, role, which, expected):
    plan = plans[which]
    api = api_for(request.getfixturevalue(role))
    assert api.get(f"/api/v1/versions/{plan.latest_version.pk}/").status_code == expected[0]
    assert api.get(f"/api/v1/plans/{plan.pk}/").status_code == expected[0]


@pytest.mark.django_db
@pytest.mark.parametrize("role, which, expected", CASES)
def test_only_the_process_owner_changes_the_sections_of_a_draft(
    request, api_for, plans, role, which, expected
):
    version = plans[which].latest_version
    before = _snapshot(version)
    response = api_for(request.getfixturevalue(role)).patch(
        f"/api/v1/versions/{version.pk}/",
        {"revision": version.revision, "sections": {"roles": "Rewritten through the API."}},
        format="json",
    )
    assert response.status_code == expected[1], response.json()
    if response.status_code == 200:
        assert response.json()["sections"]["roles"] == "Rewritten through the API."
    else:
        assert response.json()["detail"]
        assert _snapshot(version) == before


@pytest.mark.django_db
@pytest.mark.parametrize("role, which, expected", CASES)
def test_only_the_process_owner_submits_the_plan(request, api_for, plans, role, which, expected):
    version = plans[which].latest_version
    before = _snapshot(version)
    response = api_for(request.getfixturevalue(role)).post(f"/api/v1/versions/{version.pk}/submit/")
    assert response.status_code == expected[2], response.json()
    if response.status_code == 200:
        assert response.json()["status"] == Status.IN_REVIEW
    else:
        assert response.json()["detail"]
        assert _snapshot(version) == before
        assert not Decision.objects.for_object(version).filter(action="submit").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role, which, expected", CASES)
def test_only_the_named_approver_approves_the_plan(
    request, api_for, plans, owner, other_owner, role, which, expected
):
    version = plans[which].latest_version
    author = owner if which == "own" else other_owner
    assert api_for(author).post(f"/api/v1/versions/{version.pk}/submit/").status_code == 200
    assert api_for(author).post(f"/api/v1/versions/{version.pk}/review/").status_code == 200
    before = _snapshot(version)
    response = api_for(request.getfixturevalue(role)).post(f"/api/v1/versions/{version.pk}/approve/")
    assert response.status_code == expected[3], response.json()
    if response.status_code == 200:
        assert response.json()["status"] == Status.APPROVED
        assert response.json()["approved_by"]["username"] == "manager"
    else:
        assert response.json()["detail"]
        assert _snapshot(version) == before
        assert not Decision.objects.for_object(version).filter(action="approve").exists()


@pytest.mark.django_db
def test_staff_see_communicated_versions_but_not_drafts(api_for, smp, owner, other_owner, manager, staff):
    communicated = factories.approved_process_plan(owner, manager)
    communicated.distribution_users.add(staff)
    version = communicated.latest_version
    services.communicate_plan(version=version, actor=owner)
    draft = factories.draft_process_plan(other_owner, manager, name="Change management")
    api = api_for(staff)

    assert api.get(f"/api/v1/versions/{version.pk}/").status_code == 200
    assert api.get(f"/api/v1/plans/{communicated.pk}/").status_code == 200
    assert api.get(f"/api/v1/versions/{draft.latest_version.pk}/").status_code == 404
    assert api.get(f"/api/v1/plans/{draft.pk}/").status_code == 404
    # Lists never show what a user may not see.
    listed_plans = {p["id"] for p in api.get("/api/v1/plans/").json()["results"]}
    listed_versions = {v["id"] for v in api.get("/api/v1/versions/").json()["results"]}
    assert communicated.pk in listed_plans and draft.pk not in listed_plans
    assert smp.pk not in listed_plans  # the SMP is approved but was never communicated
    assert listed_versions == {version.pk}
    # Staff neither change nor approve what they read.
    response = api.patch(f"/api/v1/versions/{version.pk}/", {"revision": 1, "sections": {}}, format="json")
    assert response.status_code == 403


@pytest.mark.django_db
def test_a_new_draft_of_a_communicated_plan_stays_hidden_from_staff(api_for, smp, owner, manager, staff):
    plan = factories.approved_process_plan(owner, manager)
    plan.distribution_users.add(staff)
    services.communicate_plan(version=plan.latest_version, actor=owner)
    draft = services.revise_plan(plan=plan, actor=owner)
    api = api_for(staff)
    assert api.get(f"/api/v1/versions/{draft.pk}/").status_code == 404
    assert api.get(f"/api/v1/plans/{plan.pk}/compare/?a=1&b=2").status_code == 400
    versions = [v["number"] for v in api.get(f"/api/v1/versions/?plan={plan.pk}").json()["results"]]
    assert versions == [1]
    shown = api.get(f"/api/v1/plans/{plan.pk}/").json()
    assert [v["number"] for v in shown["versions"]] == [1]
    assert shown["latest_version"]["number"] == 1 and shown["current_version"]["number"] == 1
    assert [p["id"] for p in api.get("/api/v1/plans/?status=communicated").json()["results"]] == [plan.pk]
    assert api.get("/api/v1/plans/?status=draft").json()["results"] == []
    # The owner sees the draft.
    assert api_for(owner).get(f"/api/v1/plans/{plan.pk}/").json()["latest_version"]["number"] == 2


@pytest.mark.django_db
def test_anonymous_requests_are_refused(api_client, process_plan):
    for url in (
        "/api/v1/plans/",
        f"/api/v1/plans/{process_plan.pk}/",
        "/api/v1/versions/",
        "/api/v1/objectives/",
        "/api/v1/kpis/",
        "/api/v1/processes/",
        "/api/v1/responsibilities/",
        "/api/v1/acknowledgements/",
    ):
        assert api_client.get(url).status_code in (401, 403), url
    version = process_plan.latest_version
    response = api_client.post(f"/api/v1/versions/{version.pk}/submit/")
    assert response.status_code in (401, 403)
    assert PlanVersion.objects.get(pk=version.pk).status == Status.DRAFT


@pytest.mark.django_db
def test_the_superuser_flag_gives_no_business_action(api_for, client_for, plans, owner):
    """The administrator with the superuser flag reads every plan, but neither decides
    on one nor names process owners: 403 with the reason, in the API and on the page."""
    root = UserFactory(username="root", is_superuser=True, is_staff=True, roles=[roles.ADMINISTRATOR])
    plan = plans["own"]
    version = plan.latest_version
    factories.submit_and_review(version, owner)
    before = _snapshot(version)
    api = api_for(root)
    assert api.get(f"/api/v1/versions/{version.pk}/").status_code == 200
    for url, body in (
        (f"/api/v1/versions/{version.pk}/approve/", {}),
        (f"/api/v1/versions/{version.pk}/request-changes/", {"comment": "No."}),
        ("/api/v1/processes/", {"name": "Problem management", "owner": root.pk}),
    ):
        response = api.post(url, body, format="json")
        assert response.status_code == 403, (url, response.content)
        assert response.json()["detail"], url
    page = client_for(root).post(reverse("plans:transition", args=[plan.pk, 1, "approve"]))
    assert page.status_code == 403 and "Only a manager can approve plans." in page.content.decode()
    assert _snapshot(version) == before
    assert not Process.objects.filter(name="Problem management").exists()
