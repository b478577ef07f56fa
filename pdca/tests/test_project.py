"""The project as a whole: migrations, deploy checks, settings, API docs."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parents[2]


def _run_manage(*args, env_overrides):
    # A clean process: not under pytest, and without the browser tests' async override.
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_makemigrations_is_clean():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_check_deploy_reports_nothing_with_debug_off(tmp_path):
    result = _run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_overrides={
            "DEBUG": "false",
            "SECRET_KEY": "x" * 20 + "-a-long-and-random-production-key-123456789",
            "VAR_DIR": str(tmp_path),
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_refuses_to_start_with_the_development_secret_key_when_debug_is_off(tmp_path):
    result = _run_manage(
        "check", env_overrides={"DEBUG": "false", "SECRET_KEY": "", "VAR_DIR": str(tmp_path)}
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_web_server_refuses_the_development_secret_key_when_debug_is_off(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"PYTEST_VERSION", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DEBUG": "false", "SECRET_KEY": "", "VAR_DIR": str(tmp_path)})
    result = subprocess.run(
        [sys.executable, "-c", "import pdca.wsgi"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_the_refusal_is_one_clear_message_not_a_traceback(tmp_path):
    result = _run_manage(
        "makemigrations",
        "--check",
        "--dry-run",
        env_overrides={"DEBUG": "false", "SECRET_KEY": "", "VAR_DIR": str(tmp_path)},
    )
    assert result.returncode != 0
    assert "(pdca.E001) SECRET_KEY is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.django_db
def test_openapi_schema_and_offline_swagger_ui(client_for, owner):
    client = client_for(owner)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"openapi" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Swagger UI comes from the sidecar package through our own static files, not a CDN.
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in html
    # Every script and style sheet from this site: none from another host
    # (a bare "cdn" test failed once on a random CSRF token that held "cdn").
    sources = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert "cdn." not in html.lower()


@pytest.mark.django_db
def test_api_root_lists_the_endpoints(api_for, owner):
    response = api_for(owner).get("/api/v1/")
    assert response.status_code == 200
    assert "users" in response.json()


@pytest.mark.django_db
def test_admin_registers_every_model(admin_client):
    from django.apps import apps
    from django.contrib import admin

    ours = [
        m
        for m in apps.get_models()
        if m._meta.app_label in {"accounts", "pdca", "plans", "reviews", "improvements"}
    ]
    history_models = {m for m in ours if m.__name__.startswith("Historical")}
    missing = [m.__name__ for m in ours if m not in history_models and not admin.site.is_registered(m)]
    assert missing == []
