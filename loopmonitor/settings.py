"""Settings for loopmonitor.

Everything comes from the environment (django-environ). With no environment at
all the service runs on the *embedded default*: SQLite in ``var/`` and Celery's
``filesystem://`` broker, so ``make run`` works on a bare machine. Setting
``DATABASE_URL`` and ``CELERY_BROKER_URL`` moves the same code onto
PostgreSQL and Redis (see docker-compose.yml and README "Operating it").

Importing this module has no side effects: it creates no folder and runs no
program. Folders are made by what writes into them (the SQLite backend
loopmonitor.sqlite3, the Celery app's configure hook, the file storage), and
the code version's `git describe` fallback runs only when a report needs it.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import lazy

from loopmonitor.version import git_describe

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# First of all, so that every variable below may come from the file (optional, never
# committed; .env.example lists them). The process environment wins over the file.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

VAR_DIR = Path(env.str("LOOPMONITOR_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env.str(
    "DJANGO_SECRET_KEY",
    # A development-only key; production (DJANGO_DEBUG=0) must set its own.
    default="dev-only-insecure-key-do-not-use-in-production" if DEBUG else environ.Env.NOTSET,
)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["*"] if DEBUG else [])

if not DEBUG:
    # Production (DJANGO_DEBUG=0): HTTPS only, secure cookies (`manage.py check --deploy` is clean).
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    # Probes and Prometheus speak plain HTTP inside the network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz(/web)?$", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # TLS ends at the proxy
    SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    # Installed only because AbstractAPIKey's module defines its concrete APIKey too (an
    # empty, unused table); our keys are brands.ApiKey. DRF's authtoken is gone: brands
    # migration 0002 carries its tokens over hashed and drops its table.
    "rest_framework_api_key",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",  # beat's schedules in the database: reports.ReportSchedule's PeriodicTask rows
    "brands",
    "stores",
    "reports",
    "alerts",
    "notifications",
    "loopmonitor.observability",
]

MIDDLEWARE = [
    # First: a request's time, metrics and id cover every other middleware's work too.
    "loopmonitor.observability.middleware.RequestObserverMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "loopmonitor.api.BodySizeLimitMiddleware",  # 413 JSON before anything reads a body too large
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks: turns a locked-out login into its page
]

# --- Logins: lockout after repeated failures (django-axes) ---------------------
# Every login (the admin's, which the web page uses too) goes through axes' backend
# first. A (username, client IP) pair is locked for LOGIN_LOCKOUT_MINUTES after
# LOGIN_FAILURE_LIMIT failures in a row; a success resets the count. Locking the pair,
# not the username alone, keeps a stranger from locking an account out from elsewhere.
# Attempts live in the database (axes' database handler): shared by every web process.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "brands.lockout.locked_out_response"
# The client's address, for the lockout and the audit log: REMOTE_ADDR, or behind our
# nginx (BEHIND_PROXY=1, as docker-compose runs the web service) the X-Forwarded-For it
# sets. Never set it where clients reach the web server directly: they would pick it.
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
AXES_CLIENT_IP_CALLABLE = "brands.access.client_ip"

ROOT_URLCONF = "loopmonitor.urls"
WSGI_APPLICATION = "loopmonitor.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
SQLITE_PATH = VAR_DIR / "db.sqlite3"
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{SQLITE_PATH}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Django's backend, which also makes the file's folder on first connection.
    DATABASES["default"]["ENGINE"] = "loopmonitor.sqlite3"
    # The web server and the worker write the same file. IMMEDIATE transactions
    # make a writer wait for the lock (up to `timeout`) instead of failing at
    # once with "database is locked" when a read transaction tries to upgrade
    # (../shared/QUEUE-NOTES.md); WAL lets readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;",
        }
    )
    # Tests start a real worker process, so the test database must be a file
    # both processes can open, not SQLite's default in-memory database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DATABASE_CONN_MAX_AGE", default=0))
# A streaming replica of that PostgreSQL, for the report shards' reads only (reports/replica.py):
# a shard reads it once it has replayed past its report's WAL position, waiting up to
# REPLICA_MAX_WAIT_SECONDS, else it reads the primary. Never migrated, never written.
if REPORTS_DATABASE_URL := env.str("REPORTS_DATABASE_URL", default=""):
    _replica = env.db_url_config(REPORTS_DATABASE_URL)
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql" or _replica["ENGINE"] != (
        "django.db.backends.postgresql"
    ):
        raise ImproperlyConfigured(
            "REPORTS_DATABASE_URL: a read replica needs PostgreSQL, both it and DATABASE_URL (postgres://...)"
        )
    # A replica that does not answer costs a shard this long before it reads the primary.
    _replica.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
    _replica.setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    # Tests read the test database through it: no test database of its own on a read-only server.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["reports"] = _replica
DATABASE_ROUTERS = ["reports.replica.ReportReadsRouter"]
REPLICA_MAX_WAIT_SECONDS = env.float("REPLICA_MAX_WAIT_SECONDS", default=5.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Files -------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("DJANGO_STATIC_ROOT", default=str(VAR_DIR / "static")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- REST framework ----------------------------------------------------------
REST_FRAMEWORK: dict[str, Any] = {
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "loopmonitor.api.exception_handler",
    # DRF's defaults, with JSON nested too deeply a 400 instead of a RecursionError (500).
    "DEFAULT_PARSER_CLASSES": [
        "loopmonitor.api.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Every endpoint needs a key (`Authorization: Token <key>`, hashed in brands.ApiKey,
    # made by `manage.py apikey_create`, listed and revoked in the admin) or, for the web
    # page, a logged-in session. /healthz and the API docs are open.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "brands.authentication.ApiKeyAuthentication",  # first: its 401 says how to authenticate
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        # An endpoint that does not declare its permission (brands.permissions.BrandRole, scoped
        # to the caller's brands) is platform staff's only: nothing opens to brands by accident.
        "brands.permissions.PlatformStaffOnly",
    ],
    "DEFAULT_THROTTLE_RATES": {
        # POST /trigger_report per key: each one can start a full-fleet computation.
        "trigger": env.str("REPORT_TRIGGER_RATE", default="30/minute"),
    },
}

SPECTACULAR_SETTINGS: dict[str, Any] = {
    "TITLE": "loopmonitor API",
    "DESCRIPTION": (
        "Uptime and downtime of restaurant stores during their business hours, over the last hour, "
        "day and week. Every number is defined by docs/numbers.md; reports are computed by Celery workers."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from drf-spectacular-sidecar: no CDN, the docs work without internet access.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # /healthz and /healthz/web answer the same two statuses: one enum for both.
    "ENUM_NAME_OVERRIDES": {"HealthStatusEnum": ["ok", "unavailable"]},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "loopmonitor.api.schema_document_auth_and_throttling",
    ],
}

# Throttle counters (and anything else cached) must be shared by every web
# process in production: set CACHE_REDIS_URL there.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": env.str("CACHE_REDIS_URL")}
        if env.str("CACHE_REDIS_URL", default="")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# POST /api/polls refuses larger bodies with 413 before reading them.
POLLS_PUSH_MAX_BYTES = env.int("POLLS_PUSH_MAX_BYTES", default=10 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = POLLS_PUSH_MAX_BYTES
# A store with more business-hours rows than this in one file is a bad row at load (none of its
# rows stored), so that no answer about one store grows with a hostile file.
HOURS_ROWS_PER_STORE_MAX = env.int("HOURS_ROWS_PER_STORE_MAX", default=1_000)
# The page's login (brands/page_urls.py) takes every person; the admin's takes staff only.
LOGIN_URL = "login"

# --- Celery ------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # A broker that needs no server: message files in one folder. Polling every
    # 0.1 s instead of kombu's default 1 s makes a task start in ~0.1 s.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR),
        "data_folder_out": str(BROKER_DIR),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
    # The folders are made by the Celery app when it reads this (loopmonitor/celery.py).
else:
    # On Redis a message taken by a worker that dies (SIGKILL, OOM, lost node)
    # is handed to another worker once `visibility_timeout` has passed. kombu
    # only looks for such messages every `unacked_restore_interval` seconds, so
    # that is kept short (../shared/QUEUE-NOTES.md). Shards are idempotent, so a
    # redelivery of a shard that is merely slow costs time, never correctness.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=300),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
CELERY_RESULT_BACKEND = None  # progress and outcome live on the Report row
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a shard is acknowledged only once its rows are stored
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # a killed child puts its shard back on the queue
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # shards are long: never hoard them on one worker
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that queues a report waits at most this long for an unreachable
# broker before answering 503 (the worker itself keeps retrying forever).
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=2)
CELERY_TIMEZONE = "UTC"


# --- Reports ---
# The code version each report records: LOOPMONITOR_CODE_VERSION (the Dockerfile's build
# argument, or the environment), else `git describe` of this checkout, run lazily: a str
# proxy that calls git (once per process) when a report first uses it.
CODE_VERSION: str = env.str("LOOPMONITOR_CODE_VERSION", default="") or lazy(git_describe, str)(BASE_DIR)

# Stores per shard task. A full fleet of 14k stores fits in one or two shards;
# larger fleets fan out over every worker.
REPORT_SHARD_STORES = env.int("REPORT_SHARD_STORES", default=10_000)
# At least this many shards (when there are that many stores), so that the
# worker processes of one machine share even a small fleet's report.
REPORT_MIN_SHARDS = env.int("REPORT_MIN_SHARDS", default=2)
# How long a signed download link (a report.completed webhook's or email's) stays good.
REPORT_LINK_TTL_SECONDS = env.int("REPORT_LINK_TTL_SECONDS", default=7 * 24 * 3600)
# A Running report none of whose shards moved for this long has its lost
# shards queued again (reports.tasks.reports_reap_stale_task, run by beat),
# and is marked Failed once a shard was tried REPORT_SHARD_MAX_ATTEMPTS times.
REPORT_STALL_SECONDS = env.float("REPORT_STALL_SECONDS", default=120)
REPORT_SHARD_MAX_ATTEMPTS = env.int("REPORT_SHARD_MAX_ATTEMPTS", default=3)
# A finished report (Complete or Failed), its shards and its CSV file are deleted together once it
# finished more than REPORTS_RETENTION_DAYS ago, by the wall clock (reports.retention, run by beat
# every REPORTS_RETENTION_EVERY_SECONDS and by `manage.py reports_retention`). A report in flight
# is never deleted.
REPORTS_RETENTION_DAYS = env.int("REPORTS_RETENTION_DAYS", default=30)
if REPORTS_RETENTION_DAYS < 1:
    raise ImproperlyConfigured(
        f"REPORTS_RETENTION_DAYS must be a whole number of days, 1 or more, not {REPORTS_RETENTION_DAYS}"
    )
REPORTS_RETENTION_EVERY_SECONDS = env.float("REPORTS_RETENTION_EVERY_SECONDS", default=3600)
# Polls observed more than POLLS_RETENTION_DAYS before the latest poll (or now, if earlier) go
# away: whole monthly partitions on PostgreSQL, rows on SQLite (stores.partitions, run by beat
# every POLLS_RETENTION_EVERY_SECONDS and by `manage.py polls_retention`, which also create the
# coming months' partitions). A report whose week starts before that is refused (400).
POLLS_RETENTION_DAYS = env.int("POLLS_RETENTION_DAYS", default=90)
if POLLS_RETENTION_DAYS < 8:
    raise ImproperlyConfigured(
        f"POLLS_RETENTION_DAYS must be a whole number of days, 8 or more (a report reads a week), "
        f"not {POLLS_RETENTION_DAYS}"
    )
POLLS_RETENTION_EVERY_SECONDS = env.float("POLLS_RETENTION_EVERY_SECONDS", default=3600)

# --- Incidents (docs/numbers.md rule 12, alerts app) ---
# A refresh recomputes a store's incidents back to the latest active observation before
# this many days before the store's latest poll; older incidents stay as last computed.
# 8 covers a report's week with a day to spare: every incident a report's windows touch.
INCIDENTS_LOOKBACK_DAYS = env.float("INCIDENTS_LOOKBACK_DAYS", default=8)
# Stores per refresh task (and per transaction): a big load's stores are refreshed in chunks.
INCIDENTS_BATCH_STORES = env.int("INCIDENTS_BATCH_STORES", default=500)
# The repair task (beat) refreshes the stores whose polls were received, or became current, in
# the last INCIDENTS_REPAIR_WINDOW_SECONDS and were not refreshed since: a lost task is repaired
# within INCIDENTS_REPAIR_EVERY_SECONDS.
INCIDENTS_REPAIR_EVERY_SECONDS = env.float("INCIDENTS_REPAIR_EVERY_SECONDS", default=300)
INCIDENTS_REPAIR_WINDOW_SECONDS = env.float("INCIDENTS_REPAIR_WINDOW_SECONDS", default=86_400)
# incident.opened / .resolved (alerts/notify.py): at most one pair per store per
# INCIDENT_NOTIFY_MIN_MINUTES (a flapping store sends no storm), and only for incidents whose
# last observation is at most INCIDENT_NOTIFY_MAX_AGE_MINUTES old (old data loaded tells nobody).
INCIDENT_NOTIFY_MIN_MINUTES = env.float("INCIDENT_NOTIFY_MIN_MINUTES", default=15)
INCIDENT_NOTIFY_MAX_AGE_MINUTES = env.float("INCIDENT_NOTIFY_MAX_AGE_MINUTES", default=120)

# --- Celery beat: the periodic sweeps ---
CELERY_BEAT_SCHEDULE = {
    "reap-stale-reports": {
        "task": "reports.tasks.reports_reap_stale_task",
        "schedule": env.float("REPORT_REAP_EVERY_SECONDS", default=30),
    },
    "repair-incidents": {
        "task": "alerts.tasks.incidents_repair_task",
        "schedule": INCIDENTS_REPAIR_EVERY_SECONDS,
    },
    "reports-retention": {
        "task": "reports.tasks.reports_retention_task",
        "schedule": REPORTS_RETENTION_EVERY_SECONDS,
    },
    "polls-retention": {
        "task": "stores.tasks.polls_retention_task",
        "schedule": POLLS_RETENTION_EVERY_SECONDS,
    },
    "send-due-notifications": {
        "task": "notifications.tasks.deliveries_due_task",
        "schedule": env.float("NOTIFY_SWEEP_EVERY_SECONDS", default=30),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Beat reads its schedule from the database (django-celery-beat): the entries above are written
# there at its start, and the brands' report schedules (reports.ReportSchedule) are rows there
# too, so every beat, `make run`'s embedded one and compose's own, runs both.
CELERY_BEAT_SCHEDULER = "loopmonitor.beat:DatabaseScheduler"
# Beat writes each entry's last run to the database after every message it sends (not every
# 3 minutes): a beat that stops right after a run does not run it again when it returns.
CELERY_BEAT_SYNC_EVERY = 1
# No result backend, so nothing to clean: beat installs no `celery.backend_cleanup` entry.
CELERY_RESULT_EXPIRES = None
# At most this many report schedules per brand: each run is a whole report of the brand.
REPORT_SCHEDULES_PER_BRAND_MAX = env.int("REPORT_SCHEDULES_PER_BRAND_MAX", default=20)

# --- Notifications (README "Notifications") ---------------------------------------
# The base of every absolute link in an email or a payload (the store page, a report's download).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Connect and read timeouts of one webhook request, in seconds: a receiver that never answers
# costs a worker this long, not forever.
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5)
# The waits after each failed attempt, in seconds (7 waits: 8 attempts over 27 h 35 min, as
# Svix does); a test shortens them. Emails are retried on the same schedule.
WEBHOOK_RETRY_DELAYS_SECONDS = [
    float(delay)
    for delay in env.list(
        "WEBHOOK_RETRY_DELAYS_SECONDS", default=["5", "300", "1800", "7200", "18000", "36000", "36000"]
    )
]
# A subscription whose deliveries have all failed for this long is disabled (its admins get an email).
WEBHOOK_DISABLE_AFTER_HOURS = env.float("WEBHOOK_DISABLE_AFTER_HOURS", default=24)
# Webhooks go to public addresses only (no request forgery towards the private network); 1 lets
# them reach loopback and private ranges too (a test's receiver, a receiver on the same network).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
# Outgoing email: a django-environ email URL (smtp://user:pass@host:25, smtp+tls://...:587,
# smtp+ssl://...:465, consolemail://, filemail:///path, dummymail://). Default: printed by the worker.
vars().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="loopmonitor <loopmonitor@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10)  # seconds: an SMTP server that never answers
# A report.completed email carries the CSV when it is at most this many bytes, else only its link.
REPORT_EMAIL_ATTACH_MAX_BYTES = env.int("REPORT_EMAIL_ATTACH_MAX_BYTES", default=5 * 1024 * 1024)
# Each worker writes a heartbeat this often (reports.heartbeat); /healthz says "no worker" when
# none has written one for WORKER_HEARTBEAT_STALE_SECONDS (a few beats missed, not one).
WORKER_HEARTBEAT_SECONDS = env.float("WORKER_HEARTBEAT_SECONDS", default=10)
WORKER_HEARTBEAT_STALE_SECONDS = env.float("WORKER_HEARTBEAT_STALE_SECONDS", default=30)

# --- Metrics and logs (loopmonitor/observability, README "Metrics" and "Logs") ---
# GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`; without a token it is off (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
# The folder every process (web workers, Celery's pool) writes its metric files to, shared by the
# web server and the workers (docker-compose: a volume). Made at a process's first metric.
PROMETHEUS_MULTIPROC_DIR = Path(env.str("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "metrics")))

LOG_FORMAT = env.str("LOG_FORMAT", default="text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json, not {LOG_FORMAT!r}")
# json: one JSON object per line, with a line per request and per task (their loggers are quiet in
# text, where the web server's access log and Celery's own lines say as much).
_event_level = "INFO" if LOG_FORMAT == "json" else "WARNING"
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "loopmonitor.observability.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "loopmonitor.observability.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if LOG_FORMAT == "json" else "plain",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # axes.apps says which lockout it applies at every start of every command: once is in the settings.
        "axes.apps": {"level": "WARNING"},
        # httpx logs every webhook request; the delivery log has each attempt, with its outcome.
        "httpx": {"level": "WARNING"},
        "loopmonitor.request": {"level": _event_level},
        "loopmonitor.task": {"level": _event_level},
    },
}
if LOG_FORMAT == "json":
    # Django's own handlers (its DEFAULT_LOGGING: text to the console when DEBUG) give way to the
    # JSON one; runserver's access lines only from WARNING on: the request line says more.
    LOGGING["loggers"]["django"] = {"handlers": [], "level": "INFO", "propagate": True}
    LOGGING["loggers"]["django.server"] = {"handlers": [], "level": "WARNING", "propagate": True}
