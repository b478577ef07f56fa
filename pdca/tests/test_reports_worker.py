"""C7 on a real worker: a report job travels through a real broker
(filesystem, and Redis where it runs), a worker process renders the PDF into
the media folder and records it, and the download serves those bytes."""

import hashlib
import os
import time
import uuid

import pytest
from django.urls import reverse
from kombu import Connection

from pdca.models import ReportJob
from pdca.tasks import render_report_job
from pdca.tests.test_celery_workers import REDIS_URL, _redis_available, _start_worker, _stop

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _wait_for_job(job, worker, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return True
        if worker.poll() is not None:
            break
        time.sleep(0.25)
    return False


@pytest.mark.parametrize("broker", ["filesystem", "redis"])
def test_a_worker_renders_a_report_job_and_the_download_works(
    broker, tmp_path, settings, process_plan, owner, client_for, _celery_runs_tasks_in_process
):
    if broker == "redis" and not _redis_available():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required (REQUIRE_SERVICES=1) but {REDIS_URL} is not reachable.")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    _celery_runs_tasks_in_process.conf.task_always_eager = False
    settings.MEDIA_ROOT = tmp_path / "media"  # the worker's VAR_DIR/media
    version = process_plan.versions.get()
    job = ReportJob.objects.create(report="plans.version", object_id=version.pk, requested_by=owner)
    queue = f"test-{uuid.uuid4().hex}"
    folders = {name: tmp_path / "broker" / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    url = REDIS_URL if broker == "redis" else "filesystem://"
    worker = _start_worker(queue, url, {"VAR_DIR": str(tmp_path)})
    try:
        options = {
            "data_folder_in": str(folders["queue"]),
            "data_folder_out": str(folders["queue"]),
            "control_folder": str(folders["control"]),
        }
        with Connection(url, transport_options=options if broker == "filesystem" else {}) as conn:
            render_report_job.apply_async(args=[str(job.pk)], queue=queue, connection=conn)
        finished = _wait_for_job(job, worker)
    finally:
        output = _stop(worker)
    assert finished, f"the worker did not finish the job; its output:\n{output}"
    assert job.status == ReportJob.Status.DONE, job.error
    assert (tmp_path / "media" / job.path).exists()
    response = client_for(owner).get(reverse("reports:job_download", args=[job.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == job.sha256
