"""Settings for the PDCA portal.

Everything that differs between a laptop and production comes from an
environment variable read by the small helpers below; the defaults give a
zero-setup portal (SQLite, a filesystem broker, console e-mail) that is safe
to run, because DEBUG is off unless asked for.
"""

import os
from pathlib import Path

import dj_database_url

from pdca.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# pytest sets PYTEST_VERSION for the whole run; tests use the development key.
TESTING = "PYTEST_VERSION" in os.environ

DEVELOPMENT_SECRET_KEY = "development-only-secret-key-do-not-use-in-production"
DEBUG = env_bool("DEBUG", False)
# With DEBUG off the portal refuses to start on this key (pdca/checks.py).
SECRET_KEY = env("SECRET_KEY") or DEVELOPMENT_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = env("SITE_NAME", "PDCA portal")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "simple_history",
    "accounts",
    "pdca",
    "plans",
    "reviews",
    "improvements",
]
if TESTING:
    # A small controlled document on which the tests prove pdca's shared mechanisms.
    INSTALLED_APPS.append("pdca.tests.testapp")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "pdca.inbox.forget_count_after_changes",
    "pdca.memo.request_memo",
]

ROOT_URLCONF = "pdca.urls"
WSGI_APPLICATION = "pdca.wsgi.application"
ASGI_APPLICATION = "pdca.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pdca.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'pdca.sqlite3'}"),
        # Persistent connections (a new PostgreSQL connection costs about 5 ms
        # per request), checked before reuse so that a restarted server is no error.
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's parallel workers per query (max_parallel_workers_per_gather),
    # 0 by default: the portal's queries are short, and on a server of a few
    # cores a parallel plan takes the cores the other web workers need and made
    # the same count 10 ms one time and 30 ms another; raise it for a database
    # server of many cores.
    parallel = env_int("DATABASE_PARALLEL_WORKERS", 0)
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c max_parallel_workers_per_gather={parallel}".strip()
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # One test database per run, so that two runs against one server do not
    # collide; the test runner drops it at the end.
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that a Celery worker started by a test shares it.
    # One file per test run, so that parallel runs do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-pdca-{os.getpid()}.sqlite3")}
    # Several processes (web, worker, beat) share one SQLite file: wait for
    # locks instead of failing, and write through a WAL journal.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# Guardian's anonymous user is not needed: anonymous visitors see nothing.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = env("TIME_ZONE", "Europe/Berlin")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"

# E-mail: printed to the console unless an SMTP host is configured.
EMAIL_HOST = env("EMAIL_HOST")
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "pdca.mail_backends.LoggingEmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "pdca-portal@localhost")

# Celery. The default broker is kombu's filesystem transport, so nothing has to
# be installed; production uses Redis. Results are not kept: every task writes
# its effect to the database, which is the source of truth.
# "localhost" names no server: it only keeps kombu from warning that the URL has no host.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://localhost/")
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_TIMEZONE = TIME_ZONE

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "pdca.api_filters.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "pdca.api_filters.FilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "pdca.api.AutoSchema",
    "EXCEPTION_HANDLER": "pdca.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "PDCA portal API",
    "DESCRIPTION": (
        "Plan-Do-Check-Act of a service management system (ISO/IEC 20000-1): "
        "plans, approvals, reviews, findings and improvements."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "PlanVersionStatusEnum": "plans.models.PlanVersion.Status",
        "HandoverStatusEnum": "plans.models.Handover.Status",
        "ImplementationStatusEnum": "plans.models.Plan.ImplementationStatus",
        "ReviewKindEnum": "reviews.models.Review.Kind",
        "ReviewStatusEnum": "reviews.models.Review.Status",
        "ReviewInputStatusEnum": "reviews.models.ReviewInput.Status",
        "FindingStatusEnum": "reviews.models.Finding.Status",
        "ReviewActionStatusEnum": "reviews.models.ReviewAction.Status",
        "ImprovementStatusEnum": "improvements.models.Improvement.Status",
        "ProjectStatusEnum": "improvements.models.Project.Status",
    },
}

# Security. With DEBUG off these are on; behind a TLS-terminating proxy set
# SECURE_PROXY_SSL_HEADER via USE_X_FORWARDED_PROTO.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG and not TESTING)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG and not TESTING)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG and not TESTING)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG or TESTING else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# Preloading asks browsers to use HTTPS before the first visit; on by default in
# production (the other HSTS settings meet its conditions), off for a host that
# must stay reachable over plain HTTP.
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG and not TESTING)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS", "")

# Review reminders (C5): days before the due date, then on the day and weekly
# while overdue; managers are told from the first overdue week, the further
# people (deputies, the SMP's review responsibility) after this many weeks.
REVIEW_REMINDER_DAYS = [int(d) for d in env_list("REVIEW_REMINDER_DAYS", "60,30,7")]
REMINDER_ESCALATION_WEEKS = env_int("REMINDER_ESCALATION_WEEKS", 4)
# When the daily jobs run, in TIME_ZONE (HH:MM).
REMINDER_TIME = env("REMINDER_TIME", "06:00")
DIGEST_TIME = env("DIGEST_TIME", "07:00")
# /healthz reports the reminder job late when its last success is older.
REMINDER_JOB_MAX_AGE_HOURS = env_int("REMINDER_JOB_MAX_AGE_HOURS", 26)

# One format and time zone for every line of web, worker and beat (pdca/logs.py);
# LOG_FORMAT=json writes one JSON object per line.
LOGGING = logging_config(env("LOG_LEVEL", "INFO"))
# Celery leaves the root logger to LOGGING instead of installing its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# A broker that is down must not hang a web request: publishing gives up fast,
# and the periodic jobs re-derive the work from the database.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 3
