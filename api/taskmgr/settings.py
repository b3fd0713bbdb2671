"""Django settings for taskmgr: the only module that reads the API's environment.

Every variable is listed in `.env.example`. Values are parsed strictly (taskmgr/env.py)
and an insecure production configuration refuses to start. The values the API shares with
other processes (Redis, Prometheus, the summary's window, ...) arrive in its env file
(`$STATE_DIR/config/api.env`, rendered from stack/settings/table.py); without one (pytest,
a bare manage.py) they fall back to that table's defaults, never to numbers written here.
"""

import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from taskmgr.env import env_bool, env_int, env_list, env_number, env_str
from taskmgr.rates import RateError, parse_rate

API_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = API_DIR.parent
# alertstore/ (shared with the alert bridge) and stack/ live at the repository root; every
# entry point (manage.py, gunicorn, pytest) loads these settings before importing the apps.
if str(REPO_DIR) not in sys.path:
    sys.path.append(str(REPO_DIR))

from alertstore.connection import RedisTarget  # noqa: E402 - needs the path above
from alertstore.layout import CACHE_KEY_PREFIX  # noqa: E402 - needs the path above
from stack.envfiles import defaults  # noqa: E402 - needs the path above
from stack.tokens import token_problem  # noqa: E402 - the one rule for a bearer token

# the stack's defaults for what api.env would carry (its one table, not numbers of our own)
_SHARED = defaults("api")

# --- core -----------------------------------------------------------------------------

DEBUG = env_bool("DJANGO_DEBUG", False)

_SEED_PLACEHOLDER_KEY = "your-secret-key-here-change-in-production"
_DEV_ONLY_KEY = "django-insecure-development-only-key-never-use-in-production-0123456789"


def _secret_key() -> str:
    key = env_str("DJANGO_SECRET_KEY")
    weak = len(key) < 50 or key == _SEED_PLACEHOLDER_KEY or key.startswith("django-insecure")
    if not weak:
        return key
    if DEBUG:
        return key or _DEV_ONLY_KEY
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY must be set to a random value of at least 50 characters (not the "
        "example placeholder, not 'django-insecure…') when DJANGO_DEBUG is false. Generate one "
        "with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
    )


SECRET_KEY = _secret_key()
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "accounts",
    "tasks",
    "idempotency",
    "health",
    "metrics",
    "alerts",
    "faults",
]

MIDDLEWARE = [
    # First: times and counts everything below, injected faults included.
    "metrics.middleware.MetricsMiddleware",
    "faults.middleware.FaultInjectionMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "taskmgr.middleware.RequestBodyLimitMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "taskmgr.urls"
WSGI_APPLICATION = "taskmgr.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [API_DIR / "taskmgr" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]

# --- data -----------------------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    if _database["ENGINE"] == "django.db.backends.postgresql":
        # /status must answer quickly when PostgreSQL is unreachable
        _database.setdefault("OPTIONS", {})["connect_timeout"] = 3
else:
    SQLITE_PATH = Path(env_str("SQLITE_PATH") or REPO_DIR / ".run" / "db.sqlite3")
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)  # sqlite creates the file, not dirs
    # one connection per worker kept open, as for PostgreSQL: no reopen per request.
    # IMMEDIATE: a transaction takes the write lock when it begins, so two workers' atomic
    # blocks queue for it (busy timeout) instead of one failing "database is locked" when
    # it upgrades a read to a write (Django's SQLite notes).
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": SQLITE_PATH,
        "CONN_MAX_AGE": 60,
        "OPTIONS": {"transaction_mode": "IMMEDIATE"},
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL", _SHARED["REDIS_URL"])
# set: the primary is whichever server these sentinels name (alertstore/connection.py)
try:
    _TARGET = RedisTarget.from_text(
        REDIS_URL,
        env_str("REDIS_SENTINELS", _SHARED["REDIS_SENTINELS"]),
        env_str("REDIS_SENTINEL_MASTER", _SHARED["REDIS_SENTINEL_MASTER"]),
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None
REDIS_SENTINELS, REDIS_SENTINEL_MASTER = _TARGET.sentinels, _TARGET.master
_CACHE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
if REDIS_SENTINELS:
    _CACHE_OPTIONS.update(
        pool_class="alertstore.connection.SentinelCachePool",
        sentinels=REDIS_SENTINELS,
        master=REDIS_SENTINEL_MASTER,
    )
# Shared by every gunicorn worker: the metrics summary's short cache. (The throttles count
# in Redis directly: taskmgr/throttling.py.)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": CACHE_KEY_PREFIX,  # alertstore.layout lists every taskmgr: key
        "OPTIONS": _CACHE_OPTIONS,
    }
}

# --- auth -----------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# Operator account created by `manage.py ensure_superuser` (make run) when set.
SUPERUSER_USERNAME = env_str("DJANGO_SUPERUSER_USERNAME")
SUPERUSER_PASSWORD = env_str("DJANGO_SUPERUSER_PASSWORD")
SUPERUSER_EMAIL = env_str("DJANGO_SUPERUSER_EMAIL")

# --- HTTP hardening -------------------------------------------------------------------

DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # also enforced for JSON bodies by our middleware
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

SECURE_HTTPS = env_bool("DJANGO_SECURE_HTTPS", False)
if SECURE_HTTPS:
    SECURE_SSL_REDIRECT = True
    # Probes and Prometheus reach the app directly over plain HTTP, not through the TLS
    # proxy; redirecting them to https would fail every health check and scrape.
    SECURE_REDIRECT_EXEMPT = [r"^health$", r"^status$", r"^metrics/?$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")

# --- REST framework -------------------------------------------------------------------


def _rate(name: str, default: str) -> str:
    rate = env_str(name, default)
    try:
        parse_rate(rate)
    except RateError as exc:
        raise ImproperlyConfigured(f"{name}={exc}") from None
    return rate


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["accounts.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["taskmgr.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "taskmgr.pagination.PageNumberPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_THROTTLE_CLASSES": [
        "taskmgr.throttling.AnonRateThrottle",
        "taskmgr.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _rate("THROTTLE_ANON_RATE", "100/min"),
        "user": _rate("THROTTLE_USER_RATE", "1000/min"),
        "auth": _rate("THROTTLE_AUTH_RATE", "10/min"),
    },
    # Clients are identified by REMOTE_ADDR; a client-sent X-Forwarded-For is not trusted.
    "NUM_PROXIES": 0,
    "EXCEPTION_HANDLER": "taskmgr.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "taskmgr.schema.AutoSchema",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "taskmgr API",
    "DESCRIPTION": "Task management REST API with Prometheus-native observability.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # one section per resource in Swagger UI / ReDoc; taskmgr/schema.py tags each operation
    "TAGS": [
        {"name": "auth", "description": "Register, get a token, log out."},
        {"name": "tasks", "description": "The signed-in user's tasks: CRUD, filters, stats."},
        {"name": "alerts", "description": "Alert history from the alert store (staff only)."},
        {"name": "metrics", "description": "The API's health in numbers, read from Prometheus."},
        {"name": "health", "description": "Liveness (/health) and dependency checks (/status)."},
    ],
    # tasks and alerts both have a `status` choice field: name the two enums apart
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "tasks.models.Status",
        "AlertStatusEnum": "alertstore.records.STATUSES",
    },
}

# Served by the app itself (taskmgr/urls.py), also with DEBUG off: only the docs' assets.
STATIC_URL = "static/"

# --- idempotency keys (api/idempotency) -----------------------------------------------

# how long a stored answer to an Idempotency-Key is replayed; expired keys are deleted
# lazily (the user's next keyed request) and by `manage.py prune_idempotency_keys`
IDEMPOTENCY_KEY_TTL_SECONDS = env_int("IDEMPOTENCY_KEY_TTL_SECONDS", 24 * 3600, minimum=1)

# --- i18n, logging --------------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
}

# --- observability (used by api/metrics, api/alerts, api/faults and /status) ---------

# the summary asks these in order (the first that answers wins); /status is ready while one is
PROMETHEUS_URLS = env_list("PROMETHEUS_URLS", _SHARED["PROMETHEUS_URLS"])
PROMETHEUS_URL = env_str("PROMETHEUS_URL", _SHARED["PROMETHEUS_URL"]).rstrip("/")
FAULT_INJECTION_ENABLED = env_bool("FAULT_INJECTION_ENABLED", False)
# empty: /metrics is open; set: Prometheus sends it (the rendered metrics_token file)
METRICS_AUTH_TOKEN = env_str("METRICS_AUTH_TOKEN", _SHARED["METRICS_AUTH_TOKEN"])
if METRICS_AUTH_TOKEN and (_problem := token_problem("METRICS_AUTH_TOKEN", METRICS_AUTH_TOKEN)):
    raise ImproperlyConfigured(_problem)
# the rules' window as people read it: the summary's time_window
SUMMARY_WINDOW_LABEL = env_str("SUMMARY_WINDOW_LABEL", _SHARED["SUMMARY_WINDOW_LABEL"])
# the latency SLO's threshold (ms): the request histogram has a bucket there (metrics/instruments)
LATENCY_P95_THRESHOLD = env_number("LATENCY_P95_THRESHOLD", float(_SHARED["LATENCY_P95_THRESHOLD"]))
# the summary's error_budget: the SLO targets (%) and the window the rules measure them over
SLO_AVAILABILITY_TARGET = env_number(
    "SLO_AVAILABILITY_TARGET", float(_SHARED["SLO_AVAILABILITY_TARGET"])
)
SLO_LATENCY_TARGET = env_number("SLO_LATENCY_TARGET", float(_SHARED["SLO_LATENCY_TARGET"]))
SLO_RULE_WINDOW = env_str("SLO_RULE_WINDOW", _SHARED["SLO_RULE_WINDOW"])
# no heartbeat through the alert pipeline for this long: /status reports it degraded
HEARTBEAT_TIMEOUT_SECONDS = env_number(
    "HEARTBEAT_TIMEOUT_SECONDS", float(_SHARED["HEARTBEAT_TIMEOUT_SECONDS"])
)
# alerts/stats/ says what it covers: the worker trims records resolved longer ago
ALERT_HISTORY_RETENTION_DAYS = env_int(
    "ALERT_HISTORY_RETENTION_DAYS", int(_SHARED["ALERT_HISTORY_RETENTION_DAYS"]), minimum=1
)
# Read by prometheus_client itself; mirrored here for gunicorn.conf.py's wipe at start.
PROMETHEUS_MULTIPROC_DIR = env_str("PROMETHEUS_MULTIPROC_DIR")
if "PROMETHEUS_MULTIPROC_DIR" in os.environ and not PROMETHEUS_MULTIPROC_DIR:
    # prometheus_client takes a set-but-empty value as "the current directory"
    raise ImproperlyConfigured(
        "PROMETHEUS_MULTIPROC_DIR is set but empty; unset it or name a directory."
    )

# --- gunicorn (api/gunicorn.conf.py reads these) --------------------------------------

_API_PORT = env_int("API_PORT", int(_SHARED["API_PORT"]), minimum=1)
GUNICORN_BIND = env_str("API_BIND") or f"127.0.0.1:{_API_PORT}"
GUNICORN_WORKERS = env_int("GUNICORN_WORKERS", 2, minimum=1)
GUNICORN_TIMEOUT = env_int("GUNICORN_TIMEOUT", 60, minimum=1)
GUNICORN_ACCESS_LOG = env_bool("GUNICORN_ACCESS_LOG", False)
# Recycle a worker after this many requests (0: never), bounding slow leaks; the jitter
# (a tenth) keeps workers from restarting together. api/metrics/multiproc.py folds the
# metric files of recycled workers, so the multiprocess folder stays bounded.
GUNICORN_MAX_REQUESTS = env_int("GUNICORN_MAX_REQUESTS", 1000)
