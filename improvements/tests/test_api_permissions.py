"""The API refuses what the pages refuse: who may list, read, propose, edit,
approve, reject, baseline, start, record the root cause, mark implemented,
record results, evaluate, close and promote improvements, and who sets up,
changes and approves projects and their milestones.

The roles: a manager (top management), the CSI owner named in the CSI
principle in force, the owner of the improved process, the owner of another
process (who manages the project), an auditor and a member of staff on the
process plan's distribution list. Each role asks in turn on the same records
(what one role changes is rolled back before the next asks); a refusal says
why and changes nothing."""

from contextlib import contextmanager

import pytest
from django.db import transaction
from django.utils import timezone

from improvements import services
from improvements.models import (
    BaselineValue,
    EffectivenessCheck,
    Improvement,
    Project,
    ProjectMilestone,
    ResultValue,
)
from improvements.tests.test_api_workflow import advance, propose
from pdca.models import Decision
from plans.tests.factories import ProcessFactory
from reviews.models import Finding

pytestmark = pytest.mark.django_db

ROLES = ["manager", "csi_owner", "owner", "other_owner", "auditor", "staff"]
TODAY = timezone.localdate


@pytest.fixture
def users(request):
    return {role: request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def scene(reviewed_findings, communicated_plan, owner, other_owner, csi_owner, manager):
    """An improvement of the owner's process in each state (the nonconformities
    from the review's findings), one spanning two processes in a project
    managed by the other owner, and a company-wide one."""
    incident = communicated_plan.process
    change = ProcessFactory(name="Change management", owner=other_owner)
    wide = services.propose_improvement(
        actor=manager,
        title="One toolchain",
        description="Incidents and changes in one tool.",
        processes=[incident, change],
        scope=Improvement.Scope.PROCESSES,
        owner=other_owner,
    )
    project = services.save_project(
        actor=csi_owner,
        name="Toolchain 2027",
        manager=other_owner,
        starts_on=TODAY(),
        ends_on=TODAY() + timezone.timedelta(days=90),
        improvements=[wide],
    )
    milestone = services.save_project_milestone(
        project=project, actor=csi_owner, title="Tool chosen", due_on=TODAY() + timezone.timedelta(days=30)
    )
    company = services.propose_improvement(
        actor=manager,
        title="A CSI culture",
        description="Everybody proposes.",
        scope=Improvement.Scope.COMPANY,
        owner=other_owner,
    )
    return {
        "proposed": reviewed_findings[Finding.Grade.OPPORTUNITY].improvement,
        "approved": advance(
            reviewed_findings[Finding.Grade.MAJOR].improvement, "baseline", csi_owner=csi_owner, owner=owner
        ),
        "ready": advance(
            propose(owner, incident, title="Ready"), "accepted", csi_owner=csi_owner, owner=owner
        ),
        "in_implementation": advance(
            reviewed_findings[Finding.Grade.MINOR].improvement,
            "in_implementation",
            csi_owner=csi_owner,
            owner=owner,
        ),
        "implemented": advance(
            propose(owner, incident, title="Done"), "result", csi_owner=csi_owner, owner=owner
        ),
        "evaluated": advance(
            propose(owner, incident, title="Worked"), "evaluated", csi_owner=csi_owner, owner=owner
        ),
        "observation": reviewed_findings[Finding.Grade.OBSERVATION],
        "wide": wide,
        "company": company,
        "project": project,
        "milestone": milestone,
    }


def _state():
    """Everything a request on Act could change."""
    return (
        list(
            Improvement.objects.order_by("pk").values_list(
                "status", "revision", "title", "baseline_accepted_at", "root_cause"
            )
        ),
        list(Project.objects.order_by("pk").values_list("name", "status", "approved_by")),
        list(ProjectMilestone.objects.order_by("pk").values_list("title", "done_on")),
        BaselineValue.objects.count(),
        ResultValue.objects.count(),
        EffectivenessCheck.objects.count(),
        Decision.objects.count(),
    )


@contextmanager
def _rolled_back():
    """What the block changes is undone, so that the next role finds the same records."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def _ask_every_role(api_for, users, matrix, send):
    """`send(api)` for each role in turn; {role: status} as answered."""
    answers = {}
    for role in ROLES:
        with _rolled_back():
            before = _state()
            response = send(api_for(users[role]))
            answers[role] = response.status_code
            if response.status_code >= 400:
                assert response.json()["detail"], (role, response.json())
                assert _state() == before, role
            elif matrix[role] < 400:
                assert _state() != before, role
    return answers


# -- reading --------------------------------------------------------------------------------------------------

# Everybody who reads the whole SMS reads the whole register; staff the
# improvements of the processes whose plans were communicated to them.
HIDDEN_FROM_STAFF = {"company"}


@pytest.mark.parametrize("role", ROLES)
def test_who_may_list_and_read_improvements_projects_and_their_parts(api_for, users, scene, role):
    api = api_for(users[role])
    improvements = {k: v for k, v in scene.items() if isinstance(v, Improvement)}
    listed = {row["number"] for row in api.get("/api/v1/improvements/").json()["results"]}
    for name, improvement in improvements.items():
        hidden = role == "staff" and name in HIDDEN_FROM_STAFF
        assert (improvement.number in listed) is not hidden, (role, name)
        expected = 404 if hidden else 200
        assert api.get(f"/api/v1/improvements/{improvement.number}/").status_code == expected, name
    assert api.get("/api/v1/improvements/999/").status_code == 404
    # Staff see the project (it carries an improvement of their process), not the company-wide item.
    project = api.get(f"/api/v1/improvement-projects/{scene['project'].pk}/")
    assert project.status_code == 200
    assert [i["number"] for i in project.json()["improvements"]] == [scene["wide"].number]
    for url in ("/api/v1/baselines/", "/api/v1/results/", "/api/v1/effectiveness-checks/"):
        response = api.get(url)
        assert response.status_code == 200 and response.json()["count"] > 0, url
    hidden = api.get("/api/v1/baselines/", {"improvement": scene["company"].number})
    assert hidden.status_code == (400 if role == "staff" else 200)


# -- proposing, the workflow, projects ----------------------------------------------------------------------

# endpoint -> {role: status}. Anyone but an auditor proposes (A2); the owner or a
# CSI owner edits an open improvement; a CSI owner who neither owns nor proposed
# it decides (approve, reject, evaluate, close); the owner (here the process
# owner, A3) carries it out; a CSI owner or the process owner promotes an
# observation; CSI owners and managers set up projects, which the project
# manager keeps; a manager who neither manages nor set it up approves it.
# Staff see the improvements of their process, so are refused (403), and do
# not see the company-wide one (404).
MATRIX = {
    "propose": {
        "manager": 201,
        "csi_owner": 201,
        "owner": 201,
        "other_owner": 201,
        "auditor": 403,
        "staff": 201,
    },
    "edit": {
        "manager": 403,
        "csi_owner": 200,
        "owner": 200,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "edit the company-wide one": {
        "manager": 403,
        "csi_owner": 200,
        "owner": 403,
        "other_owner": 200,
        "auditor": 403,
        "staff": 404,
    },
    "approve": {
        "manager": 403,
        "csi_owner": 200,
        "owner": 403,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "reject": {
        "manager": 403,
        "csi_owner": 200,
        "owner": 403,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "record a baseline": {
        "manager": 403,
        "csi_owner": 403,
        "owner": 200,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "accept the baseline": {
        "manager": 403,
        "csi_owner": 403,
        "owner": 200,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "start": {
        "manager": 403,
        "csi_owner": 403,
        "owner": 200,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "record the root cause": {
        "manager": 403,
        "csi_owner": 403,
        "owner": 200,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "mark implemented": {
        "manager": 403,
        "csi_owner": 403,
        "owner": 200,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "record a result": {
        "manager": 403,
        "csi_owner": 403,
        "owner": 200,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "evaluate": {
        "manager": 403,
        "csi_owner": 200,
        "owner": 403,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "close": {
        "manager": 403,
        "csi_owner": 200,
        "owner": 403,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "promote an observation": {
        "manager": 403,
        "csi_owner": 201,
        "owner": 201,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "set up a project": {
        "manager": 201,
        "csi_owner": 201,
        "owner": 403,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "change a project": {
        "manager": 200,
        "csi_owner": 200,
        "owner": 403,
        "other_owner": 200,
        "auditor": 403,
        "staff": 403,
    },
    "approve a project": {
        "manager": 200,
        "csi_owner": 403,
        "owner": 403,
        "other_owner": 403,
        "auditor": 403,
        "staff": 403,
    },
    "add a milestone": {
        "manager": 201,
        "csi_owner": 201,
        "owner": 403,
        "other_owner": 201,
        "auditor": 403,
        "staff": 403,
    },
    "change a milestone": {
        "manager": 200,
        "csi_owner": 200,
        "owner": 403,
        "other_owner": 200,
        "auditor": 403,
        "staff": 403,
    },
}


def _sender(name, scene, owner, other_owner, communicated_plan):
    """How each endpoint is asked, as `send(api)`."""

    def improvement(state, action=""):
        return f"/api/v1/improvements/{scene[state].number}/" + (f"{action}/" if action else "")

    def revision(state):
        return Improvement.objects.get(pk=scene[state].pk).revision

    project = f"/api/v1/improvement-projects/{scene['project'].pk}/"
    period = {"period_start": str(TODAY() - timezone.timedelta(days=30)), "period_end": str(TODAY())}
    requests = {
        "propose": lambda api: api.post(
            "/api/v1/improvements/",
            {
                "title": "Chatbot",
                "description": "First answers.",
                "processes": [communicated_plan.process_id],
            },
            format="json",
        ),
        "edit": lambda api: api.patch(
            improvement("proposed"), {"revision": revision("proposed"), "priority": "high"}, format="json"
        ),
        "edit the company-wide one": lambda api: api.patch(
            improvement("company"), {"revision": revision("company"), "priority": "high"}, format="json"
        ),
        "approve": lambda api: api.post(improvement("proposed", "approve")),
        "reject": lambda api: api.post(
            improvement("proposed", "reject"), {"reason": "Later."}, format="json"
        ),
        "record a baseline": lambda api: api.post(
            improvement("approved", "baseline"),
            {"label": "Reopened tickets", "value": "4", "unit": "%", "evidence": "Report."},
            format="json",
        ),
        "accept the baseline": lambda api: api.post(improvement("approved", "baseline/accept")),
        "start": lambda api: api.post(improvement("ready", "start")),
        "record the root cause": lambda api: api.put(
            improvement("in_implementation", "nonconformity"), {"root_cause": "No timer."}, format="json"
        ),
        "mark implemented": lambda api: api.post(improvement("in_implementation", "implemented")),
        "record a result": lambda api: api.post(
            improvement("implemented", "results"),
            {"label": "Reopened", "value": "2", **period},
            format="json",
        ),
        "evaluate": lambda api: api.post(
            improvement("implemented", "evaluate"), {"effective": True, "evidence": "Report."}, format="json"
        ),
        "close": lambda api: api.post(improvement("evaluated", "close")),
        "promote an observation": lambda api: api.post(
            "/api/v1/improvements/promote/", {"finding": scene["observation"].pk}, format="json"
        ),
        "set up a project": lambda api: api.post(
            "/api/v1/improvement-projects/",
            {
                "name": "Culture",
                "manager": other_owner.pk,
                "starts_on": str(TODAY()),
                "ends_on": str(TODAY()),
                "improvements": [scene["wide"].number],
            },
            format="json",
        ),
        "change a project": lambda api: api.patch(project, {"name": "Toolchain 2028"}, format="json"),
        "approve a project": lambda api: api.post(f"{project}approve/"),
        "add a milestone": lambda api: api.post(
            f"{project}milestones/", {"title": "Piloted", "due_on": str(TODAY())}, format="json"
        ),
        "change a milestone": lambda api: api.put(
            f"{project}milestones/{scene['milestone'].pk}/", {"done_on": str(TODAY())}, format="json"
        ),
    }
    return requests[name]


@pytest.mark.parametrize("name", list(MATRIX))
def test_who_may_propose_carry_out_decide_promote_and_run_projects(
    api_for, users, scene, owner, other_owner, communicated_plan, name
):
    answers = _ask_every_role(
        api_for, users, MATRIX[name], _sender(name, scene, owner, other_owner, communicated_plan)
    )
    assert answers == MATRIX[name]


# -- what each role is told he or she may do --------------------------------------------------------------------


def test_the_detail_lists_what_each_role_may_do_with_the_reasons(
    api_for, scene, csi_owner, owner, auditor, manager
):
    proposed = f"/api/v1/improvements/{scene['proposed'].number}/"
    assert api_for(csi_owner).get(proposed).json()["available_actions"] == ["edit", "approve", "reject"]
    as_owner = api_for(owner).get(proposed).json()
    # A4: the baseline may be recorded from the proposal on, before the implementation starts.
    assert as_owner["available_actions"] == ["edit", "baseline"] and as_owner["refused_actions"] == {}
    as_auditor = api_for(auditor).get(proposed).json()
    assert as_auditor["available_actions"] == []
    assert "Auditors" in as_auditor["refused_actions"]["edit"]
    ready = api_for(owner).get(f"/api/v1/improvements/{scene['ready'].number}/").json()
    assert ready["available_actions"] == ["edit", "start"]
    # A4: without an accepted baseline the start is refused with the reason, as the service refuses it.
    unaccepted = api_for(owner).get(f"/api/v1/improvements/{scene['approved'].number}/").json()
    assert "baseline" in unaccepted["available_actions"] and "start" not in unaccepted["available_actions"]
    assert "accept the baseline" in unaccepted["refused_actions"]["start"]
    as_manager = api_for(manager).get(f"/api/v1/improvements/{scene['ready'].number}/").json()
    assert as_manager["available_actions"] == [] and "owner" in as_manager["refused_actions"]["start"]


def test_the_owner_of_an_improvement_does_not_decide_on_it(
    api_for, scene, csi_owner, owner, communicated_plan
):
    """A CSI owner who owns a multi-process improvement carries it out; another CSI owner decides."""
    mine = services.propose_improvement(
        actor=owner,
        title="Shared runbooks",
        description="One runbook format.",
        processes=[communicated_plan.process, ProcessFactory(name="Problem management")],
        scope=Improvement.Scope.PROCESSES,
        owner=csi_owner,
    )
    services.save_project(
        actor=csi_owner,
        name="Runbooks",
        manager=csi_owner,
        starts_on=TODAY(),
        ends_on=TODAY(),
        improvements=[mine],
    )
    before = _state()
    refused = api_for(csi_owner).post(f"/api/v1/improvements/{mine.number}/approve/")
    assert refused.status_code == 403 and "another CSI owner" in refused.json()["detail"]
    assert _state() == before
