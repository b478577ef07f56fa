import pytest
from django.core import mail

from pdca.mail import send_emails
from pdca.models import Notification
from pdca.notifications import notify


@pytest.mark.django_db
def test_notify_shows_in_the_portal_and_sends_one_email(owner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[owner, owner], subject="Plan approved", body="Your plan was approved.", url="/")
    assert Notification.objects.filter(recipient=owner).count() == 1
    assert len(mail.outbox) == 1
    assert "Plan approved" in mail.outbox[0].subject
    # The periodic sweep does not send it again.
    assert send_emails() == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_lost_email_task_is_made_good_by_the_sweep(owner):
    # Without running on-commit callbacks the task is never queued: as if lost.
    notify(recipients=[owner], subject="Review due")
    assert len(mail.outbox) == 0
    assert send_emails() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_notification_page_lists_and_opens_notifications(client_for, owner):
    notify(recipients=[owner], subject="Please acknowledge", url="/notifications/")
    client = client_for(owner)
    page = client.get("/notifications/")
    assert "Please acknowledge" in page.content.decode()
    notification = Notification.objects.get()
    response = client.post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at is not None


@pytest.mark.django_db
def test_users_cannot_open_each_others_notifications(client_for, owner, other_owner):
    notify(recipients=[owner], subject="Private")
    notification = Notification.objects.get()
    response = client_for(other_owner).post(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 404
