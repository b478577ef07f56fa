"""`accounts.people.name_of`: the database gives a person's name exactly as
`User.__str__` does, for lists that show thousands of rows."""

import pytest

from accounts.models import User
from accounts.people import name_of
from pdca.models import Notification

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "last", "shown"),
    [("Ada", "Lovelace", "Ada Lovelace"), ("Ada", "", "Ada"), ("", "Lovelace", "Lovelace"), ("", "", "ada")],
)
def test_the_name_is_the_full_name_or_the_username(first, last, shown):
    person = User.objects.create(username="ada", first_name=first, last_name=last)
    assert str(person) == shown
    Notification.objects.create(recipient=person, subject="x")
    assert Notification.objects.annotate(name=name_of("recipient")).get().name == shown


def test_nobody_named_gives_no_name():
    person = User.objects.create(username="ada", first_name="Ada")
    Notification.objects.create(recipient=person, subject="x")  # resolved by nobody yet
    assert Notification.objects.annotate(name=name_of("resolved_by")).get().name is None
