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
from plans.models import (
    Handover,
    Kpi,
    KpiAssignment,
    Milestone,
    Objective,
    Plan,
    PlanVersion,
    Process,
    Responsibility,
)
from plans.tests import factories

NOT_A_JSON_OBJECT = [
    pytest.param([], id="empty-array"),
    pytest.param([{"comment": "fine"}], id="array-of-objects"),
    pytest.param(None, id="null"),
    pytest.param("text", id="string"),
]
# The same, as plain values for the tests that loop over them.
NOT_AN_OBJECT = [[], [{"comment": "fine"}], None, "text"]


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
        list(Milestone.objects.order_by("pk").values_list("title", "owner", "due_on", "done_on", "evidence")),
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
        "milestone-create": (
            "owner",
            "post",
            "/api/v1/milestones/",
            [
                ({"plan": "incident", "title": "x", "owner": op.pk, "due_on": "2030-01-01"}, {"plan"}),
                (
                    {"plan": plan.pk, "title": ["x"], "owner": "op1", "due_on": "soon"},
                    {"title", "owner", "due_on"},
                ),
            ],
        ),
        "milestone-update": (
            "owner",
            "patch",
            f"/api/v1/milestones/{milestone.pk}/",
            [({"due_on": ["2030-01-01"]}, {"due_on"}), ({"owner": {"id": op.pk}}, {"owner"})],
        ),
        "handover-propose": (
            "owner",
            "post",
            "/api/v1/handovers/",
            [
                ({"plan": plan.pk, "receivers": op.pk}, {"receivers"}),
                ({"plan": [plan.pk], "receivers": [op.pk], "handover_on": "soon"}, {"plan", "handover_on"}),
            ],
        ),
    }


DO_ACTIONS = [
    "assign-operator",
    "milestone-done",
    "handover-accept",
    "handover-decline",
    "milestone-create",
    "milestone-update",
    "handover-propose",
]


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


def _do_actions_on_an_object(scene, operators):
    """The Do actions that name their object in the path, with every body they are refused whatever it is."""
    actions = _actions(scene, operators)
    actions["start"] = (
        "owner",
        "patch",
        f"/api/v1/implementations/{scene['plan'].pk}/",
        [({"implementation_status": ["in_implementation"]}, {"implementation_status"})],
    )
    actions["milestone-delete"] = ("owner", "delete", f"/api/v1/milestones/{scene['milestone'].pk}/", [])
    for name in ("milestone-create", "handover-propose"):
        del actions[name]  # the plan is named in the body: see the auditor's test below
    return {
        name: (method, url, [*NOT_AN_OBJECT, {}, *(body for body, _fields in wrong)])
        for name, (_who, method, url, wrong) in actions.items()
    }


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["auditor", "staff"])
def test_who_reads_an_implementation_but_may_not_act_is_refused_whatever_the_body(
    request, api_for, scene, operators, who
):
    """The auditor reads every implementation, staff this one (they are on the plan's
    distribution list); neither holds the implementation responsibility nor is a receiver
    of the handover: each Do action is a 403 with the reason, before the body is read."""
    api = api_for(request.getfixturevalue(who))
    for name, (method, url, bodies) in _do_actions_on_an_object(scene, operators).items():
        for body in bodies:
            before = _state()
            response = _send(api, method, url, body)
            assert response.status_code == 403, (name, body, response.status_code, response.content)
            assert response.json()["detail"], (name, body)
            assert _state() == before, (name, body)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/milestones/", "/api/v1/handovers/"])
def test_an_auditor_adding_a_milestone_or_a_handover_is_refused_before_the_plan_is_looked_up(
    api_for, scene, auditor, url
):
    for body in [*NOT_AN_OBJECT, {}, {"plan": "incident", "receivers": "op1"}]:
        before = _state()
        response = _send(api_for(auditor), "post", url, body)
        assert response.status_code == 403, (body, response.content)
        assert "Auditors" in response.json()["detail"], body
        assert _state() == before, body


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


# -- the writes of Plan: processes, plans, versions, objectives and KPIs ------------------


@pytest.fixture
def plan_scene(communicated_plan, smp, owner):
    """A communicated process plan, on which its owner and the approving manager
    act and which `staff` reads, and the SMP, which staff may not read."""
    version = communicated_plan.current_version
    objective = version.objectives.first()
    smp_version = smp.current_version
    smp_objective = smp_version.objectives.first()
    return {
        "owner": owner,
        "plan": communicated_plan,
        "version": version,
        "objective": objective,
        "kpi": objective.kpis.first(),
        "smp": (smp, smp_version, smp_objective, smp_objective.kpis.first()),
    }


def _plan_state():
    """Everything the writes of Plan could change."""
    return (
        list(Process.objects.order_by("pk").values_list("name", "owner", "description")),
        list(Plan.objects.order_by("pk").values_list("title", "conformance_review_due")),
        list(
            PlanVersion.objects.order_by("pk").values_list(
                "status", "revision", "sections", "reviewer_may_approve"
            )
        ),
        list(Responsibility.objects.order_by("pk").values_list("version", "kind", "user")),
        list(Objective.objects.order_by("pk").values_list("version", "title", "traces_to")),
        list(Kpi.objects.order_by("pk").values_list("objective", "metric", "target", "direction")),
        list(Plan.distribution_users.through.objects.order_by("pk").values_list("plan", "user")),
        Decision.objects.count(),
    )


def _plan_writes(scene, plan=None, version=None, objective=None, kpi=None):
    """{name: (who may act, method, url, [(a body with wrong types, the fields at fault)])} per write
    of Plan, on the scene's process plan (or on the plan, version, objective and KPI given)."""
    plan, version = plan or scene["plan"], version or scene["version"]
    objective, kpi = objective or scene["objective"], kpi or scene["kpi"]
    owner, process = scene["owner"], scene["plan"].process
    p, v = f"/api/v1/plans/{plan.pk}/", f"/api/v1/versions/{version.pk}/"
    comment = [({"comment": ["Fine"]}, {"comment"}), ({"comment": {"text": "Fine"}}, {"comment"})]
    return {
        "process-create": (
            "manager",
            "post",
            "/api/v1/processes/",
            [
                ({"name": ["Problem management"], "owner": "owner"}, {"name", "owner"}),
                ({"name": "Problem management", "owner": owner.pk, "deputies": owner.pk}, {"deputies"}),
            ],
        ),
        "process-update": (
            "manager",
            "put",
            f"/api/v1/processes/{process.pk}/",
            [({"name": "Incidents", "owner": [owner.pk]}, {"owner"})],
        ),
        "process-patch": (
            "manager",
            "patch",
            f"/api/v1/processes/{process.pk}/",
            [({"deputies": "everybody"}, {"deputies"})],
        ),
        "plan-create": (
            "owner",
            "post",
            "/api/v1/plans/",
            [({"process": "incident"}, {"process"}), ({"process": process.pk, "title": ["x"]}, {"title"})],
        ),
        "plan-title": (
            "owner",
            "patch",
            p,
            [
                ({"title": "x", "revision": "latest"}, {"revision"}),
                ({"title": ["x"], "revision": 1}, {"title"}),
            ],
        ),
        "revise": ("owner", "post", f"{p}revise/", comment),
        "confirm-conformance": ("owner", "post", f"{p}confirm-conformance/", comment),
        "archive": (
            "manager",
            "post",
            f"{p}archive/",
            [({"reason": ["Retired"]}, {"reason"}), ({"reason": {"text": "Retired"}}, {"reason"})],
        ),
        "restore": ("manager", "post", f"{p}restore/", comment),
        "distribution": (
            "owner",
            "put",
            f"{p}distribution/",
            [
                ({"users": "staff", "groups": []}, {"users"}),
                ({"users": [], "groups": [{"id": 1}]}, {"groups"}),
            ],
        ),
        "version-edit": (
            "owner",
            "put",
            v,
            [
                ({"revision": "latest", "sections": {}}, {"revision"}),
                ({"revision": 1, "sections": ["purpose"]}, {"sections"}),
            ],
        ),
        "version-patch": (
            "owner",
            "patch",
            v,
            [({"revision": 1, "sections": {"purpose": ["x"]}}, {"sections.purpose"})],
        ),
        "responsibilities": (
            "owner",
            "put",
            f"{v}responsibilities/",
            [
                ({"approval": "manager"}, {"approval"}),
                ({"reviewer_may_approve": "perhaps"}, {"reviewer_may_approve"}),
            ],
        ),
        "submit": ("owner", "post", f"{v}submit/", comment),
        "withdraw": ("owner", "post", f"{v}withdraw/", comment),
        "review": ("owner", "post", f"{v}review/", comment),
        "approve": ("manager", "post", f"{v}approve/", comment),
        "request-changes": ("manager", "post", f"{v}request-changes/", comment),
        "communicate": ("owner", "post", f"{v}communicate/", comment),
        "objective-create": (
            "owner",
            "post",
            "/api/v1/objectives/",
            [
                ({"version": "v1", "title": "x"}, {"version"}),
                ({"version": version.pk, "title": ["x"]}, {"title"}),
            ],
        ),
        "objective-update": (
            "owner",
            "put",
            f"/api/v1/objectives/{objective.pk}/",
            [({"version": version.pk, "title": "x", "traces_to": "SMP-1"}, {"traces_to"})],
        ),
        "kpi-create": (
            "owner",
            "post",
            "/api/v1/kpis/",
            [
                ({"objective": "O1", "metric": "x"}, {"objective"}),
                ({"objective": objective.pk, "metric": "x", "unit": "%", "target": "high"}, {"target"}),
            ],
        ),
        "kpi-update": (
            "owner",
            "patch",
            f"/api/v1/kpis/{kpi.pk}/",
            [({"direction": "sideways"}, {"direction"})],
        ),
    }


# The writes that name their object in the path; the others name it in the body.
ON_AN_OBJECT = [
    "process-update",
    "process-patch",
    "plan-title",
    "revise",
    "confirm-conformance",
    "distribution",
    "version-edit",
    "version-patch",
    "responsibilities",
    "submit",
    "withdraw",
    "review",
    "approve",
    "request-changes",
    "communicate",
    "objective-update",
    "kpi-update",
]


def _plan_people(request):
    return {name: request.getfixturevalue(name) for name in ("owner", "manager", "auditor", "staff")}


def _refused(response, status, name, body):
    assert response.status_code == status, (name, body, response.status_code, response.content)
    assert response.json()["detail"], (name, body)


@pytest.mark.django_db
def test_a_plan_write_refuses_a_body_that_is_not_an_object(request, api_for, plan_scene):
    people = _plan_people(request)
    for name, (who, method, url, _wrong) in _plan_writes(plan_scene).items():
        api = api_for(people[who])
        for body in NOT_AN_OBJECT:
            before = _plan_state()
            response = _send(api, method, url, body)
            _refused(response, 400, name, body)
            assert "non_field_errors" in response.json()["errors"], (name, body)
            assert _plan_state() == before, (name, body)


@pytest.mark.django_db
def test_a_plan_write_refuses_values_of_the_wrong_type_field_by_field(request, api_for, plan_scene):
    people = _plan_people(request)
    for name, (who, method, url, wrong) in _plan_writes(plan_scene).items():
        api = api_for(people[who])
        for body, fields in wrong:
            before = _plan_state()
            response = _send(api, method, url, body)
            _refused(response, 400, name, body)
            assert fields <= set(response.json()["errors"]), (name, body, response.json())
            assert _plan_state() == before, (name, body)


def _any_body(wrong):
    return [*NOT_AN_OBJECT, {}, *(body for body, _fields in wrong)]


@pytest.mark.django_db
def test_an_auditor_is_refused_every_write_of_plan_whatever_the_body(request, api_for, plan_scene):
    """The auditor reads every plan and changes none: his or her garbage is a 403, not a 400,
    on the plans, versions and processes as on the objectives and KPIs named in the body."""
    api = api_for(_plan_people(request)["auditor"])
    for name, (_who, method, url, wrong) in _plan_writes(plan_scene).items():
        for body in _any_body(wrong):
            before = _plan_state()
            _refused(_send(api, method, url, body), 403, name, body)
            assert _plan_state() == before, (name, body)


@pytest.mark.django_db
def test_staff_who_read_a_plan_are_refused_its_writes_whatever_the_body(request, api_for, plan_scene):
    """Staff read the communicated plan (they are on its distribution list) but
    change nothing of it: a 403 before the body is read. Nor do they name process owners."""
    api = api_for(_plan_people(request)["staff"])
    writes = _plan_writes(plan_scene)
    for name in [*ON_AN_OBJECT, "process-create"]:
        _who, method, url, wrong = writes[name]
        for body in _any_body(wrong):
            before = _plan_state()
            _refused(_send(api, method, url, body), 403, name, body)
            assert _plan_state() == before, (name, body)


@pytest.mark.django_db
def test_a_plan_staff_may_not_read_is_a_404_for_every_write_whatever_the_body(request, api_for, plan_scene):
    """The SMP was never communicated: to staff its plan, version, objectives and
    KPIs do not exist, whatever they send."""
    api = api_for(_plan_people(request)["staff"])
    smp, version, objective, kpi = plan_scene["smp"]
    writes = _plan_writes(plan_scene, plan=smp, version=version, objective=objective, kpi=kpi)
    for name in ON_AN_OBJECT:
        if name.startswith("process-"):
            continue  # every role reads the processes
        _who, method, url, wrong = writes[name]
        for body in _any_body(wrong):
            before = _plan_state()
            _refused(_send(api, method, url, body), 404, name, body)
            assert _plan_state() == before, (name, body)
