"""Act's endpoints are documented in the OpenAPI schema, with their refusals,
and the schema of the whole API is generated without a warning."""

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from pdca.api_urls import router

IMPROVEMENT = "/api/v1/improvements/{number}/"
PROJECT = "/api/v1/improvement-projects/{id}/"
PATHS = {
    "/api/v1/improvements/": {"get", "post"},
    "/api/v1/improvements/promote/": {"post"},
    IMPROVEMENT: {"get", "patch"},
    **{
        f"{IMPROVEMENT}{action}/": {"post"}
        for action in (
            "approve",
            "reject",
            "baseline",
            "baseline/accept",
            "start",
            "implemented",
            "results",
            "evaluate",
            "close",
        )
    },
    f"{IMPROVEMENT}nonconformity/": {"put"},
    "/api/v1/improvement-projects/": {"get", "post"},
    PROJECT: {"get", "put", "patch"},
    f"{PROJECT}approve/": {"post"},
    f"{PROJECT}milestones/": {"post"},
    f"{PROJECT}milestones/{{milestone_id}}/": {"put"},
    "/api/v1/baselines/": {"get"},
    "/api/v1/baselines/{id}/": {"get"},
    "/api/v1/results/": {"get"},
    "/api/v1/results/{id}/": {"get"},
    "/api/v1/effectiveness-checks/": {"get"},
    "/api/v1/effectiveness-checks/{id}/": {"get"},
}


def _generate():
    GENERATOR_STATS.reset()
    schema = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))]).get_schema(
        request=None, public=True
    )
    warnings = dict(GENERATOR_STATS._warn_cache) | dict(GENERATOR_STATS._error_cache)
    GENERATOR_STATS.reset()
    return schema, warnings


def test_the_whole_api_with_act_generates_a_valid_schema_without_warnings():
    schema, warnings = _generate()
    assert warnings == {}
    validate_schema(schema)
    for url, methods in PATHS.items():
        assert url in schema["paths"], url
        assert methods == set(schema["paths"][url]) - {"parameters"}, url


def test_act_documents_its_refusals_shapes_and_filters():
    schema, _warnings = _generate()
    paths, components = schema["paths"], schema["components"]["schemas"]
    approve = paths[f"{IMPROVEMENT}approve/"]["post"]
    assert approve["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Improvement"
    )
    assert {"400", "403", "404", "409"} <= set(approve["responses"])
    refusal = approve["responses"]["403"]["content"]["application/json"]["schema"]["$ref"]
    assert refusal.endswith("/Refusal")
    assert {p["name"]: p["schema"]["type"] for p in approve["parameters"]} == {"number": "integer"}
    edit = paths[IMPROVEMENT]["patch"]
    request = edit["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert components[request]["properties"]["revision"]["description"].startswith("Required")
    assert "409" in edit["responses"]
    improvement = components["Improvement"]["properties"]
    for name in (
        "finding",
        "processes",
        "projects",
        "baseline",
        "results",
        "effectiveness_checks",
        "correction",
        "root_cause",
        "root_cause_method",
        "similar_elsewhere",
        "corrective_action",
        "nonconformity_problems",
        "available_actions",
        "refused_actions",
    ):
        assert name in improvement, name
    assert {"ImprovementStatusEnum", "ProjectStatusEnum"} <= set(components)
    filters = {p["name"] for p in paths["/api/v1/improvements/"]["get"]["parameters"]}
    assert {
        "status",
        "scope",
        "owner",
        "process",
        "source",
        "priority",
        "overdue",
        "required_before",
        "required_after",
        "finding",
        "ordering",
    } <= filters
    for url in ("/api/v1/baselines/", "/api/v1/results/", "/api/v1/effectiveness-checks/"):
        assert "improvement" in {p["name"] for p in paths[url]["get"]["parameters"]}, url


@pytest.mark.django_db
def test_the_schema_is_served(api_for, owner):
    response = api_for(owner).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    assert set(PATHS) <= set(response.json()["paths"])
