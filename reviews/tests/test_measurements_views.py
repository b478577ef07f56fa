"""C1 in the browser: the KPI page (series, chart, trend, the form to record
and correct), the bulk entry of a period and the CSV import. Same rules as
the services; a refusal keeps what was typed; fixed query counts."""

import datetime
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pdca.models import Decision
from plans.do import services as implementation
from plans.models import Plan
from reviews import measurements
from reviews.measurement_forms import carry
from reviews.models import Measurement
from reviews.tests import factories
from reviews.tests.test_measurements import (
    last_month,
    make_kpi_owner,
    make_two_kpis,
    months_ago,
    record,
    revise_and_approve,
)

pytestmark = pytest.mark.django_db


def kpi_url(kpi):
    return reverse("reviews:kpi", args=[kpi.pk])


def entry_url(plan):
    return reverse("reviews:measurements", args=[plan.pk])


def import_url(plan):
    return reverse("reviews:measurements_import", args=[plan.pk])


def value_rows(html):
    return re.findall(r'<tr id="value-\d+"', html)


# -- the KPI page ---------------------------------------------------------------------------------


def test_c1_the_kpi_page_shows_the_series_against_the_target(client_for, measured_kpi, owner):
    response = client_for(owner).get(kpi_url(measured_kpi))
    assert response.status_code == 200
    html = response.content.decode()
    assert len(value_rows(html)) == 6
    assert "<svg" in html and 'class="kpi-chart__target"' in html
    assert "Target met" in html and "Improving" in html
    assert "≥ 95 %" in html
    assert 'name="value"' in html  # the owner may record


@pytest.mark.parametrize("who", ["auditor", "other_owner", "staff"])
def test_c1_readers_see_the_kpi_page_without_the_form_and_with_the_reason(
    client_for, measured_kpi, who, request
):
    response = client_for(request.getfixturevalue(who)).get(kpi_url(measured_kpi))
    assert response.status_code == 200
    html = response.content.decode()
    assert len(value_rows(html)) == 6 and 'name="value"' not in html
    assert "records its measurements" in html or "do not record them" in html


def test_c1_the_kpi_page_runs_a_fixed_number_of_queries(client_for, kpi, owner):
    client = client_for(owner)
    client.get(kpi_url(kpi))  # warm up the session and the user's roles

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(kpi_url(kpi))
        assert response.status_code == 200
        return len(queries), len(value_rows(response.content.decode()))

    factories.record_monthly(kpi, owner, [90, 92])
    few = count()
    end = Measurement.objects.order_by("period_start").first().period_start - datetime.timedelta(days=1)
    factories.record_monthly(kpi, owner, list(range(60, 100)), last_month_end=end)
    many = count()
    assert few == (few[0], 2)
    assert many == (few[0], measurements_per_page())
    assert few[0] <= 16


def measurements_per_page():
    from reviews.views.measurements import VALUES_PER_PAGE

    return VALUES_PER_PAGE


def test_c1_the_kpi_page_is_paginated_newest_first(client_for, kpi, owner):
    factories.record_monthly(kpi, owner, list(range(70, 100)))  # 30 values
    client = client_for(owner)
    per_page = measurements_per_page()
    pages = -(-30 // per_page)
    first = client.get(kpi_url(kpi)).content.decode()
    last = client.get(kpi_url(kpi), {"page": pages}).content.decode()
    newest = Measurement.objects.order_by("-period_end").first()
    oldest = Measurement.objects.order_by("period_end").first()
    assert len(value_rows(first)) == per_page
    assert value_rows(first)[0] == f'<tr id="value-{newest.pk}"'
    assert len(value_rows(last)) == 30 - (pages - 1) * per_page
    assert value_rows(last)[-1] == f'<tr id="value-{oldest.pk}"'
    assert f"Page {pages} of {pages}" in last


def test_c1_the_form_proposes_the_last_full_period(client_for, kpi, owner):
    start, end = last_month()
    html = client_for(owner).get(kpi_url(kpi)).content.decode()
    assert f'value="{start.isoformat()}"' in html and f'value="{end.isoformat()}"' in html


def test_c1_the_owner_records_a_value_on_the_kpi_page(client_for, kpi, owner):
    start, end = last_month()
    response = client_for(owner).post(
        kpi_url(kpi),
        {"period_start": start, "period_end": end, "value": "97,5", "source": "Ticket tool"},
        follow=True,
    )
    assert response.status_code == 200
    assert "97.5 % recorded for" in response.content.decode()
    assert Measurement.objects.get().value == Decimal("97.5")


def test_c1_the_operator_records_a_value_on_the_kpi_page(
    client_for, kpi, implementing_plan, owner, operators
):
    implementation.assign_kpi_operator(kpi=kpi, actor=owner, operator=operators[0])
    start, end = last_month()
    response = client_for(operators[0]).post(
        kpi_url(kpi), {"period_start": start, "period_end": end, "value": "96"}
    )
    assert response.status_code == 302
    assert Measurement.objects.get().recorded_by == operators[0]


@pytest.mark.parametrize("who", ["other_owner", "auditor"])
def test_c1_others_cannot_record_on_the_kpi_page(client_for, kpi, who, request):
    start, end = last_month()
    response = client_for(request.getfixturevalue(who)).post(
        kpi_url(kpi), {"period_start": start, "period_end": end, "value": "96"}
    )
    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_c1_a_refused_value_keeps_what_was_typed(client_for, kpi, owner):
    start, end = last_month()
    response = client_for(owner).post(
        kpi_url(kpi),
        {"period_start": start, "period_end": end, "value": "abc", "source": "My sheet", "note": "Late"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "“abc” is not a number." in html
    assert 'value="abc"' in html and 'value="My sheet"' in html and "Late</textarea>" in html
    assert not Measurement.objects.exists()


def test_c1_a_duplicate_period_is_refused_on_the_kpi_page(client_for, kpi, owner):
    measurement = record(kpi, owner, "96")
    response = client_for(owner).post(
        kpi_url(kpi),
        {"period_start": measurement.period_start, "period_end": measurement.period_end, "value": "97"},
    )
    assert response.status_code == 400
    assert "already recorded" in response.content.decode()
    assert Measurement.objects.count() == 1


def test_c1_a_value_is_corrected_and_removed_on_the_kpi_page(client_for, kpi, owner):
    measurement = record(kpi, owner, "91")
    client = client_for(owner)
    form = client.get(kpi_url(kpi), {"correct": measurement.pk}).content.decode()
    assert 'value="91"' in form and "Save correction" in form
    revision = measurements.measurement_revision(measurement)
    fields = {
        "period_start": measurement.period_start,
        "period_end": measurement.period_end,
        "value": "96",
        "measurement": measurement.pk,
        "revision": revision,
    }
    assert client.post(kpi_url(kpi), fields).status_code == 302
    assert Measurement.objects.get().value == Decimal("96")
    # A second correction based on the first reading is refused, and what was typed is kept.
    response = client.post(kpi_url(kpi), {**fields, "value": "97"})
    assert response.status_code == 409
    assert 'value="97"' in response.content.decode()
    assert Measurement.objects.get().value == Decimal("96")
    current = measurements.measurement_revision(Measurement.objects.get())
    assert client.post(kpi_url(kpi), {**fields, "revision": current, "delete": "1"}).status_code == 302
    assert not Measurement.objects.exists()


def test_c1_a_superseded_kpi_shows_its_series_and_sends_to_the_kpi_in_force(
    client_for, measured_kpi, communicated_plan, owner, manager
):
    plan = revise_and_approve(communicated_plan, owner, manager)
    new_kpi = plan.current_version.objectives.get().kpis.get()
    html = client_for(owner).get(kpi_url(measured_kpi)).content.decode()
    assert len(value_rows(html)) == 6 and 'name="value"' not in html
    assert kpi_url(new_kpi) in html
    assert len(value_rows(client_for(owner).get(kpi_url(new_kpi)).content.decode())) == 6
    start, end = last_month()
    response = client_for(owner).post(
        kpi_url(measured_kpi), {"period_start": start, "period_end": end, "value": "9"}
    )
    assert response.status_code == 403


def test_c1_a_kpi_of_a_plan_the_user_may_not_read_is_not_found(client_for, approved_plan, staff):
    kpi = approved_plan.current_version.objectives.get().kpis.get()  # approved, not communicated
    assert client_for(staff).get(kpi_url(kpi)).status_code == 404


# -- bulk entry of a period ---------------------------------------------------------------------------


@pytest.fixture
def kpi_owner(db):
    return make_kpi_owner()


@pytest.fixture
def two_kpis(communicated_plan, owner, manager, kpi_owner):
    return make_two_kpis(communicated_plan, owner, manager, kpi_owner)


@pytest.fixture
def two_kpi_plan(two_kpis, communicated_plan):
    return Plan.objects.get(pk=communicated_plan.pk)


def test_c1_bulk_entry_shows_a_row_per_kpi_with_its_target_and_last_value(
    client_for, two_kpi_plan, two_kpis, owner
):
    first, second = two_kpis
    factories.record_monthly(first, owner, [96], last_month_end=months_ago(1)[0])
    response = client_for(owner).get(entry_url(two_kpi_plan))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'name="kpi-{first.pk}"' in html and f'name="kpi-{second.pk}"' in html
    assert "≥ 95 %" in html and "≥ 4.2 points" in html
    assert "96 %" in html  # the last value
    start, end = last_month()
    assert measurements.period_label(start, end) in html


def test_c1_bulk_entry_records_all_values_of_the_period(client_for, two_kpi_plan, two_kpis, owner):
    first, second = two_kpis
    start, end = last_month()
    response = client_for(owner).post(
        entry_url(two_kpi_plan),
        {
            "period_start": start,
            "period_end": end,
            f"kpi-{first.pk}": "96,5",
            f"kpi-{second.pk}": "4.4",
            "source": "Monthly report",
        },
    )
    assert response.status_code == 302
    assert sorted(Measurement.objects.values_list("value", flat=True)) == [Decimal("4.4"), Decimal("96.5")]
    assert Decision.objects.filter(action="record_measurements").count() == 1
    html = client_for(owner).get(response.url).content.decode()
    assert "2 values recorded for" in html and "Recorded: 96.5 %" in html


def test_c1_bulk_entry_with_one_bad_value_records_nothing_and_keeps_everything_typed(
    client_for, two_kpi_plan, two_kpis, owner
):
    first, second = two_kpis
    start, end = last_month()
    response = client_for(owner).post(
        entry_url(two_kpi_plan),
        {
            "period_start": start,
            "period_end": end,
            f"kpi-{first.pk}": "96.5",
            f"kpi-{second.pk}": "four",
            "source": "Monthly report",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert not Measurement.objects.exists()
    assert 'value="96.5"' in html and 'value="four"' in html and 'value="Monthly report"' in html
    # The message is at the row at fault.
    row = re.search(rf'<tr id="row-{second.pk}".*?</tr>', html, re.S).group(0)
    assert "“four” is not a number." in row and "entry-table__row--error" in row
    assert "is not a number" not in re.search(rf'<tr id="row-{first.pk}".*?</tr>', html, re.S).group(0)


def test_c1_bulk_entry_shows_kpis_the_user_may_not_record_read_only_with_the_reason(
    client_for, two_kpi_plan, two_kpis, kpi_owner
):
    first, second = two_kpis
    html = client_for(kpi_owner).get(entry_url(two_kpi_plan)).content.decode()
    assert f'name="kpi-{second.pk}"' in html and f'name="kpi-{first.pk}"' not in html
    row = re.search(rf'<tr id="row-{first.pk}".*?</tr>', html, re.S).group(0)
    assert "Only the KPI&#x27;s owner, its operator or the process owner records" in row
    # A forged value for that KPI is not recorded.
    start, end = last_month()
    response = client_for(kpi_owner).post(
        entry_url(two_kpi_plan),
        {"period_start": start, "period_end": end, f"kpi-{first.pk}": "97", f"kpi-{second.pk}": "4.1"},
    )
    assert response.status_code == 302
    assert [m.kpi for m in Measurement.objects.all()] == [second]


@pytest.mark.parametrize("who", ["auditor", "other_owner"])
def test_c1_readers_see_the_bulk_entry_read_only_and_cannot_post(
    client_for, communicated_plan, kpi, who, request
):
    client = client_for(request.getfixturevalue(who))
    html = client.get(entry_url(communicated_plan)).content.decode()
    assert f'name="kpi-{kpi.pk}"' not in html and "Record the values" not in html
    start, end = last_month()
    response = client.post(
        entry_url(communicated_plan), {"period_start": start, "period_end": end, f"kpi-{kpi.pk}": "97"}
    )
    assert response.status_code == 403
    assert not Measurement.objects.exists()


def test_c1_bulk_entry_of_a_plan_without_a_version_in_force(client_for, process_plan, owner):
    response = client_for(owner).get(entry_url(process_plan))
    assert response.status_code == 200
    assert "no version in force" in response.content.decode()


def test_c1_bulk_entry_runs_a_fixed_number_of_queries(client_for, two_kpi_plan, two_kpis, owner):
    first, second = two_kpis
    client = client_for(owner)
    client.get(entry_url(two_kpi_plan))
    with CaptureQueriesContext(connection) as before:
        client.get(entry_url(two_kpi_plan))
    factories.record_monthly(first, owner, list(range(80, 100)))
    factories.record_monthly(second, owner, [4, 4.1, 4.2, 4.3], last_month_end=months_ago(1)[0])
    with CaptureQueriesContext(connection) as after:
        client.get(entry_url(two_kpi_plan))
    assert len(after) == len(before)


# -- CSV import ---------------------------------------------------------------------------------------------


def upload(client, plan, text, name="values.csv"):
    return client.post(
        import_url(plan), {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")}
    )


def test_c1_the_import_page_previews_then_imports(client_for, communicated_plan, kpi, owner):
    client = client_for(owner)
    assert client.get(import_url(communicated_plan)).status_code == 200
    text = f"kpi;period_start;period_end;value\n{kpi.pk};2026-01-01;2026-01-31;96,5\n{kpi.pk};2026-02-01;2026-02-28;93\n"
    preview = upload(client, communicated_plan, text)
    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Import 2 values" in html and not Measurement.objects.exists()
    content = re.search(r'name="content" value="([^"]+)"', html).group(1)
    response = client.post(import_url(communicated_plan), {"content": content})
    assert response.status_code == 302 and response.url == entry_url(communicated_plan)
    assert sorted(Measurement.objects.values_list("value", flat=True)) == [Decimal("93"), Decimal("96.5")]


def test_c1_an_uploaded_file_with_one_bad_row_saves_nothing_and_names_the_row(
    client_for, communicated_plan, kpi, owner
):
    client = client_for(owner)
    text = f"kpi,period_start,period_end,value\n{kpi.pk},2026-01-01,2026-01-31,96\n{kpi.pk},2026-02-01,2026-02-28,abc\n"
    html = upload(client, communicated_plan, text).content.decode()
    assert "“abc” is not a number." in html and 'id="row-3"' in html
    assert "Import 1 value" not in html and 'name="content"' not in html
    # Importing that content anyway (a forged confirmation) saves nothing and names the row.
    response = client.post(import_url(communicated_plan), {"content": carry(text)})
    assert response.status_code == 400
    assert "Row 3: “abc” is not a number." in response.content.decode()
    assert not Measurement.objects.exists()


def test_c1_a_pasted_csv_with_a_bom_is_previewed(client_for, communicated_plan, kpi, owner):
    text = "\ufeffkpi,date,value\nIncidents resolved within target time,2026-03-15,97\n"
    response = client_for(owner).post(import_url(communicated_plan), {"text": text})
    assert response.status_code == 200 and "Import 1 value" in response.content.decode()


def test_c1_a_file_that_is_not_a_csv_of_values_is_refused_on_the_form(
    client_for, communicated_plan, kpi, owner
):
    response = upload(client_for(owner), communicated_plan, "hello world\n")
    assert response.status_code == 400
    assert "missing: kpi" in response.content.decode()


def test_c1_the_template_has_the_plans_kpis(client_for, communicated_plan, kpi, owner):
    response = client_for(owner).get(import_url(communicated_plan), {"template": 1})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="measurements-incident-management.csv"' in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[1].startswith(f"{kpi.pk},Incidents resolved within target time,%,95,")


@pytest.mark.parametrize("who", ["auditor", "other_owner"])
def test_c1_those_who_may_not_record_cannot_import(client_for, communicated_plan, kpi, who, request):
    client = client_for(request.getfixturevalue(who))
    assert client.get(import_url(communicated_plan)).status_code == 403
    text = f"kpi,period_start,period_end,value\n{kpi.pk},2026-01-01,2026-01-31,96\n"
    assert client.post(import_url(communicated_plan), {"content": carry(text)}).status_code == 403
    assert not Measurement.objects.exists()


def test_c1_a_correction_of_a_value_removed_meanwhile_keeps_what_was_typed(client_for, kpi, owner):
    measurement = record(kpi, owner, "91")
    fields = {
        "period_start": measurement.period_start,
        "period_end": measurement.period_end,
        "value": "96",
        "measurement": measurement.pk,
        "revision": measurements.measurement_revision(measurement),
    }
    measurements.delete_measurement(measurement=measurement, actor=owner)
    response = client_for(owner).post(kpi_url(kpi), fields)
    assert response.status_code == 409
    html = response.content.decode()
    assert "removed meanwhile" in html and 'value="96"' in html and "Record value" in html
    assert not Measurement.objects.exists()


def test_c1_a_staff_member_who_owns_a_kpi_records_it_before_the_version_is_communicated(
    client_for, two_kpis, kpi_owner, staff
):
    _first, second = two_kpis  # approved, not yet communicated
    client = client_for(kpi_owner)
    assert 'name="value"' in client.get(kpi_url(second)).content.decode()
    start, end = last_month()
    assert (
        client.post(kpi_url(second), {"period_start": start, "period_end": end, "value": "4.3"}).status_code
        == 302
    )
    assert Measurement.objects.get().recorded_by == kpi_owner
    assert client_for(staff).get(kpi_url(second)).status_code == 404  # others wait for the communication
