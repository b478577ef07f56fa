"""The OpenAPI schema is generated and written once per process for each
language, version and format (`pdca.api_views.SchemaView`): it changes only
with the code."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from pdca.api_views import SchemaView

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated(monkeypatch):
    """Count the generator's runs, from an empty store of schemas."""
    monkeypatch.setattr(SchemaView, "_written", {})
    runs = []
    original = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        runs.append(self.api_version)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    return runs


def test_the_schema_is_generated_once_and_served_the_same_to_everybody(generated, api_for, manager, auditor):
    first = api_for(manager).get("/api/schema/", {"format": "json"})
    assert first.status_code == 200 and len(generated) == 1
    again = api_for(auditor).get("/api/schema/", {"format": "json"})
    assert len(generated) == 1
    assert again.json() == first.json() and again["Content-Type"] == first["Content-Type"]
    assert again["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert "/api/v1/tasks/" in first.json()["paths"]
    assert 'filename="PDCA portal API.json"' in again["Content-Disposition"]
    # Another format is written from a schema of its own, once.
    yaml = api_for(auditor).get("/api/schema/")
    assert yaml.status_code == 200 and "/api/v1/tasks/:" in yaml.content.decode()
    assert yaml["Content-Type"].startswith("application/vnd.oai.openapi") and len(generated) == 2
    api_for(manager).get("/api/schema/")
    assert len(generated) == 2


def test_each_language_has_its_own_schema(generated, api_for, manager):
    api = api_for(manager)
    assert api.get("/api/schema/", {"format": "json"}).status_code == 200
    assert api.get("/api/schema/", {"format": "json", "lang": "de"}).status_code == 200
    assert api.get("/api/schema/", {"format": "json", "lang": "de"}).status_code == 200
    assert len(generated) == 2
