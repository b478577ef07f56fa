"""Bad input gets a clear message and changes nothing, in Act's API too.

Every write reads its input through a serializer, so a JSON array, `null` or
a value of the wrong type is a 400 with a message per field, never a 500 and
never a half-made change. Who may act is asked before what is asked for: an
auditor's garbage is a 403, and an improvement he or she may not see a 404."""

import json

import pytest
from django.utils import timezone

from improvements.tests.test_api_permissions import _state, scene  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

# An empty array, an array of objects, null, a string.
NOT_A_JSON_OBJECT = [[], [{"comment": "fine"}], None, "text"]
TODAY = str(timezone.localdate())


def _send(api, method, url, body):
    """`body` as the raw JSON text of the request (so `None` is sent as `null`)."""
    return getattr(api, method)(url, json.dumps(body), content_type="application/json")


def _assert_refused_with_messages(response, fields, name):
    assert response.status_code == 400, (name, response.status_code, response.content)
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"], (name, body)
    assert fields <= set(body["errors"]), (name, body)
    assert all(messages and all(messages) for messages in body["errors"].values()), (name, body)


def _writes(records):
    """{name: (who, method, url, [(a body with wrong types, the fields at fault)])} per write."""

    def improvement(state, action=""):
        return f"/api/v1/improvements/{records[state].number}/" + (f"{action}/" if action else "")

    project = f"/api/v1/improvement-projects/{records['project'].pk}/"
    revision = records["proposed"].revision
    return {
        "propose": (
            "owner",
            "post",
            "/api/v1/improvements/",
            [
                ({"title": ["Chatbot"], "description": "x"}, {"title"}),
                ({"title": "x", "description": "y", "scope": "galaxy"}, {"scope"}),
                ({"title": "x", "description": "y", "processes": "incident"}, {"processes"}),
                ({"title": "x", "description": "y", "processes": [{"id": 1}]}, {"processes"}),
                ({"title": "x", "description": "y", "required_by": "soon"}, {"required_by"}),
                ({"title": "x", "description": "y", "target": "high"}, {"target"}),
                ({"title": "x", "description": "y", "kpi": "availability"}, {"kpi"}),
                (
                    {"title": "x", "description": "y", "owner": "me", "priority": "urgent"},
                    {"owner", "priority"},
                ),
            ],
        ),
        "edit": (
            "owner",
            "patch",
            improvement("proposed"),
            [
                ({"revision": "latest", "title": "x"}, {"revision"}),
                ({"title": "x"}, {"revision"}),
                ({"revision": revision, "priority": "urgent"}, {"priority"}),
                ({"revision": revision, "required_by": ["2030-01-01"]}, {"required_by"}),
                ({"revision": revision, "processes": [{"id": 1}]}, {"processes"}),
            ],
        ),
        "approve": (
            "csi_owner",
            "post",
            improvement("proposed", "approve"),
            [({"comment": ["x"]}, {"comment"})],
        ),
        "reject": (
            "csi_owner",
            "post",
            improvement("proposed", "reject"),
            [({"reason": {"a": 1}}, {"reason"})],
        ),
        "baseline": (
            "owner",
            "post",
            improvement("approved", "baseline"),
            [
                ({"baseline_on": "today"}, {"baseline_on"}),
                ({"baseline_on": TODAY, "kpis": [987654]}, {"kpis"}),
                ({"baseline_on": TODAY, "kpis": "all"}, {"kpis"}),
                ({"label": "x", "value": "ninety", "evidence": "y"}, {"value"}),
                ({"label": "x", "value": "1" * 20, "evidence": "y"}, {"value"}),
                ({"label": "x", "value": "1", "evidence": "y", "measured_on": "May"}, {"measured_on"}),
                ({"baseline_on": TODAY, "label": "x"}, {"non_field_errors"}),
                ({"kpis": []}, {"kpis"}),
                ({}, {"baseline_on"}),
            ],
        ),
        "start": ("owner", "post", improvement("ready", "start"), [({"comment": ["x"]}, {"comment"})]),
        "nonconformity": (
            "owner",
            "put",
            improvement("in_implementation", "nonconformity"),
            [
                ({"root_cause": ["x"]}, {"root_cause"}),
                ({"root_cause_method": "x" * 101}, {"root_cause_method"}),
            ],
        ),
        "implemented": (
            "owner",
            "post",
            improvement("in_implementation", "implemented"),
            [({"comment": {"a": 1}}, {"comment"})],
        ),
        "results": (
            "owner",
            "post",
            improvement("implemented", "results"),
            [
                ({"label": "x", "value": "ninety"}, {"value"}),
                ({"label": "x", "value": "1", "period_start": "last month"}, {"period_start"}),
                ({"label": "x", "value": "1", "kpi": [1]}, {"kpi"}),
            ],
        ),
        "evaluate": (
            "csi_owner",
            "post",
            improvement("implemented", "evaluate"),
            [({"effective": "perhaps", "evidence": "x"}, {"effective"}), ({"evidence": "x"}, {"effective"})],
        ),
        "close": (
            "csi_owner",
            "post",
            improvement("evaluated", "close"),
            [({"comment": ["x"]}, {"comment"})],
        ),
        "promote": (
            "csi_owner",
            "post",
            "/api/v1/improvements/promote/",
            [
                ({"finding": "the observation"}, {"finding"}),
                ({}, {"finding"}),
                ({"finding": 987654}, {"finding"}),
            ],
        ),
        "project-create": (
            "csi_owner",
            "post",
            "/api/v1/improvement-projects/",
            [
                ({"name": ["x"]}, {"name"}),
                ({"name": "x", "starts_on": "spring"}, {"starts_on"}),
                ({"name": "x", "improvements": ["I-1"]}, {"improvements"}),
                ({"name": "x", "improvements": [987654]}, {"improvements"}),
                ({"name": "x", "manager": "me"}, {"manager"}),
            ],
        ),
        "project-update": ("csi_owner", "patch", project, [({"ends_on": "never"}, {"ends_on"})]),
        "project-approve": ("manager", "post", f"{project}approve/", [({"comment": ["x"]}, {"comment"})]),
        "milestone-add": ("csi_owner", "post", f"{project}milestones/", [({"due_on": "soon"}, {"due_on"})]),
        "milestone-change": (
            "csi_owner",
            "put",
            f"{project}milestones/{records['milestone'].pk}/",
            [({"done_on": ["x"]}, {"done_on"})],
        ),
    }


@pytest.fixture
def users(request):
    return {
        name: request.getfixturevalue(name) for name in ("owner", "csi_owner", "manager", "auditor", "staff")
    }


def test_a_write_refuses_a_body_that_is_not_an_object(api_for, scene, users):  # noqa: F811
    for name, (who, method, url, _wrong) in _writes(scene).items():
        api = api_for(users[who])
        for body in NOT_A_JSON_OBJECT:
            before = _state()
            response = _send(api, method, url, body)
            _assert_refused_with_messages(response, set(), name)
            assert _state() == before, (name, body)


def test_a_write_refuses_values_of_the_wrong_type_field_by_field(api_for, scene, users):  # noqa: F811
    for name, (who, method, url, wrong) in _writes(scene).items():
        api = api_for(users[who])
        for body, fields in wrong:
            before = _state()
            response = _send(api, method, url, body)
            _assert_refused_with_messages(response, fields, name)
            assert _state() == before, (name, body)


def test_a_body_that_is_not_json_is_refused(api_for, scene, csi_owner):  # noqa: F811
    before = _state()
    response = api_for(csi_owner).post(
        f"/api/v1/improvements/{scene['proposed'].number}/approve/",
        "{comment: ",
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["detail"]
    assert _state() == before


def test_who_may_not_act_learns_nothing_from_garbage(api_for, scene, users):  # noqa: F811
    """The auditor reads every improvement and changes none: his or her garbage is a 403, not a 400."""
    for name, (_who, method, url, _wrong) in _writes(scene).items():
        before = _state()
        response = _send(api_for(users["auditor"]), method, url, [{"garbage": True}])
        assert response.status_code == 403, (name, response.status_code, response.json())
        assert _state() == before, name


def test_an_improvement_staff_may_not_see_is_a_404_before_anything_else(api_for, scene, users):  # noqa: F811
    company = f"/api/v1/improvements/{scene['company'].number}/"
    for method, action in (
        ("patch", ""),
        ("post", "approve/"),
        ("post", "reject/"),
        ("post", "baseline/"),
        ("post", "baseline/accept/"),
        ("post", "start/"),
        ("put", "nonconformity/"),
        ("post", "implemented/"),
        ("post", "results/"),
        ("post", "evaluate/"),
        ("post", "close/"),
    ):
        before = _state()
        response = _send(api_for(users["staff"]), method, company + action, None)
        assert response.status_code == 404, (action, response.status_code, response.json())
        assert _state() == before, action
