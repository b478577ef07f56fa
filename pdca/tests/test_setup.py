"""Setup that holds on any machine (issue: non-root installs, each CI pass on
the database and broker it claims)."""

import os
import stat
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[2]
SCRIPT = BASE_DIR / "scripts" / "install-system-packages"


def _fake_bin(tmp_path, **commands):
    """A directory of stub commands put first on PATH (`name=shell body`)."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, body in commands.items():
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return folder


def _run(tmp_path, **commands):
    env = {**os.environ, "PATH": f"{_fake_bin(tmp_path, **commands)}:{os.environ['PATH']}"}
    return subprocess.run([str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60)


def test_a_non_root_user_with_every_package_installed_needs_no_root(tmp_path):
    # Only the user id is stubbed: dpkg answers for the real packages of this machine.
    result = _run(tmp_path, id="echo 1000", **{"apt-get": "echo apt-get must not run >&2; exit 3"})
    if "missing" in result.stderr:
        pytest.skip(f"This machine lacks packages the script would install: {result.stderr}")
    assert result.returncode == 0, result.stderr


def test_a_non_root_user_without_sudo_is_told_which_packages_to_install(tmp_path):
    result = _run(
        tmp_path,
        id="echo 1000",
        dpkg='case "$2" in chromium) exit 1;; *) exit 0;; esac',
        sudo="exit 1",
        **{"apt-get": "echo apt-get must not run >&2; exit 3"},
    )
    assert result.returncode == 1
    assert "apt-get install chromium" in result.stderr and "must not run" not in result.stderr


def test_each_ci_pass_runs_on_the_database_and_broker_it_claims():
    """REQUIRE_SERVICES=1 means PostgreSQL and Redis, or fail; without it the
    tests run where DATABASE_URL and CELERY_BROKER_URL say (SQLite and the
    filesystem broker when they are unset)."""
    database_url = os.environ.get("DATABASE_URL", "")
    broker_url = os.environ.get("CELERY_BROKER_URL", "")
    if os.environ.get("REQUIRE_SERVICES") == "1":
        assert connection.vendor == "postgresql"
        assert settings.CELERY_BROKER_URL.startswith("redis://")
    if not database_url:
        assert connection.vendor == "sqlite"
    elif database_url.startswith("postgres"):
        assert connection.vendor == "postgresql"
    if not broker_url:
        assert settings.CELERY_BROKER_URL.startswith("filesystem://")


@pytest.mark.django_db
def test_the_test_database_is_unique_to_this_run():
    """Two CI runs against one PostgreSQL server each get their own test
    database (a suffix from the run's process id)."""
    assert str(os.getpid()) in str(connection.settings_dict["NAME"])


def _database_options(**env):
    code = "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS', {}))"
    result = subprocess.run(
        [str(BASE_DIR / ".venv" / "bin" / "python"), "-c", f"import django; django.setup(); {code}"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "pdca.settings", "DEBUG": "true", **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_postgresql_runs_queries_without_parallel_workers_unless_told():
    url = "postgres://someone@db.example:5432/pdca"
    assert "-c max_parallel_workers_per_gather=0" in _database_options(DATABASE_URL=url)
    told = _database_options(
        DATABASE_URL=url + "?options=-c%20statement_timeout%3D5000", DATABASE_PARALLEL_WORKERS="2"
    )
    assert "-c statement_timeout=5000 -c max_parallel_workers_per_gather=2" in told
    assert "max_parallel" not in _database_options(DATABASE_URL="sqlite:////tmp/any.sqlite3")


@pytest.mark.django_db
def test_the_connection_has_the_parallel_workers_it_was_given():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's setting")
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_parallel_workers_per_gather")
        assert cursor.fetchone()[0] == (os.environ.get("DATABASE_PARALLEL_WORKERS") or "0")
