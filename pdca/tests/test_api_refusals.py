"""The API's shared refusals: invalid list filters are a 400 naming the
parameter, an unknown URL under /api/ answers JSON, and the schema documents
the refusals every operation can give."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, parameter",
    [
        ("conformance_review_due=maybe", "conformance_review_due"),
        ("conformance_review_due=null", "conformance_review_due"),
        ("kind=", "kind"),
        ("kind=smp&kind=process", "kind"),
    ],
)
def test_an_invalid_filter_value_is_a_400_naming_the_parameter(api_for, smp, manager, query, parameter):
    response = api_for(manager).get(f"/api/v1/plans/?{query}")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [parameter]
    assert response.json()["detail"].startswith(f"{parameter}: ")


@pytest.mark.django_db
def test_an_id_filter_takes_a_whole_number(api_for, smp, manager):
    response = api_for(manager).get("/api/v1/decisions/?object_id=0.5")
    assert response.status_code == 400
    assert response.json()["errors"] == {"object_id": ["Give a whole number."]}
    assert api_for(manager).get(f"/api/v1/decisions/?object_id={smp.pk}").status_code == 200


@pytest.mark.django_db
def test_valid_filter_values_still_filter(api_for, smp, manager):
    api = api_for(manager)
    assert api.get("/api/v1/plans/?kind=smp&conformance_review_due=false").json()["count"] == 1
    assert api.get("/api/v1/plans/?kind=process").json()["count"] == 0


@pytest.mark.django_db
def test_an_unknown_api_url_answers_json(api_for, manager, client_for):
    response = api_for(manager).get("/api/v1/plans/not-a-number/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}
    page = client_for(manager).get("/no-such-page/")
    assert page.status_code == 404
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.django_db
def test_the_schema_documents_the_refusals_of_every_operation(api_for, owner):
    schema = api_for(owner).get("/api/schema/", {"format": "json"}).json()
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            parameters = operation.get("parameters", [])
            assert "403" in responses, (method, path)
            if "requestBody" in operation or any(p["in"] == "query" for p in parameters):
                assert "400" in responses, (method, path)
            if any(p["in"] == "path" for p in parameters):
                assert "404" in responses, (method, path)
            if method in {"post", "put", "patch", "delete"}:
                assert "409" in responses, (method, path)
    handover = schema["components"]["schemas"]["Handover"]["properties"]
    assert handover["decided_by"]["nullable"] is True
    assert schema["components"]["schemas"]["Implementation"]["properties"]["kpis"]["nullable"] is True
