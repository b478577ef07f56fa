import pytest
from django.core.management import call_command

from accounts import roles
from accounts.models import User
from pdca.demo import DEMO_PASSWORD


@pytest.mark.django_db
def test_seed_demo_creates_one_user_per_role_and_prints_logins(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for role in roles.ALL_ROLES:
        assert User.objects.filter(groups__name=role).exists(), role
    assert DEMO_PASSWORD in out
    assert "manager" in out and "auditor" in out
    assert User.objects.get(username="owner").check_password(DEMO_PASSWORD)


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    from django.apps import apps

    call_command("seed_demo", quiet=True)
    counts = {
        m.__name__: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "plans", "pdca"}
    }
    call_command("seed_demo", quiet=True)
    again = {
        m.__name__: m.objects.count()
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "plans", "pdca"}
    }
    assert counts == again
