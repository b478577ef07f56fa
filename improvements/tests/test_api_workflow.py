"""The rules of Act through the API: the same services, so the same answers
as the pages. Findings feed the service improvement plan (A2), scope decides
ownership and projects (A3), a baseline before implementation and results
after (A4), nonconformities eliminated (A5), and the CSI owners' rights
follow the CSI principle in force (A1)."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from accounts import roles
from accounts.tests.factories import UserFactory
from improvements import services
from improvements.models import EffectivenessCheck, Improvement, Project
from pdca.models import Decision, Notification
from plans import services as plan_services
from plans.tests import factories as plan_factories
from plans.tests.factories import ProcessFactory
from reviews import services as review_services
from reviews.models import Finding, Review
from reviews.signals import review_approved
from reviews.tests import factories as review_factories

pytestmark = pytest.mark.django_db
Status = Improvement.Status
User = get_user_model()
TODAY = timezone.localdate


# -- builders shared by the API tests of Act -----------------------------------------------------------

STEPS = (
    "approved",
    "baseline",
    "accepted",
    "in_implementation",
    "implemented",
    "result",
    "evaluated",
    "closed",
)


def advance(improvement, until, *, csi_owner, owner):
    """`improvement` moved through the services up to step `until` of STEPS:
    approved by `csi_owner`, a baseline value entered by hand and accepted,
    carried out by `owner` (a nonconformity with its root cause and
    corrective action), a result recorded, found effective and closed."""
    for step in STEPS:
        improvement = Improvement.objects.get(pk=improvement.pk)
        if step == "approved":
            services.approve_improvement(improvement=improvement, actor=csi_owner)
        elif step == "baseline":
            services.add_baseline_value(
                improvement=improvement,
                actor=owner,
                label="Incidents resolved in time",
                value=Decimal("91"),
                unit="%",
                evidence="Ticket report of the last quarter.",
            )
        elif step == "accepted":
            services.accept_baseline(improvement=improvement, actor=owner)
        elif step == "in_implementation":
            services.start_implementation(improvement=improvement, actor=owner)
            if improvement.is_nonconformity:
                services.record_nonconformity_handling(
                    improvement=improvement,
                    actor=owner,
                    correction="Escalated the open tickets.",
                    root_cause="The escalation timer was not configured for priority 2.",
                    root_cause_method="5 whys",
                    corrective_action="Timers configured for every priority.",
                )
        elif step == "implemented":
            services.mark_implemented(improvement=improvement, actor=owner)
        elif step == "result":
            services.record_result(
                improvement=improvement,
                actor=owner,
                label="Incidents resolved in time",
                value=Decimal("97"),
                unit="%",
                period_start=TODAY() - datetime.timedelta(days=30),
                period_end=TODAY(),
            )
        elif step == "evaluated":
            services.check_effectiveness(
                improvement=improvement,
                actor=csi_owner,
                effective=True,
                evidence="No late ticket in 30 days.",
            )
        elif step == "closed":
            services.close_improvement(improvement=improvement, actor=csi_owner)
        if step == until:
            break
    return Improvement.objects.get(pk=improvement.pk)


def propose(actor, process, **kwargs):
    return services.propose_improvement(
        actor=actor,
        title=kwargs.pop("title", "Faster triage"),
        description=kwargs.pop("description", "Triage rules for the service desk."),
        processes=[process] if process else [],
        **kwargs,
    )


def fresh(user):
    """The user as the next request reads him or her (the CSI owner flag is cached per instance)."""
    return User.objects.get(pk=user.pk)


def url(improvement, action=""):
    return f"/api/v1/improvements/{improvement.number}/" + (f"{action}/" if action else "")


# -- A2: findings feed the service improvement plan ---------------------------------------------------------


def test_a_nonconformity_finding_creates_exactly_one_improvement_in_the_api_also_when_retried(
    api_for, reviewed_findings, manager, csi_owner
):
    minor = reviewed_findings[Finding.Grade.MINOR]
    api = api_for(csi_owner)
    listed = api.get("/api/v1/improvements/", {"finding": minor.pk}).json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert row["finding"] == {"id": minor.pk, "code": minor.code, "review": minor.review_id, "grade": "minor"}
    assert (row["status"], row["source"], row["scope"]) == ("proposed", "finding", "process")

    # The approval's work done again (the signal re-sent, the receiver called again): nothing more.
    review = Review.objects.get(pk=minor.review_id)
    review_approved.send(sender=Review, review=review, actor=manager)
    services.raise_from_approved_review(review=review, actor=manager)
    assert api.get("/api/v1/improvements/", {"finding": minor.pk}).json()["count"] == 1
    everything = api.get("/api/v1/improvements/").json()
    assert everything["count"] == 3  # major, minor, opportunity; the observation waits to be promoted
    assert {r["finding"]["grade"] for r in everything["results"]} == {"major", "minor", "opportunity"}

    detail = api.get(f"/api/v1/improvements/{row['number']}/").json()
    assert detail["is_nonconformity"] is True and detail["code"] == f"I-{row['number']}"
    assert detail["owner"]["id"] == minor.process.owner_id  # A3: one process, its owner
    assert detail["processes"] == [{"id": minor.process_id, "name": minor.process.name}]


def test_an_observation_is_promoted_once_by_a_csi_owner(api_for, reviewed_findings, csi_owner, staff):
    observation = reviewed_findings[Finding.Grade.OBSERVATION]
    body = {"finding": observation.pk}
    assert api_for(staff).post("/api/v1/improvements/promote/", body, format="json").status_code == 403
    promoted = api_for(csi_owner).post("/api/v1/improvements/promote/", body, format="json")
    assert promoted.status_code == 201, promoted.json()
    assert promoted.json()["finding"]["id"] == observation.pk and promoted.json()["status"] == "proposed"
    again = api_for(csi_owner).post("/api/v1/improvements/promote/", body, format="json")
    assert again.status_code == 409 and "already" in again.json()["detail"]
    major = reviewed_findings[Finding.Grade.MAJOR]
    refused = api_for(csi_owner).post("/api/v1/improvements/promote/", {"finding": major.pk}, format="json")
    assert refused.status_code == 400 and refused.json()["detail"]
    assert Improvement.objects.count() == 4


def test_anyone_but_an_auditor_proposes_and_it_starts_as_proposed(
    api_for, csi_principle, communicated_plan, owner, other_owner, staff, auditor
):
    body = {
        "title": "Self-service password reset",
        "description": "Fewer calls to the desk.",
        "processes": [communicated_plan.process_id],
        "priority": "high",
        "required_by": str(TODAY() + datetime.timedelta(days=60)),
        "expected_benefit": "20 % fewer calls.",
        "owner": other_owner.pk,
    }
    created = api_for(staff).post("/api/v1/improvements/", body, format="json")
    assert created.status_code == 201, created.json()
    improvement = created.json()
    assert (improvement["status"], improvement["scope"], improvement["source"]) == (
        "proposed",
        "process",
        "suggestion",
    )
    assert improvement["raised_by"]["id"] == staff.pk
    assert improvement["owner"]["id"] == owner.pk  # A3: the process owner, whoever was named
    # Staff read the improvements of the processes whose plans they read, and what they
    # proposed themselves (a company-wide one too); not another person's company-wide one.
    wide = api_for(staff).post(
        "/api/v1/improvements/",
        {"title": "Badges", "description": "Name badges.", "scope": "company", "owner": other_owner.pk},
        format="json",
    )
    assert wide.status_code == 201 and wide.json()["owner"]["id"] == other_owner.pk, wide.json()
    assert api_for(staff).get(f"/api/v1/improvements/{wide.json()['number']}/").status_code == 200
    colleague = UserFactory(username="colleague", roles=[roles.STAFF])
    assert api_for(colleague).get(f"/api/v1/improvements/{wide.json()['number']}/").status_code == 404
    assert api_for(auditor).post("/api/v1/improvements/", body, format="json").status_code == 403
    nameless = api_for(owner).post("/api/v1/improvements/", {"processes": body["processes"]}, format="json")
    assert nameless.status_code == 400 and {"title", "description"} <= set(nameless.json()["errors"])
    assert Improvement.objects.count() == 2


def test_a_stale_edit_is_refused_with_409_and_changes_nothing(api_for, reviewed_findings, owner, csi_owner):
    improvement = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    revision = improvement.revision
    first = api_for(owner).patch(
        url(improvement), {"revision": revision, "required_by": "2031-01-31"}, format="json"
    )
    assert first.status_code == 200, first.json()
    assert (first.json()["required_by"], first.json()["revision"]) == ("2031-01-31", revision + 1)
    stale = api_for(csi_owner).patch(
        url(improvement), {"revision": revision, "title": "Somebody else's title"}, format="json"
    )
    assert stale.status_code == 409 and "revision" in stale.json()["errors"]
    assert Improvement.objects.get(pk=improvement.pk).title == improvement.title


# -- A3: scope decides ownership ---------------------------------------------------------------------------------


def test_approval_is_refused_without_a_project_for_a_multi_process_or_company_wide_item(
    api_for, reviewed_findings, communicated_plan, owner, other_owner, csi_owner, manager
):
    change = ProcessFactory(name="Change management", owner=other_owner)
    proposed = (
        api_for(owner)
        .post(
            "/api/v1/improvements/",
            {
                "title": "One toolchain",
                "description": "Incidents and changes in one tool.",
                "scope": "processes",
                "processes": [communicated_plan.process_id, change.pk],
                "owner": other_owner.pk,
            },
            format="json",
        )
        .json()
    )
    # A company-wide nonconformity: the minor finding's improvement, widened while proposed.
    minor = reviewed_findings[Finding.Grade.MINOR].improvement
    widened = api_for(csi_owner).patch(
        url(minor), {"revision": minor.revision, "scope": "company", "owner": other_owner.pk}, format="json"
    )
    assert widened.status_code == 200, widened.json()
    assert widened.json()["needs_project"] is True and widened.json()["owner"]["id"] == other_owner.pk

    api = api_for(csi_owner)
    for number in (proposed["number"], minor.number):
        decisions = Decision.objects.count()
        refused = api.post(f"/api/v1/improvements/{number}/approve/", format="json")
        assert refused.status_code == 400, refused.json()
        assert "project" in refused.json()["errors"]["projects"][0]
        assert Improvement.objects.get(number=number).status == Status.PROPOSED
        assert Decision.objects.count() == decisions

    project = api.post(
        "/api/v1/improvement-projects/",
        {
            "name": "Toolchain 2027",
            "manager": other_owner.pk,
            "starts_on": str(TODAY()),
            "ends_on": str(TODAY() + datetime.timedelta(days=120)),
            "improvements": [proposed["number"], minor.number],
        },
        format="json",
    )
    assert project.status_code == 201, project.json()
    assert {i["number"] for i in project.json()["improvements"]} == {proposed["number"], minor.number}
    for number in (proposed["number"], minor.number):
        approved = api.post(f"/api/v1/improvements/{number}/approve/", format="json")
        assert approved.status_code == 200, approved.json()
        assert approved.json()["projects"][0]["name"] == "Toolchain 2027"
    started = api_for(manager).post(f"/api/v1/improvement-projects/{project.json()['id']}/approve/")
    assert started.status_code == 200 and started.json()["status"] == "running"
    milestone = api_for(other_owner).post(
        f"/api/v1/improvement-projects/{project.json()['id']}/milestones/",
        {"title": "Tool chosen", "due_on": str(TODAY() + datetime.timedelta(days=30))},
        format="json",
    )
    assert milestone.status_code == 201 and milestone.json()["milestones"][0]["title"] == "Tool chosen"
    assert Project.objects.get().approved_by == manager


# -- A4: a baseline before implementation ----------------------------------------------------------------------


def test_implementation_is_refused_without_an_accepted_baseline(api_for, reviewed_findings, owner, csi_owner):
    improvement = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    assert api_for(csi_owner).post(url(improvement, "approve")).status_code == 200
    api = api_for(owner)
    refused = api.post(url(improvement, "start"))
    assert refused.status_code == 400 and "baseline" in refused.json()["errors"]
    assert Improvement.objects.get(pk=improvement.pk).status == Status.APPROVED

    entered = api.post(
        url(improvement, "baseline"),
        {"label": "First-call resolution", "value": "61.5", "unit": "%", "evidence": "Desk report, May."},
        format="json",
    )
    assert entered.status_code == 200, entered.json()
    assert entered.json()["baseline"][0]["value"] == "61.5000"
    assert api.post(url(improvement, "start")).status_code == 400  # recorded, not yet accepted
    accepted = api.post(url(improvement, "baseline/accept"))
    assert accepted.status_code == 200 and accepted.json()["baseline_accepted_by"]["id"] == owner.pk
    late = api.post(url(improvement, "baseline"), {"baseline_on": str(TODAY())}, format="json")
    assert late.status_code == 409
    started = api.post(url(improvement, "start"))
    assert started.status_code == 200 and started.json()["status"] == "in_implementation"


def test_the_baseline_is_taken_from_the_last_measurements_before_its_date(
    api_for, reviewed_findings, owner, csi_owner, kpi
):
    improvement = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    review_factories.record_monthly(kpi, owner, [91, 92, 93])
    taken = api_for(owner).post(
        url(improvement, "baseline"), {"baseline_on": str(TODAY()), "kpis": [kpi.pk]}, format="json"
    )
    assert taken.status_code == 200, taken.json()
    (value,) = taken.json()["baseline"]
    assert (value["value"], value["from_measurements"], value["label"]) == ("93.0000", True, kpi.metric)
    listed = api_for(owner).get("/api/v1/baselines/", {"improvement": improvement.number}).json()
    assert [row["id"] for row in listed["results"]] == [value["id"]]


# -- A5: nonconformities eliminated --------------------------------------------------------------------------------


def test_closing_a_nonconformity_needs_root_cause_corrective_action_and_a_positive_check(
    api_for, reviewed_findings, owner, csi_owner
):
    minor = reviewed_findings[Finding.Grade.MINOR]
    improvement = advance(minor.improvement, "accepted", csi_owner=csi_owner, owner=owner)
    api = api_for(owner)
    assert api.post(url(improvement, "start")).status_code == 200
    refused = api.post(url(improvement, "implemented"))
    assert refused.status_code == 400 and "root_cause" in refused.json()["errors"]

    handled = api.put(
        url(improvement, "nonconformity"),
        {
            "correction": "Escalated the open tickets.",
            "root_cause": "The escalation timer was not configured for priority 2.",
            "root_cause_method": "5 whys",
            "similar_elsewhere": "Service requests checked: not affected.",
        },
        format="json",
    )
    assert handled.status_code == 200, handled.json()
    assert handled.json()["nonconformity_problems"] == [
        "the corrective action",
        "a positive effectiveness check",
    ]
    assert api.post(url(improvement, "implemented")).status_code == 400  # no corrective action yet
    api.put(
        url(improvement, "nonconformity"), {"corrective_action": "Timers for every priority."}, format="json"
    )
    assert api.post(url(improvement, "implemented")).status_code == 200
    recorded = api.post(
        url(improvement, "results"),
        {
            "label": "Incidents resolved in time",
            "value": "97",
            "unit": "%",
            "period_start": str(TODAY() - datetime.timedelta(days=30)),
            "period_end": str(TODAY()),
        },
        format="json",
    )
    assert recorded.status_code == 200, recorded.json()

    checker = api_for(csi_owner)
    assert checker.post(url(improvement, "close")).status_code == 409  # not evaluated yet
    evaluated = checker.post(
        url(improvement, "evaluate"),
        {"effective": True, "evidence": "No late ticket in 30 days."},
        format="json",
    )
    assert evaluated.status_code == 200 and evaluated.json()["status"] == "evaluated"
    assert evaluated.json()["nonconformity_problems"] == []

    # Each part missing in turn: the closure is refused and says what is missing.
    for field, blank, missing in (
        ("root_cause", "", "the root cause"),
        ("corrective_action", "", "the corrective action"),
    ):
        kept = getattr(Improvement.objects.get(pk=improvement.pk), field)
        Improvement.objects.filter(pk=improvement.pk).update(**{field: blank})
        refused = checker.post(url(improvement, "close"))
        assert refused.status_code == 400 and missing in refused.json()["detail"], refused.json()
        Improvement.objects.filter(pk=improvement.pk).update(**{field: kept})
    EffectivenessCheck.objects.filter(improvement=improvement).update(effective=False)
    refused = checker.post(url(improvement, "close"))
    assert refused.status_code == 400 and "a positive effectiveness check" in refused.json()["detail"]
    assert Improvement.objects.get(pk=improvement.pk).status == Status.EVALUATED
    EffectivenessCheck.objects.filter(improvement=improvement).update(effective=True)

    closed = checker.post(url(improvement, "close"), {"comment": "Eliminated."}, format="json")
    assert closed.status_code == 200 and closed.json()["closed_by"]["id"] == csi_owner.pk
    finding = Finding.objects.get(pk=minor.pk)
    assert finding.status == Finding.Status.CLOSED and finding.closed_by == csi_owner


def test_a_failed_effectiveness_check_reopens_it_and_tells_its_owner(
    api_for, reviewed_findings, owner, csi_owner
):
    improvement = advance(
        reviewed_findings[Finding.Grade.MAJOR].improvement, "result", csi_owner=csi_owner, owner=owner
    )
    failed = api_for(csi_owner).post(
        url(improvement, "evaluate"),
        {"effective": False, "evidence": "Still 3 late escalations."},
        format="json",
    )
    assert failed.status_code == 200, failed.json()
    body = failed.json()
    assert (body["status"], body["effective"]) == ("in_implementation", False)
    assert [(c["effective"], c["checked_by"]["id"]) for c in body["effectiveness_checks"]] == [
        (False, csi_owner.pk)
    ]
    assert "implemented" in api_for(owner).get(url(improvement)).json()["available_actions"]
    assert Notification.objects.filter(recipient=owner, subject__startswith="Not effective").exists()
    checks = api_for(owner).get("/api/v1/effectiveness-checks/", {"improvement": improvement.number}).json()
    assert [c["effective"] for c in checks["results"]] == [False]
    # Implemented again, found effective: it can close.
    assert api_for(owner).post(url(improvement, "implemented")).status_code == 200
    again = api_for(csi_owner).post(
        url(improvement, "evaluate"), {"effective": True, "evidence": "Fixed timers hold."}, format="json"
    )
    assert again.json()["status"] == "evaluated"
    assert api_for(csi_owner).post(url(improvement, "close")).status_code == 200


def test_a_nonconformity_is_never_rejected(api_for, reviewed_findings, csi_owner):
    major = reviewed_findings[Finding.Grade.MAJOR].improvement
    refused = api_for(csi_owner).post(url(major, "reject"), {"reason": "Not worth it."}, format="json")
    assert refused.status_code == 400 and "eliminated" in refused.json()["detail"]
    opportunity = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    nameless = api_for(csi_owner).post(url(opportunity, "reject"), format="json")
    assert nameless.status_code == 400 and "reason" in nameless.json()["errors"]
    rejected = api_for(csi_owner).post(
        url(opportunity, "reject"), {"reason": "Covered by I-1."}, format="json"
    )
    assert (
        rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == "Covered by I-1."
    )


# -- A1: the CSI owners' rights follow the principle in force --------------------------------------------------------


def test_removing_a_csi_owner_from_the_principle_removes_the_api_rights(
    api_for, reviewed_findings, csi_principle, csi_owner, other_owner, manager, manager2
):
    improvement = reviewed_findings[Finding.Grade.OPPORTUNITY].improvement
    as_csi_owner = api_for(fresh(csi_owner)).get(url(improvement)).json()
    assert {"approve", "reject"} <= set(as_csi_owner["available_actions"])

    draft = plan_services.revise_plan(plan=csi_principle, actor=manager2)
    plan_services.set_responsibilities(
        version=draft,
        actor=manager2,
        assignments={kind: [manager2] for kind in ("review", "communication", "implementation", "updating")}
        | {"approval": [manager], "csi_owner": [other_owner]},
    )
    plan_factories.submit_and_review(draft, manager2)
    plan_services.approve_plan(version=draft, actor=manager)

    api = api_for(fresh(csi_owner))
    detail = api.get(url(improvement)).json()
    assert "approve" not in detail["available_actions"]
    for name in ("approve", "reject"):
        refused = api.post(url(improvement, name), {"reason": "x"}, format="json")
        assert refused.status_code == 403 and "CSI principle in force" in refused.json()["detail"], name
    assert Improvement.objects.get(pk=improvement.pk).status == Status.PROPOSED
    approved = api_for(fresh(other_owner)).post(url(improvement, "approve"))
    assert approved.status_code == 200, approved.json()


# -- the whole way through, as in the demo ----------------------------------------------------------------------------


def test_a_minor_nonconformity_is_eliminated_end_to_end_through_the_api(
    api_for, communicated_plan, measured_kpi, csi_principle, owner, manager, csi_owner
):
    review = review_factories.held(review_factories.process_review(communicated_plan, owner), owner)
    finding = review_services.save_finding(
        review=review,
        actor=owner,
        grade="minor",
        clause="8.6.1",
        description="Priority 2 incidents escalated late.",
        evidence="4 of 25 sampled.",
    )
    review_services.submit_review(review=review, actor=owner)
    review_services.approve_review(review=review, actor=manager)

    register = api_for(csi_owner).get("/api/v1/improvements/", {"status": "proposed", "source": "finding"})
    (row,) = register.json()["results"]
    improvement = Improvement.objects.get(number=row["number"])
    assert api_for(csi_owner).post(url(improvement, "approve")).status_code == 200
    api = api_for(owner)
    steps = [
        ("post", "baseline", {"baseline_on": str(TODAY()), "kpis": [measured_kpi.pk]}),
        ("post", "baseline/accept", None),
        ("post", "start", None),
        (
            "put",
            "nonconformity",
            {
                "correction": "Escalated the open tickets.",
                "root_cause": "No timer for priority 2.",
                "root_cause_method": "5 whys",
                "similar_elsewhere": "None found.",
                "corrective_action": "Timers for every priority.",
            },
        ),
        ("post", "implemented", None),
        (
            "post",
            "results",
            {
                "kpi": measured_kpi.pk,
                "label": measured_kpi.metric,
                "value": "99",
                "period_start": str(TODAY() - datetime.timedelta(days=30)),
                "period_end": str(TODAY()),
            },
        ),
    ]
    for method, action, body in steps:
        response = getattr(api, method)(url(improvement, action), body, format="json")
        assert response.status_code == 200, (action, response.json())
    detail = api_for(csi_owner).get(url(improvement)).json()
    assert [v["value"] for v in detail["baseline"]] == ["98.0000"]  # the last month measured
    assert [v["value"] for v in detail["results"]] == ["99.0000"]
    assert detail["kpi"] is None and detail["available_actions"] == ["edit", "evaluate"]
    assert api.get(url(improvement)).json()["available_actions"] == ["edit", "result"]
    checker = api_for(csi_owner)
    checker.post(url(improvement, "evaluate"), {"effective": True, "evidence": "No late P2."}, format="json")
    closed = checker.post(url(improvement, "close")).json()
    assert closed["status"] == "closed" and closed["nonconformity_problems"] == []
    assert Finding.objects.get(pk=finding.pk).status == Finding.Status.CLOSED
    decisions = Decision.objects.filter(
        content_type=ContentType.objects.get_for_model(Improvement), object_id=improvement.pk
    )
    assert list(decisions.order_by("pk").values_list("action", "actor")) == [
        ("raise_improvement", manager.pk),
        ("approve_improvement", csi_owner.pk),
        ("accept_baseline", owner.pk),
        ("start_improvement", owner.pk),
        ("improvement_implemented", owner.pk),
        ("effective", csi_owner.pk),
        ("close_improvement", csi_owner.pk),
    ]
