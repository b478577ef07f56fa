"""The task inbox (pdca/inbox.py): one list of everything that waits for the
user, from the sources the apps register; the page, the dashboard's first
panel, the navigation and the API show the same items and counts, the most
urgent first, a page at a time, filtered by kind."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from pdca import registry
from pdca.inbox import Task, inbox

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TODAY = timezone.localdate()


def _tasks(kind, count, user, **extra):
    return [
        Task(
            kind=kind,
            title=f"{kind} {n} for {user.username}",
            reason=f"Because of {n}.",
            since=NOW - datetime.timedelta(hours=n),
            url=f"/{kind}/{n}/",
            actor_name="Morgan Meyer",
            **extra,
        )
        for n in range(count)
    ]


@pytest.fixture
def sources(monkeypatch):
    """Only two kinds of task: 30 approvals and 3 reviews that fall due."""

    def approvals(user):
        return _tasks("approval", 30, user) if user.username == "manager" else []

    def due(user):
        return [
            Task(
                kind="due",
                title=f"Due in {days} days",
                reason="A review falls due.",
                since=NOW - datetime.timedelta(days=40),
                url=f"/due/{days}/",
                due_on=TODAY + datetime.timedelta(days=days),
            )
            for days in (30, -2, 3)
        ]

    monkeypatch.setattr(
        registry,
        "_task_sources",
        {
            "approval": registry.TaskSource("approval", "Plans to approve", approvals, 1),
            "due": registry.TaskSource("due", "Reviews due", due, 2),
        },
    )


def test_urgent_tasks_come_first_then_the_newest(sources, manager):
    found = inbox(manager)
    titles = [task.title for task in found.tasks]
    # Overdue, then due within a week (earliest first), then the newest first.
    assert titles[:2] == ["Due in -2 days", "Due in 3 days"]
    assert titles[2:5] == ["approval 0 for manager", "approval 1 for manager", "approval 2 for manager"]
    assert titles[-1] == "Due in 30 days"  # due in a month, waiting for 40 days: the oldest
    assert found.total == 33 and [(k["kind"], k["count"]) for k in found.kinds] == [
        ("approval", 30),
        ("due", 3),
    ]


def test_each_task_is_named_by_its_kind_and_by_who_caused_it_unless_that_is_the_user(sources, manager):
    manager.first_name, manager.last_name = "Mia", "Miller"
    by_kind = {task.kind: task for task in inbox(manager).tasks}
    assert (by_kind["approval"].kind_label, by_kind["due"].kind_label) == ("Plans to approve", "Reviews due")
    assert by_kind["approval"].actor_name == "Morgan Meyer"
    manager.first_name, manager.last_name = "Morgan", "Meyer"  # the approvals' actor
    assert {task.actor_name for task in inbox(manager).tasks} == {""}


def test_the_page_lists_every_task_a_page_at_a_time_with_counts(sources, manager, client_for):
    client = client_for(manager)
    first = client.get(reverse("tasks"))
    assert first.status_code == 200
    assert first.context["page"].paginator.count == 33 and len(first.context["page"].object_list) == 25
    html = first.content.decode()
    assert html.count('class="task"') == 25
    assert "Because of 0." in html and "Morgan Meyer" in html
    assert 'href="/approval/0/"' in html
    second = client.get(reverse("tasks"), {"page": 2})
    assert second.content.decode().count('class="task"') == 8
    shown = [t.title for t in first.context["page"].object_list] + [
        t.title for t in second.context["page"].object_list
    ]
    assert sorted(shown) == sorted(t.title for t in inbox(manager).tasks)  # each task once


def test_the_filter_by_kind_lists_all_of_that_kind_and_keeps_the_counts(sources, manager, client_for):
    response = client_for(manager).get(reverse("tasks"), {"kind": "due"})
    assert [t.url for t in response.context["page"].object_list] == ["/due/-2/", "/due/3/", "/due/30/"]
    html = response.content.decode()
    assert (
        'href="/tasks/?kind=approval"' in html and '>Plans to approve <span class="count">30</span>' in html
    )
    assert response.context["inbox"].total == 33


def test_an_unknown_kind_is_said_so_and_all_tasks_are_shown(sources, manager, client_for):
    response = client_for(manager).get(reverse("tasks"), {"kind": "nonsense"})
    assert response.status_code == 200
    assert "There is no kind of task “nonsense”" in response.content.decode()
    assert response.context["page"].paginator.count == 33


def test_another_users_tasks_are_not_shown(sources, manager2, client_for):
    response = client_for(manager2).get(reverse("tasks"))
    assert [t.kind for t in response.context["page"].object_list] == ["due", "due", "due"]


def test_the_api_lists_the_same_items_and_counts_as_the_page(sources, manager, api_for, client_for):
    api = api_for(manager)
    body = api.get("/api/v1/tasks/").json()
    assert body["count"] == body["total"] == 33 and len(body["results"]) == 33  # API pages hold 50
    assert [r["url"] for r in body["results"]] == [t.url for t in inbox(manager).tasks]
    assert body["kinds"] == [
        {"kind": "approval", "label": "Plans to approve", "count": 30},
        {"kind": "due", "label": "Reviews due", "count": 3},
    ]
    first = body["results"][0]
    assert first["overdue"] is True and first["due_on"] == str(TODAY - datetime.timedelta(days=2))
    due = api.get("/api/v1/tasks/", {"kind": "due"}).json()
    assert due["count"] == 3 and due["total"] == 33


def test_the_api_refuses_an_unknown_kind_with_a_message(sources, manager, api_for):
    response = api_for(manager).get("/api/v1/tasks/", {"kind": "nonsense"})
    assert response.status_code == 400
    assert "nonsense" in response.json()["errors"]["kind"][0]


def test_the_dashboard_shows_the_first_tasks_and_links_to_all_of_them(sources, manager, client_for):
    response = client_for(manager).get(reverse("dashboard"))
    assert len(response.context["top_tasks"]) == 5
    html = response.content.decode()
    assert "See all 33 tasks" in html and 'href="/tasks/"' in html
    # Each key figure of tasks links to the inbox filtered to the tasks it counts.
    stats = {stat["label"]: stat for stat in response.context["stats"]}
    assert stats["Plans to approve"]["value"] == 30
    assert stats["Plans to approve"]["url"] == "/tasks/?kind=approval"
    listed = client_for(manager).get(stats["Plans to approve"]["url"])
    assert listed.context["page"].paginator.count == 30


def test_the_navigation_links_to_the_inbox_with_the_count(sources, manager, client_for):
    html = client_for(manager).get(reverse("tasks")).content.decode()
    assert 'href="/tasks/"' in html and 'aria-label="33 tasks">33</span>' in html


def test_the_schema_documents_the_task_list(manager, api_for):
    schema = api_for(manager).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/tasks/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"kind", "page"}
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PaginatedTaskList"
    )
    listed = schema["components"]["schemas"]["PaginatedTaskList"]["properties"]
    assert {"count", "total", "kinds", "results"} <= set(listed)


def test_an_auditor_has_no_action_task(
    client_for, api_for, auditor, staff, manager, owner, other_owner, communicated_plan, planned_review
):
    """Auditors read everything and change nothing: with tasks waiting in Plan
    and Check for others, an auditor's inbox is empty (the real sources)."""
    from plans.tests import factories
    from reviews.tests import factories as review_factories

    draft = factories.draft_process_plan(other_owner, manager, name="Change management")
    factories.submit_and_review(draft.latest_version, other_owner)
    review_factories.submitted(planned_review, owner)
    assert inbox(staff).total == 1 and inbox(manager).total == 2  # to acknowledge; to approve
    assert inbox(auditor).total == 0
    assert client_for(auditor).get(reverse("tasks")).context["inbox"].total == 0
    assert api_for(auditor).get("/api/v1/tasks/").json()["count"] == 0


def test_the_api_refuses_a_page_given_twice_or_empty(manager, api_for):
    api = api_for(manager)
    response = api.get("/api/v1/tasks/?page=1&page=2")
    assert response.status_code == 400
    assert response.json()["errors"]["page"] == ["Give this parameter once."]
    response = api.get("/api/v1/tasks/?page=")
    assert response.status_code == 400 and "Give a value" in response.json()["errors"]["page"][0]


def _three_approvals(monkeypatch, user):
    """The only source: three approvals for `user`, a list a test may shorten."""
    open_tasks = _tasks("approval", 3, user)
    monkeypatch.setattr(
        registry,
        "_task_sources",
        {"approval": registry.TaskSource("approval", "Plans to approve", lambda user: list(open_tasks), 1)},
    )
    return open_tasks


def test_the_navigation_counts_afresh_after_the_users_own_change(monkeypatch, manager, client_for):
    """The count is remembered for a few minutes, but a task the user has just
    done leaves the navigation on the next page."""
    open_tasks = _three_approvals(monkeypatch, manager)
    client = client_for(manager)
    assert 'aria-label="3 tasks">3</span>' in client.get(reverse("dashboard")).content.decode()
    open_tasks.pop()  # done elsewhere: the remembered count stays for a while
    assert 'aria-label="3 tasks">3</span>' in client.get(reverse("plans:list")).content.decode()
    client.post(reverse("notifications_mark_read"))  # any change the user makes
    assert 'aria-label="2 tasks">2</span>' in client.get(reverse("plans:list")).content.decode()


def test_a_visit_with_the_same_count_writes_no_session(monkeypatch, manager, client_for):
    """The dashboard and the inbox remember the count they show; the same count
    remembered lately is not written again (a session write on every visit
    costs a transaction), a changed one is."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    open_tasks = _three_approvals(monkeypatch, manager)
    client = client_for(manager)

    def session_writes(url):
        with CaptureQueriesContext(connection) as captured:
            html = client.get(url).content.decode()
        return html, [q["sql"] for q in captured if "django_session" in q["sql"] and "UPDATE" in q["sql"]]

    # Counted at login; the visits find the same count.
    for url in (reverse("dashboard"), reverse("tasks"), reverse("dashboard")):
        html, writes = session_writes(url)
        assert 'aria-label="3 tasks">3</span>' in html and writes == []
    open_tasks.pop()
    html, writes = session_writes(reverse("tasks"))
    assert 'aria-label="2 tasks">2</span>' in html and writes
