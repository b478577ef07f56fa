"""Every change is in the history with who made it, whether it came from a
page, the API, or a command without a request (e.g. seed_demo)."""

import pytest

from plans import services
from plans.models import PlanVersion, Responsibility


@pytest.mark.django_db
def test_service_changes_outside_a_request_name_the_actor(process_plan, owner):
    version = process_plan.latest_version
    services.update_draft(
        version=version, actor=owner, expected_revision=version.revision, sections={"roles": "New"}
    )
    latest = PlanVersion.history.filter(id=version.pk).latest("history_date")
    assert latest.history_user == owner
    assert latest.sections["roles"] == "New"


@pytest.mark.django_db
def test_responsibilities_set_in_bulk_are_in_the_history(process_plan, owner):
    version = process_plan.latest_version
    created = Responsibility.history.filter(version_id=version.pk, history_type="+")
    assert created.count() == version.responsibilities.count() == 5
    assert {h.history_user for h in created} == {owner}


@pytest.mark.django_db
def test_api_changes_name_the_token_user_in_the_history(process_plan, owner, client):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=owner)
    version = process_plan.latest_version
    response = client.patch(
        f"/api/v1/versions/{version.pk}/",
        {"revision": version.revision, "sections": {"roles": "Via API"}},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {token.key}",
    )
    assert response.status_code == 200, response.content
    latest = PlanVersion.history.filter(id=version.pk).latest("history_date")
    assert latest.history_user == owner
