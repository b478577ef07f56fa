"""Notifications resolve when their task is done (pdca.notifications,
pdca.transitions): by whoever does it, for everyone it was sent to, or for
the one person whose own task it was; a resolved notification leaves the
unread count, is not e-mailed any more and stays in the list, grouped by the
object it is about. Proven on the test app's memo, apart from any phase."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pdca import controlled
from pdca.mail import send_digests, send_emails
from pdca.models import Notification, NotificationPreference
from pdca.notifications import Notice, notify, resolve_tasks
from pdca.tests.testapp.models import Memo, MemoAcknowledgement
from pdca.transitions import transition

pytestmark = pytest.mark.django_db

Resolution = Notification.Resolution


def _memo(author, status=Memo.Status.SUBMITTED, title="Memo"):
    memo = Memo.objects.create(title=title, body="Text", author=author, last_editor=author)
    memo.editors.add(author)
    Memo.objects.filter(pk=memo.pk).update(status=status)
    memo.refresh_from_db()
    return memo


def _ask(memo, people, task, subject="Please act"):
    return notify(recipients=people, subject=subject, url="/", about=memo, task=task)


def _approve(memo, actor):
    return controlled.approve(memo, actor=actor, source=Memo.Status.SUBMITTED, target=Memo.Status.APPROVED)


def _state(notification):
    notification.refresh_from_db()
    return notification.resolution, notification.resolved_by


def test_the_approval_by_one_approver_resolves_every_approvers_request(owner, manager, manager2):
    memo, other = _memo(owner), _memo(owner, title="Other memo")
    mine, theirs = _ask(memo, [manager, manager2], "approve")
    unrelated_task = _ask(memo, [manager2], "acknowledge")[0]
    other_memo = _ask(other, [manager2], "approve")[0]
    _approve(memo, manager)
    assert _state(mine) == (Resolution.DONE, manager)
    assert _state(theirs) == (Resolution.DONE, manager)
    assert theirs.resolved_at is not None
    # Only that task of that object.
    assert _state(unrelated_task) == ("", None) and _state(other_memo) == ("", None)


def test_a_transition_resolves_before_it_announces_a_new_task_of_the_same_name(owner, manager):
    memo = _memo(owner, status=Memo.Status.DRAFT)
    old = _ask(memo, [manager], "approve")[0]
    transition(
        memo,
        actor=owner,
        action="memo_submit",
        source=Memo.Status.DRAFT,
        target=Memo.Status.SUBMITTED,
        resolves=("approve",),
        notices=[Notice(recipients=[manager], subject="Again", about=memo, task="approve")],
    )
    assert _state(old) == (Resolution.DONE, owner)
    new = Notification.objects.get(subject="Again")
    assert new.resolved_at is None and new.is_unread


def test_an_acknowledgement_resolves_only_the_acknowledgers_own_request(owner, manager, staff, other_owner):
    memo = _approve(_memo(owner), manager)
    copies = {u: MemoAcknowledgement.objects.create(memo=memo, user=u) for u in (staff, other_owner)}
    staffs, others = _ask(memo, [staff, other_owner], "acknowledge")
    controlled.acknowledge(copies[staff], actor=staff, subject=memo)
    assert _state(staffs) == (Resolution.DONE, staff)
    assert _state(others) == ("", None)


def test_a_transition_withdraws_the_tasks_it_makes_needless(owner, manager, staff):
    memo = _approve(_memo(owner), manager)
    request = _ask(memo, [staff], "acknowledge")[0]
    transition(
        memo,
        actor=manager,
        action="memo_archive",
        source=Memo.Status.APPROVED,
        target=Memo.Status.ARCHIVED,
        stamp="archived_at",
        withdraws=("acknowledge",),
    )
    assert _state(request) == (Resolution.WITHDRAWN, manager)


def test_resolving_all_tasks_of_a_deleted_object_spares_plain_messages(owner, manager):
    memo = _memo(owner)
    task = _ask(memo, [manager], "approve")[0]
    untied = notify(recipients=[manager], subject="News")[0]
    assert resolve_tasks(memo, actor=owner, withdrawn=True) == 1
    assert _state(task)[0] == Resolution.WITHDRAWN and _state(untied) == ("", None)


def test_a_task_is_announced_about_an_object():
    with pytest.raises(ValueError):
        notify(recipients=[], subject="x", task="approve")


# -- unread ---------------------------------------------------------------------------------------


def test_the_unread_count_and_the_dashboard_leave_resolved_notifications_out(
    owner, manager, manager2, client_for
):
    memo = _memo(owner)
    _ask(memo, [manager2], "approve", subject="Approve the memo")
    notify(recipients=[manager2], subject="Plain news")
    client = client_for(manager2)
    assert 'aria-label="2 unread"' in client.get(reverse("notifications")).content.decode()
    assert 'aria-label="2 unread"' in client.get(reverse("dashboard")).content.decode()
    _approve(memo, manager)
    response = client.get(reverse("notifications"))
    assert 'aria-label="1 unread"' in response.content.decode()
    dashboard = client.get(reverse("dashboard"))
    assert [n.subject for n in dashboard.context["recent_notifications"]] == ["Plain news"]
    # The navigation's count comes from the dashboard's own query of them.
    assert dashboard.context["unread_notifications"] == 1
    assert 'aria-label="1 unread"' in dashboard.content.decode()
    # It stays in the list, marked done by the approver.
    html = response.content.decode()
    assert "Approve the memo" in html and "Done by Morgan Meyer" in html
    assert "notification--resolved" in html


def test_mark_all_as_read_counts_only_the_unread(owner, manager, manager2, client_for):
    memo = _memo(owner)
    _ask(memo, [manager2], "approve")
    notify(recipients=[manager2], subject="Plain news")
    _approve(memo, manager)
    response = client_for(manager2).post(reverse("notifications_mark_read"), follow=True)
    assert "1 notification marked as read." in response.content.decode()
    assert not Notification.objects.filter(recipient=manager2).unread().exists()


# -- e-mail ---------------------------------------------------------------------------------------


def test_a_resolved_notification_is_not_emailed_any_more(owner, manager, manager2):
    memo = _memo(owner)
    # Its queued message is lost (on-commit callbacks are not run): the sweep
    # would send it, but the task is done first.
    _ask(memo, [manager2], "approve")
    _approve(memo, manager)
    assert send_emails() == 0
    assert mail.outbox == []
    notification = Notification.objects.get(recipient=manager2)
    assert notification.emailed_at is None  # nothing was sent


def test_the_digest_leaves_resolved_notifications_out(owner, manager, manager2):
    NotificationPreference.objects.create(user=manager2, kind="general", delivery="digest")
    memo = _memo(owner)
    _ask(memo, [manager2], "approve", subject="Approve the memo")
    notify(recipients=[manager2], subject="Plain news")
    assert send_emails() == 0  # a digest reader gets no single e-mails
    _approve(memo, manager)
    assert send_digests() == 1
    assert len(mail.outbox) == 1
    assert "Plain news" in mail.outbox[0].body and "Approve the memo" not in mail.outbox[0].body
    assert "1 notification" in mail.outbox[0].subject
    assert send_digests() == 0


def test_a_digest_whose_every_item_was_resolved_is_not_sent(owner, manager, manager2):
    NotificationPreference.objects.create(user=manager2, kind="general", delivery="digest")
    memo = _memo(owner)
    _ask(memo, [manager2], "approve")
    _approve(memo, manager)
    assert send_digests() == 0 and mail.outbox == []


@pytest.mark.parametrize(
    ("delivery", "at_once", "in_digest"), [("immediate", 1, 0), ("digest", 0, 1), ("portal", 0, 0)]
)
def test_each_delivery_preference_end_to_end(
    owner, client_for, delivery, at_once, in_digest, django_capture_on_commit_callbacks
):
    response = client_for(owner).post(
        reverse("notification_settings"), {"general": delivery, "reminder": "immediate"}
    )
    assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[owner], subject="Decided")
    assert len(mail.outbox) == at_once
    assert send_digests() == in_digest
    assert len(mail.outbox) == at_once + in_digest
    # Whatever the way, it is in the portal, and a second sweep sends nothing.
    assert send_emails() == 0 and send_digests() == 0
    assert Notification.objects.filter(recipient=owner, subject="Decided").exists()


def test_an_unknown_delivery_is_refused_with_a_message_and_changes_nothing(owner, client_for):
    NotificationPreference.objects.create(user=owner, kind="general", delivery="digest")
    response = client_for(owner).post(
        reverse("notification_settings"), {"general": "portal", "reminder": "carrier-pigeon"}
    )
    assert response.status_code == 400
    assert "Choose one of the ways offered." in response.content.decode()
    assert dict(NotificationPreference.objects.filter(user=owner).values_list("kind", "delivery")) == {
        "general": "digest"
    }


# -- the page and the API -------------------------------------------------------------------------


def _groups_of(response):
    return [(g.latest.subject, [n.subject for n in g.earlier]) for g in response.context["groups"]]


def test_the_page_groups_notifications_by_object_latest_on_top(owner, manager, client_for):
    first, second = _memo(owner, title="First"), _memo(owner, title="Second")
    _ask(first, [manager], "approve", subject="First: submitted")
    notify(recipients=[manager], subject="Plain news")
    _ask(second, [manager], "approve", subject="Second: submitted")
    _ask(first, [manager], "approve", subject="First: submitted again")
    _ask(first, [manager], "acknowledge", subject="First: approved, please read")
    response = client_for(manager).get(reverse("notifications"))
    assert response.status_code == 200
    assert _groups_of(response) == [
        ("First: approved, please read", ["First: submitted again", "First: submitted"]),
        ("Second: submitted", []),
        ("Plain news", []),
    ]
    html = response.content.decode()
    assert html.count("<details") == 1
    assert "2 earlier notifications about this" in html
    assert (
        html.index("First: approved, please read") < html.index("<details") < html.index("First: submitted")
    )


def test_the_page_runs_a_constant_number_of_queries(owner, manager, manager2, client_for):
    client = client_for(manager)

    def fill(start, count):
        for n in range(start, start + count):
            memo = _memo(owner, title=f"Memo {n}")
            _ask(memo, [manager], "approve", subject=f"Approve memo {n}")
            _approve(memo, manager2)  # resolved, done by someone: named on the page
            _ask(memo, [manager], "acknowledge", subject=f"Read memo {n}")
            notify(recipients=[manager], subject=f"News {n}")

    def measured():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("notifications"))
        assert response.status_code == 200
        return len(captured), response

    fill(0, 2)
    client.get(reverse("notifications"))  # warm what is remembered between requests
    few, response = measured()
    assert len(response.context["groups"]) == 4
    fill(2, 20)
    many, response = measured()
    assert len(response.context["groups"]) == 25  # a page of groups
    assert response.context["page"].paginator.count == 44
    assert response.content.decode().count("Done by Dana Brooks") == 12  # the first 12 memos' groups
    assert few == many


def test_the_api_gives_the_object_and_the_resolution(owner, manager, manager2, api_client):
    memo = _memo(owner)
    _ask(memo, [manager2], "approve")
    notify(recipients=[manager2], subject="Plain news")
    _approve(memo, manager)
    api_client.force_authenticate(manager2)
    rows = api_client.get("/api/v1/notifications/").json()["results"]
    by_subject = {row["subject"]: row for row in rows}
    resolved = by_subject["Please act"]
    assert resolved["about"] == {"type": "pdca_testapp.memo", "id": memo.pk}
    assert resolved["task"] == "approve" and resolved["resolution"] == "done"
    assert resolved["resolved_at"] and resolved["resolved_by"] == "Morgan Meyer"
    assert by_subject["Plain news"]["about"] is None and by_subject["Plain news"]["resolved_at"] is None
    open_ones = api_client.get("/api/v1/notifications/?resolved_at__isnull=true").json()["results"]
    assert [row["subject"] for row in open_ones] == ["Plain news"]


def test_the_api_list_runs_a_constant_number_of_queries(owner, manager, manager2, api_client):
    api_client.force_authenticate(manager)

    def fill(start, count):
        for n in range(start, start + count):
            memo = _memo(owner, title=f"Memo {n}")
            _ask(memo, [manager], "approve", subject=f"Approve memo {n}")
            if n % 2:
                _approve(memo, manager2)

    def measured():
        with CaptureQueriesContext(connection) as captured:
            response = api_client.get("/api/v1/notifications/")
        assert response.status_code == 200
        return len(captured), response.json()

    fill(0, 2)
    few, body = measured()
    assert body["count"] == 2 and {row["resolution"] for row in body["results"]} == {"done", ""}
    fill(2, 20)
    many, body = measured()
    assert body["count"] == 22 and all(row["about"]["type"] == "pdca_testapp.memo" for row in body["results"])
    assert {row["resolved_by"] for row in body["results"]} == {"Dana Brooks", None}
    assert few == many
