"""The API keeps the promises of its OpenAPI schema under generated input.

Schemathesis reads /api/schema/ from the WSGI application and calls every
operation, as the demo's manager and as its process owner (token
authentication), on the database `seed_demo` fills. Its default checks apply:
no 5xx, every response valid against the schema, every status code and
content type documented, schema-valid data not refused as malformed,
malformed data not accepted, and no request accepted without (or with a
wrong) token.

Bounded so that each CI pass stays within a few minutes: a fixed number of
examples per operation, derandomized with a fixed seed (the same requests
every run), no Hypothesis example database (no files left behind). Select it
with `-m schemathesis`, or leave it out with `-m "not schemathesis"`.
"""

import copy
import hashlib
import os
import tempfile

import hypothesis
import pytest
import schemathesis
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import Resolver404, resolve
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.config import SchemathesisConfig

from pdca.wsgi import application

pytestmark = [pytest.mark.schemathesis, pytest.mark.django_db]

# Hypothesis keeps caches (constants it found in the source, Unicode tables) in
# .hypothesis/ even without an example database: here in a temporary
# directory, removed when the run ends, so that the run leaves no files behind.
_hypothesis_home = tempfile.TemporaryDirectory(prefix="pdca-hypothesis-")
set_hypothesis_home_dir(_hypothesis_home.name)

ROLES = ["manager", "owner"]
# Generated requests per operation and role in the fuzzing phase, besides the
# coverage phase's (each documented value, each kind of malformed one);
# SCHEMATHESIS_MAX_EXAMPLES=100 for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20000,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        # The stateful phase chains operations through links the schema does not declare.
        "phases": {"stateful": {"enabled": False}},
        "checks": {
            # A rule of the product that refuses schema-valid data answers 400 with its
            # message ("Bad input, or a rule refused the change", documented per operation).
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429"]
            },
        },
    }
)

# Each role's token has a fixed key: schemathesis builds some requests (its
# coverage phase) while collecting, before any fixture runs.
TOKENS = {role: hashlib.sha1(f"schemathesis-{role}".encode()).hexdigest() for role in ROLES}

_loaded = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


def _schema_as(role):
    """The schema with `role`'s token as its credentials. Declared to schemathesis
    as the run's authentication, so that its `ignored_auth` check repeats a
    request without the token and with a wrong one (both must be refused)."""
    schema = schemathesis.openapi.from_dict(copy.deepcopy(_loaded.raw_schema), config=CONFIG)
    schema.app, schema.location = application, _loaded.location

    @schema.auth(refresh_interval=None)
    class RoleToken:
        def get(self, case, context):
            return TOKENS[role]

        def set(self, case, token, context):
            case.headers = {**(case.headers or {}), "Authorization": f"Token {token}"}

    return schema


manager_schema = _schema_as("manager")
owner_schema = _schema_as("owner")

SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)


# -- the seeded database, once for the module ---------------------------------------


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo, seeded once inside a transaction that is rolled back after the
    module; each operation's test runs in a savepoint of it (the `db` fixture),
    so what one operation changes, the next does not see."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]),
        transaction.atomic(),
    ):
        call_command("seed_demo", quiet=True)
        yield {role: _principal(role) for role in ROLES}
        transaction.set_rollback(True)


def _principal(username):
    from rest_framework.authtoken.models import Token

    from accounts.models import User

    user = User.objects.get(username=username)
    Token.objects.filter(user=user).delete()
    Token.objects.create(user=user, key=TOKENS[username])
    return {"user": user, "pins": {}}


@pytest.fixture
def in_the_test_transaction():
    """Requests go through the WSGI handler, which closes the database connection
    after each request; the test's transaction must survive them (as Django's
    test client arranges for its own requests)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# -- ids pinned to objects the role may act on --------------------------------------

# Lookups that lead from an object to the person it belongs to: the role's own
# objects are pinned first, where the model names one.
OWN = [
    "owner",
    "process__owner",
    "plan__process__owner",
    "version__plan__process__owner",
    "objective__version__plan__process__owner",
    "review__plan__process__owner",
    "improvement__owner",
    "manager",
    "requested_by",
    "user",
    "recipient",
]


def _pin(principal, path):
    """The id of an object the role may see (its own where the model names an
    owner), read through the operation's own viewset; None where the path has
    no single id or the role sees no such object."""
    pins = principal["pins"]
    if path not in pins:
        pins[path] = _find_pin(principal["user"], path)
    return pins[path]


def _find_pin(user, path):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    if path.count("{") != 1:
        return None
    try:
        match = resolve(path[: path.index("{")] + "0" + path[path.index("}") + 1 :])
    except Resolver404:
        return None
    actions = getattr(match.func, "actions", None)
    if not actions:
        return None
    view = match.func.cls(**match.func.initkwargs)
    view.action_map, view.action = actions, next(iter(actions.values()))
    view.args, view.kwargs, view.format_kwarg, view.headers = (), {}, None, {}
    view.request = Request(APIRequestFactory().get("/"))
    view.request.user = user
    # The newest first: drafts and open states, which a role can still act on.
    queryset = view.get_queryset().order_by("-pk")
    for lookup in OWN:
        try:
            obj = queryset.filter(**{lookup: user}).first()
        except FieldError:
            continue
        if obj is not None:
            return getattr(obj, view.lookup_field)
    obj = queryset.first()
    return None if obj is None else getattr(obj, view.lookup_field)


def _call(case, principal):
    """Positive cases of an operation on one object act on the pinned object;
    negative ones keep their generated (malformed) id."""
    if (
        case.meta is not None
        and case.meta.generation.mode.is_positive
        and len(case.path_parameters or {}) == 1
    ):
        pinned = _pin(principal, case.path)
        if pinned is not None:
            # In the generated value's type: `{number}` is a string of digits, `{id}` an integer.
            name, generated = next(iter(case.path_parameters.items()))
            case.path_parameters = {name: type(generated)(pinned)}
    case.call_and_validate()


@manager_schema.parametrize()
@SETTINGS
def test_the_api_keeps_its_schema_as_manager(case, seeded, in_the_test_transaction):
    _call(case, seeded["manager"])


@owner_schema.parametrize()
@SETTINGS
def test_the_api_keeps_its_schema_as_process_owner(case, seeded, in_the_test_transaction):
    _call(case, seeded["owner"])
