"""A real Celery worker process consumes a task from a real broker, and the
task's effect lands in the database the test reads."""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection
from kombu import Connection

from pdca.models import Heartbeat
from pdca.tasks import record_heartbeat

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("CELERY_BROKER_URL", "")
# The Redis tests run where Redis is the broker the run was given (the
# PostgreSQL and Redis pass); a run on the filesystem broker reaches for no Redis.
REDIS_ASKED = REDIS_URL.startswith("redis://") or os.environ.get("REQUIRE_SERVICES") == "1"
if not REDIS_URL.startswith("redis://"):
    REDIS_URL = "redis://127.0.0.1:6379/0"

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _database_url():
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = settings["NAME"]
        if not name or name == ":memory:" or "mode=memory" in str(name):
            pytest.fail("The SQLite test database must be a file for a worker process to share it.")
        return f"sqlite:///{name}"
    user = settings["USER"] or "postgres"
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or 5432
    return f"postgres://{user}@{host}:{port}/{settings['NAME']}"


def _start_worker(queue, broker_url, extra_env=None):
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker_url,
        **(extra_env or {}),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pdca",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _wait_for_heartbeat(name, worker, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if Heartbeat.objects.filter(name=name).exists():
            return True
        if worker.poll() is not None:
            break
        time.sleep(0.25)
    return False


def _stop(worker):
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    return out.decode(errors="replace")


def _redis_available():
    if not REDIS_ASKED:
        return False
    try:
        with Connection(REDIS_URL, connect_timeout=2) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:
        return False


def test_worker_consumes_a_task_from_redis_and_writes_to_the_database(_celery_runs_tasks_in_process):
    if not _redis_available():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required (REQUIRE_SERVICES=1) but {REDIS_URL} is not reachable.")
        pytest.skip(f"Redis is not this run's broker, or not reachable at {REDIS_URL}")
    _celery_runs_tasks_in_process.conf.task_always_eager = False
    queue = f"test-{uuid.uuid4().hex}"
    name = f"redis-{queue}"
    worker = _start_worker(queue, REDIS_URL)
    try:
        with Connection(REDIS_URL) as conn:
            record_heartbeat.apply_async(args=[name], queue=queue, connection=conn)
        arrived = _wait_for_heartbeat(name, worker)
    finally:
        output = _stop(worker)
    assert arrived, f"the worker did not record the heartbeat; its output:\n{output}"


def test_worker_consumes_a_task_from_the_filesystem_broker(tmp_path, _celery_runs_tasks_in_process):
    _celery_runs_tasks_in_process.conf.task_always_eager = False
    queue = f"test-{uuid.uuid4().hex}"
    name = f"fs-{queue}"
    folder = tmp_path / "broker" / "queue"
    folder.mkdir(parents=True)
    (tmp_path / "broker" / "processed").mkdir()
    worker = _start_worker(queue, "filesystem://", {"VAR_DIR": str(tmp_path)})
    try:
        options = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "control_folder": str(tmp_path / "broker" / "control"),
        }
        with Connection("filesystem://", transport_options=options) as conn:
            record_heartbeat.apply_async(args=[name], queue=queue, connection=conn)
        arrived = _wait_for_heartbeat(name, worker)
    finally:
        output = _stop(worker)
    assert arrived, f"the worker did not record the heartbeat; its output:\n{output}"


def _wait_for(condition, worker, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        if worker.poll() is not None:
            break
        time.sleep(0.25)
    return False


def _due_schedule():
    """A plan whose review is due in 7 days (C5), built without the services'
    ceremony: a process, a plan and its schedule."""
    from datetime import timedelta

    from django.utils import timezone

    from accounts.tests.factories import UserFactory
    from plans.models import Plan, Process
    from reviews.models import ReviewSchedule

    owner = UserFactory(username=f"owner-{uuid.uuid4().hex[:8]}")
    smp = Plan.objects.create(kind=Plan.Kind.SMP, title="SMP", created_by=owner)
    process = Process.objects.create(name=f"Process {uuid.uuid4().hex[:8]}", owner=owner)
    plan = Plan.objects.create(
        kind=Plan.Kind.PROCESS, title="A plan", process=process, smp=smp, created_by=owner
    )
    return ReviewSchedule.objects.create(
        plan=plan, next_planned_on=timezone.localdate() + timedelta(days=7), reviewer=owner
    )


@pytest.mark.parametrize("broker", ["redis", "filesystem"])
def test_a_starting_worker_raises_the_reminders_due_and_they_reach_the_portal(
    broker, tmp_path, _celery_runs_tasks_in_process
):
    """C5 end to end: a worker that starts catches up at once; the reminder is a
    row and a notification in the portal."""
    from pdca.models import Notification, Reminder

    if broker == "redis" and not _redis_available():
        if os.environ.get("REQUIRE_SERVICES") == "1":
            pytest.fail(f"Redis is required (REQUIRE_SERVICES=1) but {REDIS_URL} is not reachable.")
        pytest.skip(f"Redis is not this run's broker, or not reachable at {REDIS_URL}")
    _celery_runs_tasks_in_process.conf.task_always_eager = False
    schedule = _due_schedule()
    queue = f"test-{uuid.uuid4().hex}"
    if broker == "redis":
        worker = _start_worker(queue, REDIS_URL)
    else:
        for folder in ("queue", "processed", "control"):
            (tmp_path / "broker" / folder).mkdir(parents=True, exist_ok=True)
        worker = _start_worker(queue, "filesystem://", {"VAR_DIR": str(tmp_path)})
    try:
        raised = _wait_for(lambda: Reminder.objects.filter(object_id=schedule.pk, stage=7).exists(), worker)
    finally:
        output = _stop(worker)
    assert raised, f"the worker raised no reminder; its output:\n{output}"
    assert Notification.objects.filter(recipient=schedule.reviewer, kind="reminder").count() == 1
