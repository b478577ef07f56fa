"""C7: a plan version as a controlled PDF: what it says (read back from the
PDF), its checksum against approved-content.json, the SUPERSEDED and DRAFT
marks on every page, that Markdown cannot make it fetch anything, the audit
trail of a plan, and who may export them."""

import csv
import hashlib
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from pdca import reports
from pdca.models import ReportFile, ReportJob
from plans import services
from plans.models import PlanVersion
from plans.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def pages_text(pdf):
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def text(pdf):
    return " ".join(" ".join(pages_text(pdf)).split())


def render(version, state=""):
    report = reports.get_report("plans.version")
    return reports.render_report(report, report.queryset().get(pk=version.pk), state=state)


def store(version):
    report = reports.get_report("plans.version")
    return reports.store(report, report.queryset().get(pk=version.pk))


def test_the_controlled_pdf_holds_the_version_and_its_checksum(communicated_plan, client_for, auditor):
    version = communicated_plan.current_version
    stored = store(version)
    response = client_for(auditor).get(reverse("reports:document", args=["plans.version", version.pk]))
    assert response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == stored.sha256
    content = text(response.content)
    objective = version.objectives.get()
    kpi = objective.kpis.get()
    for expected in (
        version.title,
        "version 1",
        "Approved by Morgan Meyer",
        "Olivia Owen",  # the author
        f"{objective.code} {objective.title}",
        kpi.metric,
        "Distribution and acknowledgements",
        "Sam Stone",  # on the distribution list
        "Responsibilities",
        version.content_hash,
    ):
        assert expected in content, expected
    for _key, title, _guidance in communicated_plan.section_definitions:
        assert str(title) in content, title
    # The checksum is the SHA-256 of approved-content.json, as the PDF says.
    json_url = reverse("plans:approved_content", args=[communicated_plan.pk, version.number])
    assert json_url in content.replace(" ", "")
    body = client_for(auditor).get(json_url).content
    assert hashlib.sha256(body).hexdigest() == version.content_hash


def test_approval_stores_the_versions_pdf(smp, owner, manager, django_capture_on_commit_callbacks):
    draft = factories.draft_process_plan(owner, manager).versions.get()
    factories.submit_and_review(draft, owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_plan(version=PlanVersion.objects.get(pk=draft.pk), actor=manager)
    stored = ReportFile.objects.get(report="plans.version", object_id=draft.pk)
    assert (
        stored.state == "approved"
        and stored.content_hash == PlanVersion.objects.get(pk=draft.pk).content_hash
    )


def test_a_superseded_version_is_marked_on_every_page(
    approved_plan, owner, manager, django_capture_on_commit_callbacks
):
    """Approving version 2 supersedes version 1: its stored PDF as superseded
    carries the mark on every page; the PDF stored at its approval stays."""
    first = approved_plan.current_version
    approved_copy = store(first)
    draft = services.revise_plan(plan=approved_plan, actor=owner)
    factories.submit_and_review(draft, owner)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_plan(version=PlanVersion.objects.get(pk=draft.pk), actor=manager)
    superseded = ReportFile.objects.get(report="plans.version", object_id=first.pk, state="superseded")
    from django.core.files.storage import default_storage

    with default_storage.open(superseded.path, "rb") as handle:
        pages = pages_text(handle.read())
    assert pages and all("SUPERSEDED" in page for page in pages)
    with default_storage.open(approved_copy.path, "rb") as handle:
        assert not any("SUPERSEDED" in page for page in pages_text(handle.read()))
    assert ReportFile.objects.filter(report="plans.version", object_id=draft.pk, state="approved").exists()


def test_a_draft_version_is_marked_draft_on_every_page(process_plan):
    pages = pages_text(render(process_plan.versions.get()).pdf)
    assert all("DRAFT – not approved" in page for page in pages)


def test_a_section_cannot_make_the_pdf_fetch_a_local_file_or_a_remote_image(process_plan, owner, monkeypatch):
    """Markdown that points at file:///etc/passwd or a remote image renders
    without fetching either: nothing but the report's own stylesheet is asked for."""
    version = process_plan.versions.get()
    services.update_draft(
        version=version,
        actor=owner,
        expected_revision=version.revision,
        sections={
            **version.sections,
            "procedures": "See ![x](file:///etc/passwd) and ![y](http://127.0.0.1:9/y.png) here.",
        },
    )
    asked = []
    fetcher = reports._fetcher_class()
    original = fetcher.fetch
    monkeypatch.setattr(
        fetcher, "fetch", lambda self, url, headers=None: asked.append(url) or original(self, url)
    )
    rendered = render(PlanVersion.objects.get(pk=version.pk))
    assert "See and here." in text(rendered.pdf)
    assert "root:" not in text(rendered.pdf)
    assert asked == [reports.REPORT_BASE_URL + "static/css/report.css"]
    assert rendered.refused == []


# -- who may export ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected",
    {"auditor": 200, "manager": 200, "owner": 200, "other_owner": 403, "staff": 404}.items(),
)
def test_who_may_export_a_draft_version_in_pages_and_api(
    role, expected, process_plan, request, client_for, api_for
):
    """Staff do not even see a draft; another process owner sees it but does not export it."""
    user = request.getfixturevalue(role)
    version = process_plan.versions.get()
    page = client_for(user).post(reverse("reports:render", args=["plans.version", version.pk]))
    assert (200 if page.status_code == 302 else page.status_code) == expected
    api = api_for(user).post("/api/v1/report-jobs/", {"report": "plans.version", "object_id": version.pk})
    assert (200 if api.status_code == 201 else api.status_code) == expected


@pytest.mark.parametrize(
    "role, expected",
    {"auditor": 200, "manager": 200, "owner": 200, "other_owner": 200, "staff": 200}.items(),
)
def test_who_may_download_a_communicated_version_in_pages_and_api(
    role, expected, communicated_plan, request, client_for, api_for
):
    """Staff read the communicated plan: they export its approved version."""
    user = request.getfixturevalue(role)
    version = communicated_plan.current_version
    stored = store(version)
    page = client_for(user).get(reverse("reports:document", args=["plans.version", version.pk]))
    assert page.status_code == expected
    api = api_for(user).post("/api/v1/report-jobs/", {"report": "plans.version", "object_id": version.pk})
    assert api.status_code == 201 and api.json()["sha256"] == stored.sha256
    assert api_for(user).get(api.json()["download"]).content == page.content


def test_staff_do_not_export_an_approved_version_not_communicated_to_them(approved_plan, staff, client_for):
    version = approved_plan.current_version
    response = client_for(staff).get(reverse("reports:document", args=["plans.version", version.pk]))
    assert response.status_code == 404


def test_a_staff_member_named_in_a_draft_exports_it(process_plan, staff, client_for):
    from plans.models import Responsibility

    version = process_plan.versions.get()
    Responsibility.objects.create(version=version, kind=Responsibility.Kind.REVIEW, user=staff)
    response = client_for(staff).post(reverse("reports:render", args=["plans.version", version.pk]))
    assert response.status_code == 302


# -- the audit trail of a plan ---------------------------------------------------------------------------------


def test_the_plan_trail_holds_every_decision_and_change(communicated_plan, client_for, auditor, staff):
    from pdca.decisions import timeline

    url = reverse("reports:trail_csv", args=["plans.plan", communicated_plan.pk])
    response = client_for(auditor).get(url)
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    decisions = [r for r in rows if r["Record"] == "decision"]
    versions = list(communicated_plan.versions.all())
    assert len(decisions) == timeline(communicated_plan, *versions).count()
    assert {"approved", "communicated"} <= {r["What"] for r in decisions}
    assert any(r["Subject"] == "Version 1" for r in decisions)
    assert any(r["Record"] == "change" for r in rows)
    assert client_for(staff).get(url).status_code == 403


def test_the_plan_trail_appendix_lists_acknowledgements(
    communicated_plan, client_for, auditor, django_capture_on_commit_callbacks
):
    client = client_for(auditor)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("reports:render", args=["plans.plan.trail", communicated_plan.pk]))
    job = ReportJob.objects.get()
    content = text(client.get(reverse("reports:job_download", args=[job.pk])).content)
    assert "Distribution and acknowledgements" in content and "Sam Stone" in content
    assert "Decision records" in content and "Change history" in content


@pytest.mark.parametrize(
    "role, expected", {"auditor": 200, "owner": 200, "other_owner": 403, "staff": 403}.items()
)
def test_who_may_export_a_plan_trail_in_the_api(role, expected, communicated_plan, request, api_for):
    user = request.getfixturevalue(role)
    response = api_for(user).get(
        "/api/v1/audit-trails/", {"record": "plans.plan", "object_id": communicated_plan.pk}
    )
    assert response.status_code == expected


def test_the_plan_and_version_pages_offer_the_reports(communicated_plan, client_for, auditor, staff):
    version = communicated_plan.current_version
    plan_page = client_for(auditor).get(communicated_plan.get_absolute_url()).content.decode()
    assert reverse("reports:document", args=["plans.version", version.pk]) in plan_page
    assert reverse("reports:trail_csv", args=["plans.plan", communicated_plan.pk]) in plan_page
    version_page = client_for(staff).get(version.get_absolute_url()).content.decode()
    assert reverse("reports:render", args=["plans.version", version.pk]) in version_page
    plan_page = client_for(staff).get(communicated_plan.get_absolute_url()).content.decode()
    assert reverse("reports:trail_csv", args=["plans.plan", communicated_plan.pk]) not in plan_page
