"""A plan with an approved version is never deleted: a manager archives it when
its process is retired. Archived, it changes no more by any route (pages, API,
services), nobody is reminded of it, lists leave it out unless asked, and it
stays readable with its versions and decisions; a manager restores it."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from pdca.exceptions import Conflict, NotAllowed, RuleViolation
from pdca.models import Decision, Notification, Reminder
from pdca.reminders import raise_reminders
from plans import permissions, services
from plans.do import services as implementation
from plans.models import Plan
from plans.tests import factories
from reviews import permissions as review_permissions
from reviews import services as review_services
from reviews.models import Review


def _archive(plan, manager, reason="The process is retired: merged into Service Desk."):
    return services.archive_plan(plan=plan, actor=manager, reason=reason)


def _decisions(plan, action):
    return Decision.objects.filter(object_id=plan.pk, content_type__model="plan", action=action)


# -- archiving ------------------------------------------------------------------------


def test_a_manager_archives_a_process_plan_with_a_reason_recorded_and_its_people_told(
    communicated_plan, manager, owner
):
    plan = _archive(communicated_plan, manager)

    plan.refresh_from_db()
    assert plan.archived_at is not None and plan.archived_by == manager
    assert plan.archive_reason == "The process is retired: merged into Service Desk."
    decision = _decisions(plan, "archive").get()
    assert decision.actor == manager and "merged into Service Desk" in decision.comment
    notice = Notification.objects.get(recipient=owner, subject__startswith="Plan archived")
    assert "merged into Service Desk" in notice.body
    # Nothing of it is lost: its versions stay as they were.
    assert plan.versions.get().status == "communicated"


def test_archiving_needs_a_reason_and_a_refused_archive_changes_nothing(communicated_plan, manager):
    with pytest.raises(RuleViolation, match="Say why the plan is archived"):
        _archive(communicated_plan, manager, reason="   ")
    communicated_plan.refresh_from_db()
    assert communicated_plan.archived_at is None
    assert not _decisions(communicated_plan, "archive").exists()


@pytest.mark.parametrize("who", ["owner", "auditor", "staff", "superuser"])
def test_only_a_manager_archives(request, communicated_plan, who):
    if who == "superuser":
        actor = UserFactory(username="root", is_superuser=True, is_staff=True)
    else:
        actor = request.getfixturevalue(who)
    with pytest.raises(NotAllowed, match="Only a manager archives a plan"):
        _archive(communicated_plan, actor)
    assert Plan.objects.get(pk=communicated_plan.pk).archived_at is None


def test_the_smp_and_the_csi_principle_are_never_archived(smp, manager):
    with pytest.raises(RuleViolation, match="stay in force"):
        _archive(smp, manager)
    assert not permissions.plan_actions(manager, smp).archive  # not offered either


def test_not_while_a_version_waits_for_a_decision(process_plan, owner, manager):
    services.submit_plan(version=process_plan.latest_version, actor=owner)
    with pytest.raises(RuleViolation, match="Version 1 waits for its review or approval"):
        _archive(process_plan, manager)


def test_not_while_a_handover_waits_for_its_receivers(implementing_plan, owner, manager, operators):
    implementation.propose_handover(plan=implementing_plan, actor=owner, receivers=operators)
    with pytest.raises(RuleViolation, match="handover of this plan waits"):
        _archive(implementing_plan, manager)


def test_archiving_twice_is_a_conflict(communicated_plan, manager):
    _archive(communicated_plan, manager)
    with pytest.raises(Conflict, match="archived already"):
        _archive(communicated_plan, manager)


# -- an archived plan changes no more -------------------------------------------------


@pytest.fixture
def archived(communicated_plan, manager):
    return Plan.objects.get(pk=_archive(communicated_plan, manager).pk)


def test_its_owner_can_neither_revise_nor_edit_nor_communicate_it(archived, owner):
    with pytest.raises(NotAllowed, match="archived since"):
        services.revise_plan(plan=archived, actor=owner)
    actions = permissions.plan_actions(owner, archived)
    assert not actions.revise and "archived since" in actions.revise.reason
    assert not actions.distribution
    version = archived.current_version
    assert "archived since" in permissions.communicate_refusal(owner, version)


def test_its_implementation_and_reviews_change_no_more(archived, owner):
    with pytest.raises(NotAllowed, match="archived since"):
        implementation.save_milestone(
            plan=archived, actor=owner, title="Retire the tool", owner=owner, due_on=datetime.date(2027, 1, 1)
        )
    assert "archived since" in review_permissions.schedule_refusal(owner, archived)
    assert "archived since" in review_permissions.plan_review_refusal(
        owner, Review.Kind.PROCESS, plan=archived
    )


def test_nobody_is_reminded_of_its_review_schedule(communicated_plan, owner, manager):
    due = datetime.date(2027, 3, 31)
    review_services.save_schedule(
        plan=communicated_plan, actor=owner, interval_months=12, next_planned_on=due, reviewer=owner
    )
    _archive(communicated_plan, manager)
    with time_machine.travel(datetime.datetime(2027, 4, 30, 6, tzinfo=timezone.get_current_timezone())):
        raise_reminders()
    assert not Reminder.objects.exists()


def _approve_new_smp(smp, manager, manager2):
    draft = services.revise_plan(plan=smp, actor=manager2)
    factories.submit_and_review(draft, manager2)
    return services.approve_plan(version=draft, actor=manager)


def test_a_new_smp_flags_it_no_more_and_restoring_asks_for_its_conformance_review(
    smp, communicated_plan, manager, manager2, owner
):
    _archive(communicated_plan, manager)
    _approve_new_smp(smp, manager, manager2)
    plan = Plan.objects.get(pk=communicated_plan.pk)
    assert not plan.conformance_review_due
    assert not owner.notifications.filter(subject__startswith="Conformance review due").exists()

    services.restore_plan(plan=plan, actor=manager)
    plan.refresh_from_db()
    assert plan.conformance_review_due
    notice = owner.notifications.get(subject__startswith="Plan restored")
    assert "review its conformance" in notice.body and notice.task == "conformance_review"


def test_archiving_withdraws_its_conformance_review_task(smp, communicated_plan, manager, manager2, owner):
    _approve_new_smp(smp, manager, manager2)
    task = owner.notifications.get(task="conformance_review")
    assert task.resolved_at is None
    _archive(communicated_plan, manager)
    task.refresh_from_db()
    assert task.resolved_at is not None


# -- restoring ------------------------------------------------------------------------


def test_a_manager_restores_it_and_its_owner_can_revise_again(archived, manager, owner):
    services.restore_plan(plan=archived, actor=manager, comment="The process is back.")
    archived.refresh_from_db()
    assert archived.archived_at is None and archived.archive_reason == ""
    assert _decisions(archived, "restore").get().comment == "The process is back."
    assert permissions.plan_actions(owner, Plan.objects.get(pk=archived.pk)).revise


def test_restoring_is_a_managers_action_and_only_of_an_archived_plan(
    archived, communicated_plan, owner, manager
):
    with pytest.raises(NotAllowed, match="Only a manager restores"):
        services.restore_plan(plan=archived, actor=owner)
    services.restore_plan(plan=archived, actor=manager)
    with pytest.raises(Conflict, match="not archived"):
        services.restore_plan(plan=archived, actor=manager)


# -- lists, pages and the API ------------------------------------------------------------


def test_the_plans_page_leaves_archived_plans_out_unless_asked(client_for, archived, manager):
    client = client_for(manager)
    assert archived.title not in client.get(reverse("plans:list")).content.decode()
    only = client.get(reverse("plans:list"), {"archived": "only"}).content.decode()
    assert archived.title in only and "Archived" in only
    assert archived.title in client.get(reverse("plans:list"), {"archived": "include"}).content.decode()


def test_the_plan_page_says_it_is_archived_why_and_offers_restoring_to_managers(
    client_for, archived, manager, owner
):
    page = client_for(manager).get(archived.get_absolute_url()).content.decode()
    assert "Archived." in page and "merged into Service Desk" in page
    assert reverse("plans:restore", args=[archived.pk]) in page
    page = client_for(owner).get(archived.get_absolute_url()).content.decode()
    assert "Archived." in page and reverse("plans:restore", args=[archived.pk]) not in page


def test_the_page_archives_for_a_manager_and_refuses_an_owner_with_the_reason(
    client_for, communicated_plan, manager, owner
):
    url = reverse("plans:archive", args=[communicated_plan.pk])
    refused = client_for(owner).post(url, {"reason": "Mine now"})
    assert refused.status_code == 403
    assert "Only a manager archives a plan" in refused.content.decode()
    assert "Mine now" in refused.content.decode()  # what was typed is not lost

    page = client_for(manager).get(communicated_plan.get_absolute_url()).content.decode()
    assert url in page and "Why archive it?" in page
    no_reason = client_for(manager).post(url, {"reason": ""})
    assert no_reason.status_code == 400 and "Say why the plan is archived" in no_reason.content.decode()

    response = client_for(manager).post(url, {"reason": "Retired"}, follow=True)
    assert response.status_code == 200 and "is archived" in response.content.decode()
    assert Plan.objects.get(pk=communicated_plan.pk).archive_reason == "Retired"


def test_the_api_archives_restores_and_lists(api_for, communicated_plan, manager, owner, auditor):
    url = f"/api/v1/plans/{communicated_plan.pk}/"
    assert api_for(auditor).post(url + "archive/", {"reason": "x"}, format="json").status_code == 403
    response = api_for(owner).post(url + "archive/", {"reason": "x"}, format="json")
    assert response.status_code == 403 and "Only a manager" in response.json()["detail"]
    response = api_for(manager).post(url + "archive/", {}, format="json")
    assert response.status_code == 400 and "Say why" in str(response.json())

    response = api_for(manager).post(url + "archive/", {"reason": "Retired"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["archived_at"] and body["archive_reason"] == "Retired"
    assert body["archived_by"]["id"] == manager.pk
    assert "restore" in body["available_actions"]

    # The plan itself still answers; lists leave it out unless asked.
    assert api_for(owner).get(url).status_code == 200
    listed = [p["id"] for p in api_for(manager).get("/api/v1/plans/").json()["results"]]
    assert communicated_plan.pk not in listed
    listed = [p["id"] for p in api_for(manager).get("/api/v1/plans/?archived=only").json()["results"]]
    assert listed == [communicated_plan.pk]
    assert api_for(manager).get("/api/v1/plans/?archived=yes").status_code == 400

    response = api_for(owner).post(url + "revise/", {}, format="json")
    assert response.status_code == 403 and "archived since" in response.json()["detail"]

    response = api_for(manager).post(url + "restore/", {"comment": "Back"}, format="json")
    assert response.status_code == 200 and response.json()["archived_at"] is None


def test_nothing_waits_on_an_archived_plans_draft(process_plan, manager, client_for):
    _archive(process_plan, manager)
    page = client_for(manager).get(process_plan.get_absolute_url()).content.decode()
    assert "nothing waits for anyone until a manager restores it" in page
    assert "to complete and submit it" not in page


def test_its_review_is_overdue_for_nobody_on_its_page_and_in_the_list(
    client_for, communicated_plan, owner, manager
):
    review_services.save_schedule(
        plan=communicated_plan,
        actor=owner,
        interval_months=12,
        next_planned_on=datetime.date(2026, 1, 31),
        reviewer=owner,
    )
    _archive(communicated_plan, manager)
    client = client_for(manager)
    assert "Review overdue" not in client.get(reverse("plans:list"), {"archived": "only"}).content.decode()
    assert "overdue" not in client.get(communicated_plan.get_absolute_url()).content.decode().lower()


@pytest.mark.parametrize("action", ["archive", "restore"])
@pytest.mark.parametrize("body", [[], None, "retired", {"reason": ["x"], "comment": ["x"]}])
def test_who_may_not_archive_is_refused_whatever_the_body(
    api_for, communicated_plan, auditor, owner, action, body
):
    for user in (auditor, owner):
        response = api_for(user).post(f"/api/v1/plans/{communicated_plan.pk}/{action}/", body, format="json")
        assert response.status_code == 403 and "Only a manager" in response.json()["detail"]


@pytest.mark.parametrize("body", [[], None, "retired", {"reason": {"text": "x"}}, {"reason": ["x"]}])
def test_a_malformed_archive_body_is_refused_naming_what_is_wrong(api_for, communicated_plan, manager, body):
    response = api_for(manager).post(f"/api/v1/plans/{communicated_plan.pk}/archive/", body, format="json")
    assert response.status_code == 400 and response.json()["detail"]
    assert Plan.objects.get(pk=communicated_plan.pk).archived_at is None


def test_its_milestones_are_overdue_for_nobody_and_it_leaves_the_do_overview(
    implementing_plan, owner, manager, client_for
):
    from pdca.inbox import inbox
    from plans.do.models import Milestone

    implementation.save_milestone(
        plan=implementing_plan,
        actor=owner,
        title="Retire the old tool",
        owner=owner,
        due_on=timezone.localdate() - datetime.timedelta(days=2),
    )
    assert Milestone.objects.overdue().count() == 1
    assert [t.kind for t in inbox(owner).tasks if t.kind == "milestone"] == ["milestone"]
    _archive(implementing_plan, manager)
    assert not Milestone.objects.overdue().exists()
    assert not [t for t in inbox(owner).tasks if t.kind == "milestone"]
    overview = client_for(manager).get(reverse("do:overview"))
    assert reverse("do:plan", args=[implementing_plan.pk]) not in overview.content.decode()
    assert sum(n for _value, _label, n in overview.context["counts"]) == 0


def test_a_draft_sent_back_is_nobodys_task_once_archived(process_plan, owner, manager):
    from pdca.inbox import inbox

    version = process_plan.latest_version
    factories.submit_and_review(version, owner)
    services.request_changes(version=version, actor=manager, comment="Name the tools.")
    assert [t.kind for t in inbox(owner).tasks] == ["plan_changes_requested"]
    _archive(process_plan, manager)
    assert inbox(owner).tasks == []


def test_its_overdue_review_leaves_the_inbox_the_dashboard_and_the_calendar(
    client_for, communicated_plan, owner, manager
):
    from pdca.inbox import inbox

    review_services.save_schedule(
        plan=communicated_plan,
        actor=owner,
        interval_months=12,
        next_planned_on=timezone.localdate() - datetime.timedelta(days=10),
        reviewer=owner,
    )

    def shown():
        from reviews.reminders import calendar_events

        client = client_for(owner)
        assert bool([e for e in calendar_events(owner) if e.uid.startswith("review-due-")]) == (
            communicated_plan.pk not in archived_ids()
        )
        stats = client.get(reverse("dashboard")).context["stats"]
        return (
            [t.kind for t in inbox(owner).tasks if t.kind == "review_schedule"],
            [s["value"] for s in stats if s["label"] == "reviews overdue"],
            len(client.get(reverse("reviews:calendar")).context["overdue"]),
        )

    def archived_ids():
        return set(Plan.objects.filter(archived_at__isnull=False).values_list("pk", flat=True))

    assert shown() == (["review_schedule"], [1], 1)
    _archive(communicated_plan, manager)
    assert shown() == ([], [], 0)
