"""C7: the decision records of the whole SMS for a period, as CSV and XLSX,
hold every row (read back with csv and openpyxl), with the hash chain; only
auditors and managers export them, in pages and API alike."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from pdca import exports
from pdca.decisions import append
from pdca.models import Decision, DecisionChainHead

pytestmark = pytest.mark.django_db


@pytest.fixture
def many_decisions(manager, owner):
    """More decisions than one chunk of the export, one of them outside the
    period, and a comment a spreadsheet would take for a formula."""
    now = timezone.now()
    rows = [Decision(subject=owner, action="submit", actor=owner, at=now - timedelta(days=800))]
    rows += [
        Decision(
            subject=owner, action="approve", actor=manager, at=now - timedelta(minutes=n), comment=f"n{n}"
        )
        for n in range(exports.CHUNK_SIZE + 150)
    ]
    rows.append(Decision(subject=owner, action="submit", actor=owner, at=now, comment="=HYPERLINK(1)"))
    append(rows)
    return rows


def _period():
    today = timezone.localdate()
    return {"start": (today - timedelta(days=30)).isoformat(), "end": today.isoformat()}


def _csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_the_csv_export_holds_every_decision_of_the_period(many_decisions, client_for, auditor):
    response = client_for(auditor).get(reverse("reports:decisions", args=["csv"]), _period())
    assert response.status_code == 200
    rows = _csv_rows(response)
    expected = exports.decisions_between(
        *[timezone.datetime.fromisoformat(d).date() for d in _period().values()]
    )
    assert len(rows) == expected.count() == len(many_decisions) - 1
    assert [int(r["Sequence"]) for r in rows] == sorted(expected.values_list("sequence", flat=True))
    # The chain can be verified from the export: each row links to the one before.
    for before, after in zip(rows, rows[1:], strict=False):
        assert after["Previous hash"] == before["Row hash"]
    assert rows[-1]["Row hash"] == DecisionChainHead.objects.get().hash
    assert {"'=HYPERLINK(1)"} == {r["Comment"] for r in rows if "HYPERLINK" in r["Comment"]}
    assert rows[0]["Subject"] == "Olivia Owen" and rows[0]["Subject type"] == "accounts.user"


def test_the_xlsx_export_holds_every_decision_of_the_period(many_decisions, client_for, manager):
    response = client_for(manager).get(reverse("reports:decisions", args=["xlsx"]), _period())
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = workbook["Decisions"]
    rows = list(sheet.iter_rows(values_only=True))
    header, data = rows[0], rows[1:]
    assert header[0] == "Sequence" and header[-1] == "Row hash"
    assert len(data) == len(many_decisions) - 1
    assert len({row[0] for row in data}) == len(data)
    formula = next(row for row in data if row[header.index("Comment")] == "=HYPERLINK(1)")
    assert formula  # kept as text, not turned into a formula
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["Rows"] == len(data)


def test_the_export_queries_stay_fixed_per_chunk(many_decisions, django_assert_max_num_queries):
    start, end = timezone.localdate() - timedelta(days=30), timezone.localdate()
    # Two chunks: per chunk one query for the decisions and one per subject type.
    with django_assert_max_num_queries(8):
        rows = list(exports.decision_rows(exports.decisions_between(start, end)))
    assert len(rows) == len(many_decisions) - 1


def test_a_period_that_ends_before_it_starts_is_refused(client_for, auditor, api_for):
    response = client_for(auditor).get(
        reverse("reports:decisions", args=["csv"]), {"start": "2026-05-01", "end": "2026-04-01"}
    )
    assert response.status_code == 400
    assert "before its start" in response.content.decode()
    api = api_for(auditor).get("/api/v1/decision-export/csv/", {"start": "2026-05-01", "end": "2026-04-01"})
    assert api.status_code == 400 and "end" in api.json()["errors"]


ROLES = {"auditor": 200, "manager": 200, "owner": 403, "staff": 403, "administrator": 403, "csi_owner": 403}


@pytest.mark.parametrize("role, expected", ROLES.items())
def test_only_auditors_and_managers_export_the_decision_log(role, expected, request, client_for, api_for):
    user = request.getfixturevalue(role)
    for file_format in ("csv", "xlsx"):
        page = client_for(user).get(reverse("reports:decisions", args=[file_format]), _period())
        assert page.status_code == expected, file_format
        api = api_for(user).get(f"/api/v1/decision-export/{file_format}/", _period())
        assert api.status_code == expected, file_format
    assert client_for(user).get(reverse("reports:index")).status_code == expected


def test_the_reports_page_offers_the_export_for_the_last_year(client_for, auditor):
    page = client_for(auditor).get(reverse("reports:index")).content.decode()
    start, end = exports.default_range()
    assert start.isoformat() in page and end.isoformat() in page
    assert "Export as XLSX" in page and "Export as CSV" in page
