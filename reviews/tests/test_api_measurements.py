"""C1 in the REST API: the same rules as the pages (who records, the version in
force, one value per period, all or nothing), who reads what, the filters, the
bulk endpoint, and the schema."""

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import include, path
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from rest_framework.routers import DefaultRouter

from pdca.models import Decision
from plans.do import services as implementation
from plans.models import Kpi
from reviews import measurements
from reviews.api import measurements as api
from reviews.models import Measurement
from reviews.tests.test_measurements import last_month, make_kpi_owner, make_two_kpis, months_ago, record

pytestmark = pytest.mark.django_db
URL = "/api/v1/measurements/"


def body(kpi, value="97.5", period=None, **extra):
    start, end = period or last_month()
    return {
        "kpi": kpi.pk,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "value": value,
        **extra,
    }


@pytest.fixture
def kpi_owner(db):
    return make_kpi_owner()


@pytest.fixture
def two_kpis(communicated_plan, owner, manager, kpi_owner):
    return make_two_kpis(communicated_plan, owner, manager, kpi_owner)


# -- who may record --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 201),  # the KPI's owner and the process owner
        ("operator", 201),
        ("deputy", 201),
        ("other_owner", 403),
        ("auditor", 403),
        ("staff", 403),
        ("manager", 403),  # top management records the SMP's KPIs, not a process's
    ],
)
def test_c1_who_records_a_value_through_the_api(
    api_for, kpi, implementing_plan, owner, other_owner, operators, who, status, request
):
    implementation.assign_kpi_operator(kpi=kpi, actor=owner, operator=operators[0])
    if who == "operator":
        actor = operators[0]
    elif who == "deputy":
        actor = operators[1]
        implementing_plan.process.deputies.add(actor)
    else:
        actor = request.getfixturevalue(who)
    response = api_for(actor).post(URL, body(kpi), format="json")
    assert response.status_code == status, response.json()
    assert Measurement.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        data = response.json()
        assert (data["kpi"], data["value"], data["met"], data["recorded_by"]["id"]) == (
            kpi.pk,
            "97.5000",
            True,
            actor.pk,
        )
        assert data["kpi_key"] == str(kpi.key) and data["target"] == "95.0000"
    else:
        assert response.json()["detail"]


def test_c1_the_smps_kpis_are_recorded_by_top_management(api_for, smp, manager, owner):
    smp_kpi = Kpi.objects.get(objective__version=smp.current_version)
    assert api_for(owner).post(URL, body(smp_kpi), format="json").status_code == 403
    assert api_for(manager).post(URL, body(smp_kpi), format="json").status_code == 201


def test_c1_only_kpis_of_the_version_in_force_through_the_api(api_for, communicated_plan, owner):
    from plans import services as plan_services

    draft = plan_services.revise_plan(plan=communicated_plan, actor=owner)
    draft_kpi = Kpi.objects.get(objective__version=draft)
    response = api_for(owner).post(URL, body(draft_kpi), format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["kpi"] == [
        "Measurements are recorded for the KPIs of the version in force."
    ]


def test_c1_a_bad_value_or_period_is_a_400_with_a_message_per_field(api_for, kpi, owner):
    response = api_for(owner).post(
        URL,
        body(kpi, value="abc", period=(datetime.date(2026, 2, 1), datetime.date(2026, 1, 1))),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors["value"] == ["“abc” is not a number."]
    assert errors["period_end"] == ["The period ends before it starts."]
    assert not Measurement.objects.exists()


def test_c1_a_duplicate_period_is_refused_through_the_api(api_for, kpi, owner):
    api = api_for(owner)
    assert api.post(URL, body(kpi, "96"), format="json").status_code == 201
    response = api.post(URL, body(kpi, "97"), format="json")
    assert response.status_code == 400
    assert "already recorded" in response.json()["errors"]["period_start"][0]
    assert Measurement.objects.count() == 1


@pytest.mark.parametrize("payload", [[], None, {"kpi": "first", "value": [1]}, {"kpi": 10**9}])
def test_c1_malformed_input_is_a_400_never_a_500(api_for, kpi, owner, payload):
    response = api_for(owner).generic("POST", URL, json.dumps(payload), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Measurement.objects.exists()


def test_c1_an_auditor_is_refused_before_his_input_is_looked_at(api_for, auditor):
    response = api_for(auditor).post(URL, {"kpi": "garbage"}, format="json")
    assert response.status_code == 403


# -- who reads what ---------------------------------------------------------------------------------


def test_c1_everybody_who_reads_the_sms_reads_every_measurement(
    api_for, measured_kpi, auditor, manager, other_owner
):
    for reader in (auditor, manager, other_owner):
        response = api_for(reader).get(URL)
        assert response.status_code == 200 and response.json()["count"] == 6


def test_c1_staff_read_the_measurements_of_plans_they_can_read(api_for, measured_kpi, staff, operators):
    assert api_for(staff).get(URL).json()["count"] == 6  # the plan was communicated to staff
    outsider = operators[1]  # staff, not on the distribution list... but the plan is communicated
    assert api_for(outsider).get(URL).json()["count"] == 6


def test_c1_staff_do_not_read_the_measurements_of_plans_not_communicated(api_for, smp, manager, staff):
    smp_kpi = Kpi.objects.get(objective__version=smp.current_version)
    measurement = record(smp_kpi, manager, "99.5")
    assert api_for(staff).get(URL).json()["count"] == 0
    assert api_for(staff).get(f"{URL}{measurement.pk}/").status_code == 404


def test_c1_the_list_runs_a_fixed_number_of_queries(
    api_for, measured_kpi, owner, django_assert_max_num_queries
):
    api = api_for(owner)
    api.get(URL)
    with django_assert_max_num_queries(6):
        response = api.get(URL)
    assert response.json()["count"] == 6


# -- filters ---------------------------------------------------------------------------------------------


def test_c1_the_list_filters_by_kpi_series_plan_period_and_recorder(
    api_for, measured_kpi, smp, manager, owner, communicated_plan
):
    smp_kpi = Kpi.objects.get(objective__version=smp.current_version)
    record(smp_kpi, manager, "99.5")
    api = api_for(owner)

    def count(**params):
        response = api.get(URL, params)
        assert response.status_code == 200, response.json()
        return response.json()["count"]

    assert count() == 7
    assert count(kpi=measured_kpi.pk) == 6
    assert count(kpi_key=str(measured_kpi.key)) == 6
    assert count(plan=communicated_plan.pk) == 6
    assert count(plan=smp.pk) == 1
    assert count(recorded_by=manager.pk) == 1
    start, end = months_ago(2)
    assert count(period_end_after=start.isoformat(), period_end_before=end.isoformat()) == 1
    assert count(period_end_after=months_ago(3)[0].isoformat()) == 4  # three of the KPI's, one of the SMP
    newest = api.get(URL, {"kpi": measured_kpi.pk}).json()["results"][0]
    assert newest["value"] == "98.0000"  # newest first


@pytest.mark.parametrize(
    "params",
    [
        {"plan": "abc"},
        {"kpi": "first"},
        {"kpi_key": "not-a-uuid"},
        {"period_end_after": "31.05.2026"},
        {"recorded_by": "me"},
    ],
)
def test_c1_an_invalid_filter_is_a_400(api_for, owner, params):
    response = api_for(owner).get(URL, params)
    assert response.status_code == 400
    assert response.json()["errors"]


# -- corrections ---------------------------------------------------------------------------------------


def test_c1_a_value_is_corrected_through_the_api_and_a_stale_correction_is_a_409(
    api_for, kpi, owner, other_owner
):
    measurement = record(kpi, owner, "91")
    url = f"{URL}{measurement.pk}/"
    api = api_for(owner)
    read = api.get(url).json()
    assert api_for(other_owner).patch(url, {"value": "99"}, format="json").status_code == 403
    response = api.patch(url, {"value": "96", "revision": read["revision"]}, format="json")
    assert response.status_code == 200
    assert (response.json()["value"], response.json()["period_start"]) == ("96.0000", read["period_start"])
    stale = api.patch(url, {"value": "97", "revision": read["revision"]}, format="json")
    assert stale.status_code == 409
    assert Measurement.objects.get().value == Decimal("96")


def test_c1_who_reads_a_value_but_may_not_correct_it_is_refused_whatever_the_body(
    api_for, kpi, owner, other_owner, staff, auditor
):
    """Staff read the values of the plan communicated to them, another process owner
    reads every one; neither records this KPI: a 403 with the reason before the body
    is read, never a 400. Who may correct it is told what is wrong with the body."""
    measurement = record(kpi, owner, "91")
    url = f"{URL}{measurement.pk}/"
    bodies = [[], [{"value": "1"}], None, "text", {}, {"value": "ninety", "period_end": "soon"}]
    for user in (staff, other_owner, auditor):
        api = api_for(user)
        assert api.get(url).status_code == 200, user
        for method in ("put", "patch"):
            for payload in bodies:
                response = getattr(api, method)(url, json.dumps(payload), content_type="application/json")
                assert response.status_code == 403, (user, method, payload, response.content)
                assert response.json()["detail"], (user, method, payload)
    assert Measurement.objects.get().value == Decimal("91")
    for payload in bodies[:4]:
        response = api_for(owner).patch(url, json.dumps(payload), content_type="application/json")
        assert response.status_code == 400 and response.json()["detail"], payload


def test_c1_a_value_is_removed_through_the_api_by_those_who_may_record(
    api_for, kpi, owner, auditor, other_owner
):
    measurement = record(kpi, owner, "9.7")
    url = f"{URL}{measurement.pk}/"
    assert api_for(auditor).delete(url).status_code == 403
    assert api_for(other_owner).delete(url).status_code == 403
    assert api_for(owner).delete(url).status_code == 204
    assert not Measurement.objects.exists()
    assert api_for(owner).delete(url).status_code == 404


# -- bulk ------------------------------------------------------------------------------------------------


def bulk_body(plan, values, period=None):
    start, end = period or last_month()
    return {
        "plan": plan.pk,
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "values": [{"kpi": kpi.pk, "value": value} for kpi, value in values],
        "source": "Monthly report",
    }


def test_c1_the_bulk_endpoint_records_a_periods_values_all_together(
    api_for, communicated_plan, two_kpis, owner
):
    first, second = two_kpis
    response = api_for(owner).post(
        f"{URL}bulk/", bulk_body(communicated_plan, [(first, "96,5"), (second, "4.3")]), format="json"
    )
    assert response.status_code == 201, response.json()
    assert [(m["kpi"], m["value"]) for m in response.json()] == [(first.pk, "96.5000"), (second.pk, "4.3000")]
    assert Decision.objects.filter(action="record_measurements", actor=owner).count() == 1


def test_c1_the_bulk_endpoint_with_one_bad_value_records_nothing(api_for, communicated_plan, two_kpis, owner):
    first, second = two_kpis
    response = api_for(owner).post(
        f"{URL}bulk/", bulk_body(communicated_plan, [(first, "96.5"), (second, "four")]), format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {f"kpi-{second.pk}": ["“four” is not a number."]}
    assert not Measurement.objects.exists()


def test_c1_the_bulk_endpoint_refuses_kpis_the_actor_may_not_record(
    api_for, communicated_plan, two_kpis, kpi_owner
):
    first, second = two_kpis
    response = api_for(kpi_owner).post(
        f"{URL}bulk/", bulk_body(communicated_plan, [(first, "97"), (second, "4.3")]), format="json"
    )
    assert response.status_code == 403
    assert set(response.json()["errors"]) == {f"kpi-{first.pk}"}
    assert not Measurement.objects.exists()


def test_c1_the_bulk_endpoint_takes_only_the_plans_kpis(api_for, communicated_plan, smp, kpi, owner):
    smp_kpi = Kpi.objects.get(objective__version=smp.current_version)
    response = api_for(owner).post(
        f"{URL}bulk/", bulk_body(communicated_plan, [(kpi, "97"), (smp_kpi, "99")]), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {f"kpi-{smp_kpi.pk}"}
    twice = api_for(owner).post(
        f"{URL}bulk/", bulk_body(communicated_plan, [(kpi, "97"), (kpi, "98")]), format="json"
    )
    assert twice.status_code == 400
    assert not Measurement.objects.exists()


def test_c1_the_bulk_endpoint_of_a_plan_the_user_may_not_read_is_a_404(api_for, approved_plan, staff):
    kpi = approved_plan.current_version.objectives.get().kpis.get()
    response = api_for(staff).post(f"{URL}bulk/", bulk_body(approved_plan, [(kpi, "97")]), format="json")
    assert response.status_code == 404


def test_c1_the_bulk_endpoint_refuses_auditors(api_for, communicated_plan, kpi, auditor):
    response = api_for(auditor).post(
        f"{URL}bulk/", bulk_body(communicated_plan, [(kpi, "97")]), format="json"
    )
    assert response.status_code == 403
    assert not Measurement.objects.exists()


# -- the schema ------------------------------------------------------------------------------------------


def test_c1_the_measurement_endpoints_generate_a_valid_schema_without_warnings():
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
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/measurements/"])
    assert {"get", "put", "patch", "delete"} <= set(paths["/api/v1/measurements/{id}/"])
    assert {"400", "403", "409"} <= set(paths["/api/v1/measurements/"]["post"]["responses"])
    assert {"400", "403", "404", "409"} <= set(paths["/api/v1/measurements/{id}/"]["patch"]["responses"])
    assert {"400", "403", "404", "409"} <= set(paths["/api/v1/measurements/bulk/"]["post"]["responses"])
    names = {p["name"] for p in paths["/api/v1/measurements/"]["get"]["parameters"]}
    assert {"kpi", "kpi_key", "plan", "period_end_after", "period_end_before", "recorded_by"} <= names


def test_c1_the_measurement_revision_is_what_a_correction_is_based_on(kpi, owner):
    measurement = record(kpi, owner, "91")
    before = measurements.measurement_revision(measurement)
    measurement.value = Decimal("91.0")  # the same value, written differently
    assert measurements.measurement_revision(measurement) == before
    measurement.note = "Checked"
    assert measurements.measurement_revision(measurement) != before
