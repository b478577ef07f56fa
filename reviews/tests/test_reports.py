"""C7: the PDF review report. What an auditor reads in it (read back from the
PDF), its checksum against the API's approved content, the draft watermark,
the copy stored at approval that never changes, and who may export it."""

import hashlib
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from pdca import reports
from pdca.controlled import content_hash
from pdca.models import ReportFile, ReportJob
from reviews import services
from reviews.models import Finding, Review
from reviews.tests import factories

pytestmark = pytest.mark.django_db

DRAFT = "DRAFT – not approved"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pages_text(pdf):
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def text(pdf):
    return " ".join(" ".join(pages_text(pdf)).split())


@pytest.fixture
def full_review(measured_kpi, planned_review, owner, other_owner):
    """A process review in progress with an attainment row, two findings and an action."""
    review = factories.held(planned_review, owner)
    services.save_finding(
        review=review,
        actor=owner,
        grade=Finding.Grade.MAJOR,
        clause="8.6.1",
        description="Priority 1 incidents breached.",
        evidence="Tickets INC-17 and INC-23.",
    )
    services.save_finding(
        review=review,
        actor=owner,
        grade=Finding.Grade.OPPORTUNITY,
        description="Automate the triage.",
        evidence="Half the tickets are misrouted.",
    )
    services.save_action(
        review=review,
        actor=owner,
        description="Train the second-level team.",
        owner=other_owner,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    return Review.objects.get(pk=review.pk)


@pytest.fixture
def approved_review(full_review, owner, manager, django_capture_on_commit_callbacks):
    """`full_review` submitted and approved; its PDF stored after commit."""
    services.submit_review(review=full_review, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_review(review=Review.objects.get(pk=full_review.pk), actor=manager, comment="Fine.")
    return Review.objects.get(pk=full_review.pk)


def render(review):
    report = reports.get_report("reviews.review")
    return reports.render_report(report, report.queryset().get(pk=review.pk))


# -- what the report says -------------------------------------------------------------------------


def test_the_review_report_holds_findings_attainment_approver_and_checksum(approved_review, api_for, auditor):
    stored = ReportFile.objects.get(report="reviews.review", object_id=approved_review.pk)
    with open(stored_path(stored), "rb") as handle:
        pdf = handle.read()
    content = text(pdf)
    for expected in (
        "Priority 1 incidents breached.",
        "Tickets INC-17 and INC-23.",
        "Automate the triage.",
        "Clause 8.6.1",
        "Major nonconformity",
        "Opportunity for improvement",
        "Train the second-level team.",
        "Peter Park",  # the action's owner
        "Approved by Morgan Meyer",
        "Fine.",
        "Incident management",
    ):
        assert expected in content, expected
    attainment = approved_review.attainments.get()
    assert f"{attainment.objective_code} {attainment.objective_title}" in content
    assert attainment.metric in content
    assert "≥ 95 %" in content
    # C7: the checksum is the content hash, recomputable from the API's approved content.
    approved = api_for(auditor).get(f"/api/v1/reviews/{approved_review.pk}/").json()["approved_content"]
    assert content_hash(approved) == approved_review.content_hash
    assert approved_review.content_hash in content
    assert f"SHA-256 {approved_review.content_hash}" in pages_text(pdf)[-1].replace("\n", " ")
    assert stored.content_hash == approved_review.content_hash


def test_the_report_shows_each_kpi_chart_inline(full_review):
    rendered = render(full_review)
    assert rendered.refused == []
    data = reports.get_report("reviews.review").build(full_review, "")
    assert data["attainment"][0]["chart"].startswith("<svg")
    assert data["attainment"][0]["values"] == 6


def test_the_draft_watermark_is_on_every_page_of_an_unapproved_review(full_review):
    pages = pages_text(render(full_review).pdf)
    assert len(pages) >= 2
    assert all(DRAFT in page for page in pages)


def test_an_approved_review_has_no_draft_watermark(approved_review):
    pages = pages_text(render(approved_review).pdf)
    assert not any(DRAFT in page for page in pages)
    assert all("Page" in page for page in pages)


def test_the_report_prints_page_x_of_y_and_the_running_header(full_review):
    pages = pages_text(render(full_review).pdf)
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
    assert full_review.title in pages[1]


def test_markdown_in_the_minutes_fetches_nothing(full_review, owner, monkeypatch):
    """A minute that tries to pull a local file or a remote image renders
    without fetching either (images are dropped, and the fetcher refuses)."""
    review = services.update_review(
        review=full_review,
        actor=owner,
        expected_revision=full_review.revision,
        minutes="Before ![x](file:///etc/passwd) and ![y](https://example.com/y.png) after.",
    )
    asked = []
    fetcher = reports._fetcher_class()
    original = fetcher.fetch
    monkeypatch.setattr(
        fetcher, "fetch", lambda self, url, headers=None: asked.append(url) or original(self, url)
    )
    rendered = render(review)
    assert "Before" in text(rendered.pdf) and "after." in text(rendered.pdf)
    assert [url for url in asked if not url.endswith("/static/css/report.css")] == []


# -- stored at approval ----------------------------------------------------------------------------------


def stored_path(stored):
    from django.core.files.storage import default_storage

    return default_storage.path(stored.path)


def test_approval_stores_the_pdf_once_with_its_sha256(approved_review):
    stored = ReportFile.objects.get(report="reviews.review", object_id=approved_review.pk)
    with open(stored_path(stored), "rb") as handle:
        body = handle.read()
    assert hashlib.sha256(body).hexdigest() == stored.sha256
    assert stored.state == "approved" and stored.pages >= 2
    # Storing again renders nothing new.
    report = reports.get_report("reviews.review")
    assert reports.store(report, report.queryset().get(pk=approved_review.pk)) == stored
    assert ReportFile.objects.count() == 1


def test_the_stored_pdf_does_not_change_when_the_template_does(
    approved_review, client_for, auditor, monkeypatch
):
    """What the auditor receives is what was approved: a later template
    change alters renderings, never the stored copy."""
    url = reverse("reports:document", args=["reviews.review", approved_review.pk])
    before = client_for(auditor).get(url)
    assert before.status_code == 200 and before["Content-Type"] == "application/pdf"
    stored = ReportFile.objects.get(report="reviews.review", object_id=approved_review.pk)
    assert hashlib.sha256(before.content).hexdigest() == stored.sha256 == before["X-Content-SHA256"]

    from django.template import loader

    real = loader.render_to_string

    def changed_template(name, context=None, *args, **kwargs):
        html = real(name, context, *args, **kwargs)
        return (
            html.replace("<body", "<body><p>A NEW TEMPLATE</p><div", 1)
            if name.startswith("reports/")
            else html
        )

    monkeypatch.setattr(reports, "render_to_string", changed_template)
    assert "A NEW TEMPLATE" in text(render(approved_review).pdf)
    after = client_for(auditor).get(url)
    assert after.content == before.content
    job = reports.request_job(user=auditor, report_name="reviews.review", object_id=approved_review.pk)
    assert job.status == ReportJob.Status.DONE and job.stored == stored
    assert client_for(auditor).get(reverse("reports:job_download", args=[job.pk])).content == before.content


def test_a_stored_pdf_altered_on_disk_is_not_served(approved_review, client_for, auditor):
    stored = ReportFile.objects.get(report="reviews.review", object_id=approved_review.pk)
    with open(stored_path(stored), "ab") as handle:
        handle.write(b"tampered")
    response = client_for(auditor).get(
        reverse("reports:document", args=["reviews.review", approved_review.pk])
    )
    assert response.status_code == 500
    assert "no longer matches its SHA-256" in response.content.decode()


def test_the_periodic_job_stores_what_a_lost_task_left_missing(full_review, owner, manager):
    """Approved without the after-commit task running (as if its message was lost)."""
    services.submit_review(review=full_review, actor=owner)
    services.approve_review(review=Review.objects.get(pk=full_review.pk), actor=manager)
    assert not ReportFile.objects.exists()
    assert ("reviews.review", full_review.pk) in reports.missing_issued()
    assert reports.maintain()["stored_queued"] >= 1  # eager: stored at once
    assert ReportFile.objects.filter(report="reviews.review", object_id=full_review.pk).exists()
    assert reports.missing_issued() == []  # the plan versions were stored too


# -- drafts in the background -----------------------------------------------------------------------------


def test_a_draft_is_rendered_by_a_job_the_page_polls(
    full_review, client_for, owner, django_capture_on_commit_callbacks
):
    client = client_for(owner)
    page = client.get(reverse("reports:document", args=["reviews.review", full_review.pk]))
    assert page.status_code == 200 and "Render the PDF" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:render", args=["reviews.review", full_review.pk]))
    job = ReportJob.objects.get()
    assert response.url == reverse("reports:job", args=[job.pk])
    assert job.status == ReportJob.Status.DONE and job.pages >= 2
    status_page = client.get(response.url)
    assert "Download the PDF" in status_page.content.decode()
    assert "Refresh" not in status_page
    pdf = client.get(reverse("reports:job_download", args=[job.pk]))
    assert pdf.status_code == 200 and DRAFT in text(pdf.content)
    assert hashlib.sha256(pdf.content).hexdigest() == job.sha256


def test_a_queued_job_page_reloads_itself_every_two_seconds(full_review, client_for, owner):
    job = reports.request_job(
        user=owner, report_name="reviews.review", object_id=full_review.pk
    )  # not committed
    page = client_for(owner).get(reverse("reports:job", args=[job.pk]))
    assert page["Refresh"] == "2"
    assert "Waiting for a worker" in page.content.decode()


def test_a_failed_rendering_says_why_and_can_be_retried(
    full_review, client_for, owner, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise OSError("the disk is full")

    monkeypatch.setattr(reports, "render_report", broken)
    client = client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:render", args=["reviews.review", full_review.pk]))
    job = ReportJob.objects.get()
    assert job.status == ReportJob.Status.FAILED
    page = client.get(response.url).content.decode()
    assert "could not be rendered" in page and "the disk is full" in page and "Try again" in page
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:job_retry", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE and job.attempts == 2 and job.error == ""


def test_a_job_is_seen_only_by_who_asked_for_it(full_review, client_for, owner, auditor):
    job = reports.request_job(user=owner, report_name="reviews.review", object_id=full_review.pk)
    assert client_for(auditor).get(reverse("reports:job", args=[job.pk])).status_code == 404


def test_the_api_offers_the_report_as_a_job_resource(
    full_review, api_for, owner, django_capture_on_commit_callbacks
):
    api = api_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("/api/v1/report-jobs/", {"report": "reviews.review", "object_id": full_review.pk})
    assert created.status_code == 201
    job = api.get(f"/api/v1/report-jobs/{created.json()['id']}/").json()
    assert job["status"] == "done" and job["download"].endswith("/download/")
    pdf = api.get(job["download"], HTTP_ACCEPT="application/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert hashlib.sha256(pdf.content).hexdigest() == job["sha256"]


def test_the_api_refuses_an_unknown_report_with_a_message(full_review, api_for, owner):
    response = api_for(owner).post("/api/v1/report-jobs/", {"report": "nothing", "object_id": full_review.pk})
    assert response.status_code == 400 and "report" in response.json()["errors"]


# -- who may export ---------------------------------------------------------------------------------------

# C7: auditors and managers export every report; process owners those of
# their processes; staff the approved reviews of plans they can read.
DRAFT_ROLES = {"auditor": 200, "manager": 200, "owner": 200, "other_owner": 403, "staff": 404}
APPROVED_ROLES = {"auditor": 200, "manager": 200, "owner": 200, "other_owner": 200, "staff": 200}


@pytest.mark.parametrize("role, expected", DRAFT_ROLES.items())
def test_who_may_export_a_draft_review_in_pages_and_api(
    role, expected, full_review, request, client_for, api_for
):
    user = request.getfixturevalue(role)
    page = client_for(user).post(reverse("reports:render", args=["reviews.review", full_review.pk]))
    assert (page.status_code if page.status_code != 302 else 200) == expected
    api = api_for(user).post(
        "/api/v1/report-jobs/", {"report": "reviews.review", "object_id": full_review.pk}
    )
    assert (api.status_code if api.status_code != 201 else 200) == expected


@pytest.mark.parametrize("role, expected", APPROVED_ROLES.items())
def test_who_may_download_an_approved_review_in_pages_and_api(
    role, expected, approved_review, request, client_for, api_for
):
    """Staff read the communicated plan, so they export its approved review;
    another process owner reads it as published too."""
    user = request.getfixturevalue(role)
    page = client_for(user).get(reverse("reports:document", args=["reviews.review", approved_review.pk]))
    assert page.status_code == expected
    api = api_for(user).post(
        "/api/v1/report-jobs/", {"report": "reviews.review", "object_id": approved_review.pk}
    )
    assert (api.status_code if api.status_code != 201 else 200) == expected
    if expected == 200:
        assert api.json()["status"] == "done"
        download = api_for(user).get(api.json()["download"])
        assert download.content == page.content


def test_staff_do_not_export_the_approved_review_of_a_plan_not_published_to_them(
    approved_plan, owner, manager, staff, client_for
):
    """The plan is approved but not communicated: staff cannot read it, nor its review."""
    review = factories.approved(factories.process_review(approved_plan, owner), owner, manager)
    response = client_for(staff).get(reverse("reports:document", args=["reviews.review", review.pk]))
    assert response.status_code == 404


# -- audit trails -----------------------------------------------------------------------------------------


def test_the_review_trail_holds_every_decision_and_change(approved_review, client_for, auditor):
    import csv

    response = client_for(auditor).get(
        reverse("reports:trail_csv", args=["reviews.review", approved_review.pk])
    )
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    decisions = [r for r in rows if r["Record"] == "decision"]
    from pdca.decisions import timeline

    assert len(decisions) == timeline(approved_review).count() == 4
    assert {r["What"] for r in decisions} >= {"planned the review", "approved"}
    assert any(r["Subject"].startswith("Finding 1") for r in rows if r["Record"] == "change")
    assert all(r["Row hash"] for r in decisions)


def test_the_trail_pdf_appendix_of_a_finding(
    approved_review, client_for, auditor, django_capture_on_commit_callbacks
):
    finding = approved_review.findings.get(number=1)
    client = client_for(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("reports:render", args=["reviews.finding.trail", finding.pk]))
    job = ReportJob.objects.get(report="reviews.finding.trail")
    assert response.url == reverse("reports:job", args=[job.pk]) and job.status == "done"
    content = text(client.get(reverse("reports:job_download", args=[job.pk])).content)
    assert f"Finding {finding.code}" in content and "Change history" in content


@pytest.mark.parametrize(
    "role, expected", {"auditor": 200, "manager": 200, "owner": 200, "other_owner": 403}.items()
)
def test_who_may_export_a_review_trail_in_pages_and_api(
    role, expected, full_review, request, client_for, api_for
):
    user = request.getfixturevalue(role)
    page = client_for(user).get(reverse("reports:trail_csv", args=["reviews.review", full_review.pk]))
    assert page.status_code == expected
    api = api_for(user).get(
        "/api/v1/audit-trails/", {"record": "reviews.review", "object_id": full_review.pk}
    )
    assert api.status_code == expected
    finding = full_review.findings.first()
    api = api_for(user).get("/api/v1/audit-trails/", {"record": "reviews.finding", "object_id": finding.pk})
    assert api.status_code == expected


def test_the_review_page_offers_the_reports_to_who_may_export(full_review, client_for, owner, other_owner):
    page = client_for(owner).get(full_review.get_absolute_url()).content.decode()
    assert reverse("reports:render", args=["reviews.review", full_review.pk]) in page
    assert reverse("reports:trail_csv", args=["reviews.review", full_review.pk]) in page
    finding = full_review.findings.first()
    assert reverse("reports:trail_csv", args=["reviews.finding", finding.pk]) in page
    page = client_for(other_owner).get(full_review.get_absolute_url()).content.decode()
    assert reverse("reports:render", args=["reviews.review", full_review.pk]) not in page
    assert reverse("reports:trail_csv", args=["reviews.review", full_review.pk]) not in page


def test_the_dashboard_shows_auditors_their_reports(approved_review, client_for, auditor, staff):
    page = client_for(auditor).get("/").content.decode()
    assert "Reports for auditors" in page and reverse("reports:index") in page
    assert "Reports for auditors" not in client_for(staff).get("/").content.decode()
