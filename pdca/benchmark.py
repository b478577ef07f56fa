"""What `manage.py benchmark` measures, and how.

Every named route of the URL conf is either measured or skipped with a
reason, so that a new page is never silently left out:

- routes that answer no GET (POST-only views, logout) are skipped, as are the
  few listed in `SKIPPED` with the reason;
- a route without arguments is measured as it is;
- a route with arguments (`<int:pk>`) is measured when `FILLERS` says which
  object to show each user (one the user can read), or, for an API detail
  route, when the viewset's own queryset gives the user one; otherwise it is
  skipped ("no filler"), and `pdca/tests/test_benchmark.py` fails until
  someone says which object to show or why the page is not measured.

Each role is represented by its demo user (`pdca.demo.DEMO_USERS`); pages
that need no login are measured once, anonymously. Every figure is read
beside a hello-world page (`hello`) requested in the same run through the
same middleware, so that "12x" means "twelve times what any authenticated
request costs before a view does anything".

`pdca` imports no phase app: the phases' models are looked up by name.
"""

import gc
import math
import re
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

from django.apps import apps
from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, reverse

ANONYMOUS = "anonymous"
HELLO = "hello"

# Routes never requested, and why. Routes that answer no GET need no entry.
SKIPPED = {
    HELLO: "the baseline itself (measured as hello-world for every role)",
    "favicon": "a permanent redirect to a static file",
    "calendar_feed": (
        "its only credential is a secret token of which only the hash is stored; "
        "making one would replace the user's feed"
    ),
}
# Namespaces skipped as a whole, but for the routes named here.
SKIPPED_NAMESPACES = {
    "admin": (
        "Django's admin site (generated pages for administrators; its index is measured)",
        {"admin:index"},
    ),
}
NO_FILLER = "no filler"


def hello(request):
    """The baseline of `manage.py benchmark`: what a request costs through the
    whole middleware stack (session, user, CSRF, messages, history) before a
    view does anything. It needs a login like every page, so that the session
    and the user are read as for any page, and it reveals nothing."""
    return HttpResponse("hello", content_type="text/plain; charset=utf-8")


# -- the routes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "plans:detail"; unnamed routes get their path
    path: str  # "plans/<int:pk>/"
    kwargs: tuple  # ("pk",)
    callback: object = field(compare=False, repr=False)
    namespace: str = ""  # "plans"

    def mentions(self, word):
        """Whether the route's name, path or view function names `word`
        ("export" finds `reports:decisions`, served by `decisions_export`)."""
        view = getattr(self.callback, "__name__", "")
        return word in self.name or word in self.path or word in view

    @property
    def app(self):
        """The package of the view: pdca, accounts, plans, ..., or django."""
        view = getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)
        module = (view or self.callback).__module__
        return module.split(".")[0]

    @property
    def needs_login(self):
        """Whether only a logged-in person sees it. DRF views say they need no
        login from Django's middleware, for DRF authenticates them itself."""
        if hasattr(self.callback, "cls"):
            return True
        return getattr(self.callback, "login_required", True)


def discover_routes(urlconf=None):
    """Every route of the URL conf, once per name (DRF's format-suffix
    variants share their route's name), in the URL conf's order."""
    routes, seen = [], set()
    for route in _walk(get_resolver(urlconf).url_patterns, "", "", ()):
        if route.name not in seen:
            seen.add(route.name)
            routes.append(route)
    return routes


def _walk(patterns, prefix, namespace, kwargs):
    for pattern in patterns:
        names = _pattern_kwargs(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner, kwargs + names)
        elif isinstance(pattern, URLPattern):
            path = prefix + str(pattern.pattern)
            name = f"{namespace}{pattern.name}" if pattern.name else f"{namespace}{path}"
            kept = tuple(k for k in kwargs + names if k != "format")
            yield Route(name, path, kept, pattern.callback, namespace.rstrip(":"))


def _pattern_kwargs(pattern):
    # Route and regex patterns alike compile to a regex with a named group per argument.
    return tuple(pattern.regex.groupindex)


def allowed_methods(callback):
    """The HTTP methods a view answers, or None when it does not say (a plain function)."""
    actions = getattr(callback, "actions", None)
    if actions is not None:  # a DRF viewset route
        return {method.upper() for method in actions}
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is not None:
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    function = callback
    while function is not None:  # @require_POST and friends keep the list in their closure
        code = getattr(function, "__code__", None)
        for name, cell in zip(code.co_freevars if code else (), function.__closure__ or (), strict=False):
            if name == "request_method_list":
                return {method.upper() for method in cell.cell_contents}
        function = getattr(function, "__wrapped__", None)
    return None


def skip_reason(route):
    """Why `route` is never requested, or "" when it is measured."""
    if route.name in SKIPPED:
        return SKIPPED[route.name]
    if route.namespace in SKIPPED_NAMESPACES:
        reason, measured = SKIPPED_NAMESPACES[route.namespace]
        if route.name not in measured:
            return reason
    methods = allowed_methods(route.callback)
    if methods is not None and "GET" not in methods:
        return f"answers no GET ({', '.join(sorted(methods - {'OPTIONS'})) or 'OPTIONS'} only)"
    if route.kwargs and filler_for(route) is None:
        return f"{NO_FILLER}: say in pdca/benchmark.py FILLERS which object fills {', '.join(route.kwargs)}"
    return ""


# -- which object each page shows -------------------------------------------------------------------


@dataclass(frozen=True)
class Filler:
    none: str  # what the report says when there is no object: "no draft version this user can read"
    find: object  # find(user) -> kwargs (a "?" key: the query string), or None


FILLERS = {}


def fills(*names, none):
    def register(find):
        for name in names:
            FILLERS[name] = Filler(none, find)
        return find

    return register


def filler_for(route):
    if route.name in FILLERS:
        return FILLERS[route.name]
    return _api_filler(route)


def _model(label):
    return apps.get_model(label)


def _pick(queryset, *preferences, order=("pk",)):
    """The first object of `queryset` that matches the first preference any
    object matches (e.g. "the user's own"), else its first; deterministic."""
    queryset = queryset.order_by(*order)
    for preference in preferences:
        found = queryset.filter(preference).first()
        if found is not None:
            return found
    return queryset.first()


def _plans(user):
    return _model("plans.Plan").objects.visible_to(user)


def _versions(user, *statuses):
    return _model("plans.PlanVersion").objects.visible_to(user).filter(status__in=statuses)


def _own_version(user):
    return Q(plan__process__owner=user)


def _process_plan(user, *preferences):
    """The user's own process plan that matches the first preference it can,
    then anybody's; of those the one with most versions, the heaviest page."""
    plans = _plans(user).filter(kind="process").annotate(version_count=Count("versions"))
    own = Q(process__owner=user)
    ordered = [*(own & preference for preference in preferences), own, *preferences]
    return _pick(plans, *ordered, order=("-version_count", "pk"))


def _kwargs(obj, **names):
    if obj is None:
        return None
    return {
        kwarg: (getattr(obj, attribute) if isinstance(attribute, str) else attribute(obj))
        for kwarg, attribute in names.items()
    }


@fills(
    "plans:detail",
    "plans:history",
    "plans:compare",
    "plans:distribution",
    none="no process plan this user can read",
)
def _plan_pk(user):
    return _kwargs(_process_plan(user), pk="pk")


@fills(
    "reviews:measurements",
    "reviews:measurements_import",
    "reviews:schedule",
    none="no communicated process plan this user can read",
)
def _plan_id(user):
    plan = _process_plan(user, Q(versions__status="communicated"))
    return _kwargs(plan, plan_id="pk")


@fills("do:plan", "do:milestone_create", none="no process plan this user can read")
def _implemented_plan(user):
    return _kwargs(_process_plan(user, Q(milestones__isnull=False)), pk="pk")


@fills("plan-compare", none="no process plan this user can read")
def _plan_versions_to_compare(user):
    """The newest two versions, as the compare page shows by default."""
    plan = _process_plan(user)
    if plan is None:
        return None
    numbers = list(
        _versions(user, *_model("plans.PlanVersion").Status.values)
        .filter(plan=plan)
        .order_by("-number")
        .values_list("number", flat=True)[:2]
    )
    return {"pk": plan.pk, "?": urlencode({"a": numbers[-1], "b": numbers[0]})}


@fills("plans:process_edit", none="no process this user can read")
def _process(user):
    return _kwargs(_pick(_model("plans.Process").objects.all(), Q(owner=user)), process_id="pk")


@fills("plans:version", none="no plan version this user can read")
def _version(user):
    version = _pick(_versions(user, "communicated", "approved"), _own_version(user))
    return _kwargs(version, pk="plan_id", number="number")


@fills("plans:approved_content", none="no approved version this user can read")
def _approved_version(user):
    version = _pick(_versions(user, "communicated", "approved").exclude(content_hash=""), _own_version(user))
    return _kwargs(version, pk="plan_id", number="number")


def _draft(user):
    return _pick(_versions(user, "draft"), _own_version(user))


@fills(
    "plans:responsibilities",
    "plans:objective_create",
    none="no draft version this user can read",
)
def _draft_version(user):
    return _kwargs(_draft(user), pk="plan_id", number="number")


@fills("plans:section_edit", none="no draft version this user can read")
def _draft_section(user):
    return _kwargs(
        _draft(user), pk="plan_id", number="number", section=lambda v: v.plan.section_definitions[0][0]
    )


@fills(
    "plans:objective_edit",
    "plans:objective_delete",
    "plans:kpi_create",
    none="no objective of a draft version this user can read",
)
def _draft_objective(user):
    drafts = _versions(user, "draft")
    objective = _pick(
        _model("plans.Objective").objects.filter(version__in=drafts), Q(version__plan__process__owner=user)
    )
    return _kwargs(
        objective, pk=lambda o: o.version.plan_id, number=lambda o: o.version.number, objective_id="pk"
    )


@fills("plans:kpi_edit", "plans:kpi_delete", none="no KPI of a draft version this user can read")
def _draft_kpi(user):
    drafts = _versions(user, "draft")
    kpi = _pick(
        _model("plans.Kpi").objects.filter(objective__version__in=drafts),
        Q(objective__version__plan__process__owner=user),
    )
    return _kwargs(
        kpi,
        pk=lambda k: k.objective.version.plan_id,
        number=lambda k: k.objective.version.number,
        kpi_id="pk",
    )


@fills("do:milestone_edit", "do:milestone_delete", none="no milestone of a plan this user can read")
def _milestone(user):
    milestone = _pick(
        _model("plans.Milestone").objects.filter(plan__in=_plans(user)),
        Q(plan__process__owner=user) & Q(done_on__isnull=True),
        Q(owner=user),
    )
    return _kwargs(milestone, pk="plan_id", milestone_id="pk")


@fills("reviews:kpi", none="no KPI in force this user can read")
def _kpi(user):
    in_force = _versions(user, "communicated", "approved")
    kpi = _pick(
        _model("plans.Kpi").objects.filter(objective__version__in=in_force),
        Q(owner=user) & Q(measurements__isnull=False),
        Q(measurements__isnull=False),
    )
    return _kwargs(kpi, kpi_id="pk")


def _reviews(user):
    return _model("reviews.Review").objects.visible_to(user)


@fills("reviews:detail", "reviews:invite", none="no review this user can read")
def _review(user):
    return _kwargs(_pick(_reviews(user), Q(reviewer=user), Q(status="approved")), pk="pk")


@fills(
    "reviews:edit",
    "reviews:attainment",
    "reviews:finding_create",
    "reviews:action_create",
    none="no review in progress or planned this user can read",
)
def _open_review(user):
    reviews = _reviews(user).filter(status__in=("in_progress", "planned"))
    return _kwargs(_pick(reviews, Q(reviewer=user), Q(status="in_progress")), pk="pk")


@fills("reviews:inputs", none="no management review in progress or planned this user can read")
def _open_management_review(user):
    reviews = _reviews(user).filter(status__in=("in_progress", "planned"), kind="management")
    return _kwargs(_pick(reviews, Q(reviewer=user), Q(status="in_progress")), pk="pk")


@fills("reviews:addendum", none="no approved review this user can read")
def _approved_review(user):
    return _kwargs(_pick(_reviews(user).filter(status="approved"), Q(reviewer=user)), pk="pk")


@fills("reviews:finding_edit", "reviews:finding_delete", none="no finding of a review this user can read")
def _finding(user):
    finding = _pick(
        _model("reviews.Finding").objects.filter(review__in=_reviews(user)),
        Q(review__status__in=("in_progress", "planned"), review__reviewer=user),
        Q(review__status__in=("in_progress", "planned")),
    )
    return _kwargs(finding, pk="review_id", number="number")


@fills("reviews:action_edit", "reviews:action_delete", none="no action of a review this user can read")
def _review_action(user):
    action = _pick(
        _model("reviews.ReviewAction").objects.filter(review__in=_reviews(user)),
        Q(review__status__in=("in_progress", "planned"), review__reviewer=user),
        Q(review__status__in=("in_progress", "planned")),
    )
    return _kwargs(action, pk="review_id", action_id="pk")


@fills("improvements:promote", none="no finding of a review this user can read")
def _finding_to_promote(user):
    finding = _pick(
        _model("reviews.Finding").objects.filter(review__in=_reviews(user)), Q(improvement__isnull=True)
    )
    return _kwargs(finding, finding_id="pk")


@fills("improvements:project", "improvements:project_edit", none="no improvement project this user can read")
def _project(user):
    return _kwargs(_pick(_model("improvements.Project").objects.all(), Q(manager=user)), pk="pk")


def _improvement(user, *preferences):
    improvements = _model("improvements.Improvement").objects.visible_to(user)
    return _kwargs(_pick(improvements, *preferences), number="number")


def _owned(user, *states):
    return Q(owner=user, status__in=states)


@fills("improvements:detail", none="no improvement this user can read")
def _any_improvement(user):
    return _improvement(user, Q(owner=user), Q(status="in_implementation"))


@fills("improvements:edit", none="no open improvement this user can read")
def _open_improvement(user):
    return _improvement(user, _owned(user, "proposed", "approved"), Q(status="proposed"))


@fills("improvements:baseline", none="no approved improvement this user can read")
def _improvement_for_baseline(user):
    waiting = Q(status__in=("approved", "in_implementation"), baseline_accepted_at__isnull=True)
    return _improvement(user, waiting & Q(owner=user), waiting)


@fills("improvements:nonconformity", none="no nonconformity in implementation this user can read")
def _nonconformity(user):
    nonconformity = Q(
        status="in_implementation", finding__grade__in=_model("reviews.Finding").NONCONFORMITIES
    )
    return _improvement(user, nonconformity & Q(owner=user), nonconformity)


@fills("improvements:result", none="no implemented improvement this user can read")
def _implemented_improvement(user):
    return _improvement(
        user, _owned(user, "implemented", "evaluated"), Q(status__in=("implemented", "evaluated"))
    )


@fills("reports:document", none="no document with a report this user can read")
def _report_document(user):
    from . import reports

    for name, kind in sorted(reports.reports().items()):
        obj = kind.visible(user).order_by("pk").first()
        if obj is not None:
            return {"report": name, "pk": obj.pk}
    return None


def _record(user):
    from . import reports

    for name, kind in sorted(reports.records().items()):
        obj = kind.visible(user).order_by("pk").first()
        if obj is not None:
            return name, obj.pk
    return None


@fills("reports:trail_csv", none="no record with an audit trail this user can read")
def _trail(user):
    record = _record(user)
    return record and {"record": record[0], "pk": record[1]}


@fills("audittrail-list", none="no record with an audit trail this user can read")
def _trail_query(user):
    record = _record(user)
    return record and {"?": urlencode({"record": record[0], "object_id": record[1]})}


def _last_year():
    from .exports import default_range

    start, end = default_range()
    return urlencode({"start": start.isoformat(), "end": end.isoformat()})


@fills("reports:decisions", none="no decision records of the last year this user can read")
def _decisions_export(user):
    return {"file_format": "csv", "?": _last_year()}


@fills(
    "decisionexport-csv",
    "decisionexport-xlsx",
    none="no decision records of the last year this user can read",
)
def _api_decisions_export(user):
    return {"?": _last_year()}


@fills("reports:stored", none="no stored report this user can read")
def _stored_report(user):
    return _kwargs(_model("pdca.ReportFile").objects.order_by("pk").first(), pk="pk")


@fills("reports:job", none="no report job of this user")
def _report_job(user):
    return _kwargs(
        _model("pdca.ReportJob").objects.filter(requested_by=user).order_by("created_at").first(), job_id="pk"
    )


@fills("reports:job_download", none="no finished report job of this user")
def _finished_report_job(user):
    jobs = _model("pdca.ReportJob").objects.filter(requested_by=user, status="done", expired=False)
    return _kwargs(jobs.order_by("created_at").first(), job_id="pk")


def _api_filler(route):
    """A DRF detail route is filled from its viewset's own queryset for the user."""
    callback = route.callback
    actions = getattr(callback, "actions", None)
    if not actions or "get" not in actions:
        return None
    lookup = callback.cls.lookup_url_kwarg or callback.cls.lookup_field
    if set(route.kwargs) != {lookup}:
        return None

    def find(user):
        from rest_framework.request import Request
        from rest_framework.test import APIRequestFactory

        view = callback.cls(**callback.initkwargs)
        view.action_map, view.action = actions, actions["get"]
        view.args, view.kwargs, view.format_kwarg, view.headers = (), {}, None, {}
        view.request = Request(APIRequestFactory().get("/"))
        view.request.user = user
        obj = view.get_queryset().order_by("pk").first()
        return _kwargs(obj, **{lookup: callback.cls.lookup_field})

    return Filler(f"no object in {callback.cls.__name__}'s queryset for this user", find)


# -- the roles ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Role:
    name: str  # "Process owner", or ANONYMOUS
    username: str
    user: object = field(compare=False, repr=False)

    @property
    def label(self):
        return self.name if self.user is None else f"{self.name} ({self.username})"


def demo_roles(wanted=()):
    """One demo user per role (`pdca.demo.DEMO_USERS`, keyed by role name),
    and the anonymous visitor; `wanted` filters by role name or username."""
    from accounts.models import User
    from accounts.roles import ALL_ROLES

    from .demo import DEMO_USERS

    wanted = {w.lower() for w in wanted}
    roles, missing = [], []
    if not wanted or ANONYMOUS in wanted:
        roles.append(Role(ANONYMOUS, "", None))
    for role in ALL_ROLES:
        username = DEMO_USERS[role][0]
        if wanted and role.lower() not in wanted and username not in wanted:
            continue
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            missing.append(f"{role} ({username})")
        else:
            roles.append(Role(role, username, user))
    return roles, missing


# -- what to request, as whom ---------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    route: Route
    role: Role
    url: str


@dataclass(frozen=True)
class NotMeasured:
    route: str
    role: str
    reason: str


@dataclass
class Coverage:
    targets: list = field(default_factory=list)  # [Target]
    hello: dict = field(default_factory=dict)  # role name -> Target
    not_measured: list = field(default_factory=list)  # [NotMeasured] for one role
    skipped: dict = field(default_factory=dict)  # route name -> reason, for every role


def coverage(roles, *, only="", leave_out=(), urlconf=None):
    """Which URL to request as which role; what is skipped, and why. `only`
    keeps the routes whose name, path or view contains it, `leave_out` drops
    those that mention any of its words (e.g. the exports, timed on their own
    with fewer repeats)."""
    result = Coverage()
    routes = discover_routes(urlconf)
    hello_url = reverse(HELLO, urlconf=urlconf)
    for role in roles:
        result.hello[role.name] = Target(Route(HELLO, hello_url.lstrip("/"), (), hello), role, hello_url)
    for route in routes:
        if only and not route.mentions(only):
            continue
        if any(route.mentions(word) for word in leave_out):
            continue
        reason = skip_reason(route)
        if reason:
            result.skipped[route.name] = reason
            continue
        for role in roles:
            if (role.user is None) == route.needs_login:
                continue  # pages behind the login as each role; the others once, anonymously
            try:
                url = fill(route, role.user, urlconf=urlconf)
            except LookupError as missing:
                result.not_measured.append(NotMeasured(route.name, role.name, str(missing)))
                continue
            result.targets.append(Target(route, role, url))
    return result


def fill(route, user, *, urlconf=None):
    """The URL of `route` for `user`; LookupError when there is no object to show."""
    kwargs = {}
    if route.kwargs or route.name in FILLERS:
        filler = filler_for(route)
        try:
            kwargs = filler.find(user)
        except Exception as error:  # a filler that fails says so in the report, not by a traceback
            raise LookupError(f"filler failed: {type(error).__name__}: {error}") from error
        if kwargs is None:
            raise LookupError(f"nothing to show: {filler.none}")
    kwargs = dict(kwargs)
    query = kwargs.pop("?", "")
    url = reverse(route.name, kwargs=kwargs or None, urlconf=urlconf)
    return f"{url}?{query}" if query else url


# -- figures --------------------------------------------------------------------------------------


def percentile(samples, p):
    """Nearest rank: the smallest sample with at least p % of the samples at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Result:
    target: Target
    status: int
    samples_ms: list
    queries: int | None = None  # in process only
    seconds: float | None = None  # wall time of an HTTP load, for the rate
    errors: int = 0
    bytes: int = 0

    @property
    def median(self):
        return statistics.median(self.samples_ms)

    def p(self, percent):
        return percentile(self.samples_ms, percent)

    @property
    def rate(self):
        return len(self.samples_ms) / self.seconds if self.seconds else None

    def as_dict(self, hello=None):
        figures = {
            "route": self.target.route.name,
            "app": self.target.route.app,
            "role": self.target.role.name,
            "username": self.target.role.username,
            "url": self.target.url,
            "status": self.status,
            "bytes": self.bytes,
            "requests": len(self.samples_ms),
            "median_ms": round(self.median, 3),
            "p95_ms": round(self.p(95), 3),
            "p99_ms": round(self.p(99), 3),
            "queries": self.queries,
        }
        if self.seconds is not None:
            figures.update(errors=self.errors, requests_per_second=round(self.rate, 2))
        if hello is not None:
            figures["x_hello"] = round(self.median / hello.median, 2)
        return figures


# -- in process: the test client over the real middleware stack -----------------------------------------


def run_in_process(covered, *, repeat, progress=None):
    """(hello results by role, results, not measured): each URL once to warm
    up, once with its SQL queries counted, then `repeat` times timed without
    the query log (whose bookkeeping would be timed too)."""
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    hellos, results, not_measured = {}, [], []
    # The test client speaks plain HTTP to "testserver".
    with override_settings(ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False):
        for role_name, hello_target in covered.hello.items():
            role = hello_target.role
            client = Client()
            if role.user is not None:
                client.force_login(role.user)
            targets = [hello_target] + [t for t in covered.targets if t.role == role]
            for target in targets:
                if progress:
                    progress(target)
                try:
                    status, _size, location = _client_get(client, target.url)
                    if status != expected_status(target):
                        not_measured.append(_refused(target, status, location))
                        continue
                    with CaptureQueriesContext(connection) as captured:
                        _client_get(client, target.url)
                    queries = len(captured)  # before the next request empties the log
                    samples, size = [], 0
                    _freeze_what_is_loaded()
                    for _ in range(repeat):
                        started = time.perf_counter()
                        status, size, _location = _client_get(client, target.url)
                        samples.append((time.perf_counter() - started) * 1000)
                except Exception as error:  # the report says which page broke, and goes on
                    not_measured.append(
                        NotMeasured(target.route.name, role_name, f"raised {type(error).__name__}: {error}")
                    )
                    continue
                result = Result(target, status, samples, queries=queries, bytes=size)
                if target is hello_target:
                    hellos[role_name] = result
                else:
                    results.append(result)
            if role.user is not None:
                client.logout()  # the session force_login made
    gc.unfreeze()
    return hellos, results, not_measured


def _freeze_what_is_loaded():
    """As a gunicorn worker does after start-up (gunicorn.conf.py): what is
    alive after the warm-up leaves the collector's scans, so that the timed
    requests pay for their own garbage, not for the run's growing heap."""
    gc.collect()
    gc.freeze()


def expected_status(target):
    """200, but for the anonymous hello-world: the login redirect is its baseline."""
    return 302 if target.route.name == HELLO and target.role.user is None else 200


def _client_get(client, url):
    response = client.get(url)
    # A streamed export costs what producing its whole body costs. (The client
    # closes the response itself, as a WSGI server does.)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, len(body), response.get("Location", "")


def _refused(target, status, location):
    reason = f"answered {status}"
    if location:
        reason += f" (to {location.split('?')[0]})"
    return NotMeasured(target.route.name, target.role.name, reason)


# -- over HTTP: a running server under bounded load --------------------------------------------------


class HttpSession:
    """One logged-in visitor of a running server: cookies kept by hand, so
    that a Secure session cookie is sent over plain HTTP to a test server too."""

    def __init__(self, base_url, timeout=30):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Not an http(s) URL: {base_url}")
        self.base_url = base_url.rstrip("/")
        self.secure = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, remember=True):
        """(status, headers, body bytes); `remember`: keep the cookies the server sets
        (not while several threads share the session)."""
        factory = HTTPSConnection if self.secure else HTTPConnection
        conn = factory(self.host, self.port, timeout=self.timeout)
        try:
            sent = dict(headers or {})
            cookies = dict(self.cookies)
            if cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
            conn.request(method, self.prefix + path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
            for header in (response.headers.get_all("Set-Cookie") or ()) if remember else ():
                cookie = SimpleCookie()
                cookie.load(header)
                for key, morsel in cookie.items():
                    if morsel.value and morsel["max-age"] != "0":
                        self.cookies[key] = morsel.value
                    else:
                        self.cookies.pop(key, None)
            return response.status, response.headers, data
        finally:
            conn.close()

    def get(self, path, remember=True):
        return self.request("GET", path, remember=remember)

    def login(self, username, password):
        """Through the login form, as a person does: its CSRF token, then the POST."""
        login = reverse("login")
        status, headers, body = self.get(login)
        if status in (301, 302) and (headers.get("Location") or "").startswith("https:"):
            raise ConnectionError(
                "The server redirects to HTTPS: benchmark it over https, or start it with "
                "SECURE_SSL_REDIRECT=false."
            )
        token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
        if status != 200 or token is None:
            raise ConnectionError(f"GET {login} answered {status} without a login form.")
        form = urlencode(
            {"csrfmiddlewaretoken": token.group(1).decode(), "username": username, "password": password}
        )
        status, _headers, _body = self.request(
            "POST",
            login,
            body=form,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                # Django checks the Referer of an HTTPS form post.
                "Referer": self.base_url + login,
            },
        )
        if status != 302 or settings.SESSION_COOKIE_NAME not in self.cookies:
            raise ConnectionError(f"Logging in as {username} failed (the form answered {status}).")


def run_http(covered, *, base_url, password, concurrency, requests=None, seconds=None, progress=None):
    """(hello results by role, results, not measured): each URL once to check
    it answers 200, then `requests` GETs (or as many as fit in `seconds`) by
    `concurrency` threads at once, each a new connection."""
    hellos, results, not_measured = {}, [], []
    for role_name, hello_target in covered.hello.items():
        role = hello_target.role
        session = HttpSession(base_url)
        if role.user is not None:
            session.login(role.username, password)
        targets = [hello_target] + [t for t in covered.targets if t.role == role]
        for target in targets:
            if progress:
                progress(target)
            try:
                status, headers, _body = session.get(target.url)
            except (OSError, HTTPException) as error:
                not_measured.append(NotMeasured(target.route.name, role_name, f"failed: {error}"))
                continue
            if status != expected_status(target):
                not_measured.append(_refused(target, status, headers.get("Location")))
                continue
            result = _load(session, target, concurrency=concurrency, requests=requests, seconds=seconds)
            if target is hello_target:
                hellos[role_name] = result
            else:
                results.append(result)
    return hellos, results, not_measured


def _load(session, target, *, concurrency, requests, seconds):
    lock = threading.Lock()
    samples, statuses, sizes = [], [], []
    issued = 0
    deadline = None

    def worker():
        nonlocal issued
        while True:
            with lock:
                if requests is not None and issued >= requests:
                    return
                if deadline is not None and time.perf_counter() >= deadline:
                    return
                issued += 1
            started = time.perf_counter()
            try:
                status, _headers, body = session.get(target.url, remember=False)
            except (OSError, HTTPException):
                status, body = 0, b""
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                samples.append(elapsed)
                statuses.append(status)
                sizes.append(len(body))

    started = time.perf_counter()
    if seconds is not None:
        deadline = started + seconds
    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    expected = expected_status(target)
    return Result(
        target,
        expected,
        samples,
        seconds=wall,
        errors=sum(1 for status in statuses if status != expected),
        bytes=max(sizes, default=0),
    )


# -- a run's figures, for comparing runs ------------------------------------------------------------


@dataclass
class Run:
    environment: dict
    mode: str
    roles: list  # [Role]
    hellos: dict  # role name -> Result
    results: list  # [Result]
    not_measured: list  # [NotMeasured]
    skipped: dict  # route name -> reason
    http: bool = False

    def as_dict(self):
        return {
            "environment": self.environment,
            "mode": self.mode,
            "roles": {role.name: role.username for role in self.roles},
            "hello": {name: hello.as_dict() for name, hello in self.hellos.items()},
            "results": [result.as_dict(self.hellos.get(result.target.role.name)) for result in self.results],
            "not_measured": [
                {"route": item.route, "role": item.role, "reason": item.reason} for item in self.not_measured
            ],
            "skipped": [{"route": route, "reason": reason} for route, reason in self.skipped.items()],
        }


# -- the environment of a run -----------------------------------------------------


COUNTED = {
    "users": "accounts.User",
    "plans": "plans.Plan",
    "plan_versions": "plans.PlanVersion",
    "reviews": "reviews.Review",
    "findings": "reviews.Finding",
    "measurements": "reviews.Measurement",
    "improvements": "improvements.Improvement",
    "decisions": "pdca.Decision",
    "notifications": "pdca.Notification",
}


def environment():
    import django

    counts = {}
    for key, label in COUNTED.items():
        try:
            counts[key] = apps.get_model(label).objects.count()
        except LookupError:
            counts[key] = None
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "database": connection.vendor,
        "database_name": str(connection.settings_dict.get("NAME", "")),
        "debug": settings.DEBUG,
        "django": django.get_version(),
        "git": _git(),
        "counts": counts,
    }


def _git():
    def git(*args):
        return subprocess.run(
            ["git", *args], cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()

    try:
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        return None
