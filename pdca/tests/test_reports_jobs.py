"""C7: background jobs are made good by the periodic job: a job whose message
was lost is queued again, one whose worker died is failed (so it can be
retried), and a draft's rendering is removed after a day."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from pdca import reports
from pdca.models import ReportJob

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _job(process_plan, owner, **values):
    version = process_plan.versions.get()
    return ReportJob.objects.create(
        report="plans.version", object_id=version.pk, requested_by=owner, **values
    )


def test_a_job_whose_message_was_lost_is_rendered_by_the_periodic_job(process_plan, owner):
    job = _job(process_plan, owner, created_at=timezone.now() - timedelta(minutes=10))
    assert reports.maintain()["jobs_requeued"] == 1  # eager: rendered at once
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE and default_storage.exists(job.path)


def test_a_job_whose_worker_died_is_failed_and_can_be_retried(process_plan, owner, client_for):
    job = _job(
        process_plan, owner, status=ReportJob.Status.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    reports.maintain()
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED and "interrupted" in job.error
    page = client_for(owner).get(reverse("reports:job", args=[job.pk])).content.decode()
    assert "Try again" in page


def test_a_message_delivered_twice_renders_once(process_plan, owner):
    job = _job(process_plan, owner)
    reports.run_job(job.pk)
    reports.run_job(job.pk)
    job.refresh_from_db()
    assert job.attempts == 1 and job.status == ReportJob.Status.DONE


def test_a_drafts_rendering_is_removed_after_a_day(process_plan, owner, client_for):
    job = _job(process_plan, owner)
    reports.run_job(job.pk)
    job.refresh_from_db()
    ReportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=25))
    assert reports.maintain()["files_removed"] == 1
    job.refresh_from_db()
    assert job.expired and not default_storage.exists(job.path)
    response = client_for(owner).get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 400 and "ask for the report again" in response.content.decode()


def test_a_refusal_since_the_request_fails_the_job_with_the_reason(process_plan, owner, other_owner):
    job = _job(process_plan, owner)
    ReportJob.objects.filter(pk=job.pk).update(requested_by=other_owner)
    reports.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.FAILED and "process owner" in job.error
