"""Issue 13: who may not act learns nothing from the answer. The permission
is checked before validators, and the users API shows staff names only."""

import pytest

from plans.do import services as implementation

pytestmark = pytest.mark.django_db


def test_an_auditor_proposing_a_second_handover_is_refused_for_who_he_is(
    api_for, implementing_plan, owner, operators, auditor
):
    implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators[:1])
    body = {"plan": implementing_plan.pk, "receivers": [operators[1].pk]}
    refused = api_for(auditor).post("/api/v1/handovers/", body, format="json")
    assert refused.status_code == 403, refused.json()
    assert "unique" not in str(refused.json()).lower()
    # The holder learns why a second one is refused.
    pending = api_for(owner).post("/api/v1/handovers/", body, format="json")
    assert pending.status_code == 409 and "already waiting for its receivers" in pending.json()["detail"]


def test_staff_see_names_in_the_users_api_not_addresses_or_roles(api_for, staff, manager, auditor):
    listed = api_for(staff).get("/api/v1/users/").json()["results"]
    assert listed and all(set(row) == {"id", "username", "name", "job_title"} for row in listed)
    assert manager.email not in str(listed)
    full = api_for(auditor).get("/api/v1/users/").json()["results"]
    assert any(row.get("email") == manager.email for row in full)
