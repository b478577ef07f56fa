"""`manage.py benchmark`: every route measured or skipped with a reason, the
figures beside hello-world's, in process and against a live server. Timings
are printed, never asserted."""

import json

import pytest
from django.core.management import CommandError, call_command
from django.http import HttpResponse
from django.urls import URLResolver, get_resolver, path

from accounts.tests.factories import PASSWORD
from pdca import benchmark
from pdca.urls import urlpatterns as project_urlpatterns
from plans.tests import factories as plan_factories


def _new_page(request, thing_id=None):
    return HttpResponse("new")


# A URL conf with two pages nobody told the benchmark about.
urlpatterns = [
    *project_urlpatterns,
    path("new-list/", _new_page, name="new_list"),
    path("new/<int:thing_id>/", _new_page, name="new_detail"),
]


def _named_routes(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _named_routes(pattern.url_patterns, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}"


@pytest.fixture
def roles(administrator, manager, owner, csi_owner, auditor, staff):
    """The demo's usernames, one per role, as the root conftest names them."""
    roles, missing = benchmark.demo_roles()
    assert not missing
    return roles


@pytest.fixture
def draft_plan(smp, owner, manager):
    """A draft process plan of `owner` beside the implemented one."""
    return plan_factories.draft_process_plan(owner, manager, name="Change management")


@pytest.fixture
def world(roles, draft_plan, implementing_plan, planned_review, measured_kpi):
    """A draft and an implemented plan, a planned review and a measured KPI."""
    return roles


def _covered_names(covered):
    measured = {target.route.name for target in covered.targets}
    return measured | {item.route for item in covered.not_measured} | set(covered.skipped)


@pytest.mark.django_db
def test_on_the_demo_every_named_route_is_measured_or_skipped_with_a_reason():
    call_command("seed_demo", quiet=True)  # the real demo, so that every filler meets real data
    roles, _missing = benchmark.demo_roles()
    covered = benchmark.coverage(roles)
    named = set(_named_routes(get_resolver().url_patterns))
    assert named <= _covered_names(covered)
    assert all(covered.skipped.values())
    # Each page with arguments is filled or skipped on purpose: none for want of a filler.
    assert not [name for name, reason in covered.skipped.items() if reason.startswith(benchmark.NO_FILLER)]
    assert not [item for item in covered.not_measured if "filler failed" in item.reason]
    assert len({target.route.name for target in covered.targets}) > 100


def test_a_new_page_is_measured_or_reported_as_skipped_never_forgotten(roles):
    covered = benchmark.coverage(roles, urlconf=__name__)
    assert set(_named_routes(urlpatterns)) <= _covered_names(covered)
    assert {target.route.name for target in covered.targets} >= {"new_list"}
    assert covered.skipped["new_detail"].startswith(benchmark.NO_FILLER)
    assert "thing_id" in covered.skipped["new_detail"]


def test_post_only_views_and_logout_are_skipped_and_form_pages_measured(world, draft_plan):
    covered = benchmark.coverage(world)
    assert "POST only" in covered.skipped["plans:revise"]
    assert "POST only" in covered.skipped["notification_open"]
    assert "no GET" in covered.skipped["logout"]
    assert "PUT only" in covered.skipped["plan-distribution"]
    measured = {target.route.name for target in covered.targets}
    assert {"plans:create", "plans:section_edit", "reviews:edit", "reviews:kpi", "plan-detail"} <= measured
    # The owner edits his or her own draft.
    urls = {
        t.url for t in covered.targets if t.role.username == "owner" and t.route.name == "plans:section_edit"
    }
    assert urls == {f"/plans/{draft_plan.pk}/v1/sections/purpose/"}


def test_each_role_is_represented_by_its_demo_user_and_pages_without_login_by_an_anonymous_visitor(roles):
    assert [(role.name, role.username) for role in roles] == [
        ("anonymous", ""),
        ("Administrator", "admin"),
        ("Manager", "manager"),
        ("Process owner", "owner"),
        ("CSI owner", "csi"),
        ("Auditor", "auditor"),
        ("Staff", "staff"),
    ]
    covered = benchmark.coverage(roles, only="healthz")
    assert [target.role.name for target in covered.targets] == ["anonymous"]


def test_routes_can_be_left_out_by_a_word_of_their_name_path_or_view(roles):
    everything = {target.route.name for target in benchmark.coverage(roles).targets}
    files = {"improvements:export_csv", "improvements:export_xlsx", "reports:decisions"}
    assert files | {"improvements:register"} <= everything
    kept = {target.route.name for target in benchmark.coverage(roles, leave_out=["export"]).targets}
    assert not any("export" in name for name in kept) and "improvements:register" in kept
    assert "reports:decisions" not in kept  # its view is decisions_export
    only = {target.route.name for target in benchmark.coverage(roles, only="export").targets}
    assert files <= only and "improvements:register" not in only
    kept = {
        target.route.name for target in benchmark.coverage(roles, leave_out=["export", "api/v1/"]).targets
    }
    assert "improvements:register" in kept and not any(name.endswith("-list") for name in kept)


def test_the_hello_world_page_says_hello_behind_the_login_and_nothing_more(client, owner):
    assert client.get("/-/hello/").status_code == 302
    client.force_login(owner)
    response = client.get("/-/hello/")
    assert response.status_code == 200 and response.content == b"hello"


def test_the_benchmark_prints_hello_world_and_a_row_for_the_pages_of_every_app(world, capsys):
    call_command("benchmark", repeat=1, role=["manager"], quiet=True)
    out = capsys.readouterr().out
    assert "Manager (manager)" in out
    assert "queries" in out and "median" in out and "p95" in out and "x hello" in out
    rows = {line.split()[0] for line in out.splitlines() if line.startswith("  ") and line.split()}
    assert "hello-world" in rows
    for page in [
        "dashboard",  # pdca
        "profile",  # accounts
        "plans:list",
        "do:overview",
        "reviews:calendar",
        "improvements:register",
        "plan-list",  # the API
        "review-list",
        "improvement-list",
    ]:
        assert page in rows, page
    assert "Skipped routes" in out and "POST only" in out


def test_the_json_has_every_figure_and_the_environment_to_compare_runs(world, tmp_path):
    target = tmp_path / "figures.json"
    call_command("benchmark", repeat=2, role=["owner"], only="plans:", json_path=str(target), quiet=True)
    figures = json.loads(target.read_text())
    assert set(figures) >= {"environment", "mode", "roles", "hello", "results", "not_measured", "skipped"}
    environment = figures["environment"]
    assert environment["database"] and environment["date"]
    assert "git" in environment
    assert set(environment["counts"]) >= {"plans", "reviews", "findings", "measurements", "improvements"}
    assert environment["counts"]["plans"] > 0
    assert figures["hello"]["Process owner"]["queries"] > 0
    row = next(r for r in figures["results"] if r["route"] == "plans:list")
    assert row["role"] == "Process owner" and row["status"] == 200 and row["requests"] == 2
    assert {"median_ms", "p95_ms", "p99_ms", "queries", "x_hello", "url", "app"} <= set(row)
    assert all(r["route"].startswith("plans:") for r in figures["results"])
    assert any(s["route"] == "plans:revise" for s in figures["skipped"])


def test_the_benchmark_says_what_to_do_without_demo_users(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("benchmark", quiet=True)


def test_the_benchmark_refuses_a_role_it_does_not_know(roles):
    with pytest.raises(CommandError, match="No role called nobody"):
        call_command("benchmark", role=["nobody"], quiet=True)


@pytest.mark.django_db(transaction=True)
def test_http_logs_in_through_the_form_and_loads_a_live_server(live_server, owner, tmp_path, capsys):
    target = tmp_path / "http.json"
    call_command(
        "benchmark",
        http=live_server.url,
        role=["owner"],
        only="dashboard",
        concurrency=2,
        requests=4,
        password=PASSWORD,
        json_path=str(target),
        quiet=True,
    )
    out = capsys.readouterr().out
    assert "req/s" in out and "p99" in out
    figures = json.loads(target.read_text())
    for row in [figures["hello"]["Process owner"], *figures["results"]]:
        assert row["requests"] == 4 and row["errors"] == 0 and row["requests_per_second"] > 0
    assert [row["route"] for row in figures["results"]] == ["dashboard"]


@pytest.mark.django_db(transaction=True)
def test_http_says_when_the_login_fails(live_server, owner):
    with pytest.raises(CommandError, match="Logging in as owner failed"):
        call_command(
            "benchmark", http=live_server.url, role=["owner"], only="dashboard", password="wrong", quiet=True
        )
