"""Who may do what on Act's pages, per role: the CSI owner named in the
principle in force, the owner of the improvement's process, another process
owner, a manager, an auditor and staff (who read the communicated plan of the
process). Every page and every action; a refused action changes nothing."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from improvements import permissions, services
from improvements.models import BaselineValue, Improvement, Project, ProjectMilestone, ResultValue
from reviews.models import Finding

from .test_views_improvements import approve_with_baseline, implemented_with_result

pytestmark = pytest.mark.django_db
Status = Improvement.Status
ROLES = ["csi_owner", "owner", "other_owner", "manager", "auditor", "staff"]


def _from(statuses, default):
    return {role: statuses.get(role, default) for role in ROLES}


# page -> the HTTP status each role gets.
EXPECTED = {
    "register": _from({}, 200),
    "detail": _from({}, 200),
    "detail_company_wide": _from({"staff": 404}, 200),
    "create": _from({"auditor": 403}, 200),
    "edit": _from({"csi_owner": 200, "owner": 200}, 403),
    "approve": _from({"csi_owner": 302}, 403),
    "reject": _from({"csi_owner": 302}, 403),
    "baseline": _from({"owner": 200}, 403),
    "start": _from({"owner": 302}, 403),
    "nonconformity": _from({"owner": 200}, 403),
    "implemented": _from({"owner": 302}, 403),
    "result": _from({"owner": 200}, 403),
    "evaluate": _from({"csi_owner": 302}, 403),
    "close": _from({"csi_owner": 302}, 403),
    "promote": _from({"csi_owner": 302, "owner": 302}, 403),
    "projects": _from({}, 200),
    "project": _from({"staff": 404}, 200),
    "project_create": _from({"csi_owner": 200, "manager": 200}, 403),
    "project_edit": _from({"csi_owner": 200, "manager": 200, "other_owner": 200, "staff": 404}, 403),
    "project_approve": _from({"manager": 302, "staff": 404}, 403),
    "project_milestone": _from({"csi_owner": 302, "manager": 302, "other_owner": 302, "staff": 404}, 403),
    "export_csv": _from({}, 200),
    "export_xlsx": _from({}, 200),
    "principle": _from({"staff": 200}, 302),
}


@pytest.fixture
def scenario(reviewed_findings, csi_owner, owner, other_owner, staff, kpi):
    """Improvements of the owner's process in each state an action needs, a
    company-wide one carried by a project managed by the other owner, and the
    review's observation."""
    proposed = reviewed_findings[Finding.Grade.MINOR].improvement
    to_reject = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    process = proposed.processes.get()

    def suggestion(title):
        return services.propose_improvement(actor=staff, title=title, description="x", processes=[process])

    approved = suggestion("Approved")
    services.approve_improvement(improvement=approved, actor=csi_owner)
    ready = approve_with_baseline(suggestion("Ready to start"), csi_owner, owner, kpi)
    in_implementation = approve_with_baseline(
        reviewed_findings[Finding.Grade.MAJOR].improvement, csi_owner, owner, kpi, values=()
    )
    services.start_implementation(improvement=in_implementation, actor=owner)
    implemented = Improvement.objects.get(pk=in_implementation.pk)
    services.record_nonconformity_handling(
        improvement=implemented, actor=owner, root_cause="Cause.", corrective_action="Action."
    )
    to_evaluate = implemented_with_result(suggestion("To evaluate"), csi_owner, owner, kpi, values=())
    evaluated = implemented_with_result(suggestion("Evaluated"), csi_owner, owner, kpi, values=())
    services.check_effectiveness(improvement=evaluated, actor=csi_owner, effective=True, evidence="Fine.")
    company = services.propose_improvement(
        actor=owner, title="Company", description="x", scope=Improvement.Scope.COMPANY, owner=owner
    )
    project = services.save_project(
        actor=csi_owner,
        name="Project",
        manager=other_owner,
        starts_on="2026-01-01",
        ends_on="2026-12-31",
        improvements=[company],
    )
    return {
        "proposed": proposed,
        "to_reject": to_reject,
        "approved": approved,
        "ready": ready,
        "in_implementation": in_implementation,
        "to_evaluate": to_evaluate,
        "evaluated": evaluated,
        "company": company,
        "project": project,
        "observation": reviewed_findings[Finding.Grade.OBSERVATION],
    }


def _requests(s):
    """page -> (method, URL, data, what must not change when refused)."""

    def at(name, improvement, *args):
        return reverse(f"improvements:{name}", args=[improvement.number, *args])

    def state(improvement):
        return lambda: Improvement.objects.get(pk=improvement.pk).status

    project = s["project"]
    return {
        "register": ("get", reverse("improvements:register"), None, None),
        "detail": ("get", at("detail", s["proposed"]), None, None),
        "detail_company_wide": ("get", at("detail", s["company"]), None, None),
        "create": ("get", reverse("improvements:create"), None, None),
        "edit": ("get", at("edit", s["proposed"]), None, None),
        "approve": ("post", at("transition", s["proposed"], "approve"), {}, state(s["proposed"])),
        "reject": (
            "post",
            at("transition", s["to_reject"], "reject"),
            {"reason": "No."},
            state(s["to_reject"]),
        ),
        "baseline": ("get", at("baseline", s["approved"]), None, None),
        "start": ("post", at("transition", s["ready"], "start"), {}, state(s["ready"])),
        "nonconformity": ("get", at("nonconformity", s["in_implementation"]), None, None),
        "implemented": (
            "post",
            at("transition", s["in_implementation"], "implemented"),
            {},
            state(s["in_implementation"]),
        ),
        "result": ("get", at("result", s["to_evaluate"]), None, None),
        "evaluate": (
            "post",
            at("evaluate", s["to_evaluate"]),
            {"effective": "yes", "evidence": "Clean."},
            state(s["to_evaluate"]),
        ),
        "close": ("post", at("transition", s["evaluated"], "close"), {}, state(s["evaluated"])),
        "promote": (
            "post",
            reverse("improvements:promote", args=[s["observation"].pk]),
            {},
            lambda: Improvement.objects.filter(finding=s["observation"]).count(),
        ),
        "projects": ("get", reverse("improvements:projects"), None, None),
        "project": ("get", project.get_absolute_url(), None, None),
        "project_create": ("get", reverse("improvements:project_create"), None, None),
        "project_edit": ("get", reverse("improvements:project_edit", args=[project.pk]), None, None),
        "project_approve": (
            "post",
            reverse("improvements:project_approve", args=[project.pk]),
            {},
            lambda: Project.objects.get(pk=project.pk).status,
        ),
        "project_milestone": (
            "post",
            reverse("improvements:project_milestone", args=[project.pk]),
            {"title": "Kick-off", "due_on": "2026-02-01"},
            lambda: ProjectMilestone.objects.count(),
        ),
        "export_csv": ("get", reverse("improvements:export_csv"), None, None),
        "export_xlsx": ("get", reverse("improvements:export_xlsx"), None, None),
        "principle": ("get", reverse("improvements:principle"), None, None),
    }


@pytest.mark.parametrize("role", ROLES)
def test_the_permission_matrix_of_every_page_per_role(request, role, scenario, client_for):
    """Each role gets its expected answer on every page and action; a refused
    action changes nothing and says why."""
    client = client_for(request.getfixturevalue(role))
    wrong = []
    for page, (method, url, data, watched) in _requests(scenario).items():
        before = watched() if watched else None
        response = getattr(client, method)(url, data or {})
        expected = EXPECTED[page][role]
        if response.status_code != expected:
            wrong.append(f"{page}: {response.status_code}, expected {expected}")
            continue
        if watched and expected >= 400:
            if watched() != before:
                wrong.append(f"{page}: refused, yet it changed")
            if expected == 403 and 'role="alert"' not in response.content.decode():
                wrong.append(f"{page}: refused without saying why")
        if watched and expected == 302 and watched() == before:
            wrong.append(f"{page}: allowed, yet nothing changed")
    assert not wrong, f"{role}: " + "; ".join(wrong)


# The pages whose form is refused to whom the matrix refuses it, and why.
FORM_PAGES = {
    "edit": lambda user, s: permissions.edit_refusal(user, s["proposed"]),
    "baseline": lambda user, s: permissions.act_refusal(user, s["approved"]),
    "nonconformity": lambda user, s: permissions.act_refusal(user, s["in_implementation"]),
    "result": lambda user, s: permissions.act_refusal(user, s["to_evaluate"]),
    "project_create": lambda user, s: permissions.project_refusal(user),
    "project_edit": lambda user, s: permissions.project_refusal(user, s["project"]),
    "project_milestone": lambda user, s: permissions.project_refusal(user, s["project"]),
}
# Whatever a refused form holds: nothing, or nonsense.
ANY_FORM = [{}, {"revision": "latest", "title": "", "value": "ninety", "due_on": "soon", "step": "manual"}]


def _act_state():
    return (
        list(Improvement.objects.order_by("pk").values_list("status", "revision", "title", "root_cause")),
        BaselineValue.objects.count(),
        ResultValue.objects.count(),
        list(Project.objects.order_by("pk").values_list("name", "ends_on")),
        ProjectMilestone.objects.count(),
    )


@pytest.mark.parametrize("role", ROLES)
def test_a_refused_form_says_why_whatever_it_holds(request, role, scenario, client_for):
    """Whom the matrix refuses a form is refused its POST too, with the reason (403),
    whatever the form holds: never which field is missing. Staff, who may not read
    the project, get a 404."""
    user = request.getfixturevalue(role)
    client = client_for(user)
    requests = _requests(scenario)
    before = _act_state()
    wrong = []
    for page, reason in FORM_PAGES.items():
        expected = EXPECTED[page][role]
        if expected not in (403, 404):
            continue
        url = requests[page][1]
        why = escape(reason(user, scenario)) if expected == 403 else ""
        for data in ANY_FORM:
            response = client.post(url, data)
            html = response.content.decode()
            if response.status_code != expected:
                wrong.append(f"{page} {data}: {response.status_code}, expected {expected}")
            elif expected == 403 and not (why and why in html):
                wrong.append(f"{page} {data}: refused without saying why")
            elif "This field is required" in html:
                wrong.append(f"{page} {data}: told which field is missing")
    assert not wrong, f"{role}: " + "; ".join(wrong)
    assert _act_state() == before
