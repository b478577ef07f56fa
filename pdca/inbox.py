"""The task inbox: everything that waits for a person, from every app, in one list.

Each app registers one source per kind of task (`pdca.registry.register_task_source`):
`source(user)` returns the user's open tasks of that kind as `Task`s, asking
the app's own permission rules, so that a task is listed exactly when the page
it links to offers the action, and disappears once anybody has done it. Each
source runs a bounded number of queries, so the inbox does too.

The page (/tasks/), the dashboard's first panel and the API (/api/v1/tasks/)
all read `inbox()`: the same items, in the same order, with the same counts.
"""

import time as clock
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from .registry import task_sources

# A task due within this many days (or overdue) comes before the others.
URGENT_DAYS = 7

# The count in the navigation is counted at login and on every visit to the
# inbox or the dashboard, and remembered in the session; another page counts
# afresh only when the remembered count is older than this, so that pages do
# not ask every source on every request.
COUNT_SECONDS = 300
_COUNT_KEY = "pdca_task_count"


@dataclass(slots=True)
class Task:
    """One thing that waits for the user: what, why, since when, where it is done.
    (Not frozen: the inbox fills in `kind_label` and clears `actor_name` in
    place, a copy per task cost a CSI owner's thousand tasks a few ms.)"""

    kind: str
    # What to do, e.g. "Approve Incident management, version 2".
    title: str
    # Why: the comment or note that caused it (the change request's comment,
    # the submitter's note), or what makes it due.
    reason: str
    # Since when it waits (a datetime; a date is taken at midnight).
    since: datetime | date
    # The page where it is done.
    url: str
    # Who caused it (submitted, requested changes, handed over), if anybody.
    actor_name: str = ""
    due_on: date | None = None
    # The record concerned, e.g. "Incident management v2".
    object_label: str = ""
    # Filled by the inbox from the registry: how the kind is named.
    kind_label: str = ""

    @property
    def since_moment(self):
        return _moment(self.since)

    def is_overdue(self, today=None):
        return self.due_on is not None and self.due_on < (today or timezone.localdate())


def _moment(value):
    if value is None:  # a source that does not know: the oldest of all
        return timezone.make_aware(datetime(2000, 1, 1))
    if isinstance(value, datetime):
        return value
    return timezone.make_aware(datetime.combine(value, time.min))


def sort_key(today):
    """Urgent tasks (due within URGENT_DAYS, or overdue) first, the earliest
    due first; then the others, the newest first."""
    horizon = today + timedelta(days=URGENT_DAYS)

    def key(task):
        if task.due_on is not None and task.due_on <= horizon:
            return (0, task.due_on.toordinal(), -task.since_moment.timestamp(), task.title)
        return (1, 0, -task.since_moment.timestamp(), task.title)

    return key


@dataclass(frozen=True)
class Inbox:
    """The user's tasks (of the chosen kind, or all), and the count of each kind."""

    tasks: list
    kinds: list  # [{"kind", "label", "count", "current"}], kinds with tasks only
    total: int  # all tasks, whatever the chosen kind
    kind: str  # the chosen kind ("" for all)


def inbox(user, kind=""):
    """Every source asked once; `kind` chooses the tasks listed (an unknown
    kind lists none), the counts are always of every kind."""
    today = timezone.localdate()
    me = str(user)
    everything, kinds = [], []
    for registered in task_sources():
        found = list(registered.source(user))
        for task in found:
            task.kind_label = registered.label
            if task.actor_name == me:  # who caused a task is worth saying only when it is somebody else
                task.actor_name = ""
        if found:
            kinds.append(
                {
                    "kind": registered.kind,
                    "label": registered.label,
                    "count": len(found),
                    "current": registered.kind == kind,
                }
            )
        everything.extend(found)
    chosen = [task for task in everything if task.kind == kind] if kind else everything
    chosen.sort(key=sort_key(today))
    return Inbox(tasks=chosen, kinds=kinds, total=len(everything), kind=kind)


def kind_choices():
    """(kind, label) of every registered kind, for filters and the API schema."""
    return [(source.kind, source.label) for source in task_sources()]


def remember_count(request, total, user=None):
    """Keep the number of the user's tasks for the navigation. The same count,
    remembered less than half of COUNT_SECONDS ago, is left as it is: a visit
    to the dashboard or the inbox then writes no session."""
    if not hasattr(request, "session"):
        return
    now, today = clock.time(), timezone.localdate().isoformat()
    pk = (user or request.user).pk
    remembered = request.session.get(_COUNT_KEY)
    if (
        remembered
        and (remembered.get("user"), remembered.get("count"), remembered.get("day")) == (pk, total, today)
        and 0 <= now - remembered.get("at", 0) < COUNT_SECONDS / 2
    ):
        return
    request.session[_COUNT_KEY] = {"user": pk, "count": total, "at": now, "day": today}


def count_at_login(sender, request, user, **kwargs):
    """`user_logged_in`: the navigation shows the count from the first page on."""
    if request is not None:
        remember_count(request, inbox(user).total, user)


def navigation_count(request):
    """The number of the user's tasks for the navigation, as remembered (see
    COUNT_SECONDS); counted afresh when there is none, or it is stale."""
    remembered = request.session.get(_COUNT_KEY) if hasattr(request, "session") else None
    if (
        remembered
        and remembered.get("user") == request.user.pk
        and remembered.get("day") == timezone.localdate().isoformat()
        and 0 <= clock.time() - remembered.get("at", 0) < COUNT_SECONDS
    ):
        return remembered["count"]
    total = inbox(request.user).total
    remember_count(request, total)
    return total


def forget_count_after_changes(get_response):
    """Middleware: a change the user makes (any request that is not a read)
    forgets the remembered count, so that the next page counts afresh: a task
    the user just did leaves the navigation at once. Tasks that others give
    the user appear within COUNT_SECONDS."""

    def middleware(request):
        response = get_response(request)
        if request.method not in ("GET", "HEAD", "OPTIONS") and hasattr(request, "session"):
            request.session.pop(_COUNT_KEY, None)  # writes the session only if it held a count
        return response

    return middleware


def latest_decisions(model, *, outer="pk", actions=(), to_state=None):
    """The decisions on the `model` row named by `OuterRef(outer)`, the newest
    first, for subqueries: `Subquery(latest_decisions(...).values("comment")[:1])`
    gives a source the comment that caused a task in the same query."""
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import OuterRef

    from .models import Decision

    decisions = Decision.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_id=OuterRef(outer)
    )
    if actions:
        decisions = decisions.filter(action__in=actions)
    if to_state is not None:
        decisions = decisions.filter(to_state=to_state)
    return decisions.order_by("-sequence")


def annotate_latest_decision(queryset, prefix, decisions):
    """Annotate `<prefix>_action`, `_comment`, `_actor_id` and `_at` of the first
    of `decisions` (see `latest_decisions`) on each row of `queryset`."""
    from django.db.models import Subquery

    return queryset.annotate(
        **{
            f"{prefix}_{name}": Subquery(decisions.values(name)[:1])
            for name in ("action", "comment", "actor_id", "at")
        }
    )


def people(ids):
    """{pk: user} of the users `ids`, in one query (none for no ids)."""
    from django.contrib.auth import get_user_model

    ids = {pk for pk in ids if pk}
    return get_user_model().objects.in_bulk(ids) if ids else {}
