"""P1-P6 through the API: each refusal is JSON with a message (per field where
there is one), has the status of its kind (400 rule, 403 not allowed, 409
conflict) and changes nothing."""

import pytest

from pdca.models import Decision
from plans import services
from plans.models import Acknowledgement, Plan, PlanVersion, Responsibility
from plans.tests import factories

Status = PlanVersion.Status


def _version(pk):
    return PlanVersion.objects.get(pk=pk)


def _communicated(plan, owner, *recipients):
    plan.distribution_users.add(*recipients)
    services.communicate_plan(version=plan.latest_version, actor=owner)
    return _version(plan.latest_version.pk)


@pytest.mark.django_db
def test_submit_without_the_five_responsibilities_names_what_is_missing(
    api_for, process_plan, owner, manager
):
    version = process_plan.latest_version
    api = api_for(owner)
    response = api.put(
        f"/api/v1/versions/{version.pk}/responsibilities/",
        {"approval": [manager.pk], "review": [owner.pk]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["submission_problems"]["responsibilities"]
    assert "submit" not in response.json()["available_actions"]

    response = api.post(f"/api/v1/versions/{version.pk}/submit/", {"comment": "Ready"}, format="json")

    assert response.status_code == 400
    missing = " ".join(response.json()["errors"]["responsibilities"])
    assert "communication" in missing and "implementation" in missing and "updating" in missing
    assert "review" not in missing.split(":")[1] and "approval" not in missing
    assert _version(version.pk).status == Status.DRAFT
    assert not Decision.objects.for_object(version).filter(action="submit").exists()


@pytest.mark.django_db
def test_the_author_cannot_approve_his_own_plan(api_for, manager, manager2):
    smp = factories.draft_smp(manager, manager2)
    version = smp.latest_version
    api = api_for(manager)
    assert api.post(f"/api/v1/versions/{version.pk}/submit/").status_code == 200
    assert api.post(f"/api/v1/versions/{version.pk}/review/").status_code == 200

    response = api.post(f"/api/v1/versions/{version.pk}/approve/")

    assert response.status_code == 403
    assert "named approver" in response.json()["detail"]
    assert _version(version.pk).status == Status.REVIEWED


@pytest.mark.django_db
def test_the_named_approver_who_edited_last_cannot_approve(api_for, manager, manager2):
    from guardian.shortcuts import assign_perm

    smp = factories.draft_smp(manager, manager2)
    version = smp.latest_version
    assign_perm("plans.change_plan", manager2, smp)
    response = api_for(manager2).patch(
        f"/api/v1/versions/{version.pk}/",
        {"revision": version.revision, "sections": {"scope": "Edited."}},
        format="json",
    )
    assert response.status_code == 200
    assert "approver is the author or last editor" in " ".join(
        response.json()["submission_problems"]["responsibilities"]
    )
    response = api_for(manager).post(f"/api/v1/versions/{version.pk}/submit/")
    assert response.status_code == 400
    assert _version(version.pk).status == Status.DRAFT


@pytest.mark.django_db
def test_a_process_plan_cannot_be_approved_while_the_smp_has_no_approved_version(
    api_for, manager, manager2, owner
):
    factories.draft_smp(manager2, manager)
    plan = factories.draft_process_plan(owner, manager)
    version = plan.latest_version
    assert api_for(owner).post(f"/api/v1/versions/{version.pk}/submit/").status_code == 200
    assert api_for(owner).post(f"/api/v1/versions/{version.pk}/review/").status_code == 200

    response = api_for(manager).post(f"/api/v1/versions/{version.pk}/approve/")

    assert response.status_code == 400
    assert "no approved version" in response.json()["detail"]
    assert _version(version.pk).status == Status.REVIEWED


@pytest.mark.django_db
def test_an_approved_version_is_immutable_through_the_api(api_for, approved_plan, owner, manager):
    version = approved_plan.latest_version
    before = (version.revision, dict(version.sections), version.content_hash)
    api = api_for(owner)
    body = {"revision": version.revision, "sections": {"roles": "Quietly changed."}}

    for response in (
        api.patch(f"/api/v1/versions/{version.pk}/", body, format="json"),
        api.put(f"/api/v1/versions/{version.pk}/", body, format="json"),
        api.put(
            f"/api/v1/versions/{version.pk}/responsibilities/",
            {"approval": [manager.pk], "review": [owner.pk]},
            format="json",
        ),
        api.post("/api/v1/objectives/", {"version": version.pk, "title": "Sneaked in"}, format="json"),
        api.patch(
            f"/api/v1/kpis/{version.objectives.first().kpis.first().pk}/", {"target": "1"}, format="json"
        ),
        api.delete(f"/api/v1/objectives/{version.objectives.first().pk}/"),
        api.patch(
            f"/api/v1/plans/{approved_plan.pk}/",
            {"title": "New title", "revision": version.revision},
            format="json",
        ),
    ):
        assert response.status_code == 400, response.json()
        assert "cannot be changed" in response.json()["detail"], response.json()
        assert "Revise" in response.json()["detail"]

    version = _version(version.pk)
    assert (version.revision, version.sections, version.content_hash) == before
    assert version.compute_hash() == version.content_hash
    assert Plan.objects.get(pk=approved_plan.pk).title == approved_plan.title


@pytest.mark.django_db
def test_a_save_based_on_a_stale_revision_is_refused_and_changes_nothing(
    api_for, process_plan, owner, other_owner
):
    version = process_plan.latest_version
    opened_at = version.revision
    api = api_for(owner)
    first = api.patch(
        f"/api/v1/versions/{version.pk}/",
        {"revision": opened_at, "sections": {"roles": "First save."}},
        format="json",
    )
    assert first.status_code == 200
    assert first.json()["revision"] == opened_at + 1

    second = api.patch(
        f"/api/v1/versions/{version.pk}/",
        {"revision": opened_at, "sections": {"roles": "Second save, from the same start."}},
        format="json",
    )

    assert second.status_code == 409
    assert "saved this plan" in second.json()["detail"]
    assert second.json()["errors"]["revision"]
    stored = _version(version.pk)
    assert stored.sections["roles"] == "First save."
    assert stored.revision == opened_at + 1


@pytest.mark.django_db
def test_the_revision_is_required_to_save_sections(api_for, process_plan, owner):
    version = process_plan.latest_version
    response = api_for(owner).patch(
        f"/api/v1/versions/{version.pk}/", {"sections": {"roles": "x"}}, format="json"
    )
    assert response.status_code == 400
    assert "revision" in response.json()["errors"]
    assert _version(version.pk).revision == version.revision


@pytest.mark.django_db
def test_an_unknown_section_is_refused_per_field(api_for, process_plan, owner):
    version = process_plan.latest_version
    response = api_for(owner).patch(
        f"/api/v1/versions/{version.pk}/",
        {"revision": version.revision, "sections": {"scope": "SMP only"}},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["sections"] == ["Unknown section(s): scope."]


@pytest.mark.django_db
def test_a_second_approval_is_refused_with_409(api_for, process_plan, owner, manager):
    version = process_plan.latest_version
    api_for(owner).post(f"/api/v1/versions/{version.pk}/submit/")
    api_for(owner).post(f"/api/v1/versions/{version.pk}/review/")
    api = api_for(manager)
    assert (
        api.post(f"/api/v1/versions/{version.pk}/approve/", {"comment": "Fine"}, format="json").status_code
        == 200
    )

    response = api.post(f"/api/v1/versions/{version.pk}/approve/")

    assert response.status_code == 409
    assert "not in review" in response.json()["detail"]
    assert Decision.objects.for_object(version).filter(action="approve").count() == 1


@pytest.mark.django_db
def test_request_changes_needs_a_comment_and_returns_the_plan_to_draft(api_for, process_plan, owner, manager):
    version = process_plan.latest_version
    api_for(owner).post(f"/api/v1/versions/{version.pk}/submit/")
    api = api_for(manager)

    refused = api.post(f"/api/v1/versions/{version.pk}/request-changes/", {"comment": "  "}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"]["comment"]
    assert _version(version.pk).status == Status.IN_REVIEW

    response = api.post(
        f"/api/v1/versions/{version.pk}/request-changes/",
        {"comment": "Add the major-incident procedure."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["status"] == Status.DRAFT
    assert Decision.objects.for_object(version).last().comment == "Add the major-incident procedure."


@pytest.mark.django_db
def test_communication_sends_to_the_distribution_list_and_each_acknowledges_once(
    api_for, approved_plan, owner, staff, csi_owner
):
    version = approved_plan.latest_version
    api = api_for(owner)
    empty = api.post(f"/api/v1/versions/{version.pk}/communicate/")
    assert empty.status_code == 400 and empty.json()["errors"]["distribution"]
    response = api.put(
        f"/api/v1/plans/{approved_plan.pk}/distribution/",
        {"users": [staff.pk, csi_owner.pk], "groups": []},
        format="json",
    )
    assert response.status_code == 200
    assert sorted(response.json()["distribution_users"]) == sorted([staff.pk, csi_owner.pk])
    response = api.post(
        f"/api/v1/versions/{version.pk}/communicate/", {"comment": "Please read"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == Status.COMMUNICATED

    staff_api = api_for(staff)
    assert "acknowledge" in staff_api.get(f"/api/v1/versions/{version.pk}/").json()["available_actions"]
    first = staff_api.post(f"/api/v1/versions/{version.pk}/acknowledge/")
    assert first.status_code == 200
    assert "acknowledge" not in first.json()["available_actions"]
    second = staff_api.post(f"/api/v1/versions/{version.pk}/acknowledge/")
    assert second.status_code == 409
    assert "already acknowledged" in second.json()["detail"]
    assert Decision.objects.for_object(version).filter(action="acknowledge").count() == 1

    # Who has and who has not acknowledged.
    rows = api.get(f"/api/v1/acknowledgements/?version={version.pk}").json()["results"]
    assert {(r["user"]["username"], r["acknowledged"]) for r in rows} == {("staff", True), ("csi", False)}
    pending = api.get(f"/api/v1/acknowledgements/?version={version.pk}&acknowledged=false").json()["results"]
    assert [r["user"]["username"] for r in pending] == ["csi"]
    # Somebody who is not on the list cannot acknowledge.
    assert api_for(owner).post(f"/api/v1/versions/{version.pk}/acknowledge/").status_code == 403
    assert Acknowledgement.objects.filter(version=version).count() == 2


@pytest.mark.django_db
def test_only_an_editor_or_the_communication_responsibility_sets_the_distribution_list(
    api_for, approved_plan, other_owner, staff
):
    response = api_for(other_owner).put(
        f"/api/v1/plans/{approved_plan.pk}/distribution/", {"users": [staff.pk], "groups": []}, format="json"
    )
    assert response.status_code == 403
    assert "distribution list" in response.json()["detail"]
    assert not approved_plan.distribution_users.exists()


@pytest.mark.django_db
def test_revise_creates_the_next_version_and_approving_it_supersedes_the_previous(
    api_for, approved_plan, owner, manager
):
    api = api_for(owner)
    response = api.post(
        f"/api/v1/plans/{approved_plan.pk}/revise/", {"comment": "Yearly update"}, format="json"
    )
    assert response.status_code == 201
    draft = response.json()
    assert draft["number"] == 2 and draft["status"] == Status.DRAFT
    assert draft["sections"] == approved_plan.latest_version.sections | draft["sections"]
    assert api.post(f"/api/v1/plans/{approved_plan.pk}/revise/").status_code == 409

    plan = api.get(f"/api/v1/plans/{approved_plan.pk}/").json()
    assert plan["latest_version"]["number"] == 2 and plan["current_version"]["number"] == 1

    api.patch(
        f"/api/v1/versions/{draft['id']}/",
        {"revision": draft["revision"], "sections": {"roles": "Roles, revised."}},
        format="json",
    )
    assert api.post(f"/api/v1/versions/{draft['id']}/submit/").status_code == 200
    assert api.post(f"/api/v1/versions/{draft['id']}/review/").status_code == 200
    assert api_for(manager).post(f"/api/v1/versions/{draft['id']}/approve/").status_code == 200

    versions = {
        v["number"]: v["status"]
        for v in api.get(f"/api/v1/versions/?plan={approved_plan.pk}").json()["results"]
    }
    assert versions == {1: Status.SUPERSEDED, 2: Status.APPROVED}
    assert api.get(f"/api/v1/plans/{approved_plan.pk}/").json()["current_version"]["number"] == 2


@pytest.mark.django_db
def test_compare_returns_the_changed_sections(api_for, approved_plan, owner):
    approved_roles = approved_plan.latest_version.sections["roles"]
    api = api_for(owner)
    draft = api.post(f"/api/v1/plans/{approved_plan.pk}/revise/").json()
    api.patch(
        f"/api/v1/versions/{draft['id']}/",
        {"revision": draft["revision"], "sections": {"roles": "Incident manager\nService desk agent"}},
        format="json",
    )

    response = api.get(f"/api/v1/plans/{approved_plan.pk}/compare/?a=1&b=2")

    assert response.status_code == 200
    body = response.json()
    assert (body["a"]["number"], body["b"]["number"]) == (1, 2)
    sections = {s["key"]: s for s in body["sections"]}
    assert [key for key, s in sections.items() if s["changed"]] == ["roles"]
    roles = sections["roles"]
    assert roles["old"] == approved_roles
    assert roles["new"] == "Incident manager\nService desk agent"
    assert {row["kind"] for row in roles["rows"]} <= {"changed", "added", "removed"}
    assert "objectives" in sections and "responsibilities" in sections
    assert "O1" in sections["objectives"]["old"]

    missing = api.get(f"/api/v1/plans/{approved_plan.pk}/compare/?a=1&b=9")
    assert missing.status_code == 400 and missing.json()["errors"]["b"]
    assert api.get(f"/api/v1/plans/{approved_plan.pk}/compare/?a=1").status_code == 400


@pytest.mark.django_db
def test_a_new_smp_version_flags_older_process_plans_and_confirming_conformance_clears_it(
    api_for, smp, approved_plan, owner, manager, manager2, other_owner
):
    other = factories.draft_process_plan(other_owner, manager, name="Change management")
    api = api_for(manager2)  # the SMP's author and updating responsibility
    draft = api.post(f"/api/v1/plans/{smp.pk}/revise/").json()
    api.patch(
        f"/api/v1/versions/{draft['id']}/",
        {"revision": draft["revision"], "sections": {"scope": "All services, now including Cloud."}},
        format="json",
    )
    assert api.post(f"/api/v1/versions/{draft['id']}/submit/").status_code == 200
    assert api.post(f"/api/v1/versions/{draft['id']}/review/").status_code == 200
    assert api_for(manager).post(f"/api/v1/versions/{draft['id']}/approve/").status_code == 200

    owner_api = api_for(owner)
    flagged = owner_api.get(f"/api/v1/plans/{approved_plan.pk}/").json()
    assert flagged["conformance_review_due"] is True
    assert flagged["conforms_to"]["number"] == 1
    assert "confirm-conformance" in flagged["available_actions"]
    assert [
        p["id"] for p in owner_api.get("/api/v1/plans/?conformance_review_due=true").json()["results"]
    ] == [approved_plan.pk]
    # A plan that was never approved conforms to nothing yet, so it is not flagged.
    assert Plan.objects.get(pk=other.pk).conformance_review_due is False
    # Only the plan's owner confirms.
    assert (
        api_for(other_owner).post(f"/api/v1/plans/{approved_plan.pk}/confirm-conformance/").status_code == 403
    )

    response = owner_api.post(
        f"/api/v1/plans/{approved_plan.pk}/confirm-conformance/",
        {"comment": "Still conforms."},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["conformance_review_due"] is False
    assert response.json()["conforms_to"]["number"] == 2
    again = owner_api.post(f"/api/v1/plans/{approved_plan.pk}/confirm-conformance/")
    assert again.status_code == 409


@pytest.mark.django_db
def test_the_representation_offers_what_the_user_may_do(api_for, process_plan, owner, manager, auditor):
    version = process_plan.latest_version
    url = f"/api/v1/versions/{version.pk}/"
    as_owner = api_for(owner).get(url).json()
    assert as_owner["available_actions"] == ["edit", "submit"]
    assert as_owner["submission_problems"] == {}
    assert as_owner["sections_html"]["roles"].startswith("<p>")
    assert [d["key"] for d in as_owner["section_definitions"]][0] == "purpose"
    assert [p["username"] for p in as_owner["responsibilities"]["approval"]] == ["manager"]
    assert api_for(manager).get(url).json()["available_actions"] == []
    assert api_for(auditor).get(url).json()["available_actions"] == []

    api_for(owner).post(f"{url}submit/")
    # P3: in review, the named reviewer acts; the approver may only send it back.
    waiting = api_for(manager).get(url).json()
    assert waiting["available_actions"] == ["request-changes"]
    assert "review first" in waiting["refused_actions"]["approve"]
    in_review = api_for(owner).get(url).json()
    # The owner is the named reviewer here, and its author, who may withdraw the submission.
    assert in_review["available_actions"] == ["review", "request-changes", "withdraw"]
    assert in_review["submission_problems"] is None
    api_for(owner).post(f"{url}review/")
    assert api_for(manager).get(url).json()["available_actions"] == ["approve", "request-changes"]
    assert api_for(owner).get(url).json()["available_actions"] == ["withdraw"]
    assert api_for(owner).get(f"/api/v1/plans/{process_plan.pk}/").json()["available_actions"] == [
        "distribution"
    ]


@pytest.mark.django_db
def test_section_html_is_sanitised(api_for, process_plan, owner):
    version = process_plan.latest_version
    response = api_for(owner).patch(
        f"/api/v1/versions/{version.pk}/",
        {"revision": version.revision, "sections": {"roles": "**Lead** <script>alert(1)</script>"}},
        format="json",
    )
    html = response.json()["sections_html"]["roles"]
    assert "<strong>Lead</strong>" in html and "<script" not in html


@pytest.mark.django_db
def test_the_approval_queue_lists_what_awaits_my_approval(api_for, process_plan, owner, manager, manager2):
    version = process_plan.latest_version
    api_for(owner).post(f"/api/v1/versions/{version.pk}/submit/")
    assert api_for(manager).get("/api/v1/versions/?awaiting_my_approval=true").json()["results"] == []
    api_for(owner).post(f"/api/v1/versions/{version.pk}/review/")
    mine = api_for(manager).get("/api/v1/versions/?awaiting_my_approval=true").json()["results"]
    assert [v["id"] for v in mine] == [version.pk]
    assert api_for(manager2).get("/api/v1/versions/?awaiting_my_approval=true").json()["results"] == []
    assert Responsibility.objects.filter(version=version, kind="approval", user=manager).exists()
