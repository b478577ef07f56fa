"""The loop between the author and the deciders through the API (P3, P6): the
change request and the next step in the version's representation, withdrawing a
submission, and acknowledging the version read."""

import pytest

from pdca.models import Decision
from plans import services
from plans.models import Acknowledgement, PlanVersion
from plans.tests import factories

pytestmark = pytest.mark.django_db
Status = PlanVersion.Status


def _url(version, action=""):
    return f"/api/v1/versions/{version.pk}/" + (f"{action}/" if action else "")


def test_a_change_request_is_in_the_drafts_representation_until_resubmission(
    api_for, process_plan, owner, manager
):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner, comment="Please review.")
    submitted = api_for(manager).get(_url(version)).json()
    assert submitted["submission"]["comment"] == "Please review."
    assert submitted["submission"]["by"]["username"] == "owner"
    assert submitted["changes_requested"] is None
    services.request_changes(version=version, actor=manager, comment="Name the major-incident procedure.")

    draft = api_for(owner).get(_url(version)).json()

    assert draft["changes_requested"]["comment"] == "Name the major-incident procedure."
    assert draft["changes_requested"]["by"]["username"] == "manager"
    assert draft["changes_requested"]["at"]
    assert draft["next_step"]["action"] == "submit"
    assert [p["username"] for p in draft["next_step"]["waits_for"]] == ["owner"]
    assert draft["next_step"]["text"].startswith("Waits for you to revise and resubmit it since")

    assert api_for(owner).post(_url(version, "submit")).status_code == 200
    assert api_for(owner).get(_url(version)).json()["changes_requested"] is None


def test_the_next_step_names_the_approver_and_since_when(api_for, process_plan, owner, manager, auditor):
    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    step = api_for(auditor).get(_url(version)).json()["next_step"]
    assert step["action"] == "approve"
    assert [p["username"] for p in step["waits_for"]] == ["manager"]
    assert step["since"] is not None and step["group"] == ""
    assert step["text"].startswith("Waits for approval by Morgan Meyer since")


def test_the_author_withdraws_a_submission_through_the_api(api_for, process_plan, owner, manager):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)

    response = api_for(owner).post(_url(version, "withdraw"), {"comment": "Wrong KPI target."}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == Status.DRAFT and body["submitted_at"] is None
    assert body["withdrawn"]["comment"] == "Wrong KPI target."
    assert "submit" in body["available_actions"]
    decision = Decision.objects.for_object(version).latest("sequence")
    assert (decision.action, decision.actor, decision.comment) == ("withdraw", owner, "Wrong KPI target.")


@pytest.mark.parametrize("who", ["manager", "other_owner", "auditor"])
def test_the_api_refuses_a_withdrawal_by_anyone_else(api_for, process_plan, owner, who, request):
    version = process_plan.latest_version
    services.submit_plan(version=version, actor=owner)
    user = request.getfixturevalue(who)
    decisions = Decision.objects.count()
    assert "withdraw" not in api_for(user).get(_url(version)).json()["available_actions"]

    response = api_for(user).post(_url(version, "withdraw"))

    assert response.status_code == 403
    assert "withdraw" in response.json()["detail"]
    assert PlanVersion.objects.get(pk=version.pk).status == Status.IN_REVIEW
    assert Decision.objects.count() == decisions


def test_the_api_refuses_to_withdraw_a_decided_version(api_for, approved_plan, owner):
    version = approved_plan.latest_version
    decisions = Decision.objects.count()
    response = api_for(owner).post(_url(version, "withdraw"))
    assert response.status_code == 409
    assert "only before it is decided" in response.json()["detail"]
    assert PlanVersion.objects.get(pk=version.pk).status == Status.APPROVED
    assert Decision.objects.count() == decisions


def test_the_acknowledgement_names_the_version_read(api_for, communicated_plan, staff):
    version = communicated_plan.latest_version
    assert api_for(staff).post(_url(version, "acknowledge")).status_code == 200
    rows = api_for(staff).get(f"/api/v1/acknowledgements/?version={version.pk}").json()["results"]
    assert [(r["version"], r["version_number"], r["acknowledged"]) for r in rows] == [(version.pk, 1, True)]


def test_the_api_refuses_to_acknowledge_a_superseded_version(
    api_for, communicated_plan, owner, manager, staff
):
    old = communicated_plan.latest_version
    draft = services.revise_plan(plan=communicated_plan, actor=owner)
    factories.submit_and_review(draft, owner)
    services.approve_plan(version=draft, actor=manager)
    decisions = Decision.objects.count()

    response = api_for(staff).post(_url(old, "acknowledge"))

    assert response.status_code == 409
    assert "read version 2, the one in force" in response.json()["detail"]
    assert Acknowledgement.objects.get(version=old, user=staff).acknowledged_at is None
    assert Decision.objects.count() == decisions
