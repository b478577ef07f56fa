"""Creating and editing plan content through the API: processes, plans,
objectives, KPIs, responsibilities; and the list filters."""

from decimal import Decimal

import pytest
from guardian.shortcuts import assign_perm

from plans import services
from plans.models import Kpi, Objective, Plan, PlanVersion, Process, Responsibility
from plans.tests import factories

Status = PlanVersion.Status


# -- processes ---------------------------------------------------------------------


@pytest.mark.django_db
def test_managers_create_processes_and_name_their_owner_and_deputies(api_for, manager, owner, other_owner):
    response = api_for(manager).post(
        "/api/v1/processes/",
        {
            "name": "Problem management",
            "description": "Root causes.",
            "owner": owner.pk,
            "deputies": [other_owner.pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    process = Process.objects.get(name="Problem management")
    assert process.owner == owner and list(process.deputies.all()) == [other_owner]
    assert response.json()["plan"] is None


@pytest.mark.django_db
def test_only_managers_name_process_owners(api_for, owner, other_owner, staff):
    process = factories.ProcessFactory(name="Problem management", owner=owner)
    response = api_for(owner).patch(
        f"/api/v1/processes/{process.pk}/", {"owner": other_owner.pk}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["detail"] == "Only managers create processes and name their owners."
    assert Process.objects.get(pk=process.pk).owner == owner
    created = api_for(owner).post("/api/v1/processes/", {"name": "Mine", "owner": owner.pk}, format="json")
    assert created.status_code == 403
    assert not Process.objects.filter(name="Mine").exists()
    assert api_for(staff).get("/api/v1/processes/").status_code == 403


@pytest.mark.django_db
def test_a_new_process_owner_takes_over_the_plan(api_for, process_plan, owner, other_owner, manager):
    process = process_plan.process
    response = api_for(manager).patch(
        f"/api/v1/processes/{process.pk}/", {"owner": other_owner.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["plan"] == process_plan.pk
    version = process_plan.latest_version
    body = {"revision": version.revision, "sections": {"roles": "New owner."}}
    assert (
        api_for(other_owner).patch(f"/api/v1/versions/{version.pk}/", body, format="json").status_code == 200
    )
    # P2: the old owner stays the draft's named updater until the new owner names another.
    people = {kind: [other_owner.pk] for kind in ("review", "communication", "implementation", "updating")}
    response = api_for(other_owner).put(
        f"/api/v1/versions/{version.pk}/responsibilities/",
        {**people, "approval": [manager.pk]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = {"revision": response.json()["revision"], "sections": {"roles": "Old owner."}}
    assert api_for(owner).patch(f"/api/v1/versions/{version.pk}/", body, format="json").status_code == 403


# -- plans ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_process_owner_creates_the_process_plan_which_belongs_to_the_smp(
    api_for, smp, owner, other_owner
):
    process = factories.ProcessFactory(name="Change management", owner=owner)
    refused = api_for(other_owner).post("/api/v1/plans/", {"process": process.pk}, format="json")
    assert refused.status_code == 403
    assert not Plan.objects.filter(process=process).exists()

    response = api_for(owner).post("/api/v1/plans/", {"process": process.pk}, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "process" and body["title"] == "Change management plan"
    assert body["smp"] == smp.pk and body["owner"]["username"] == "owner"
    assert body["latest_version"]["number"] == 1 and body["latest_version"]["status"] == Status.DRAFT
    version = PlanVersion.objects.get(pk=body["latest_version"]["id"])
    assert version.conforms_to == smp.current_version

    again = api_for(owner).post("/api/v1/plans/", {"process": process.pk}, format="json")
    assert again.status_code == 400
    assert again.json()["errors"]["process"] == ["Change management already has a plan."]


@pytest.mark.django_db
def test_no_process_plan_before_the_smp(api_for, owner):
    process = factories.ProcessFactory(name="Change management", owner=owner)
    response = api_for(owner).post("/api/v1/plans/", {"process": process.pk}, format="json")
    assert response.status_code == 400
    assert "service management plan first" in response.json()["detail"]


@pytest.mark.django_db
def test_the_title_is_changed_with_the_drafts_revision(api_for, process_plan, owner, other_owner):
    version = process_plan.latest_version
    url = f"/api/v1/plans/{process_plan.pk}/"
    assert (
        api_for(other_owner)
        .patch(url, {"title": "Hijacked", "revision": version.revision}, format="json")
        .status_code
        == 403
    )
    blank = api_for(owner).patch(url, {"title": "  ", "revision": version.revision}, format="json")
    assert blank.status_code == 400 and blank.json()["errors"]["title"]

    response = api_for(owner).patch(
        url, {"title": "Incident plan", "revision": version.revision}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Incident plan"
    stale = api_for(owner).patch(url, {"title": "Older", "revision": version.revision}, format="json")
    assert stale.status_code == 409
    assert Plan.objects.get(pk=process_plan.pk).title == "Incident plan"


@pytest.mark.django_db
def test_plan_filters(api_for, smp, owner, other_owner, manager):
    incident = factories.draft_process_plan(owner, manager)
    change = factories.approved_process_plan(other_owner, manager, name="Change management")
    api = api_for(manager)

    def ids(query):
        response = api.get(f"/api/v1/plans/?{query}")
        assert response.status_code == 200, response.json()
        return {p["id"] for p in response.json()["results"]}

    assert ids("kind=smp") == {smp.pk}
    assert ids("kind=process") == {incident.pk, change.pk}
    assert ids(f"owner={owner.pk}") == {incident.pk}
    assert ids(f"process={change.process_id}") == {change.pk}
    assert ids("status=draft") == {incident.pk}
    assert ids("status=approved") == {smp.pk, change.pk}
    assert ids("conformance_review_due=false") == {smp.pk, incident.pk, change.pk}
    services.revise_plan(plan=change, actor=other_owner)
    assert ids("status=approved") == {smp.pk}
    assert ids("status=draft") == {incident.pk, change.pk}


# -- objectives and KPIs ---------------------------------------------------------------


@pytest.mark.django_db
def test_objectives_and_kpis_are_edited_through_the_services(api_for, process_plan, owner):
    version = process_plan.latest_version
    smp_objective = version.conforms_to.objectives.get()
    api = api_for(owner)

    created = api.post(
        "/api/v1/objectives/",
        {
            "version": version.pk,
            "title": "Resolve incidents on time",
            "traces_to": smp_objective.pk,
            "revision": PlanVersion.objects.get(pk=version.pk).revision,
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    objective = created.json()
    assert objective["code"] == "O2" and objective["traces_to"] == smp_objective.pk

    kpi = api.post(
        "/api/v1/kpis/",
        {
            "objective": objective["id"],
            "metric": "P1 incidents resolved in 4h",
            "unit": "%",
            "direction": "higher",
            "target": "90",
            "owner": owner.pk,
            "frequency": "monthly",
        },
        format="json",
    )
    assert kpi.status_code == 201, kpi.json()
    assert Kpi.objects.get(pk=kpi.json()["id"]).target == Decimal("90")

    changed = api.patch(f"/api/v1/kpis/{kpi.json()['id']}/", {"target": "92.5"}, format="json")
    assert changed.status_code == 200
    assert Kpi.objects.get(pk=kpi.json()["id"]).target == Decimal("92.5")
    renamed = api.patch(
        f"/api/v1/objectives/{objective['id']}/", {"title": "Resolve P1 incidents on time"}, format="json"
    )
    assert renamed.status_code == 200
    assert renamed.json()["kpis"][0]["metric"] == "P1 incidents resolved in 4h"
    listed = api.get(f"/api/v1/objectives/?version={version.pk}").json()["results"]
    assert [o["code"] for o in listed] == ["O1", "O2"]

    assert api.delete(f"/api/v1/kpis/{kpi.json()['id']}/").status_code == 204
    assert api.delete(f"/api/v1/objectives/{objective['id']}/").status_code == 204
    assert list(version.objectives.values_list("code", flat=True)) == ["O1"]
    assert PlanVersion.objects.get(pk=version.pk).revision > version.revision


@pytest.mark.django_db
def test_another_owner_cannot_edit_objectives_or_kpis(api_for, process_plan, other_owner):
    version = process_plan.latest_version
    objective = version.objectives.get()
    kpi = objective.kpis.get()
    api = api_for(other_owner)
    created = api.post("/api/v1/objectives/", {"version": version.pk, "title": "Mine now"}, format="json")
    assert created.status_code == 403 and created.json()["detail"]
    assert api.patch(f"/api/v1/objectives/{objective.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api.delete(f"/api/v1/kpis/{kpi.pk}/").status_code == 403
    kpi_created = api.post(
        "/api/v1/kpis/",
        {
            "objective": objective.pk,
            "metric": "m",
            "unit": "%",
            "direction": "higher",
            "target": "1",
            "owner": other_owner.pk,
            "frequency": "monthly",
        },
        format="json",
    )
    assert kpi_created.status_code == 403
    assert version.objectives.count() == 1 and Kpi.objects.filter(objective=objective).count() == 1
    assert Objective.objects.get(pk=objective.pk).title == objective.title


@pytest.mark.django_db
def test_an_objective_traces_to_the_smp_version_the_plan_conforms_to(
    api_for, process_plan, owner, other_owner, manager
):
    other = factories.draft_process_plan(other_owner, manager, name="Change management")
    foreign = other.latest_version.objectives.get()
    version = process_plan.latest_version
    response = api_for(owner).post(
        "/api/v1/objectives/",
        {
            "version": version.pk,
            "title": "Traces wrongly",
            "traces_to": foreign.pk,
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["traces_to"]
    assert version.objectives.count() == 1


@pytest.mark.django_db
def test_an_objective_code_is_unique_per_version(api_for, process_plan, owner):
    version = process_plan.latest_version
    response = api_for(owner).post(
        "/api/v1/objectives/", {"version": version.pk, "title": "Dup", "code": "O1"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["code"] == ["Another objective of this version already has the code O1."]


@pytest.mark.django_db
def test_a_new_kpi_takes_the_default_direction_and_frequency(api_for, process_plan, owner):
    objective = process_plan.latest_version.objectives.get()
    response = api_for(owner).post(
        "/api/v1/kpis/",
        {
            "objective": objective.pk,
            "metric": "Customer satisfaction",
            "unit": "points",
            "target": "4.5",
            "owner": owner.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["direction"], response.json()["frequency"]) == ("higher", "monthly")


@pytest.mark.django_db
def test_an_incomplete_kpi_is_refused_per_field(api_for, process_plan, owner):
    objective = process_plan.latest_version.objectives.get()
    response = api_for(owner).post(
        "/api/v1/kpis/",
        {
            "objective": objective.pk,
            "metric": "  ",
            "unit": "%",
            "direction": "higher",
            "target": "5",
            "owner": owner.pk,
            "frequency": "monthly",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["metric"] == ["This field may not be blank."]
    assert objective.kpis.count() == 1


@pytest.mark.django_db
def test_objectives_of_versions_a_user_may_not_see_do_not_exist_for_him(api_for, process_plan, staff):
    objective = process_plan.latest_version.objectives.get()
    api = api_for(staff)
    assert api.get(f"/api/v1/objectives/{objective.pk}/").status_code == 404
    assert api.get("/api/v1/objectives/").json()["results"] == []
    assert api.get("/api/v1/kpis/").json()["results"] == []
    response = api.post(
        "/api/v1/objectives/", {"version": process_plan.latest_version.pk, "title": "x"}, format="json"
    )
    assert response.status_code == 400 and "version" in response.json()["errors"]


# -- responsibilities ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_five_responsibilities_are_set_at_once(api_for, process_plan, owner, other_owner, manager):
    version = process_plan.latest_version
    api = api_for(owner)
    response = api.put(
        f"/api/v1/versions/{version.pk}/responsibilities/",
        {
            "review": [other_owner.pk],
            "approval": [manager.pk],
            "communication": [owner.pk],
            "implementation": [owner.pk, other_owner.pk],
            "updating": [owner.pk],
            "revision": PlanVersion.objects.get(pk=version.pk).revision,
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [p["username"] for p in response.json()["responsibilities"]["implementation"]] == [
        "owner",
        "owner2",
    ]

    rows = api.get(f"/api/v1/responsibilities/?version={version.pk}").json()["results"]
    assert sorted((r["kind"], r["user"]["username"]) for r in rows) == [
        ("approval", "manager"),
        ("communication", "owner"),
        ("implementation", "owner"),
        ("implementation", "owner2"),
        ("review", "owner2"),
        ("updating", "owner"),
    ]


@pytest.mark.django_db
def test_the_approver_must_be_a_manager(api_for, process_plan, owner, other_owner):
    version = process_plan.latest_version
    before = set(Responsibility.objects.filter(version=version).values_list("kind", "user"))
    response = api_for(owner).put(
        f"/api/v1/versions/{version.pk}/responsibilities/", {"approval": [other_owner.pk]}, format="json"
    )
    assert response.status_code == 400
    assert "must be a manager" in response.json()["errors"]["approval"][0]
    assert set(Responsibility.objects.filter(version=version).values_list("kind", "user")) == before


@pytest.mark.django_db
def test_the_smp_is_changed_by_its_updating_responsibility(api_for, smp, manager, manager2):
    draft = services.revise_plan(plan=smp, actor=manager2)
    body = {"revision": draft.revision, "sections": {"scope": "Changed by a manager who does not update it."}}
    assert api_for(manager).patch(f"/api/v1/versions/{draft.pk}/", body, format="json").status_code == 403
    assign_perm("plans.change_plan", manager, smp)
    assert api_for(manager).patch(f"/api/v1/versions/{draft.pk}/", body, format="json").status_code == 200
