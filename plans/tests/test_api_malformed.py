"""Bad input gets a clear message and changes nothing, in the API too.

Every Do action reads its input through a serializer, so a JSON array, `null`
or a value of the wrong type is a 400 with a message per field, never a 500
and never a half-made change. Who may act is asked before what is asked for:
an auditor's garbage is a 403. And what a user may not do now is said with the
reason (`refused_actions`), from the same functions the pages render.
"""

import json

import pytest

from pdca.models import Decision
from plans import services
from plans.do import services as implementation
from plans.models import Handover, Kpi, KpiAssignment, Milestone, Plan
from plans.tests import factories

NOT_A_JSON_OBJECT = [
    pytest.param([], id="empty-array"),
    pytest.param([{"comment": "fine"}], id="array-of-objects"),
    pytest.param(None, id="null"),
]


def _send(api, method, url, body):
    """`body` as the raw JSON text of the request (so `None` is sent as `null`)."""
    return getattr(api, method)(url, json.dumps(body), content_type="application/json")


@pytest.fixture
def scene(implementing_plan, owner, operators):
    """An implementation with an open milestone, a KPI without operator and a
    handover waiting for its receivers."""
    milestone = implementation.save_milestone(
        plan=implementing_plan, actor=owner, title="Runbook written", owner=owner, due_on="2030-01-01"
    )
    handover = implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    kpi = Kpi.objects.filter(objective__version=implementing_plan.current_version).first()
    return {"plan": implementing_plan, "milestone": milestone, "handover": handover, "kpi": kpi}


def _state():
    """Everything the Do actions could change."""
    return (
        list(Plan.objects.order_by("pk").values_list("implementation_status", "implementation_started_at")),
        list(Milestone.objects.order_by("pk").values_list("done_on", "evidence")),
        list(Handover.objects.order_by("pk").values_list("status", "decided_at", "decline_reason")),
        list(KpiAssignment.objects.values_list("kpi", "operator")),
        Decision.objects.count(),
    )


def _assert_refused_with_messages(response, fields):
    assert response.status_code == 400, response.content
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    assert fields <= set(body["errors"]), body
    assert all(messages and all(messages) for messages in body["errors"].values()), body


# -- the actions of implementations, milestones and handovers ---------------------------


def _actions(scene, operators):
    """{name: (who acts, method, url, [(a body with wrong types, the fields at fault)])} per Do action."""
    plan, kpi, op = scene["plan"], scene["kpi"], operators[0]
    milestone, handover = scene["milestone"], scene["handover"]
    return {
        "assign-operator": (
            "owner",
            "post",
            f"/api/v1/implementations/{plan.pk}/assign-operator/",
            [
                ({"kpi": "the first one", "operator": op.pk}, {"kpi"}),
                ({"kpi": kpi.pk, "operator": [op.pk]}, {"operator"}),
                ({"kpi": {"id": kpi.pk}, "operator": "op1"}, {"kpi", "operator"}),
                ({"operator": op.pk}, {"kpi"}),
            ],
        ),
        "milestone-done": (
            "owner",
            "post",
            f"/api/v1/milestones/{milestone.pk}/done/",
            [
                ({"evidence": ["Wiki page"]}, {"evidence"}),
                ({"evidence": {"url": "https://wiki"}}, {"evidence"}),
            ],
        ),
        "handover-accept": (
            "op1",
            "post",
            f"/api/v1/handovers/{handover.pk}/accept/",
            [({"comment": ["Fine"]}, {"comment"}), ({"comment": {"text": "Fine"}}, {"comment"})],
        ),
        "handover-decline": (
            "op1",
            "post",
            f"/api/v1/handovers/{handover.pk}/decline/",
            [({"reason": ["Not trained yet"]}, {"reason"}), ({"reason": True}, {"reason"})],
        ),
    }


DO_ACTIONS = ["assign-operator", "milestone-done", "handover-accept", "handover-decline"]


def _actor(name, owner, operators):
    return owner if name == "owner" else next(o for o in operators if o.username == name)


@pytest.mark.django_db
@pytest.mark.parametrize("name", DO_ACTIONS)
@pytest.mark.parametrize("body", NOT_A_JSON_OBJECT)
def test_a_do_action_refuses_a_body_that_is_not_an_object(api_for, scene, owner, operators, name, body):
    who, method, url, _wrong = _actions(scene, operators)[name]
    before = _state()

    response = _send(api_for(_actor(who, owner, operators)), method, url, body)

    _assert_refused_with_messages(response, {"non_field_errors"})
    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("name", DO_ACTIONS)
def test_a_do_action_refuses_wrong_types_field_by_field(api_for, scene, owner, operators, name):
    who, method, url, wrong_types = _actions(scene, operators)[name]
    api = api_for(_actor(who, owner, operators))
    before = _state()

    for body, fields in wrong_types:
        # Each field at fault is named, with its own message.
        _assert_refused_with_messages(_send(api, method, url, body), fields)

    assert _state() == before


@pytest.mark.django_db
@pytest.mark.parametrize("body", NOT_A_JSON_OBJECT)
def test_starting_an_implementation_refuses_a_body_that_is_not_an_object(
    api_for, communicated_plan, owner, body
):
    before = _state()

    response = _send(api_for(owner), "patch", f"/api/v1/implementations/{communicated_plan.pk}/", body)

    _assert_refused_with_messages(response, {"non_field_errors"})
    assert _state() == before
    assert Plan.objects.get(pk=communicated_plan.pk).implementation_status == "not_started"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, fields",
    [
        pytest.param({"implementation_status": ["in_implementation"]}, {"implementation_status"}, id="list"),
        pytest.param({"implementation_status": 5}, {"implementation_status"}, id="number"),
        pytest.param({"comment": "Go"}, {"implementation_status"}, id="missing"),
        pytest.param(
            {"implementation_status": "in_implementation", "comment": {"text": "Go"}},
            {"comment"},
            id="comment",
        ),
    ],
)
def test_starting_an_implementation_refuses_wrong_types_field_by_field(
    api_for, communicated_plan, owner, body, fields
):
    before = _state()

    response = _send(api_for(owner), "patch", f"/api/v1/implementations/{communicated_plan.pk}/", body)

    _assert_refused_with_messages(response, fields)
    assert _state() == before


# -- who may, before what ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"kpi": "garbage", "operator": ["x"]}, id="wrong-types"),
        pytest.param({"kpi": 999999, "operator": 999999}, id="unknown-ids"),
        pytest.param({}, id="empty"),
        *NOT_A_JSON_OBJECT,
    ],
)
def test_an_auditor_assigning_an_operator_is_refused_for_who_he_is_not_for_what_he_sent(
    api_for, scene, auditor, body
):
    before = _state()

    response = _send(
        api_for(auditor), "post", f"/api/v1/implementations/{scene['plan'].pk}/assign-operator/", body
    )

    assert response.status_code == 403, response.content
    assert "Auditors" in response.json()["detail"]
    assert _state() == before


# -- what may I do now, and why not ------------------------------------------------------


@pytest.mark.django_db
def test_a_manager_who_is_not_the_approver_is_told_why_he_cannot_decide(
    api_for, process_plan, owner, manager, manager2, auditor
):
    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    url = f"/api/v1/versions/{version.pk}/"

    as_other_manager = api_for(manager2).get(url).json()

    assert as_other_manager["available_actions"] == []
    refused = as_other_manager["refused_actions"]
    assert set(refused) == {"approve", "request-changes"}
    assert "named approver" in refused["approve"] and str(manager) in refused["approve"]
    as_approver = api_for(manager).get(url).json()
    assert as_approver["available_actions"] == ["approve", "request-changes"]
    assert as_approver["refused_actions"] == {}
    # Deciding is not offered to auditors at all: nothing to explain.
    assert api_for(auditor).get(url).json()["refused_actions"] == {}


@pytest.mark.django_db
def test_the_plan_says_why_it_cannot_be_revised_while_a_version_is_in_review(api_for, process_plan, owner):
    services.submit_plan(version=process_plan.latest_version, actor=owner)

    plan = api_for(owner).get(f"/api/v1/plans/{process_plan.pk}/").json()

    assert plan["available_actions"] == ["distribution"]
    assert "in review" in plan["refused_actions"]["revise"]
    listed = api_for(owner).get("/api/v1/plans/").json()["results"]
    assert {p["available_actions"] for p in listed} == {None}
    assert {p["refused_actions"] for p in listed} == {None}


@pytest.mark.django_db
def test_implementations_and_handovers_offer_what_the_user_may_do(api_for, scene, owner, operators, auditor):
    plan, handover = scene["plan"], scene["handover"]

    as_implementer = api_for(owner).get(f"/api/v1/implementations/{plan.pk}/").json()
    assert as_implementer["available_actions"] == ["manage", "propose-handover"]
    assert "already in implementation" in as_implementer["refused_actions"]["start"]
    as_auditor = api_for(auditor).get(f"/api/v1/implementations/{plan.pk}/").json()
    assert as_auditor["available_actions"] == []
    assert "Auditors" in as_auditor["refused_actions"]["manage"]

    as_receiver = api_for(operators[0]).get(f"/api/v1/handovers/{handover.pk}/").json()
    assert as_receiver["available_actions"] == ["accept", "decline"]
    as_implementer = api_for(owner).get(f"/api/v1/handovers/{handover.pk}/").json()
    assert as_implementer["available_actions"] == []
    assert "receiver" in as_implementer["refused_actions"]["accept"]
    # Lists stay at a fixed number of queries: no per-handover receiver check there.
    listed = api_for(operators[0]).get("/api/v1/handovers/").json()["results"]
    assert [h["available_actions"] for h in listed] == [None]
