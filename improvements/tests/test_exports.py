"""The register's exports (A2, A4): CSV and XLSX hold every improvement the
register shows under its filters, with every column of the register and the
baseline, target and achieved values. Both are read back here: the CSV with
the csv module, the XLSX with openpyxl."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from improvements import exports, services
from improvements.models import Improvement
from reviews.models import Finding

from .test_views_improvements import implemented_with_result

pytestmark = pytest.mark.django_db
Status = Improvement.Status


@pytest.fixture
def sip(reviewed_findings, csi_owner, owner, kpi, staff):
    """Three improvements from the approved review (the minor nonconformity
    implemented with baseline 93 %, target 96 % and 97.5 % achieved), a
    suggestion whose title looks like a formula, and a company-wide one staff
    may not read."""
    minor = reviewed_findings[Finding.Grade.MINOR].improvement
    services.update_improvement(
        improvement=minor, actor=owner, expected_revision=minor.revision, kpi=kpi, target=Decimal("96")
    )
    implemented_with_result(
        Improvement.objects.get(pk=minor.pk), csi_owner, owner, kpi, achieved=Decimal("97.5")
    )
    formula = services.propose_improvement(
        actor=owner,
        title='=HYPERLINK("http://evil")',
        description="-2+3",
        processes=[minor.processes.get()],
    )
    company = services.propose_improvement(
        actor=owner,
        title="Single sign-on",
        description="All tools.",
        scope=Improvement.Scope.COMPANY,
        owner=owner,
    )
    return {
        "nc": Improvement.objects.get(pk=minor.pk),
        "formula": formula,
        "company": company,
        **reviewed_findings,
    }


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def read_xlsx(response):
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    sheet = workbook[workbook.sheetnames[0]]
    width = len(exports.columns())
    return [list(row) for row in sheet.iter_rows(values_only=True, max_col=width)], workbook


def test_the_csv_holds_every_row_and_column_of_the_register_with_baseline_target_and_achieved(
    client_for, sip, auditor
):
    response = client_for(auditor).get(reverse("improvements:export_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    table = read_csv(response)
    header, body = table[0], table[1:]
    assert header == [str(label) for _key, label in exports.columns()]
    assert len(body) == Improvement.objects.count() == 5
    keys = [key for key, _label in exports.columns()]
    by_number = {row[0]: dict(zip(keys, row, strict=True)) for row in body}
    minor = sip["nc"]
    row = by_number[minor.code]
    assert row["title"] == minor.title
    assert row["finding"].startswith(minor.finding.code) and row["review"] == str(minor.finding.review)
    assert row["processes"] == minor.processes.get().name
    assert (row["scope"], row["owner"], row["status"]) == ("One process", str(minor.owner), "Implemented")
    assert (row["baseline"], row["target"], row["achieved"], row["difference"]) == ("93", "96", "97.5", "4.5")
    assert row["unit"] == "%" and row["kpi"] == minor.kpi.metric
    assert "93" in row["baseline_values"] and "97.5" in row["achieved_values"]
    # A title that looks like a formula stays text.
    assert by_number[sip["formula"].code]["title"].startswith("'=")
    assert by_number[sip["formula"].code]["description"] == "'-2+3"


def test_the_xlsx_holds_every_row_and_column_of_the_register(client_for, sip, auditor):
    response = client_for(auditor).get(reverse("improvements:export_xlsx"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    table, workbook = read_xlsx(response)
    header, body = table[0], table[1:]
    assert header == [str(label) for _key, label in exports.columns()]
    assert len(body) == 5
    keys = [key for key, _label in exports.columns()]
    by_number = {row[0]: dict(zip(keys, row, strict=True)) for row in body}
    minor = sip["nc"]
    row = by_number[minor.code]
    assert (row["baseline"], row["target"], row["achieved"], row["difference"]) == (93, 96, 97.5, 4.5)
    assert row["status"] == "Implemented" and row["finding"].startswith(minor.finding.code)
    assert row["raised_on"].date() == minor.raised_on
    # Every register column of every row is there.
    for improvement in Improvement.objects.all():
        exported = by_number[improvement.code]
        assert exported["title"] == improvement.title
        assert exported["priority"] == improvement.get_priority_display()
        assert exported["scope"] == improvement.get_scope_display()
        assert exported["source"] == improvement.get_source_display()
    assert by_number[sip["formula"].code]["title"] == '=HYPERLINK("http://evil")'  # text, not a formula
    about = dict(workbook["About"].iter_rows(values_only=True))
    assert about["Improvements"] == 5


def test_the_exports_honour_the_registers_filters_and_order(client_for, sip, csi_owner):
    client = client_for(csi_owner)
    params = {"source": "finding", "sort": "number"}
    table = read_csv(client.get(reverse("improvements:export_csv"), params))
    expected = [i.code for i in Improvement.objects.filter(source="finding").order_by("number")]
    assert [row[0] for row in table[1:]] == expected
    table, _workbook = read_xlsx(client.get(reverse("improvements:export_xlsx"), {"status": "implemented"}))
    assert [row[0] for row in table[1:]] == [sip["nc"].code]


def test_the_exports_hold_only_what_the_user_may_read(client_for, sip, staff):
    table = read_csv(client_for(staff).get(reverse("improvements:export_csv")))
    assert sip["company"].code not in [row[0] for row in table[1:]]
    assert len(table) - 1 == Improvement.objects.visible_to(staff).count() == 4


def test_the_export_reads_a_fixed_number_of_queries_whatever_the_number_of_rows(sip, owner, staff):
    """The rows come from the register's queryset, read chunk by chunk with its prefetches."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from improvements.selectors import improvement_register

    def count():
        with CaptureQueriesContext(connection) as captured:
            rows = list(exports.rows(improvement_register(owner).improvements))
        return len(captured), len(rows)

    few, shown = count()
    assert shown == 5
    process = sip["nc"].processes.get()
    for n in range(6):
        services.propose_improvement(actor=staff, title=f"More {n}", description="x", processes=[process])
    many, shown = count()
    assert (many, shown) == (few, 11)


# -- the SIP as a PDF ---------------------------------------------------------------------------------------


def read_pdf(response):
    from pypdf import PdfReader

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert 'filename="service-improvement-plan-' in response["Content-Disposition"]
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return text.replace("\u2010\n", "").replace("-\n", "")  # words hyphenated at a line end


def test_the_pdf_holds_every_improvement_of_the_register_with_its_measures(client_for, sip, auditor):
    text = read_pdf(client_for(auditor).get(reverse("improvements:export_pdf")))
    assert "Service improvement plan" in text
    for improvement in Improvement.objects.all():
        assert improvement.code in text
    minor = sip["nc"]
    assert minor.title in text and minor.finding.code in text
    assert "baseline 93" in text and "target 96" in text and "achieved 97.5" in text
    assert "Page 1 of" in text


def test_the_pdf_honours_the_filters_and_names_them(client_for, sip, csi_owner):
    text = read_pdf(client_for(csi_owner).get(reverse("improvements:export_pdf"), {"status": "implemented"}))
    assert sip["nc"].code in text and sip["formula"].code not in text
    assert "Status: Implemented" in text


def test_the_pdf_holds_only_what_the_user_may_read(client_for, sip, staff):
    text = read_pdf(client_for(staff).get(reverse("improvements:export_pdf")))
    assert sip["company"].code not in text and sip["formula"].code in text


def test_a_selection_too_long_to_read_is_refused_with_the_reason_and_no_pdf(
    client_for, sip, auditor, monkeypatch
):
    monkeypatch.setattr(exports, "PDF_ROW_LIMIT", 4)
    client = client_for(auditor)
    response = client.get(reverse("improvements:export_pdf"), {"priority": ""})
    assert response.status_code == 302 and response["Location"] == reverse("improvements:register")
    page = client.get(response["Location"]).content.decode()
    assert "5 improvements are too many for a readable PDF (at most 4)" in page
    # Narrowed by a filter, it is rendered.
    assert read_pdf(client.get(reverse("improvements:export_pdf"), {"status": "implemented"}))


def test_the_pdf_needs_a_login(client, sip):
    response = client.get(reverse("improvements:export_pdf"))
    assert response.status_code == 302 and "login" in response["Location"]
