"""How the phase apps plug into the cycle.

`pdca` imports no phase app. Each app registers what it contributes from its
`AppConfig.ready()` (as wagtail's hooks and netbox's `register_widget` do):

- decision labels: how the portal phrases each action ("approved", ...);
- dashboard panels: functions `contribute(user, context)` run for the dashboard;
- navigation entries: one per phase of the cycle (Plan, Do, Check, Act);
- page URLs and API routes;
- demo seeders: functions `seed(users, scale, stdout)` run by `seed_demo`;
- task sources: functions `source(user)` giving the user's open tasks of one
  kind, for the task inbox (`pdca.inbox`).

The registry is filled once at start-up and read on every request; it holds
plain data and functions, never model instances.
"""

from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# The four phases of the Deming cycle, in order: (key, letter, label).
PHASES = (
    ("plan", "P", _("Plan")),
    ("do", "D", _("Do")),
    ("check", "C", _("Check")),
    ("act", "A", _("Act")),
)

_decision_labels = {}
_dashboard_panels = []
_navigation = {}
_urls = []
_api_routes = []
_demo_seeders = []
_controlled_models = []
_page_panels = {}
_reminder_sources = {}
_calendar_sources = []
_list_badges = {}
_task_sources = {}


# -- decision labels ---------------------------------------------------------


def register_decision_labels(labels):
    """`labels` maps an action name to how the portal phrases it after the
    actor's name: {"approve": _("approved")}. An action keeps one label
    across apps: a second, different label for it is a programming error."""
    for action, label in labels.items():
        known = _decision_labels.get(action)
        if known is not None and str(known) != str(label):
            raise ImproperlyConfigured(f"Decision action {action!r} is already labelled {known!r}.")
        _decision_labels[action] = label


def decision_label(action):
    label = _decision_labels.get(action)
    return label if label is not None else action.replace("_", " ")


# -- dashboard ---------------------------------------------------------------


def register_dashboard_panel(contribute, *, order=100):
    """`contribute(user, context)` adds panels (context["panels"]) and key
    figures (context["stats"]); each must run a bounded number of queries."""
    if contribute not in [c for _, c in _dashboard_panels]:
        _dashboard_panels.append((order, contribute))
        _dashboard_panels.sort(key=lambda item: item[0])


def dashboard_panels():
    return [contribute for _, contribute in _dashboard_panels]


# -- navigation --------------------------------------------------------------


@dataclass(frozen=True)
class NavEntry:
    phase: str
    label: str
    url_name: str
    # The URL namespaces whose pages belong to this entry (highlighted there).
    namespaces: tuple


def register_navigation(*, phase, label, url_name, namespaces):
    if phase not in {key for key, *_ in PHASES}:
        raise ImproperlyConfigured(f"Unknown phase {phase!r}.")
    _navigation[phase] = NavEntry(phase, label, url_name, tuple(namespaces))


def navigation():
    """[(key, letter, label, NavEntry or None)] for the four phases in order."""
    return [(key, letter, label, _navigation.get(key)) for key, letter, label in PHASES]


# -- page URLs and API routes ------------------------------------------------------


def register_urls(prefix, module):
    """Include `module`'s urlpatterns (with its app_name) under `prefix`."""
    if (prefix, module) not in _urls:
        _urls.append((prefix, module))


def url_includes():
    return list(_urls)


def register_api_routes(register):
    """`register(router)` adds the app's viewsets under /api/v1/."""
    if register not in _api_routes:
        _api_routes.append(register)


def api_routes():
    return list(_api_routes)


# -- panels on another app's pages, and badges in its lists ----------------------------------


def register_page_panel(page, panel, *, order=100):
    """`panel(request, obj)` returns {"template": ..., **context} or None: a
    card another app shows on `page` (e.g. Check's reviews on the plan page,
    "plans.plan_detail"). Each must run a bounded number of queries."""
    panels = _page_panels.setdefault(page, [])
    if panel not in [p for _, p in panels]:
        panels.append((order, panel))
        panels.sort(key=lambda item: item[0])


def page_panels(page, request, obj):
    """The panels registered for `page`, rendered for `obj` (None ones left out)."""
    rendered = []
    for _order, panel in _page_panels.get(page, []):
        result = panel(request, obj)
        if result:
            rendered.append(result)
    return rendered


def register_list_badges(listing, badges):
    """`badges(user, objects)` returns {pk: [{"status": css, "label": text}]} for
    the objects of one page of `listing` (e.g. "plans.plan_list"), in a fixed
    number of queries."""
    if badges not in _list_badges.setdefault(listing, []):
        _list_badges[listing].append(badges)


def list_badges(listing, user, objects):
    merged = {}
    for badges in _list_badges.get(listing, []):
        for pk, items in badges(user, objects).items():
            merged.setdefault(pk, []).extend(items)
    return merged


# -- reminders ----------------------------------------------------------------------


def register_reminder_source(name, source):
    """`source.model` is what falls due; `source.due_items(today, horizon,
    chunk_size)` yields lists of `pdca.reminders.DueItem` for the items due
    within `horizon` days or overdue, each list in a fixed number of queries."""
    _reminder_sources[name] = source


def reminder_sources():
    return sorted(_reminder_sources.items())


def register_calendar_source(events):
    """`events(user)` returns the `pdca.feeds.CalendarEvent`s that concern
    `user` (his or her reviews, actions, deadlines), for the calendar feed."""
    if events not in _calendar_sources:
        _calendar_sources.append(events)


def calendar_sources():
    return list(_calendar_sources)


# -- the task inbox ------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskSource:
    kind: str
    label: str
    source: object
    order: int


def register_task_source(kind, label, source, *, order=100):
    """`source(user)` returns the user's open tasks of `kind` as a list of
    `pdca.inbox.Task`, in a bounded number of queries whatever their number.
    `label` names the kind in the inbox's filter ("Plans to approve"). A task
    is offered exactly when the page where it is done offers the action: the
    source asks the app's own permission rules. A kind has one source: a
    second, different one is a programming error."""
    known = _task_sources.get(kind)
    if known is not None and known.source is not source:
        raise ImproperlyConfigured(f"Task kind {kind!r} already has a source.")
    _task_sources[kind] = TaskSource(kind, label, source, order)


def task_sources():
    """The registered task sources, in their order."""
    return sorted(_task_sources.values(), key=lambda s: (s.order, s.kind))


# -- records that verify_records checks ------------------------------------------------


def register_controlled_document(model):
    """A controlled document model whose approved records `verify_records`
    checks every day (their stored hash, and the record against it)."""
    if model not in _controlled_models:
        _controlled_models.append(model)


def controlled_documents():
    return list(_controlled_models)


# -- demo data ---------------------------------------------------------------


def register_demo_seeder(seed, *, order=100):
    """`seed(users, scale, stdout)` fills the app's part of the demo; seeders
    run in `order` (Plan before Check before Act)."""
    if seed not in [s for _, s in _demo_seeders]:
        _demo_seeders.append((order, seed))
        _demo_seeders.sort(key=lambda item: item[0])


def demo_seeders():
    return [seed for _, seed in _demo_seeders]
