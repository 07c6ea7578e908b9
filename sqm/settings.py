"""Django settings, all from the environment (see docs/operations.md)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp import constants as csp

from sqm.env import ConfigurationError, env, env_bool, env_int, home, is_production, secret

BASE_DIR = Path(__file__).resolve().parent
SQM_HOME = home()
PRODUCTION = is_production()

SECRET_KEY = secret("SQM_SECRET_KEY")
SQM_DATA_KEY = secret("SQM_DATA_KEY")
SQM_LOOKUP_KEY = secret("SQM_LOOKUP_KEY")

DEBUG = env_bool("SQM_DEBUG", default=False)
ALLOWED_HOSTS = [
    h.strip() for h in (env("SQM_ALLOWED_HOSTS", "127.0.0.1,localhost") or "").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in (env("SQM_CSRF_TRUSTED_ORIGINS", "") or "").split(",") if o.strip()
]

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
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "huey.contrib.djhuey",
    "sqm.core.apps.AxesConfig",  # django-axes, named in Chinese (sqm.core.apps)
    "csp",
    "sqm.core",
    "sqm.customers",
    "sqm.network",
    "sqm.notify",
    "sqm.complaints",
    "sqm.surveys",
    "sqm.knowledge",
    "sqm.quality",
    "sqm.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sqm.core.middleware.RequestIdMiddleware",
    "sqm.core.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sqm.core.sessions.SessionRefreshMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "sqm.core.middleware.CurrentUserMiddleware",
    "sqm.core.middleware.PrivateResponsesMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "sqm.urls"
WSGI_APPLICATION = "sqm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sqm.core.context_processors.navigation",
            ]
        },
    }
]

# Databases: SQLite (WAL) under SQM_HOME by default, anything dj-database-url reads otherwise.
_database_url = env("SQM_DATABASE_URL")
if _database_url:
    DATABASES = {"default": dj_database_url.parse(_database_url, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQM_HOME / "sqm.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Similarity alone lets "zhangsan2024!" through for user zhangsan.
    {"NAME": "sqm.core.validators.UsernameInPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after SQM_SESSION_MINUTES of inactivity (default 30) and with the browser.
SESSION_COOKIE_AGE = env_int("SQM_SESSION_MINUTES", 30) * 60
# Saved when changed, else renewed at most once a minute (sqm.core.sessions): a page view
# does not write to the database.
SESSION_SAVE_EVERY_REQUEST = False
SQM_SESSION_REFRESH_SECONDS = env_int("SQM_SESSION_REFRESH_SECONDS", 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SQM_HTTPS = PRODUCTION and env_bool("SQM_HTTPS", default=True)
SESSION_COOKIE_SECURE = SQM_HTTPS
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
if SESSION_COOKIE_SECURE:
    # Behind nginx, which terminates TLS and says so in X-Forwarded-Proto (docs/operations.md).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Web hardening (docs/security.md "Web hardening"); production with HTTPS passes
# `sqm check --deploy` without a warning. HSTS and the redirect stay off without HTTPS: a
# browser that saw HSTS on a plain-HTTP test host could not reach it any more.
SECURE_HSTS_SECONDS = env_int("SQM_HSTS_SECONDS", 31_536_000 if SQM_HTTPS else 0)
if SECURE_HSTS_SECONDS < 0:
    raise ConfigurationError(f"SQM_HSTS_SECONDS={SECURE_HSTS_SECONDS}: expected 0 or more")
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SQM_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SQM_HSTS_PRELOAD", default=False)
SECURE_SSL_REDIRECT = env_bool("SQM_SSL_REDIRECT", default=SQM_HTTPS)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Every response carries a Content-Security-Policy (django-csp): scripts only from our own
# static files or inline with the request's nonce, no inline style, no plugins, no framing.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [csp.SELF],
        "script-src": [csp.SELF, csp.NONCE],
        "style-src": [csp.SELF],
        "img-src": [csp.SELF, "data:"],
        "object-src": [csp.NONE],
        "base-uri": [csp.SELF],
        "frame-ancestors": [csp.NONE],
        "form-action": [csp.SELF],
    }
}

# Lock-out after repeated failed logins (django-axes).
AXES_FAILURE_LIMIT = env_int("SQM_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("SQM_LOGIN_LOCKOUT_MINUTES", 30) / 60
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Lock by user name only: on an intranet whole halls share one NAT address, so locking by
# address would shut out every agent behind it.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
if not SECURE_HSTS_PRELOAD:
    # Preloading is a request to browser vendors to hard-code the host as HTTPS-only; an
    # intranet name cannot be on their list, so it stays an operator's explicit choice.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# zh-hans numbers grouped by thousands with "," (Django's own set no separator): intcomma.
FORMAT_MODULE_PATH = ["sqm.formats"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = SQM_HOME / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise serves collected files from here
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = SQM_HOME / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# Background and periodic jobs: Huey on SQLite under SQM_HOME, Redis when configured.
SQM_REDIS_URL = env("SQM_REDIS_URL")
if SQM_REDIS_URL:
    HUEY = {
        "huey_class": "huey.PriorityRedisHuey",
        "name": "sqm",
        "url": SQM_REDIS_URL,
        "immediate": False,
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "sqm",
        "filename": str(SQM_HOME / "jobs.sqlite3"),
        "immediate": env_bool("SQM_JOBS_IMMEDIATE", default=False),
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Our hashed, expiring, revocable tokens (sqm/api/tokens.py), same header as DRF's.
        "sqm.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["sqm.api.permissions.ModelPermissions"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "sqm.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "sqm.api.schema.AutoSchema",
    # DRF's, keeping a service's refusal message and answering used-up limits with 429.
    "EXCEPTION_HANDLER": "sqm.api.exceptions.handler",
    # Our JSON parser: deep nesting and lone surrogates are a 400, not a 500.
    "DEFAULT_PARSER_CLASSES": [
        "sqm.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SQM API",
    "DESCRIPTION": "Service-quality platform (服务质量管控平台) REST API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Two resources have a `state`: each its own name (the work order's keeps its old one).
    "ENUM_NAME_OVERRIDES": {
        "StateEnum": "sqm.complaints.choices.WorkOrderState",
        "ApiTokenStateEnum": "sqm.api.models.TokenState",
    },
}

# Complaints: unreachable callbacks tried this many times before the order closes as such.
SQM_CALLBACK_MAX_ATTEMPTS = env_int("SQM_CALLBACK_MAX_ATTEMPTS", 3)
# Work-order attachments: largest accepted file (bytes).
SQM_ATTACHMENT_MAX_BYTES = env_int("SQM_ATTACHMENT_MAX_MB", 10) * 2**20

# Fault SMS (docs/faults.md): local hours SMS may go out, the hold-down before a fault SMS,
# the hotline and signature the templates name.
SQM_SMS_WINDOW = env("SQM_SMS_WINDOW", "08:00-22:00")
SQM_SMS_HOLD_DOWN_MINUTES = env_int("SQM_SMS_HOLD_DOWN_MINUTES", 5)
SQM_HOTLINE = env("SQM_HOTLINE", "10086")
SQM_SMS_SIGNATURE = env("SQM_SMS_SIGNATURE", "【中国移动】")
# Fault events (docs/faults.md, "When the failed element comes back"): once the alarms on
# an event's own element have all cleared, the alarms under it have this long to clear
# too; those still active then are split off into events of their own.
SQM_FAULT_CHILD_GRACE_MINUTES = env_int("SQM_FAULT_CHILD_GRACE_MINUTES", 30)
# An active fault event with no alarm activity (a raise, clear or re-sent raise of any of its
# alarms) for this many hours is "stale": its clear was probably lost (docs/faults.md, "Lost
# clears: stale events"). The NOC sees it flagged and may close it as stale.
SQM_FAULT_STALE_HOURS = env_int("SQM_FAULT_STALE_HOURS", 72)
# A complaint within this many days of the same customer's previous one (same second-level
# category) closing is a repeat complaint (重复投诉).
SQM_REPEAT_DAYS = env_int("SQM_REPEAT_DAYS", 30)
# The monthly service-quality report (docs/kpi.md, "Monthly report"): the number of the
# first issue SQM publishes (the operator had published 17 before SQM, so it sets 18).
SQM_REPORT_FIRST_NUMBER = env_int("SQM_REPORT_FIRST_NUMBER", 1)
# A KPI run still queued or running after this many minutes is taken as abandoned (its worker
# died): it no longer holds up a new run of the month (docs/kpi.md).
SQM_KPI_RUN_TIMEOUT_MINUTES = env_int("SQM_KPI_RUN_TIMEOUT_MINUTES", 60)
# The Spark master of `--engine spark` (local mode by default; a cluster's URL at scale).
SQM_SPARK_MASTER = env("SQM_SPARK_MASTER", "local[2]")
# Overrides of the indicator definitions' time limits (sqm.quality.measures.Limits).
SQM_KPI_LIMITS: dict = {}

# Personal-data protection (docs/security.md).
SQM_REVEAL_ALERT_PER_HOUR = env_int("SQM_REVEAL_ALERT_PER_HOUR", 20)
# Reveals per user in any hour; past it the reveal is refused (429) until the hour has passed.
SQM_REVEALS_PER_HOUR = env_int("SQM_REVEALS_PER_HOUR", 50)
# A reveal reason needs at least this many meaningful characters (letters, CJK, digits).
SQM_REVEAL_REASON_MIN_CHARS = env_int("SQM_REVEAL_REASON_MIN_CHARS", 4)
# Look-ups of a customer by mobile or ID number: at most this many per user and hour, and an
# auditor alert when a user's look-ups that found nobody pass SQM_LOOKUP_MISS_ALERT in an hour.
SQM_LOOKUPS_PER_HOUR = env_int("SQM_LOOKUPS_PER_HOUR", 60)
SQM_LOOKUP_MISS_ALERT = env_int("SQM_LOOKUP_MISS_ALERT", 10)
# The audit chain is keyed with SQM_AUDIT_KEY (not in the database; `id:base64key[,…]`, the
# first active, like SQM_DATA_KEY); each new head is appended to SQM_AUDIT_HEAD_FILE and, when
# SQM_AUDIT_SYSLOG is set (`/dev/log` or `host:port`), sent to syslog.
SQM_AUDIT_KEY = secret("SQM_AUDIT_KEY")
SQM_AUDIT_HEAD_FILE = env("SQM_AUDIT_HEAD_FILE", str(SQM_HOME / "audit-heads.log"))
SQM_AUDIT_SYSLOG = env("SQM_AUDIT_SYSLOG", "")
# API tokens expire after this many days.
SQM_TOKEN_DAYS = env_int("SQM_TOKEN_DAYS", 30)
# Uploaded import and survey files are deleted when their job ends; a failed job's file is
# kept (encrypted) this many hours so its errors can be checked against it.
SQM_UPLOAD_KEEP_HOURS = env_int("SQM_UPLOAD_KEEP_HOURS", 72)

# Every handler masks mobile and ID numbers before a line is written (sqm/core/logmask.py);
# runserver's request lines (django.server) go through the same handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "personal_data": {"()": "sqm.core.logmask.PersonalDataFilter"},
        # 403s as one warning line, no traceback; before the mask, which formats tracebacks.
        "refusals": {"()": "sqm.core.logfilters.OneLineRefusals"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["refusals", "personal_data"]},
    },
    "loggers": {
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
    "root": {"handlers": ["console"], "level": env("SQM_LOG_LEVEL", "WARNING")},
}

# --- SMS delivery (docs/notify.md) ---------------------------------------------- notify ---
# Sender: `console` (each SMS as a JSON line on stdout, or appended to SQM_SMS_FILE) or `smpp`.
SQM_SMS_BACKEND = env("SQM_SMS_BACKEND", "console")
SQM_SMS_FILE = env("SQM_SMS_FILE")
# A message the SMSC refused is tried again after SQM_SMS_RETRY_SECONDS (doubling each time)
# until it has had SQM_SMS_MAX_ATTEMPTS attempts; then it is failed.
SQM_SMS_MAX_ATTEMPTS = env_int("SQM_SMS_MAX_ATTEMPTS", 3)
SQM_SMS_RETRY_SECONDS = env_int("SQM_SMS_RETRY_SECONDS", 60)
# Messages left `sending` this long (a sender that died) are put back and counted as
# possible duplicates; keep it above the SMPP response timeout.
SQM_SMS_STALE_SECONDS = env_int("SQM_SMS_STALE_SECONDS", 300)
# The NOC's SMS view says "worker not running" when no SMS worker has reported (its
# heartbeat, notify.WorkerHeartbeat) for this long; the job runs every minute.
SQM_SMS_WORKER_SILENT_SECONDS = env_int("SQM_SMS_WORKER_SILENT_SECONDS", 180)
# The NOC's SMS view calls a sent message's delivery receipt overdue after this long.
SQM_SMS_RECEIPT_OVERDUE_SECONDS = env_int("SQM_SMS_RECEIPT_OVERDUE_SECONDS", 1800)
# Send due SMS from the every-minute Huey job; off when a long-running `sqm sms send` does it
# (the default with SMPP: receipts only arrive while a transceiver is bound).
SQM_SMS_SEND_IN_JOBS = env_bool("SQM_SMS_SEND_IN_JOBS", default=SQM_SMS_BACKEND == "console")
SQM_SMPP_HOST = env("SQM_SMPP_HOST", "127.0.0.1")
SQM_SMPP_PORT = env_int("SQM_SMPP_PORT", 2775)
SQM_SMPP_SYSTEM_ID = env("SQM_SMPP_SYSTEM_ID", "")
SQM_SMPP_PASSWORD = env("SQM_SMPP_PASSWORD", "")  # or SQM_SMPP_PASSWORD_FILE
SQM_SMPP_SYSTEM_TYPE = env("SQM_SMPP_SYSTEM_TYPE", "")
SQM_SMPP_SOURCE_ADDR = env("SQM_SMPP_SOURCE_ADDR", "10086")
SQM_SMPP_BIND = env("SQM_SMPP_BIND", "transceiver")  # transmitter | transceiver
SQM_SMPP_WINDOW = env_int("SQM_SMPP_WINDOW", 10)  # submit_sm outstanding at once
SQM_SMPP_RATE = env_int("SQM_SMPP_RATE", 100)  # submit_sm per second (0: no limit)
SQM_SMPP_ENQUIRE_SECONDS = env_int("SQM_SMPP_ENQUIRE_SECONDS", 30)
# --- end of SMS delivery --------------------------------------------------------------------
