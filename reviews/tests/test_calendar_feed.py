"""C5: a personal iCalendar feed at a secret URL: it parses as iCalendar, holds
exactly the user's items, and a wrong or regenerated token gets nothing."""

import icalendar
import pytest
from django.urls import reverse

from pdca import feeds
from pdca.models import CalendarToken

pytestmark = pytest.mark.django_db


def _events(response):
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_holds_exactly_the_users_items(
    client, owner, other_owner, planned_review, communicated_plan
):
    token = feeds.new_token(owner)
    response = client.get(reverse("calendar_feed", args=[token]))  # no login: the token is the credential
    assert response.status_code == 200
    events = _events(response)
    assert planned_review.title in events
    assert "Review due: Incident management plan" in events
    assert str(events[planned_review.title]["dtstart"].dt) == planned_review.planned_on.isoformat()
    assert all("@" in event["uid"] for event in events.values())
    other = feeds.new_token(other_owner)
    assert _events(client.get(reverse("calendar_feed", args=[other]))) == {}


def test_a_wrong_or_regenerated_token_gets_nothing(client, owner, planned_review):
    old = feeds.new_token(owner)
    assert client.get(reverse("calendar_feed", args=["not-a-token"])).status_code == 404
    new = feeds.new_token(owner)
    assert client.get(reverse("calendar_feed", args=[old])).status_code == 404
    assert client.get(reverse("calendar_feed", args=[new])).status_code == 200


def test_the_token_is_stored_hashed_and_a_deactivated_users_feed_stops(client, owner):
    token = feeds.new_token(owner)
    stored = CalendarToken.objects.get(user=owner)
    assert token not in stored.token_hash and len(stored.token_hash) == 64
    owner.is_active = False
    owner.save()
    assert client.get(reverse("calendar_feed", args=[token])).status_code == 404


def test_the_feed_page_shows_the_address_once(client_for, owner):
    client = client_for(owner)
    page = client.get(reverse("calendar_feed_page")).content.decode()
    assert "no feed address yet" in page
    made = client.post(reverse("calendar_feed_page")).content.decode()
    assert "/calendar/" in made and ".ics" in made
    assert ".ics" not in client.get(reverse("calendar_feed_page")).content.decode().split("In your feed")[0]


def test_one_review_as_an_invitation(client_for, owner, planned_review):
    response = client_for(owner).get(reverse("reviews:invite", args=[planned_review.pk]))
    events = _events(response)
    assert list(events) == [planned_review.title]


def test_the_api_makes_a_new_feed_address_and_lists_reminders(api_for, owner):
    api = api_for(owner)
    assert api.get("/api/v1/calendar-feed/").json() == {"exists": False, "created_at": None, "url": ""}
    made = api.post("/api/v1/calendar-feed/regenerate/").json()
    assert made["exists"] and ".ics" in made["url"]
    assert api.get("/api/v1/calendar-feed/").json()["url"] == ""
    assert api.get("/api/v1/notifications/?kind=reminder").status_code == 200


def test_notification_settings_choose_the_delivery_per_kind(client_for, owner):
    from pdca.models import NotificationPreference

    client = client_for(owner)
    # Bad input is refused with a message and changes nothing.
    response = client.post(reverse("notification_settings"), {"reminder": "digest", "general": "bogus"})
    assert response.status_code == 400 and "Choose one of the ways offered." in response.content.decode()
    assert not NotificationPreference.objects.exists()
    response = client.post(reverse("notification_settings"), {"reminder": "digest"})
    assert response.status_code == 302
    assert list(NotificationPreference.objects.values_list("kind", "delivery")) == [("reminder", "digest")]
