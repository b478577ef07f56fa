"""P4: any two versions compared section by section; every change in the history."""

import pytest
from django.test import Client
from django.urls import reverse

from plans import services

pytestmark = pytest.mark.django_db


def browser_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def revised_plan(approved_plan, owner):
    """Version 1 approved; version 2 a draft whose purpose and roles are rewritten."""
    draft = services.revise_plan(plan=approved_plan, actor=owner)
    services.update_draft(
        version=draft,
        actor=owner,
        expected_revision=draft.revision,
        sections={
            "purpose": "Restore normal service as quickly as possible.",
            "roles": "Roles of Incident management plan.\nA new major-incident manager.",
        },
    )
    return approved_plan


def test_compare_shows_changed_section_text_with_del_and_ins(revised_plan, manager):
    response = browser_for(manager).get(reverse("plans:compare", args=[revised_plan.pk]), {"a": 1, "b": 2})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<del>Purpose and scope of Incident management plan.</del>" in html
    assert "<ins>Restore normal service as quickly as possible.</ins>" in html
    assert "A new major-incident manager." in html
    changed = {d.key for d in response.context["diffs"] if d.changed}
    assert changed == {"purpose", "roles"}


def test_unchanged_sections_are_collapsed(revised_plan, manager):
    html = browser_for(manager).get(reverse("plans:compare", args=[revised_plan.pk])).content.decode()
    interfaces = html.split('id="diff-interfaces"')[1].split("</summary>")[0]
    assert "unchanged" in interfaces
    assert "<strong>2</strong> of 8 parts changed" in html


def test_compare_defaults_to_the_previous_against_the_latest_version(revised_plan, manager):
    response = browser_for(manager).get(reverse("plans:compare", args=[revised_plan.pk]))
    assert (response.context["old"].number, response.context["new"].number) == (1, 2)


def test_compare_orders_the_versions_older_first(revised_plan, manager):
    response = browser_for(manager).get(reverse("plans:compare", args=[revised_plan.pk]), {"a": 2, "b": 1})
    assert (response.context["old"].number, response.context["new"].number) == (1, 2)


def test_compare_refuses_a_version_the_user_cannot_see(revised_plan, owner, staff):
    revised_plan.distribution_users.add(staff)
    services.communicate_plan(version=revised_plan.versions.get(number=1), actor=owner)
    response = browser_for(staff).get(reverse("plans:compare", args=[revised_plan.pk]), {"a": 1, "b": 2})
    assert response.status_code == 200
    assert "nothing to compare" in response.content.decode()
    assert "Restore normal service" not in response.content.decode()


def test_compare_with_an_unknown_version_says_so(revised_plan, manager):
    response = browser_for(manager).get(reverse("plans:compare", args=[revised_plan.pk]), {"a": 1, "b": 9})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_history_shows_who_changed_what(revised_plan, auditor, other_owner, manager, owner):
    services.set_process_owner(
        process=revised_plan.process, owner=owner, deputies=[other_owner], actor=manager
    )
    draft = revised_plan.versions.get(number=2)
    browser_for(other_owner).post(
        reverse("plans:section_edit", args=[revised_plan.pk, 2, "resources"]),
        {"text": "Two more agents.", "revision": draft.revision, "save": "1"},
    )

    response = browser_for(auditor).get(reverse("plans:history", args=[revised_plan.pk]))
    assert response.status_code == 200
    entries = list(response.context["page"])
    newest = entries[0]
    assert (newest.user, newest.subject, newest.changes) == (
        other_owner,
        "Version 2",
        ["sections changed: Resources"],
    )
    section_change = next(e for e in entries if e.changes == ["sections changed: Purpose and scope, Roles"])
    assert section_change.user == owner
    approval = next(
        e for e in entries if e.subject == "Version 1" and "status: Reviewed → Approved" in e.changes
    )
    assert approval.user == manager
    assert "approved by: — → Morgan Meyer" in approval.changes
    review = next(
        e for e in entries if e.subject == "Version 1" and "status: In review → Reviewed" in e.changes
    )
    assert f"reviewed by: — → {review.user}" in review.changes  # the person, not the id
    subjects = {e.subject.split(" ")[0] for e in entries}
    assert {"Plan", "Version", "Objective", "KPI"} <= subjects


def test_history_runs_a_constant_number_of_queries(
    revised_plan, owner, auditor, django_assert_max_num_queries
):
    client = browser_for(auditor)
    url = reverse("plans:history", args=[revised_plan.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(url)
    draft = revised_plan.versions.get(number=2)
    for n in range(5):
        draft.refresh_from_db()
        services.update_draft(
            version=draft,
            actor=owner,
            expected_revision=draft.revision,
            sections={"resources": f"Resources, take {n}."},
        )
        services.save_objective(version=draft, actor=owner, title=f"Objective {n}")
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_history_is_refused_to_staff_with_a_message(approved_plan, owner, staff):
    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.latest_version, actor=owner)
    response = browser_for(staff).get(reverse("plans:history", args=[approved_plan.pk]))
    assert response.status_code == 403
    assert "change history is open to" in response.content.decode()


@pytest.mark.django_db
def test_history_shows_implementation_changes_in_words(client_for, auditor, owner, approved_plan, staff):
    from django.utils import timezone

    from plans import services
    from plans.do import services as implementation

    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.current_version, actor=owner)
    implementation.start_implementation(plan=approved_plan, actor=owner)
    implementation.save_milestone(
        plan=approved_plan, actor=owner, title="Runbook", owner=owner, due_on=timezone.localdate()
    )
    html = client_for(auditor).get(f"/plans/{approved_plan.pk}/history/").content.decode()
    assert "Not started → In implementation" in html
    assert "Milestone “Runbook”" in html


def test_compare_runs_a_constant_number_of_queries(
    revised_plan, owner, manager, django_assert_max_num_queries
):
    client = browser_for(manager)
    url = reverse("plans:compare", args=[revised_plan.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        response = client.get(url)
    assert response.status_code == 200
    draft = revised_plan.versions.get(number=2)
    for n in range(4):
        objective = services.save_objective(version=draft, actor=owner, title=f"Objective {n}")
        for m in range(2):
            services.save_kpi(
                objective=objective,
                actor=owner,
                metric=f"Metric {n}.{m}",
                unit="%",
                direction="at_least",
                target=90,
                owner=owner,
                frequency="monthly",
            )
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
    assert "Metric 3.1" in response.content.decode()


def test_history_with_handovers_runs_a_constant_number_of_queries(
    client_for, auditor, owner, approved_plan, staff, operators, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from plans.do import services as implementation

    approved_plan.distribution_users.add(staff)
    services.communicate_plan(version=approved_plan.current_version, actor=owner)
    implementation.start_implementation(plan=approved_plan, actor=owner)
    client = client_for(auditor)
    url = reverse("plans:history", args=[approved_plan.pk])

    def handover_and_decline():
        handover = implementation.propose_handover(plan=approved_plan, actor=owner, receivers=operators)
        implementation.decline_handover(handover=handover, actor=operators[0], reason="Not yet trained.")

    handover_and_decline()
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for _ in range(4):
        handover_and_decline()
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("Handover of") >= 10


def test_compare_names_the_sections_as_the_plan_kind_does(revised_plan, manager):
    """A process plan's sections keep their own titles (the CSI principle's
    sections share some keys and are titled differently)."""
    response = browser_for(manager).get(reverse("plans:compare", args=[revised_plan.pk]))
    titles = [d.title for d in response.context["diffs"]]
    assert titles[0] == "Purpose and scope"
    assert "Roles and responsibilities for improvement" not in titles
