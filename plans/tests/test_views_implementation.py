"""The Do pages: the overview, the implementation page and its forms."""

import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from plans import services
from plans.do import selectors
from plans.do import services as implementation
from plans.models import Handover, Milestone, Plan
from plans.tests import factories


def _url(plan, rest=""):
    return f"/plans/{plan.pk}/implementation/{rest}"


@pytest.mark.django_db
def test_implementer_plans_a_milestone_in_the_browser(client_for, owner, implementing_plan):
    client = client_for(owner)
    response = client.post(
        _url(implementing_plan, "milestones/new/"),
        {"title": "Train the service desk", "owner": owner.pk, "due_on": "2030-01-31"},
    )
    assert response.status_code == 302
    milestone = Milestone.objects.get()
    assert milestone.title == "Train the service desk"
    page = client.get(_url(implementing_plan)).content.decode()
    assert "Train the service desk" in page and "0 of 1 done" in page


@pytest.mark.django_db
def test_bad_milestone_input_shows_errors_and_keeps_the_input(client_for, owner, implementing_plan):
    response = client_for(owner).post(
        _url(implementing_plan, "milestones/new/"), {"title": "Typed title", "owner": owner.pk, "due_on": ""}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required" in html and 'value="Typed title"' in html
    assert Milestone.objects.count() == 0


@pytest.mark.django_db
def test_others_cannot_change_milestones_in_the_browser(client_for, other_owner, auditor, implementing_plan):
    for user in (other_owner, auditor):
        client = client_for(user)
        client.post(
            _url(implementing_plan, "milestones/new/"),
            {"title": "X", "owner": user.pk, "due_on": "2030-01-31"},
        )
        page = client.get(_url(implementing_plan)).content.decode()
        assert "Add a milestone" not in page
    assert Milestone.objects.count() == 0


@pytest.mark.django_db
def test_overdue_milestones_are_marked(client_for, owner, implementing_plan):
    implementation.save_milestone(
        plan=implementing_plan,
        actor=owner,
        title="Late one",
        owner=owner,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    page = client_for(owner).get(_url(implementing_plan)).content.decode()
    assert "overdue" in page
    overview = client_for(owner).get("/plans/implementation/").content.decode()
    assert "1 overdue" in overview


@pytest.mark.django_db
def test_handover_journey_in_the_browser(client, owner, operators, implementing_plan):
    client.force_login(owner)
    for kpi in selectors.current_kpis(implementing_plan):
        assert (
            client.post(
                _url(implementing_plan, f"kpis/{kpi.pk}/operator/"), {"operator": operators[0].pk}
            ).status_code
            == 302
        )
    response = client.post(
        _url(implementing_plan, "handover/"),
        {
            "receivers": [o.pk for o in operators],
            "handover_on": "2026-11-25",
            "documents": "Runbook",
            "open_points": "",
        },
    )
    assert response.status_code == 302
    handover = Handover.objects.get()
    # Only a receiver sees the decision buttons; the implementer cannot accept.
    assert "Accept handover" not in client.get(_url(implementing_plan)).content.decode()
    client.post(_url(implementing_plan, f"handover/{handover.pk}/accept/"))
    assert Handover.objects.get().status == "proposed"

    client.force_login(operators[0])
    assert "Accept handover" in client.get(_url(implementing_plan)).content.decode()
    client.post(_url(implementing_plan, f"handover/{handover.pk}/accept/"))
    plan = Plan.objects.get(pk=implementing_plan.pk)
    assert plan.implementation_status == "in_operation"
    page = client.get(_url(implementing_plan)).content.decode()
    assert "In operation" in page and "Ola Olsen, Omar Ortiz" in page


@pytest.mark.django_db
def test_a_refusal_of_a_form_the_page_does_not_show_is_said_on_top(
    client_for, owner, operators, implementing_plan
):
    """A handover already waits, so the page offers no second one: the refusal of a
    second proposal is said on top (409), not left on a form nobody sees. Likewise a
    milestone refused before the implementation started, when the page shows no
    milestone form yet."""
    implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators[:1])
    client = client_for(owner)
    response = client.post(
        _url(implementing_plan, "handover/"), {"receivers": [operators[1].pk], "handover_on": "2030-01-31"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'class="message message--error"' in html and "already waiting for its receivers" in html
    assert Handover.objects.count() == 1

    Plan.objects.filter(pk=implementing_plan.pk).update(implementation_status="not_started")
    response = client.post(_url(implementing_plan, "milestones/new/"), {"title": "Typed", "due_on": "soon"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Add a milestone" not in html and 'class="message message--error"' in html
    assert Milestone.objects.count() == 0


@pytest.mark.django_db
def test_decline_needs_a_reason_in_the_browser(client, owner, operators, implementing_plan):
    handover = implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    client.force_login(operators[1])
    response = client.post(_url(implementing_plan, f"handover/{handover.pk}/decline/"), {"reason": ""})
    assert response.status_code == 400
    assert "Say why you decline" in response.content.decode()
    assert Handover.objects.get().status == "proposed"
    client.post(_url(implementing_plan, f"handover/{handover.pk}/decline/"), {"reason": "Runbook missing"})
    assert Handover.objects.get().status == "declined"
    assert Plan.objects.get(pk=implementing_plan.pk).implementation_status == "in_implementation"


@pytest.mark.django_db
def test_overview_filters_by_status_and_owner(client_for, owner, other_owner, manager, implementing_plan):
    factories.draft_process_plan(other_owner, manager, name="Change management")
    client = client_for(manager)
    html = client.get("/plans/implementation/?status=in_implementation").content.decode()
    assert "Incident management" in html and "Change management" not in html
    html = client.get(f"/plans/implementation/?owner={other_owner.pk}").content.decode()
    assert "Change management" in html and "Incident management" not in html


@pytest.mark.django_db
def test_overview_runs_a_constant_number_of_queries(
    client_for, manager, owner, smp, django_assert_max_num_queries
):
    client = client_for(manager)

    def make(n, start):
        for i in range(start, start + n):
            plan = factories.approved_process_plan(owner, manager, name=f"Process {i}")
            plan.distribution_users.add(manager)
            services.communicate_plan(version=plan.current_version, actor=owner)
            implementation.start_implementation(plan=plan, actor=owner)
            implementation.save_milestone(
                plan=plan,
                actor=owner,
                title="Train",
                owner=owner,
                due_on=timezone.localdate() - datetime.timedelta(days=1),
            )

    make(3, 0)
    client.get("/plans/implementation/")  # warm caches (content types, sessions)
    with django_assert_max_num_queries(20) as small:
        client.get("/plans/implementation/")
    make(20, 3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/plans/implementation/")


@pytest.mark.django_db
def test_dashboard_shows_handovers_to_decide_and_overdue_milestones(
    client_for, owner, operators, implementing_plan
):
    implementation.save_milestone(
        plan=implementing_plan,
        actor=owner,
        title="Write the runbook",
        owner=owner,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    receiver_page = client_for(operators[0]).get("/").content.decode()
    assert "Accept or decline the handover of Incident management" in receiver_page
    owner_page = client_for(owner).get("/").content.decode()
    assert "Reach the milestone “Write the runbook”" in owner_page and "Overdue" in owner_page
    assert "Accept or decline the handover" not in owner_page


@pytest.mark.django_db
def test_dashboard_runs_a_constant_number_of_queries(
    client_for, owner, manager, smp, django_assert_max_num_queries
):
    client = client_for(owner)

    def make(start, n):
        for i in range(start, start + n):
            plan = factories.approved_process_plan(owner, manager, name=f"Process {i}")
            plan.distribution_users.add(owner, manager)
            services.communicate_plan(version=plan.current_version, actor=owner)
            implementation.start_implementation(plan=plan, actor=owner)
            implementation.save_milestone(
                plan=plan,
                actor=owner,
                title=f"M{i}",
                owner=owner,
                due_on=timezone.localdate() - datetime.timedelta(days=1),
            )

    make(0, 2)
    client.get("/")
    cache.clear()  # the panels as computed, not as kept for an unchanged version (pdca.dashboard)
    with django_assert_max_num_queries(40) as small:
        client.get("/")
    few = len(small.captured_queries)  # now: the query log is a bounded deque that the next rows move on
    make(2, 12)
    client.get("/")  # the session remembers the new count of tasks (pdca.inbox)
    cache.clear()
    with django_assert_max_num_queries(few):
        response = client.get("/")
    assert response.status_code == 200
    # Per plan: its overdue milestone, and two more of its tasks.
    counts = {kind["kind"]: kind["count"] for kind in response.context["inbox"].kinds}
    assert counts["milestone"] == 14 and response.context["inbox"].total == 42


@pytest.mark.django_db
def test_overdue_milestones_are_visible_on_the_plan_page(client_for, owner, implementing_plan):
    implementation.save_milestone(
        plan=implementing_plan,
        actor=owner,
        title="Late",
        owner=owner,
        due_on=timezone.localdate() - datetime.timedelta(days=1),
    )
    html = client_for(owner).get(f"/plans/{implementing_plan.pk}/").content.decode()
    assert "1 overdue milestone" in html
