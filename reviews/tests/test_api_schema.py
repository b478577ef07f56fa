"""Check's endpoints are documented in the OpenAPI schema, and the schema of
the whole API is generated without a warning."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from pdca.api_urls import router

PATHS = {
    "/api/v1/review-schedules/": {"get"},
    "/api/v1/review-schedules/{id}/": {"get", "put", "patch"},
    "/api/v1/reviews/": {"get", "post"},
    "/api/v1/reviews/{id}/": {"get", "patch"},
    "/api/v1/reviews/{id}/start/": {"post"},
    "/api/v1/reviews/{id}/submit/": {"post"},
    "/api/v1/reviews/{id}/return/": {"post"},
    "/api/v1/reviews/{id}/approve/": {"post"},
    "/api/v1/reviews/{id}/addenda/": {"post"},
    "/api/v1/reviews/{id}/inputs/{key}/": {"put"},
    "/api/v1/reviews/{id}/attainment/{attainment_id}/": {"patch"},
    "/api/v1/findings/": {"get", "post"},
    "/api/v1/findings/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/review-actions/": {"get", "post"},
    "/api/v1/review-actions/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/review-actions/{id}/done/": {"post"},
}


def _generate():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(
        request=None, public=True
    )
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return schema, warnings


def test_the_whole_api_generates_a_valid_schema_without_warnings():
    schema, warnings = _generate()
    assert warnings == {}
    validate_schema(schema)
    for url, methods in PATHS.items():
        assert url in schema["paths"], url
        assert methods == set(schema["paths"][url]) - {"parameters"}, url


def test_check_documents_its_refusals_and_shapes():
    schema, _warnings = _generate()
    paths, components = schema["paths"], schema["components"]["schemas"]
    approve = paths["/api/v1/reviews/{id}/approve/"]["post"]
    assert approve["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith("/Review")
    assert {"400", "403", "404", "409"} <= set(approve["responses"])
    refusal = approve["responses"]["403"]["content"]["application/json"]["schema"]["$ref"]
    assert refusal.endswith("/Refusal")
    edit = paths["/api/v1/reviews/{id}/"]["patch"]
    request = edit["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    # A PATCH body is documented as partial; its description says `revision` is required all the same.
    assert components[request]["properties"]["revision"]["description"].startswith("Required")
    assert "409" in edit["responses"]
    review = components["Review"]["properties"]
    for name in (
        "attainment",
        "findings",
        "actions",
        "addenda",
        "approval",
        "content_hash",
        "available_actions",
        "refused_actions",
        "submission_problems",
        "minutes_html",
        "inputs",
    ):
        assert name in review, name
    assert {"ReviewKindEnum", "ReviewStatusEnum", "FindingStatusEnum", "GradeEnum"} <= set(components)
    filters = {p["name"] for p in paths["/api/v1/findings/"]["get"]["parameters"]}
    assert {"grade", "process", "review", "review_kind", "status", "raised_before", "raised_after"} <= filters
    filters = {p["name"] for p in paths["/api/v1/reviews/"]["get"]["parameters"]}
    assert {
        "kind",
        "status",
        "plan",
        "process",
        "reviewer",
        "planned_on_after",
        "awaiting_my_approval",
    } <= filters


@pytest.mark.django_db
def test_the_schema_is_served(api_for, owner):
    response = api_for(owner).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert set(PATHS) <= set(response.json()["paths"])
