"""Phare settings: what an operator configures comes from the environment, with safe defaults
in code. Every variable read here is in the README's "Configuration" table, and only those
(tests/test_settings_table.py); tuning that no operator needs to change is a constant.

Without DATABASE_URL and REDIS_URL Phare runs on embedded defaults (SQLite, in-memory
channel layer, local-memory cache, eager Celery tasks) so that it can be tried with Python
alone. With them it uses PostgreSQL and Redis. Nothing else in the code knows the difference.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

# Production (DEBUG off) refuses to start with a missing or well-known key.
_DEV_SECRET_KEY = "django-insecure-phare-development-only-key-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set a long random SECRET_KEY, or DEBUG=1 for local trials."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 40):
    raise ImproperlyConfigured("SECRET_KEY is too short or a development key (need 40+ chars).")

# Rotation (docs/operations.md): the previous key(s), still accepted for existing sessions and
# signatures while new ones use SECRET_KEY. Comma-separated; drop them after a session lifetime.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS", [])

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
# Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: IP addresses or
# networks, comma-separated; empty = nobody's; "*" is refused (core/edge.py).
PHARE_TRUSTED_PROXIES = env_list("PHARE_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "config.apps.PhareAdminConfig",  # django.contrib.admin with Phare's site
    # Before django.contrib.auth: its `createsuperuser` command replaces Django's, which cannot
    # make an account that needs a pseudonym (accounts/management/commands/createsuperuser.py).
    "accounts",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "core",
    "chat",
    "moderation",
    "ops",
]

MIDDLEWARE = [
    # First: health and metrics answer before host checks, redirects and sessions (ops).
    "ops.middleware.HealthCheckMiddleware",
    "ops.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Content-Security-Policy (no inline scripts) and Permissions-Policy (docs/security.md).
    "core.security.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATA_DIR = Path(env_str("PHARE_DATA_DIR", str(BASE_DIR / "var")))
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'phare.sqlite3'}")
# DB_CONN_MAX_AGE stays the operator's: persistent connections (60 in docker-compose.yml; with 0
# every database call of a socket opens a new connection, docs/benchmarks.md) against what
# PostgreSQL or a pooler in front of it allows (a connection per thread and process).
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the embedded server's threads write without "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
else:
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# No similarity check against the pseudonym: pseudonyms are public and short, and the
# check refused ordinary passphrases that merely share a word with them.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Redis: channel layer, cache, Celery broker ----------------------------------------
REDIS_URL = env_str("REDIS_URL")
# The ceiling of each Redis connection pool of a process (the cache's, the rate limiter's).
# redis-py 8 raises "Too many connections" past it instead of waiting (its asyncio pool's own
# default is 100, which busy consumers exceeded), so it is set far above what a process holds at
# once (a connection per thread or command in flight) rather than tuned per deployment.
REDIS_MAX_CONNECTIONS = 1000

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "phare",
            "OPTIONS": {"max_connections": REDIS_MAX_CONNECTIONS},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The channel layer is Phare's own (chat/realtime/fanout.py, docs/decisions.md "Fan-out"): each event is
# appended once to a Redis stream that every server process reads with one XREAD and writes
# straight to its local sockets; without REDIS_URL it is in process only. Its tuning is constants
# in chat/realtime/fanout.py. channels_redis's RedisChannelLayer is not offered: about ten times slower per
# process (docs/benchmarks.md), and an alternative nobody tests; only the benchmark still runs it,
# for reference (bench/s1_settings.py).
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "chat.realtime.fanout.FanoutLayer",
        "CONFIG": {"redis_url": REDIS_URL, "stream": "phare:fanout"},
    }
}

# --- Celery ----------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not CELERY_BROKER_URL.startswith(("redis", "amqp", "rediss")))
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A task acknowledged only once done, and re-queued if its worker dies, runs again: tasks
# are idempotent so that is safe, and nothing is lost to a killed worker.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A task whose worker died unacknowledged is redelivered once `visibility_timeout` has passed,
# at the next sweep for such tasks. kombu sweeps every interval × throttle seconds (10 × 10 by
# default, so up to 100 s late); throttle 1 makes it every `unacked_restore_interval` seconds.
# No Phare task uses countdown/ETA, so the timeout only has to exceed the longest task.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 600),
    "unacked_restore_interval": env_int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
    "unacked_restore_throttle": 1,
}
CELERY_TASK_DEFAULT_QUEUE = "housekeeping"
CELERY_TASK_ROUTES = {
    # Exact names win over patterns: the hourly retention purge is housekeeping, so that it
    # never holds a moderation worker while reports wait (ops tests the routing).
    "moderation.tasks.purge_past_retention": {"queue": "housekeeping"},
    "moderation.tasks.*": {"queue": "moderation"},
    "accounts.tasks.*": {"queue": "housekeeping"},
    "chat.tasks.*": {"queue": "housekeeping"},
}
CELERY_BEAT_SCHEDULE = {
    "advance-age-bands": {"task": "accounts.tasks.advance_age_bands", "schedule": 3600.0},
    "purge-connection-logs": {"task": "accounts.tasks.purge_connection_logs", "schedule": 3600.0},
}
CELERY_TIMEZONE = "UTC"

# --- Sessions, cookies and security ----------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 14 * 24 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    # Behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    # Uploaded images. An S3-compatible store: PHARE_STORAGE_BACKEND=storages.backends.s3.S3Storage
    # with PHARE_STORAGE_OPTIONS as JSON (docs/images.md); local private files otherwise.
    "default": {
        "BACKEND": env_str("PHARE_STORAGE_BACKEND", "django.core.files.storage.FileSystemStorage"),
        "OPTIONS": json.loads(env_str("PHARE_STORAGE_OPTIONS", "{}") or "{}"),
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- Logging: never a message's text, a password or an IP in ordinary logs ----------------
# JSON lines with request and connection ids; IPs scrubbed on the handler (ops/logs.py).
# LOG_FORMAT=plain for humans reading a local trial.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "ops.logs.ContextFilter"},
        "redact": {"()": "ops.logs.RedactFilter"},
    },
    "formatters": {
        "json": {"()": "ops.logs.JsonFormatter"},
        "plain": {"()": "ops.logs.PlainFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain" if env_str("LOG_FORMAT", "json") == "plain" else "json",
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # uvicorn's loggers bring their own handlers: route them through ours (JSON, scrubbed).
        # Django's default console handler would print unscrubbed duplicates with DEBUG=1.
        "django": {"handlers": [], "propagate": True},
        "django.server": {"handlers": [], "propagate": True},
        "uvicorn": {"handlers": [], "propagate": True},
        "uvicorn.error": {"handlers": [], "propagate": True},
        # uvicorn's access log carries the client address; RequestLogMiddleware replaces it.
        "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        "django.channels.server": {"level": "WARNING"},
        # With DEBUG=1 Django logs SQL with its parameters (message bodies) at DEBUG: never.
        "django.db.backends": {"level": "INFO"},
    },
}
# Celery keeps the logging above instead of installing its own root handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# /metrics answers only with `Authorization: Bearer <token>`; unset, it answers 404 to everyone
# (docs/operations.md).
PHARE_METRICS_TOKEN = env_str("PHARE_METRICS_TOKEN")
# Celery workers serve their own metrics on this port when set (ops/tasks_instrumentation.py).
PHARE_WORKER_METRICS_PORT = env_int("PHARE_WORKER_METRICS_PORT", 0)
PHARE_WORKER_METRICS_ADDR = env_str("PHARE_WORKER_METRICS_ADDR", "")

# --- Phare policy defaults (operators refine these in the admin) ------------------------
PHARE_MIN_AGE = 13
PHARE_CONNECTION_LOG_RETENTION_DAYS = env_int("PHARE_CONNECTION_LOG_RETENTION_DAYS", 365)
PHARE_HISTORY_PAGE_SIZE = 50
PHARE_MAX_FRAME_BYTES = 64 * 1024
PHARE_MALFORMED_FRAMES_BEFORE_CLOSE = 10
PHARE_DEFAULT_MAX_MESSAGE_LENGTH = 1000
# What accounts tells chat and moderation (deletion, blocks, bands, restrictions, sessions,
# the audit log, the name screen, the personal data export) is not configured here: accounts
# sends the signals of accounts/signals.py, the apps connect to them in AppConfig.ready.

# --- Age assurance (docs/age-assurance.md) ------------------------------------------------
PHARE_AGE_ASSURANCE_PROVIDERS = env_list(
    "PHARE_AGE_ASSURANCE_PROVIDERS", ["declared", "signed-token", "openid4vp", "demo"]
)
# Issuer → {"keys": [JWK…], "methods": [...], "name": …, "start_url": …}, as JSON.
PHARE_AGE_TOKEN_ISSUERS = json.loads(env_str("PHARE_AGE_TOKEN_ISSUERS", "{}") or "{}")
# The audience age tokens must name; choose an opaque value (docs/age-assurance.md).
PHARE_SERVICE_ID = env_str("PHARE_SERVICE_ID", "phare")
# The JSON file of trusted age-attestation issuers for wallets (OpenID4VP); unset, that
# provider is off.
PHARE_OPENID4VP_TRUST_LIST = env_str("PHARE_OPENID4VP_TRUST_LIST", "")
# The assurance level both people need to form a trusted connection across age bands (the
# only way two bands talk person to person, chat.services.trusted). Above self-declaration by
# default: someone who merely says 16 must not reach 13-year-olds in private.
PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE = env_str("PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE", "estimated")
if PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE not in ("declared", "estimated", "verified"):
    raise ImproperlyConfigured("PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE must be declared, estimated or verified, "
                               f"got {PHARE_TRUSTED_CONNECTION_MIN_ASSURANCE!r}")

# --- Rate limits and anti-abuse (accounts/throttling.py, docs/rate-limits.md) ------------
# The numbers are operator policy in the admin; these settings only wire the machinery.
INSTALLED_APPS += ["django_ratelimit"]
RATELIMIT_USE_CACHE = "default"
# The address core/edge.py decided (django-ratelimit would raise on an odd REMOTE_ADDR).
RATELIMIT_IP_META_KEY = "core.http.rate_limit_ip"
# django-ratelimit lists only django-redis as "supported"; Django's own RedisCache is as
# atomic (SET NX for add, INCR for incr), so its warning is silenced. Its error about the
# local-memory cache applies to the embedded default only, which is one process by design.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"] + ([] if REDIS_URL else ["django_ratelimit.E003"])
# The token bucket's Redis (WebSocket limits); empty = per-process buckets (embedded default).
PHARE_RATE_LIMIT_REDIS_URL = env_str("PHARE_RATE_LIMIT_REDIS_URL", REDIS_URL)
# A dead Redis must cost an action this long at most, then is not retried for RETRY seconds.
PHARE_RATE_LIMIT_REDIS_TIMEOUT = 0.5
PHARE_RATE_LIMIT_RETRY_SECONDS = 5
# Trusted addresses that skip per-IP limits (a monitoring probe, a load-test host). Never a
# reverse proxy's address: behind one, REMOTE_ADDR must already be the client's.
PHARE_RATE_LIMIT_EXEMPT_IPS = env_list("PHARE_RATE_LIMIT_EXEMPT_IPS", [])

# --- Ban-evasion linking (accounts/evasion.py, docs/moderation.md) -------------------------
# New accounts are compared with accounts a moderator banned, on keyed hashes of a device
# cookie and a network prefix, pseudonym stems and image hashes, kept at most 90 days.
PHARE_EVASION_LINKING = env_bool("PHARE_EVASION_LINKING", True)
PHARE_EVASION_RETENTION_DAYS = env_int("PHARE_EVASION_RETENTION_DAYS", 90)
if not 1 <= PHARE_EVASION_RETENTION_DAYS <= 90:
    raise ImproperlyConfigured("PHARE_EVASION_RETENTION_DAYS must be between 1 and 90, "
                               f"got {PHARE_EVASION_RETENTION_DAYS}")
# The key of the device and network hashes; empty: derived from SECRET_KEY (so rotating the
# key forgets every device and network seen before: links start again from nothing).
PHARE_EVASION_SECRET = env_str("PHARE_EVASION_SECRET", "")
PHARE_DEVICE_COOKIE_NAME = env_str("PHARE_DEVICE_COOKIE_NAME", "phare_device")
CELERY_BEAT_SCHEDULE["purge-evasion-signals"] = {"task": "accounts.tasks.purge_evasion_signals",
                                                 "schedule": 3600.0}
# The comparison opens cases: moderation work, never behind housekeeping; the purge is housekeeping.
CELERY_TASK_ROUTES["accounts.tasks.link_to_banned_accounts"] = {"queue": "moderation"}

# --- Moderation queue (docs/moderation.md) ----------------------------------------------
# Hours to a first decision by priority band; trusted flaggers' cases get a fraction of it.
PHARE_MODERATION_SLA_HOURS = {"critical": 1, "high": 4, "normal": 24, "low": 72, "trusted_factor": 0.5}
PHARE_REPORT_CONTEXT_MESSAGES = 5
# Reports hide a message pending review (never more, never a moderator's) only when at least
# this many established reporters (signed in, accounts older than PHARE_REPORT_ESTABLISHED_DAYS,
# unsanctioned) reported it and their track records (0..1 each, 0.75 with no history) add up
# to PHARE_INTERIM_HIDE_WEIGHT (docs/moderation.md).
PHARE_INTERIM_HIDE_REPORTERS = 3
PHARE_INTERIM_HIDE_WEIGHT = 2.0
PHARE_REPORT_ESTABLISHED_DAYS = 7
PHARE_APPEAL_DAYS = 183
PHARE_UNFOUNDED_REPORTS_BEFORE_SLOWDOWN = 5
PHARE_MESSAGE_RETENTION_DAYS = env_int("PHARE_MESSAGE_RETENTION_DAYS", 365)
PHARE_REFERRAL_DIR = env_str("PHARE_REFERRAL_DIR", "")
CELERY_BEAT_SCHEDULE.update({
    "moderation-sweep-untriaged": {"task": "moderation.tasks.sweep_untriaged", "schedule": 60.0},
    "moderation-sla-alerts": {"task": "moderation.tasks.alert_sla_breaches", "schedule": 60.0},
    "moderation-purge-retention": {"task": "moderation.tasks.purge_past_retention", "schedule": 3600.0},
    "moderation-room-voices": {"task": "moderation.tasks.assess_room_voices", "schedule": 60.0},
})

# --- The unattended-moderation failsafe (moderation.services.failsafe, docs/moderation.md) --
# On by default: when no moderator has been active for the grace time, or a critical case is
# past its SLA, minors' rooms take established accounts only with slow mode and DM requests to
# minors wait, until a moderator is back and no critical case is overdue. 0 minutes: only the
# SLA ground counts. Operators' alerts are off until a webhook URL or addresses are set.
PHARE_FAILSAFE = env_bool("PHARE_FAILSAFE", True)
PHARE_FAILSAFE_INACTIVITY_MINUTES = env_int("PHARE_FAILSAFE_INACTIVITY_MINUTES", 120)
PHARE_FAILSAFE_SLOW_MODE_SECONDS = env_int("PHARE_FAILSAFE_SLOW_MODE_SECONDS", 30)
PHARE_FAILSAFE_WEBHOOK_URL = env_str("PHARE_FAILSAFE_WEBHOOK_URL", "")
PHARE_FAILSAFE_WEBHOOK_TOKEN = env_str("PHARE_FAILSAFE_WEBHOOK_TOKEN", "")
PHARE_FAILSAFE_ALERT_EMAILS = env_list("PHARE_FAILSAFE_ALERT_EMAILS", [])
# Outgoing mail (the failsafe's alerts only, today): Django's SMTP backend.
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "phare@localhost")
CELERY_BEAT_SCHEDULE["moderation-failsafe"] = {"task": "moderation.tasks.check_failsafe", "schedule": 60.0}

# --- DSA Transparency Database (moderation.dsa_export, docs/moderation.md) ----------------
# Statements of reasons are built and validated hourly; nothing is sent unless
# PHARE_DSA_SUBMIT is on (with the token the Database gives the platform).
PHARE_DSA_SUBMIT = env_bool("PHARE_DSA_SUBMIT", False)
PHARE_DSA_API_URL = env_str("PHARE_DSA_API_URL", "https://transparency.dsa.ec.europa.eu/api/v1/statements")
PHARE_DSA_API_TOKEN = env_str("PHARE_DSA_API_TOKEN", "")
# Platform unique ids are this prefix and the notice's id: unique for as long as the database lives.
PHARE_DSA_PUID_PREFIX = env_str("PHARE_DSA_PUID_PREFIX", "phare-notice-")
PHARE_DSA_TERRITORIAL_SCOPE = env_str("PHARE_DSA_TERRITORIAL_SCOPE", "EU")
PHARE_DSA_TERMS_URL = env_str("PHARE_DSA_TERMS_URL", "")
CELERY_BEAT_SCHEDULE["moderation-submit-dsa-statements"] = {
    "task": "moderation.tasks.submit_dsa_statements", "schedule": 3600.0}

# --- Images (chat.media, docs/images.md) -------------------------------------------------
# Uploads live in Django's default storage (STORAGES["default"]): local files under
# MEDIA_ROOT unless an operator configures an S3-compatible backend. Nothing serves
# MEDIA_ROOT directly: images are streamed by views that check who may see them.
MEDIA_ROOT = Path(env_str("PHARE_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media-not-served/"
if STORAGES["default"]["BACKEND"].endswith("FileSystemStorage"):
    # Only the server's own user may read quarantined and delivered images on disk.
    STORAGES["default"].setdefault("OPTIONS", {}).update(
        {"file_permissions_mode": 0o600, "directory_permissions_mode": 0o700}
    )
PHARE_UPLOAD_MAX_BYTES = env_int("PHARE_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# Checked from the header before any decode; also Pillow's Image.MAX_IMAGE_PIXELS (chat/media.py).
PHARE_UPLOAD_MAX_PIXELS = env_int("PHARE_UPLOAD_MAX_PIXELS", 25_000_000)
PHARE_UPLOAD_MAX_SIDE = env_int("PHARE_UPLOAD_MAX_SIDE", 10_000)
# Delivered copies are scaled down to fit this (pixels per side).
PHARE_IMAGE_OUTPUT_MAX_SIDE = env_int("PHARE_IMAGE_OUTPUT_MAX_SIDE", 2048)
# PDQ match threshold (Hamming distance out of 256 bits; 31 is the published default) and
# the PDQ quality below which a perceptual match is not trusted (flat, featureless images).
PHARE_PDQ_MATCH_DISTANCE = env_int("PHARE_PDQ_MATCH_DISTANCE", 31)
PHARE_PDQ_MIN_QUALITY = env_int("PHARE_PDQ_MIN_QUALITY", 50)
# The bank moderators add removed images to (created on first use).
PHARE_LOCAL_HASH_BANK = env_str("PHARE_LOCAL_HASH_BANK", "phare-removed")
# A shared hash list Phare keeps in step with (moderation.hash_exchange): off while the URL is
# empty; its hashes go to their own bank, matched like Phare's own (docs/images.md).
PHARE_HASH_SYNC_URL = env_str("PHARE_HASH_SYNC_URL", "")
PHARE_HASH_SYNC_TOKEN = env_str("PHARE_HASH_SYNC_TOKEN", "")
PHARE_HASH_SYNC_FORMAT = env_str("PHARE_HASH_SYNC_FORMAT", "signals")
PHARE_HASH_SYNC_BANK = env_str("PHARE_HASH_SYNC_BANK", "shared-list")
PHARE_HASH_SYNC_CATEGORY = env_str("PHARE_HASH_SYNC_CATEGORY", "other")
CELERY_BEAT_SCHEDULE["moderation-sync-hash-list"] = {"task": "moderation.tasks.sync_hash_list",
                                                     "schedule": 6 * 3600.0}
# Scans gate delivery, so they run with the moderation queue, never behind housekeeping.
CELERY_TASK_ROUTES["chat.tasks.scan_upload"] = {"queue": "moderation"}
CELERY_BEAT_SCHEDULE["sweep-unscanned-uploads"] = {"task": "chat.tasks.sweep_unscanned_uploads",
                                                   "schedule": 120.0}
CELERY_BEAT_SCHEDULE["purge-unreferenced-images"] = {"task": "chat.tasks.purge_unreferenced_images",
                                                     "schedule": 3600.0}

# --- Hot path -----------------------------------------------------------------------------
# Measured, not configured: the hot path's tuning is constants beside the code that uses them,
# each with the measurement behind it (docs/decisions.md "Configuration"): chat/posting.py
# (the batch size), chat/realtime/threads.py (posting threads), chat/realtime/fanout.py (the
# stream's length, a channel's queue) and config/runtime.py (the garbage collector).
