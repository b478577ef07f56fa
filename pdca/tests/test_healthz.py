import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_broker_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "up"
    assert body["database"]["status"] == "up"
    assert body["broker"]["status"] == "up"


@pytest.mark.django_db
def test_healthz_needs_no_login(client):
    assert client.get("/healthz").status_code in (200, 503)


@pytest.mark.django_db
def test_healthz_reports_a_broker_that_is_down_as_down(client, settings):
    # Nothing listens on port 1 of the loopback address.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["broker"]["status"] == "down"
    assert body["database"]["status"] == "up"


@pytest.mark.django_db
def test_healthz_reports_an_unwritable_filesystem_broker_as_down(client, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the queue folder should be")
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(blocked / "queue")}
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["broker"]["status"] == "down"
