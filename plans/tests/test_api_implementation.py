"""Do through the API: the same rules and permissions as in the browser."""

import pytest

from plans import services
from plans.do import services as implementation
from plans.models import Handover, Milestone, Plan
from plans.tests import factories


@pytest.mark.django_db
def test_api_journey_milestones_handover_in_operation(api_for, owner, operators, implementing_plan):
    api = api_for(owner)
    created = api.post(
        "/api/v1/milestones/",
        {"plan": implementing_plan.pk, "title": "Runbook written", "owner": owner.pk, "due_on": "2030-03-01"},
        format="json",
    )
    assert created.status_code == 201, created.json()
    done = api.post(
        f"/api/v1/milestones/{created.json()['id']}/done/", {"evidence": "Wiki page"}, format="json"
    )
    assert done.status_code == 200 and done.json()["done_on"]
    kpis = api.get(f"/api/v1/implementations/{implementing_plan.pk}/").json()["kpis"]
    for kpi in kpis:
        response = api.post(
            f"/api/v1/implementations/{implementing_plan.pk}/assign-operator/",
            {"kpi": kpi["kpi"], "operator": operators[0].pk},
            format="json",
        )
        assert response.status_code == 200
    proposed = api.post(
        "/api/v1/handovers/",
        {"plan": implementing_plan.pk, "receivers": [o.pk for o in operators], "documents": "Runbook"},
        format="json",
    )
    assert proposed.status_code == 201, proposed.json()
    handover_id = proposed.json()["id"]
    # The implementer is not a receiver.
    assert api.post(f"/api/v1/handovers/{handover_id}/accept/").status_code == 403
    accepted = api_for(operators[1]).post(f"/api/v1/handovers/{handover_id}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    state = api_for(operators[0]).get(f"/api/v1/implementations/{implementing_plan.pk}/").json()
    assert state["implementation_status"] == "in_operation"
    assert {p["username"] for p in state["responsible"]} == {"op1", "op2"}


@pytest.mark.django_db
def test_api_refuses_in_operation_without_an_accepted_handover(api_for, owner, implementing_plan):
    response = api_for(owner).patch(
        f"/api/v1/implementations/{implementing_plan.pk}/",
        {"implementation_status": "in_operation"},
        format="json",
    )
    assert response.status_code == 400
    assert "handover" in response.json()["detail"]
    assert "implementation_status" in response.json()["errors"]
    assert Plan.objects.get(pk=implementing_plan.pk).implementation_status == "in_implementation"


@pytest.mark.django_db
def test_api_start_implementation_by_patch(api_for, owner, approved_plan, staff):
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.current_version, actor=owner)
    response = api_for(owner).patch(
        f"/api/v1/implementations/{approved_plan.pk}/",
        {"implementation_status": "in_implementation"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["implementation_status"] == "in_implementation"


@pytest.mark.django_db
def test_api_decline_keeps_the_old_responsibility(api_for, owner, operators, implementing_plan):
    handover = implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    api = api_for(operators[0])
    refused = api.post(f"/api/v1/handovers/{handover.pk}/decline/", {"reason": ""}, format="json")
    assert refused.status_code == 400 and "reason" in refused.json()["errors"]
    declined = api.post(
        f"/api/v1/handovers/{handover.pk}/decline/", {"reason": "Not trained yet"}, format="json"
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    state = api.get(f"/api/v1/implementations/{implementing_plan.pk}/").json()
    assert [p["username"] for p in state["responsible"]] == ["owner"]


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_owner", "auditor", "staff"])
def test_api_only_the_implementation_responsibility_changes_milestones(
    request, api_for, who, owner, implementing_plan
):
    user = request.getfixturevalue(who)
    milestone = implementation.save_milestone(
        plan=implementing_plan, actor=owner, title="M", owner=owner, due_on="2030-01-01"
    )
    api = api_for(user)
    assert api.get(f"/api/v1/milestones/{milestone.pk}/").status_code == 200
    created = api.post(
        "/api/v1/milestones/",
        {"plan": implementing_plan.pk, "title": "X", "owner": user.pk, "due_on": "2030-01-01"},
        format="json",
    )
    assert created.status_code == 403
    assert api.patch(f"/api/v1/milestones/{milestone.pk}/", {"title": "Y"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/milestones/{milestone.pk}/").status_code == 403
    assert list(Milestone.objects.values_list("title", flat=True)) == ["M"]
    assert (
        api.post(
            "/api/v1/handovers/", {"plan": implementing_plan.pk, "receivers": [user.pk]}, format="json"
        ).status_code
        == 403
    )
    assert Handover.objects.count() == 0


@pytest.mark.django_db
def test_api_staff_do_not_see_implementations_of_unpublished_plans(api_for, staff, other_owner, manager, smp):
    factories.draft_process_plan(other_owner, manager, name="Change management")
    assert api_for(staff).get("/api/v1/implementations/").json()["count"] == 0


@pytest.mark.django_db
def test_api_implementation_list_runs_a_constant_number_of_queries(
    api_for, manager, owner, smp, django_assert_max_num_queries
):
    api = api_for(manager)
    for i in range(3):
        factories.approved_process_plan(owner, manager, name=f"Process {i}")
    api.get("/api/v1/handovers/")
    with django_assert_max_num_queries(50) as small:
        api.get("/api/v1/handovers/")
        api.get("/api/v1/milestones/")
    for i in range(3, 15):
        factories.approved_process_plan(owner, manager, name=f"Process {i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        api.get("/api/v1/handovers/")
        api.get("/api/v1/milestones/")


@pytest.mark.django_db
def test_api_implementations_list_runs_a_constant_number_of_queries(
    api_for, manager, owner, smp, django_assert_max_num_queries
):
    api = api_for(manager)
    for i in range(3):
        factories.approved_process_plan(owner, manager, name=f"Process {i}")
    api.get("/api/v1/implementations/")
    with django_assert_max_num_queries(30) as small:
        assert api.get("/api/v1/implementations/").json()["count"] == 3
    for i in range(3, 15):
        factories.approved_process_plan(owner, manager, name=f"Process {i}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert api.get("/api/v1/implementations/").json()["count"] == 15


@pytest.mark.django_db
def test_people_in_implementations_read_as_the_person_serializer_writes_them(owner, staff):
    """`_person` writes a person without a serializer each: the same fields and values."""
    from plans.api.serializers import PersonSerializer
    from plans.do.api import _person

    for user in (owner, staff):
        assert _person(user) == dict(PersonSerializer(user).data)
