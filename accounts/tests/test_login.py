import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.tests.factories import PASSWORD, UserFactory


def _page_paths():
    """Every browser page without URL arguments (the API and the health probe excluded)."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            route = str(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + route)
            elif isinstance(entry, URLPattern) and "<" not in route and "(?P" not in route:
                yield "/" + prefix + route.lstrip("^").rstrip("$")

    for path in walk(get_resolver().url_patterns):
        # Public by design: the API (it answers 401/403 itself), the health check,
        # the login page, the admin (its own login) and the favicon.
        if path.startswith(("/api/", "/healthz", "/accounts/login", "/admin/", "/favicon.ico")):
            continue
        yield path


@pytest.mark.django_db
def test_login_and_logout(client):
    UserFactory(username="olivia")
    response = client.post("/accounts/login/", {"username": "olivia", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200

    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_wrong_password_is_refused_with_a_message(client):
    UserFactory(username="olivia")
    response = client.post("/accounts/login/", {"username": "olivia", "password": "wrong"})
    assert response.status_code == 200
    assert "enter a correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_anonymous_users_are_sent_to_login_from_every_page(client):
    paths = sorted(set(_page_paths()))
    assert "/" in paths and len(paths) > 3
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/?next="), path


@pytest.mark.django_db
def test_anonymous_users_get_401_or_403_from_the_api(client):
    from pdca.api_urls import router

    assert client.get("/api/v1/").status_code in (401, 403)
    for prefix, _viewset, _basename in router.registry:
        response = client.get(f"/api/v1/{prefix}/")
        assert response.status_code in (401, 403), prefix


@pytest.mark.django_db
def test_token_authentication_works_for_the_api(client):
    from rest_framework.authtoken.models import Token

    user = UserFactory()
    token = Token.objects.create(user=user)
    response = client.get("/api/v1/users/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


@pytest.mark.django_db
def test_password_change(client):
    user = UserFactory(username="olivia")
    client.force_login(user)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-much-better-pass-9",
            "new_password2": "a-much-better-pass-9",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-much-better-pass-9")
