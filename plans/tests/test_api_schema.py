"""The Plan endpoints are documented in the OpenAPI schema, without warnings."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import DefaultRouter

from plans import api

PATHS = {
    "/api/v1/processes/": {"get", "post"},
    "/api/v1/processes/{id}/": {"get", "put", "patch"},
    "/api/v1/plans/": {"get", "post"},
    "/api/v1/plans/{id}/": {"get", "patch"},
    "/api/v1/plans/{id}/revise/": {"post"},
    "/api/v1/plans/{id}/confirm-conformance/": {"post"},
    "/api/v1/plans/{id}/distribution/": {"put"},
    "/api/v1/plans/{id}/compare/": {"get"},
    "/api/v1/versions/": {"get"},
    "/api/v1/versions/{id}/": {"get", "put", "patch"},
    "/api/v1/versions/{id}/responsibilities/": {"put"},
    "/api/v1/versions/{id}/submit/": {"post"},
    "/api/v1/versions/{id}/approve/": {"post"},
    "/api/v1/versions/{id}/request-changes/": {"post"},
    "/api/v1/versions/{id}/communicate/": {"post"},
    "/api/v1/versions/{id}/acknowledge/": {"post"},
    "/api/v1/objectives/": {"get", "post"},
    "/api/v1/objectives/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/kpis/": {"get", "post"},
    "/api/v1/kpis/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/responsibilities/": {"get"},
    "/api/v1/acknowledgements/": {"get"},
}


@pytest.mark.django_db
def test_the_schema_documents_every_plan_endpoint(api_for, owner):
    response = api_for(owner).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    for url, methods in PATHS.items():
        assert url in schema["paths"], url
        assert methods <= set(schema["paths"][url]), url
    submit = schema["paths"]["/api/v1/versions/{id}/submit/"]["post"]
    assert submit["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Version")
    assert {"400", "403", "409"} <= set(submit["responses"])
    update = schema["paths"]["/api/v1/versions/{id}/"]["put"]
    request_schema = update["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"revision", "sections"} <= set(schema["components"]["schemas"][request_schema]["required"])
    compare = schema["paths"]["/api/v1/plans/{id}/compare/"]["get"]
    assert {p["name"] for p in compare["parameters"] if p.get("required")} >= {"a", "b"}


def test_the_plan_endpoints_generate_a_valid_schema_without_warnings():
    router = DefaultRouter()
    api.register(router)
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(
        request=None, public=True
    )
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    assert warnings == {}
    validate_schema(schema)
    assert set(PATHS) <= set(schema["paths"])
