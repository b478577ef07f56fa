"""C5: reminders before a review is due (60, 30, 7 days), on the day and weekly
while overdue, escalated to the managers; each raised exactly once, caught
up after downtime, e-mailed and retried until it goes out."""

import datetime
import threading
from smtplib import SMTPException

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.utils import timezone

from pdca.models import JobRun, Notification, NotificationPreference, Reminder
from pdca.reminders import raise_reminders, stage_for
from reviews import services
from reviews.dates import add_months
from reviews.models import ReviewSchedule

DUE = datetime.date(2027, 3, 31)


def _at(day, hour=6):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, hour, tzinfo=timezone.get_current_timezone())
    )


@pytest.fixture
def schedule(communicated_plan, owner):
    return services.save_schedule(
        plan=communicated_plan, actor=owner, interval_months=12, next_planned_on=DUE, reviewer=owner
    )


def _stages(schedule):
    return sorted(
        (r.stage for r in Reminder.objects.filter(object_id=schedule.pk, due_on=schedule.next_planned_on)),
        reverse=True,
    )


def test_stages_of_a_due_date():
    assert stage_for(DUE, DUE - datetime.timedelta(days=61)) is None
    assert stage_for(DUE, DUE - datetime.timedelta(days=60)) == 60
    assert stage_for(DUE, DUE - datetime.timedelta(days=31)) == 60
    assert stage_for(DUE, DUE - datetime.timedelta(days=30)) == 30
    assert stage_for(DUE, DUE - datetime.timedelta(days=7)) == 7
    assert stage_for(DUE, DUE) == 0
    assert stage_for(DUE, DUE + datetime.timedelta(days=6)) == 0
    assert stage_for(DUE, DUE + datetime.timedelta(days=7)) == -7
    assert stage_for(DUE, DUE + datetime.timedelta(days=20)) == -14


@pytest.mark.django_db
@pytest.mark.parametrize("days_before", [60, 30, 7, 0])
def test_each_threshold_fires_on_its_day(schedule, owner, days_before, django_capture_on_commit_callbacks):
    day = DUE - datetime.timedelta(days=days_before)
    with _at(day - datetime.timedelta(days=1)):
        raise_reminders()
    before = Reminder.objects.count()
    with _at(day), django_capture_on_commit_callbacks(execute=True):
        assert raise_reminders() == 1
    assert Reminder.objects.count() == before + 1
    reminder = Reminder.objects.order_by("-pk").first()
    assert (reminder.due_on, reminder.stage, reminder.recipients) == (DUE, days_before, [owner.pk])
    notification = Notification.objects.filter(recipient=owner, kind="reminder").order_by("-pk").first()
    assert notification.url == schedule.get_absolute_url()
    assert "Incident management plan" in notification.body
    assert mail.outbox and mail.outbox[-1].to == [owner.email]  # e-mailed at once by default


@pytest.mark.django_db
def test_running_twice_on_the_same_day_raises_once(schedule):
    with _at(DUE - datetime.timedelta(days=7)):
        assert raise_reminders() == 1
        assert raise_reminders() == 0
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(kind="reminder").count() == 1


@pytest.mark.django_db
def test_a_twenty_day_outage_is_caught_up_with_one_reminder(schedule):
    with _at(DUE - datetime.timedelta(days=40)):
        raise_reminders()
    assert _stages(schedule) == [60]
    # The worker is down from 39 days before until 19 days before: the 30-day
    # reminder was missed; the next run raises it, once, and nothing older.
    with _at(DUE - datetime.timedelta(days=19)):
        assert raise_reminders() == 1
    assert _stages(schedule) == [60, 30]
    # Down again over the due date: back 10 days late, one overdue reminder.
    with _at(DUE + datetime.timedelta(days=10)):
        assert raise_reminders() == 1
    assert _stages(schedule) == [60, 30, -7]


@pytest.mark.django_db
def test_weekly_while_overdue_and_escalated_to_the_managers(schedule, owner, manager, manager2, settings):
    settings.REMINDER_ESCALATION_WEEKS = 2
    schedule.plan.process.deputies.add(manager2)
    with _at(DUE + datetime.timedelta(days=3)):
        raise_reminders()
    on_the_day = Reminder.objects.get(stage=0)
    assert not on_the_day.escalated and on_the_day.recipients == [owner.pk]
    with _at(DUE + datetime.timedelta(days=7)):
        raise_reminders()
    first_week = Reminder.objects.get(stage=-7)
    assert first_week.escalated and {owner.pk, manager.pk, manager2.pk} <= set(first_week.recipients)
    assert Notification.objects.filter(recipient=manager, subject__startswith="Overdue").exists()
    with _at(DUE + datetime.timedelta(days=14)):
        raise_reminders()
    # After the configured weeks the deputies are told too (manager2 is both here).
    assert manager2.pk in Reminder.objects.get(stage=-14).recipients
    assert _stages(schedule) == [0, -7, -14]


@pytest.mark.django_db
def test_a_replanned_due_date_starts_its_own_reminders(schedule, owner):
    with _at(DUE - datetime.timedelta(days=7)):
        raise_reminders()
        services.save_schedule(
            plan=schedule.plan,
            actor=owner,
            interval_months=12,
            next_planned_on=DUE + datetime.timedelta(days=45),
            reviewer=owner,
        )
        assert raise_reminders() == 1  # the new date's 60-day reminder
    new = ReviewSchedule.objects.get(pk=schedule.pk)
    assert _stages(new) == [60]
    with _at(DUE + datetime.timedelta(days=8)):
        raise_reminders()
    # The old due date raises nothing more (it is no longer what is due).
    assert not Reminder.objects.filter(due_on=DUE, stage__lt=7).exists()


@pytest.mark.django_db
def test_approving_the_review_moves_the_due_date_on(schedule, owner, manager):
    from reviews.tests import factories

    with _at(DUE - datetime.timedelta(days=3)):
        raise_reminders()
        review = factories.process_review(schedule.plan, owner, planned_on=DUE)
        factories.approved(review, owner, manager)
    schedule.refresh_from_db()
    assert schedule.next_planned_on == add_months(DUE, 12)
    with _at(DUE + datetime.timedelta(days=8)):
        assert raise_reminders() == 0  # nothing is overdue any more


@pytest.mark.django_db
def test_open_review_actions_are_reminded_to_their_owner(planned_review, owner, operators):
    from reviews.tests import factories

    review = factories.held(planned_review, owner)
    action = services.save_action(
        review=review, actor=owner, description="Retrain the desk", owner=operators[0], due_on=DUE
    )
    with _at(DUE):
        raise_reminders()
    reminder = Reminder.objects.get(object_id=action.pk, stage=0)
    assert reminder.recipients == [operators[0].pk]
    services.complete_action(action=action, actor=operators[0])
    with _at(DUE + datetime.timedelta(days=7)):
        raise_reminders()
    assert not Reminder.objects.filter(object_id=action.pk, stage=-7).exists()


@pytest.mark.django_db
def test_a_failed_email_is_retried_and_sent_once_it_succeeds(schedule, owner, monkeypatch):
    from pdca import mail as portal_mail

    def refuse(**kwargs):
        raise SMTPException("Mail server down")

    Notification.objects.update(emailed_at=timezone.now())  # the fixtures' own notifications are sent
    monkeypatch.setattr(portal_mail, "send_mail", refuse)
    with _at(DUE - datetime.timedelta(days=7)):
        raise_reminders()
        assert portal_mail.send_emails() == 0
    notification = Notification.objects.get(kind="reminder")
    assert notification.emailed_at is None and notification.email_attempts == 1
    monkeypatch.undo()
    with _at(DUE - datetime.timedelta(days=7)):
        assert portal_mail.send_emails() == 0  # not yet: it waits before the next attempt
    with _at(DUE - datetime.timedelta(days=6)):
        assert portal_mail.send_emails() == 1
        assert portal_mail.send_emails() == 0
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [owner.email]


@pytest.mark.django_db
def test_a_daily_digest_instead_of_single_emails(schedule, owner, django_capture_on_commit_callbacks):
    from pdca import mail as portal_mail

    NotificationPreference.objects.create(user=owner, kind="reminder", delivery="digest")
    with _at(DUE - datetime.timedelta(days=7)), django_capture_on_commit_callbacks(execute=True):
        raise_reminders()
    assert mail.outbox == []
    assert portal_mail.send_digests() == 1
    assert len(mail.outbox) == 1 and "digest" in mail.outbox[0].subject
    assert portal_mail.send_digests() == 0


@pytest.mark.django_db
def test_the_job_records_its_last_success_and_healthz_reports_a_late_run(schedule, client):
    with _at(DUE - datetime.timedelta(days=7)):
        raise_reminders()
        body = client.get("/healthz").json()
        assert body["reminders"]["status"] == "up"
    with _at(DUE - datetime.timedelta(days=5)):
        response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["reminders"]["status"] == "late"
    assert JobRun.objects.get(name="raise_reminders").last_result["raised"] == 1


def test_beat_runs_the_job_daily_at_the_configured_time():
    from pdca.celery import app

    entry = app.conf.beat_schedule["raise-reminders"]
    assert entry["task"] == "pdca.tasks.raise_reminders"
    assert entry["schedule"].hour == {6} and entry["schedule"].minute == {0}


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_raise_each_reminder_once(schedule):
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            results.append(raise_reminders(DUE - datetime.timedelta(days=7)))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(results) == [0, 1]
    assert Reminder.objects.count() == 1
    assert Notification.objects.filter(kind="reminder").count() == 1
