"""One improvement in the browser (A2-A5): proposing and editing it, promoting
an observation, and the improvement page with its timeline, the baseline /
target / achieved comparison and its chart, the root cause of a
nonconformity and the actions, each a form that calls one service. Every
refusal shows its message with what the user typed and changes nothing."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from improvements import services
from improvements.models import EffectivenessCheck, Improvement, ResultValue
from reviews.models import Finding
from reviews.tests import factories as review_factories

pytestmark = pytest.mark.django_db
Status = Improvement.Status


# -- builders (also used by the other page tests) ------------------------------------------------------


def approve_with_baseline(improvement, csi_owner, owner, kpi, values=(91, 92, 93)):
    """Approved, with a baseline from the KPI's measurements, accepted by its owner."""
    services.approve_improvement(improvement=improvement, actor=csi_owner)
    if values:
        review_factories.record_monthly(kpi, owner, list(values))
    services.take_baseline(improvement=improvement, actor=owner, baseline_on=timezone.localdate(), kpis=[kpi])
    services.accept_baseline(improvement=improvement, actor=owner)
    return Improvement.objects.get(pk=improvement.pk)


def handle_nonconformity(improvement, owner):
    return services.record_nonconformity_handling(
        improvement=improvement,
        actor=owner,
        correction="Escalated the open tickets.",
        root_cause="The escalation timer was not configured for priority 2.",
        root_cause_method="5 whys",
        similar_elsewhere="Service requests checked: not affected.",
        corrective_action="Timers configured for every priority.",
    )


def implemented_with_result(
    improvement, csi_owner, owner, kpi, *, achieved=Decimal("97"), values=(91, 92, 93)
):
    """In implementation, its root cause recorded if it is a nonconformity,
    implemented, and its achieved value over the last month recorded."""
    improvement = approve_with_baseline(improvement, csi_owner, owner, kpi, values)
    services.start_implementation(improvement=improvement, actor=owner)
    if improvement.is_nonconformity:
        handle_nonconformity(improvement, owner)
    services.mark_implemented(improvement=improvement, actor=owner)
    today = timezone.localdate()
    services.record_result(
        improvement=improvement,
        actor=owner,
        kpi=kpi,
        label=kpi.metric,
        value=achieved,
        period_start=today - datetime.timedelta(days=30),
        period_end=today,
    )
    return Improvement.objects.get(pk=improvement.pk)


def url(name, improvement, *args):
    return reverse(f"improvements:{name}", args=[improvement.number, *args])


def fresh(improvement):
    return Improvement.objects.get(pk=improvement.pk)


@pytest.fixture
def minor(reviewed_findings):
    """The improvement raised by the minor nonconformity of the owner's process (proposed)."""
    return reviewed_findings[Finding.Grade.MINOR].improvement


@pytest.fixture
def opportunity(reviewed_findings):
    return reviewed_findings[Finding.Grade.OPPORTUNITY].improvement


# -- the improvement page ---------------------------------------------------------------------------------


def test_the_page_shows_the_chain_from_finding_to_result_with_baseline_target_and_achieved(
    client_for, minor, csi_owner, owner, kpi
):
    """A4: baseline, target and achieved side by side with the difference, the
    KPI chart with the baseline and the result marked; the timeline from the
    finding to the effectiveness check; A5: the root-cause section."""
    services.update_improvement(
        improvement=minor, actor=owner, expected_revision=minor.revision, kpi=kpi, target=Decimal("96")
    )
    improvement = implemented_with_result(fresh(minor), csi_owner, owner, kpi, achieved=Decimal("97.5"))
    services.check_effectiveness(
        improvement=improvement, actor=csi_owner, effective=True, evidence="No late escalation."
    )
    page = client_for(csi_owner).get(url("detail", improvement))
    assert page.status_code == 200
    html = page.content.decode()
    line = page.context["lines"][0]
    assert (line.baseline.value, line.target, line.achieved.value) == (
        Decimal("93"),
        Decimal("96"),
        Decimal("97.5"),
    )
    assert line.difference == Decimal("4.5") and line.improved and line.target_met
    assert "+4.5 %" in html
    # The chart marks the baseline and the achieved values.
    assert 'class="kpi-chart"' in html and ">Baseline</text>" in html and ">Achieved</text>" in html
    stages = {stage.key: stage for stage in page.context["stages"]}
    assert stages["finding"].state == "done" and minor.finding.code in stages["finding"].entries[0].text
    assert [stages[key].state for key in ("improvement", "baseline", "implementation", "result")] == [
        "done"
    ] * 4
    assert stages["project"].state == "skipped"  # one process: no project needed
    assert stages["effectiveness"].state == "done" and stages["closure"].state == "current"
    assert "The escalation timer was not configured for priority 2." in html  # the root cause
    assert "No late escalation." in html  # the effectiveness check's evidence
    assert page.context["actions"].close  # a CSI owner closes it now


def test_the_page_runs_a_constant_number_of_queries(client_for, minor, csi_owner, owner, kpi):
    """The improvement page, with its baseline, results, checks and timeline,
    runs as many queries with one value of each as with many."""
    services.update_improvement(improvement=minor, actor=owner, expected_revision=minor.revision, kpi=kpi)
    improvement = implemented_with_result(fresh(minor), csi_owner, owner, kpi)
    client = client_for(csi_owner)
    client.get(url("detail", improvement))  # warm the content-type cache

    def count():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url("detail", improvement))
        assert response.status_code == 200
        return len(captured), response

    few, response = count()
    assert len(response.context["results"]) == 1
    today = timezone.localdate()
    for n in range(4):
        services.record_result(
            improvement=improvement,
            actor=owner,
            label=f"Other value {n}",
            value=n,
            period_start=today - datetime.timedelta(days=10),
            period_end=today,
        )
    services.check_effectiveness(
        improvement=improvement, actor=csi_owner, effective=False, evidence="Not yet."
    )
    services.mark_implemented(improvement=improvement, actor=owner)
    review_factories.record_monthly(
        kpi, owner, [94, 95, 96, 97, 98], last_month_end=today - datetime.timedelta(days=130)
    )
    many, response = count()
    assert len(response.context["results"]) == 5 and len(response.context["checks"]) == 1
    assert many == few


def test_another_persons_improvement_page_offers_no_action_but_says_who_carries_it_out(
    client_for, minor, other_owner
):
    page = client_for(other_owner).get(url("detail", minor))
    assert page.status_code == 200
    assert not page.context["actions"]
    assert 'action="/improvements/' not in page.content.decode()


# -- deciding (A2, A3) ---------------------------------------------------------------------------------


def test_a_csi_owner_approves_an_improvement_from_its_page(client_for, minor, csi_owner):
    response = client_for(csi_owner).post(url("transition", minor, "approve"), {"comment": "Go ahead."})
    assert response.status_code == 302 and response["Location"] == minor.get_absolute_url()
    assert fresh(minor).status == Status.APPROVED and fresh(minor).approved_by == csi_owner


def test_a_company_wide_improvement_is_not_approved_without_a_project(
    client_for, reviewed_findings, csi_owner, owner, csi_principle
):
    """A3: the refusal is on the page, with the comment typed; nothing changes."""
    improvement = services.propose_improvement(
        actor=owner,
        title="One sign-on",
        description="For every tool.",
        scope=Improvement.Scope.COMPANY,
        owner=owner,
    )
    response = client_for(csi_owner).post(
        url("transition", improvement, "approve"), {"comment": "Yes please"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "carried out as a project: set up its project first" in html
    assert "Yes please" in html  # what the user typed is kept
    assert "Set up its project" in html
    assert fresh(improvement).status == Status.PROPOSED


def test_rejecting_needs_a_reason_and_a_nonconformity_is_never_rejected(
    client_for, opportunity, minor, csi_owner
):
    client = client_for(csi_owner)
    response = client.post(url("transition", opportunity, "reject"), {"reason": "  "})
    assert response.status_code == 400 and "Say why the improvement is rejected." in response.content.decode()
    assert fresh(opportunity).status == Status.PROPOSED
    response = client.post(url("transition", minor, "reject"), {"reason": "Not worth it."})
    assert response.status_code == 400
    assert "A nonconformity must be eliminated: it cannot be rejected." in response.content.decode()
    assert fresh(minor).status == Status.PROPOSED
    response = client.post(url("transition", opportunity, "reject"), {"reason": "Covered by I-1."})
    assert response.status_code == 302
    assert (
        fresh(opportunity).status == Status.REJECTED
        and fresh(opportunity).rejection_reason == "Covered by I-1."
    )


def test_an_unknown_transition_is_not_found(client_for, minor, csi_owner):
    assert client_for(csi_owner).post(url("transition", minor, "explode")).status_code == 404


def test_a_transition_is_a_post(client_for, minor, csi_owner):
    assert client_for(csi_owner).get(url("transition", minor, "approve")).status_code == 405


# -- the baseline (A4) -------------------------------------------------------------------------------------


def test_the_owner_takes_the_baseline_from_the_measurements_and_accepts_it(
    client_for, minor, csi_owner, owner, kpi
):
    services.approve_improvement(improvement=minor, actor=csi_owner)
    review_factories.record_monthly(kpi, owner, [90, 92, 94])
    client = client_for(owner)
    page = client.get(url("baseline", minor))
    assert page.status_code == 200
    response = client.post(
        url("baseline", minor),
        {
            "step": "measurements",
            "measured-baseline_on": timezone.localdate().isoformat(),
            "measured-kpis": [kpi.pk],
        },
    )
    assert response.status_code == 302
    value = fresh(minor).baseline.get()
    assert (value.value, value.from_measurements) == (Decimal("94"), True)
    response = client.post(url("baseline", minor), {"step": "accept"})
    assert response.status_code == 302 and fresh(minor).baseline_accepted_by == owner


def test_a_baseline_value_entered_by_hand_needs_its_evidence(client_for, minor, csi_owner, owner):
    services.approve_improvement(improvement=minor, actor=csi_owner)
    response = client_for(owner).post(
        url("baseline", minor),
        {"step": "manual", "manual-label": "Late escalations", "manual-value": "4", "manual-unit": "tickets"},
    )
    assert response.status_code == 400
    form = response.context["manual_form"]
    assert form.errors["evidence"] == ["A value entered by hand needs its evidence."]
    assert form["label"].value() == "Late escalations"  # nothing typed is lost
    assert not fresh(minor).baseline.exists()


def test_accepting_an_empty_baseline_is_refused(client_for, minor, csi_owner, owner):
    services.approve_improvement(improvement=minor, actor=csi_owner)
    response = client_for(owner).post(url("baseline", minor), {"step": "accept"})
    assert response.status_code == 400 and "Record the baseline values first." in response.content.decode()
    assert fresh(minor).baseline_accepted_at is None


def test_implementation_is_refused_without_a_baseline(client_for, minor, csi_owner, owner):
    """A4: the start is not offered before the baseline is accepted (the page asks
    for the baseline instead); a start posted anyway is refused with the reason
    and the improvement stays approved."""
    services.approve_improvement(improvement=minor, actor=csi_owner)
    page = client_for(owner).get(minor.get_absolute_url()).content.decode()
    assert "Start the implementation" not in page and "Record the baseline" in page
    response = client_for(owner).post(url("transition", minor, "start"), {"comment": "Starting now"})
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Document and accept the baseline of service quality and service level before implementing." in html
    )
    assert fresh(minor).status == Status.APPROVED


# -- the nonconformity (A5), the results and the effectiveness check ----------------------------------------


def test_the_root_cause_is_recorded_and_the_nonconformity_is_implemented(
    client_for, minor, csi_owner, owner, kpi
):
    improvement = approve_with_baseline(minor, csi_owner, owner, kpi)
    services.start_implementation(improvement=improvement, actor=owner)
    client = client_for(owner)
    response = client.post(url("transition", improvement, "implemented"))
    assert response.status_code == 400
    assert (
        "Record the root cause and the corrective action of the nonconformity first."
        in response.content.decode()
    )
    assert fresh(improvement).status == Status.IN_IMPLEMENTATION
    assert client.get(url("nonconformity", improvement)).status_code == 200
    response = client.post(
        url("nonconformity", improvement),
        {
            "correction": "Escalated at once.",
            "root_cause": "Timer missing.",
            "root_cause_method": "5 whys",
            "similar_elsewhere": "None.",
            "corrective_action": "Timers for every priority.",
        },
    )
    assert response.status_code == 302
    assert fresh(improvement).root_cause == "Timer missing."
    assert client.post(url("transition", improvement, "implemented")).status_code == 302
    assert fresh(improvement).status == Status.IMPLEMENTED


def test_the_achieved_values_are_recorded_over_a_period(client_for, opportunity, csi_owner, owner, kpi):
    improvement = approve_with_baseline(opportunity, csi_owner, owner, kpi)
    services.start_implementation(improvement=improvement, actor=owner)
    services.mark_implemented(improvement=improvement, actor=owner)
    client = client_for(owner)
    assert client.get(url("result", improvement)).status_code == 200
    response = client.post(
        url("result", improvement),
        {
            "label": "Resolved in time",
            "value": "97",
            "unit": "%",
            "period_start": "2026-02-01",
            "period_end": "2026-01-01",
        },
    )
    assert response.status_code == 400
    assert response.context["form"].errors["period_end"] == ["The period ends before it starts."]
    assert not ResultValue.objects.exists()
    response = client.post(
        url("result", improvement),
        {
            "label": "Resolved in time",
            "value": "97",
            "unit": "%",
            "period_start": "2026-01-01",
            "period_end": "2026-02-01",
        },
    )
    assert response.status_code == 302
    assert ResultValue.objects.get().value == Decimal("97")


def test_a_failed_effectiveness_check_reopens_the_improvement(client_for, minor, csi_owner, owner, kpi):
    improvement = implemented_with_result(minor, csi_owner, owner, kpi)
    client = client_for(csi_owner)
    response = client.post(url("evaluate", improvement), {"effective": "no", "evidence": ""})
    assert response.status_code == 400
    assert response.context["evaluation_form"].errors["evidence"] == [
        "An effectiveness check rests on evidence: record it."
    ]
    assert fresh(improvement).status == Status.IMPLEMENTED and not EffectivenessCheck.objects.exists()
    response = client.post(url("evaluate", improvement), {"effective": "no", "evidence": "Still 3 late."})
    assert response.status_code == 302
    improvement = fresh(improvement)
    assert improvement.status == Status.IN_IMPLEMENTATION and improvement.effective is False
    page = client_for(owner).get(url("detail", improvement))
    assert "found this improvement not effective" in page.content.decode()


def test_closing_the_nonconformity_closes_its_finding(client_for, minor, csi_owner, owner, kpi):
    improvement = implemented_with_result(minor, csi_owner, owner, kpi)
    client = client_for(csi_owner)
    assert (
        client.post(
            url("evaluate", improvement), {"effective": "yes", "evidence": "30 days clean."}
        ).status_code
        == 302
    )
    response = client.post(url("transition", improvement, "close"), {"comment": "Eliminated."}, follow=True)
    assert response.status_code == 200
    assert fresh(improvement).status == Status.CLOSED
    assert Finding.objects.get(pk=improvement.finding_id).status == Finding.Status.CLOSED
    assert f"Finding {improvement.finding.code} is closed with it." in response.content.decode()


def test_closing_a_nonconformity_without_its_root_cause_is_refused(client_for, minor, csi_owner, owner, kpi):
    improvement = implemented_with_result(minor, csi_owner, owner, kpi)
    services.check_effectiveness(improvement=improvement, actor=csi_owner, effective=True, evidence="Clean.")
    Improvement.objects.filter(pk=improvement.pk).update(root_cause="")
    response = client_for(csi_owner).post(url("transition", improvement, "close"), {"comment": "Done"})
    assert response.status_code == 400
    assert "The nonconformity is not eliminated yet: record the root cause." in response.content.decode()
    assert fresh(improvement).status == Status.EVALUATED
    assert Finding.objects.get(pk=improvement.finding_id).status == Finding.Status.OPEN


# -- proposing, editing, promoting -------------------------------------------------------------------------


def test_anyone_proposes_an_improvement_which_starts_as_proposed(
    client_for, staff, csi_principle, communicated_plan
):
    client = client_for(staff)
    assert client.get(reverse("improvements:create")).status_code == 200
    response = client.post(
        reverse("improvements:create"),
        {
            "title": "Chat for the desk",
            "description": "Customers chat instead of calling.",
            "source": "suggestion",
            "scope": "process",
            "processes": [communicated_plan.process.pk],
            "priority": "low",
            "size": "small",
        },
    )
    improvement = Improvement.objects.get()
    assert response.status_code == 302 and response["Location"] == improvement.get_absolute_url()
    assert (improvement.status, improvement.raised_by, improvement.owner) == (
        Status.PROPOSED,
        staff,
        communicated_plan.process.owner,
    )


def test_a_proposal_without_title_or_process_is_refused_with_what_was_typed(client_for, owner, csi_principle):
    response = client_for(owner).post(
        reverse("improvements:create"),
        {
            "title": "",
            "description": "Something better",
            "source": "suggestion",
            "scope": "process",
            "priority": "low",
            "size": "small",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors["title"] == ["Give the improvement a title."]
    assert form["description"].value() == "Something better"
    assert not Improvement.objects.exists()


def test_a_second_save_from_a_stale_page_is_refused_and_keeps_what_was_typed(
    client_for, minor, owner, csi_owner
):
    page = client_for(owner).get(url("edit", minor))
    assert page.status_code == 200
    revision = page.context["form"].initial["revision"]
    services.update_improvement(
        improvement=minor, actor=csi_owner, expected_revision=revision, title="Saved first"
    )
    data = {
        "title": "Mine",
        "description": "My text",
        "scope": "process",
        "processes": [p.pk for p in minor.processes.all()],
        "priority": "high",
        "size": "small",
        "revision": revision,
    }
    response = client_for(owner).post(url("edit", minor), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Somebody saved this improvement after you opened it" in html
    assert response.context["form"]["title"].value() == "Mine" and "Saved first" in html
    assert fresh(minor).title == "Saved first"
    # Saving again keeps the user's text.
    data["revision"] = response.context["form"]["revision"].value()
    assert client_for(owner).post(url("edit", minor), data).status_code == 302
    assert fresh(minor).title == "Mine"


def test_the_scope_of_an_approved_improvement_is_shown_but_not_changed(
    client_for, minor, csi_owner, owner, communicated_plan
):
    services.approve_improvement(improvement=minor, actor=csi_owner)
    page = client_for(owner).get(url("edit", minor))
    assert page.context["form"].fields["scope"].disabled
    response = client_for(owner).post(
        url("edit", minor),
        {
            "title": "New title",
            "description": "d",
            "scope": "company",
            "priority": "medium",
            "size": "medium",
            "revision": fresh(minor).revision,
        },
    )
    assert response.status_code == 302
    assert (fresh(minor).title, fresh(minor).scope) == ("New title", Improvement.Scope.PROCESS)


def test_an_observation_is_promoted_from_its_finding(client_for, reviewed_findings, owner, other_owner):
    observation = reviewed_findings[Finding.Grade.OBSERVATION]
    promote = reverse("improvements:promote", args=[observation.pk])
    refused = client_for(other_owner).post(promote)
    assert refused.status_code == 403
    assert "A CSI owner or the process owner promotes an observation." in refused.content.decode()
    assert not Improvement.objects.filter(finding=observation).exists()
    assert client_for(owner).get(promote).status_code == 200
    response = client_for(owner).post(promote)
    improvement = Improvement.objects.get(finding=observation)
    assert response.status_code == 302 and response["Location"] == improvement.get_absolute_url()
    # Promoted already: the page leads to it, and a second promotion is refused.
    assert client_for(owner).get(promote)["Location"] == improvement.get_absolute_url()
    again = client_for(owner).post(promote)
    assert again.status_code == 409 and Improvement.objects.filter(finding=observation).count() == 1


def test_a_nonconformity_is_not_promoted_by_hand(client_for, reviewed_findings, owner):
    major = reviewed_findings[Finding.Grade.MAJOR]
    response = client_for(owner).post(reverse("improvements:promote", args=[major.pk]))
    assert response.status_code == 400
    assert "enter the plan when their review is approved" in response.content.decode()


def test_the_timeline_keeps_the_decisions_of_its_own_finding_only(
    client_for, reviewed_findings, csi_owner, owner, kpi
):
    """The review's decisions concern all its findings: the page shows its
    approval and the closure of this finding, not another one's."""
    major = reviewed_findings[Finding.Grade.MAJOR].improvement
    minor = reviewed_findings[Finding.Grade.MINOR].improvement
    improvement = implemented_with_result(minor, csi_owner, owner, kpi)
    services.check_effectiveness(improvement=improvement, actor=csi_owner, effective=True, evidence="Clean.")
    services.close_improvement(improvement=improvement, actor=csi_owner)
    page = client_for(csi_owner).get(url("detail", major))
    texts = [entry.text for stage in page.context["stages"] for entry in stage.entries]
    assert not any("closed a finding" in text for text in texts)
    assert any("approved" in text and str(major.finding.review) in text for text in texts)
    page = client_for(csi_owner).get(url("detail", improvement))
    closure = {stage.key: stage for stage in page.context["stages"]}["closure"]
    assert len(closure.entries) == 2 and re.search("closed a finding of", closure.entries[1].text)


def test_a_stale_root_cause_is_refused_and_keeps_what_was_typed(client_for, minor, csi_owner, owner, kpi):
    improvement = approve_with_baseline(minor, csi_owner, owner, kpi)
    services.start_implementation(improvement=improvement, actor=owner)
    page = client_for(owner).get(url("nonconformity", improvement))
    revision = page.context["form"].initial["revision"]
    handle_nonconformity(fresh(improvement), owner)  # somebody saves first
    data = {"root_cause": "My cause.", "corrective_action": "My action.", "revision": revision}
    response = client_for(owner).post(url("nonconformity", improvement), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert "Somebody saved this improvement after you opened it" in html
    assert response.context["form"]["root_cause"].value() == "My cause."
    assert "The escalation timer was not configured for priority 2." in html  # what is saved
    assert fresh(improvement).root_cause == "The escalation timer was not configured for priority 2."
    data["revision"] = response.context["form"]["revision"].value()
    assert client_for(owner).post(url("nonconformity", improvement), data).status_code == 302
    assert fresh(improvement).root_cause == "My cause."


def test_the_promotion_page_says_who_may_promote(client_for, reviewed_findings, other_owner):
    observation = reviewed_findings[Finding.Grade.OBSERVATION]
    page = client_for(other_owner).get(reverse("improvements:promote", args=[observation.pk]))
    assert page.status_code == 403
    html = page.content.decode()
    assert "A CSI owner or the process owner promotes an observation." in html
    assert "Put it in the improvement plan" not in html
