"""Settings, read from the environment (12-factor) with production-safe defaults.

DEBUG is off unless ``DJANGO_DEBUG=1``; without DEBUG a ``DJANGO_SECRET_KEY`` is required.
The database is an embedded SQLite file unless ``DATABASE_URL`` names another one.
"""

import datetime
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("APP_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: str) -> int:
    value = os.environ.get(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"Set {name} to a whole number (it is {value!r}).") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY (or DJANGO_DEBUG=1 for local development)."
        )
    SECRET_KEY = "insecure-development-key-only-for-debug-" + "x" * 20

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")
CSRF_FAILURE_VIEW = "config.errors.csrf_failure"

INSTALLED_APPS = [
    "backoffice.apps.BackOfficeAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "viewflow",
    "viewflow.workflow",
    "django_filters",
    "django_tables2",
    "workflows",
    "approvals",
    "outcomes",
    "documents",
    "awards",
    "demo",
    "accounts",
    "dashboard",
    "backoffice",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, which parses the form: a throttled upload is never read.
    "documents.throttle.ThrottleMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "workflows.input_checks.RefuseNulMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "accounts.middleware.AccessContextMiddleware",
    "accounts.middleware.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "workflows.middleware.DomainErrorMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "workflows.navigation.context",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------------
SQLITE_PATH = Path(os.environ.get("SQLITE_PATH", VAR_DIR / "db.sqlite3"))
try:
    DATABASES = {
        "default": dj_database_url.parse(
            os.environ.get("DATABASE_URL") or f"sqlite:///{SQLITE_PATH}",
            conn_max_age=env_int("DB_CONN_MAX_AGE", "60"),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    raise ImproperlyConfigured(
        f"Set DATABASE_URL to a database URL such as postgres://user@host:5432/name ({exc})."
    ) from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, and a statement run five times on a connection kept
    # prepared there: the decisions' longer statements are planned once per connection, not on
    # every run (a fifth of a decision's time). A pooler in transaction mode that cannot carry
    # prepared statements (PgBouncer before 1.21) needs DB_PREPARE_THRESHOLD=off.
    _threshold = (os.environ.get("DB_PREPARE_THRESHOLD") or "5").strip()
    if _threshold.lower() != "off" and not _threshold.isdigit():
        raise ImproperlyConfigured(
            f"Set DB_PREPARE_THRESHOLD to a whole number, or to off (it is {_threshold!r})."
        )
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": None if _threshold.lower() == "off" else int(_threshold),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside one writer; IMMEDIATE takes the write lock at BEGIN so that
    # concurrent writers queue on busy_timeout instead of failing with "database is locked"
    # (SQLite ignores select_for_update, so this is also what serialises two decisions).
    # Django's backend, converting each statement's placeholders once (config/sqlite3).
    DATABASES["default"]["ENGINE"] = "config.sqlite3"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
        ),
    }
    # A file, not shared-cache memory, so that threaded race tests see real SQLite locking.
    # Each test process its own file, so that runs side by side in one checkout never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": os.environ.get("SQLITE_TEST_PATH")
        or str(Path(tempfile.gettempdir()) / f"matching-funds-test-{os.getpid()}.sqlite3")
    }
    # The embedded database lives in var/ (not in git): make the folder on a fresh checkout.
    SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    VAR_DIR.mkdir(parents=True, exist_ok=True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # First: refuses every login of a locked-out account or address before a password is tried.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "workflows.permissions.TierPermissionBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Logins: lockout after repeated failures (django-axes), a second factor for staff ----------
# Failures are counted per account and, separately, per client address, in the database (so
# every web process sees the same count); either count reaching the limit locks that account or
# address out of the login page and the admin login until the lockout ends or an administrator
# lifts it (the admin's "access attempts", or `manage.py unlock_login`).
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
# Minutes a lockout lasts; 0 keeps it until an administrator lifts it.
AXES_COOLOFF_TIME = (
    datetime.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "60"))) or None
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_CLIENT_IP_CALLABLE = "documents.throttle.client_address"
# The project's own access log records every login; axes keeps only the failure counts.
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False
# Officers, the review group, the secretariat, auditors and administrators confirm each login
# with a one-time code (TOTP, or a backup code) when this is on: on by default in production.
STAFF_2FA_REQUIRED = env_bool("STAFF_2FA_REQUIRED", not DEBUG)
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "配套资金审批系统")
# Administrators reset a second factor; they never read its secret.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Internationalisation: Chinese first ------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ------------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# The charts' library comes from the npm registry (package.json, installed by `make install`
# with `npm ci`) and is served from here like the project's own files: no CDN.
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("vendor/echarts", BASE_DIR / "node_modules" / "echarts" / "dist"),
]
# Uploaded attachments and issued documents live outside any web root and are served only
# through views that check who may see them.
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", VAR_DIR / "private"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    # Served by WhiteNoise from STATIC_ROOT (filled by `collectstatic`). Not the hashed-name
    # storage (viewflow's stylesheets name fonts it does not ship), and not WhiteNoise's
    # compressing one (minutes per collectstatic); the proxy in front may compress.
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", str(20 * 1024 * 1024))
# The text fields of a form; files are limited by ATTACHMENT_MAX_BYTES as they stream in
# (workflows.uploads.UploadLimitHandler), kept in memory up to FILE_UPLOAD_MAX_MEMORY_SIZE and
# in a temporary file beyond.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2621440
FILE_UPLOAD_HANDLERS = [
    "workflows.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_PERMISSIONS = 0o640

# --- Cache: shared by every process (rate limits count across all web workers) ----------------
# Redis when REDIS_URL (or CACHE_URL) names one, otherwise a table in the database
# (`manage.py createcachetable`, run beside `migrate`).
CACHE_URL = os.environ.get("CACHE_URL") or os.environ.get("REDIS_URL", "")
# How long the dashboard keeps each section's figures (seconds; 0: computed on every view).
DASHBOARD_CACHE_SECONDS = int(os.environ.get("DASHBOARD_CACHE_SECONDS", "300"))

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
        if CACHE_URL
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    )
}

# --- Security (production-safe by default) ----------------------------------------------------
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", "0" if DEBUG else "31536000")
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("DJANGO_BEHIND_PROXY") else None
)
X_FRAME_OPTIONS = "DENY"

# --- Mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@matching-funds.invalid")

# --- Background work --------------------------------------------------------------------------
# Without a broker every task runs eagerly in the process that queued it (after commit).
CELERY_TASK_ALWAYS_EAGER = not os.environ.get("CELERY_BROKER_URL")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "memory://localhost/"
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND") or None
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# --- Programme --------------------------------------------------------------------------------
PROGRAMME_ISSUER = os.environ.get(
    "PROGRAMME_ISSUER", "北京市国家科技重大专项配套资金联席会议办公室"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
# 文号 patterns per document kind; {year} and {serial} are filled in.
DOCUMENT_NUMBER_PATTERNS = {
    "acceptance": "京科配受〔{year}〕{serial}号",
    "return_notice": "京科配退〔{year}〕{serial}号",
    "rejection": "京科配否〔{year}〕{serial}号",
    "approval": "京科配〔{year}〕{serial}号",
}
# The public address of this installation, printed on every document and in its QR code.
DOCUMENT_VERIFY_BASE_URL = os.environ.get("DOCUMENT_VERIFY_BASE_URL", "")
if not DOCUMENT_VERIFY_BASE_URL:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DOCUMENT_VERIFY_BASE_URL to the public address documents are verified at "
            "(e.g. https://funds.example.gov.cn); every document prints it."
        )
    DOCUMENT_VERIFY_BASE_URL = "http://127.0.0.1:8000"

# The address the site is reached at, for the links in e-mails (the documents' address unless
# it is served elsewhere).
SITE_BASE_URL = os.environ.get("SITE_BASE_URL", DOCUMENT_VERIFY_BASE_URL).rstrip("/")

# The one periodic job: reminders and escalations of overdue tasks (workflows/deadlines.py).
CELERY_BEAT_SCHEDULE = {
    "process-deadlines": {"task": "workflows.process_deadlines", "schedule": 3600.0},
}

# --- Decision documents: the full set, signature, verification --------------------------------
DOCUMENT_NUMBER_PATTERNS.update(
    {
        "review_opinion": "京科配审〔{year}〕{serial}号",
        "meeting_minutes": "京科配纪〔{year}〕{serial}号",
        # After the approval (awards): the public notice, the 批复, the agreement, payments.
        "notice_opening": "京科配公〔{year}〕{serial}号",
        "notice_closing": "京科配公结〔{year}〕{serial}号",
        "objection_receipt": "京科配异收〔{year}〕{serial}号",
        "objection_resolution": "京科配异复〔{year}〕{serial}号",
        "final_approval": "京科配正〔{year}〕{serial}号",
        "agreement": "京科配协〔{year}〕{serial}号",
        "amendment": "京科配变〔{year}〕{serial}号",
        "payment_notice": "京科配拨〔{year}〕{serial}号",
        "report_outcome": "京科配报〔{year}〕{serial}号",
        "acceptance_outcome": "京科配验〔{year}〕{serial}号",
        "recovery_order": "京科配追〔{year}〕{serial}号",
        "recovery_closed": "京科配结〔{year}〕{serial}号",
    }
)
# Outcome reports (outcomes app): months per reporting period (half-yearly by default), days
# after a period's end the report is due, and how long before the end of the implementation
# period the completion acceptance may be requested.
OUTCOME_REPORT_MONTHS = int(os.environ.get("OUTCOME_REPORT_MONTHS", "6"))
OUTCOME_REPORT_DUE_DAYS = int(os.environ.get("OUTCOME_REPORT_DUE_DAYS", "30"))
OUTCOME_ACCEPTANCE_WINDOW_DAYS = int(os.environ.get("OUTCOME_ACCEPTANCE_WINDOW_DAYS", "90"))
PROGRAMME_ISSUER_EN = os.environ.get(
    "PROGRAMME_ISSUER_EN",
    "Office of the Beijing Joint Meeting on Matching Funds for National Major S&T Projects",
)
# Languages besides Chinese in which every decision document is also issued, as a translation
# with the original's number (e.g. DOCUMENT_TRANSLATIONS=en). Chinese alone by default.
DOCUMENT_TRANSLATIONS = env_list("DOCUMENT_TRANSLATIONS")
# PAdES signature of every document (pyhanko) when a PKCS#12 file is named; unsigned otherwise.
# `manage.py make_demo_signing_cert PATH` makes a self-signed one for demonstrations.
DOCUMENT_SIGNING_PKCS12 = os.environ.get("DOCUMENT_SIGNING_PKCS12", "")
DOCUMENT_SIGNING_PASSPHRASE = os.environ.get("DOCUMENT_SIGNING_PASSPHRASE", "")
# The layout (GB/T 9704-2012): the issuer mark (发文机关标志) of the letterhead, set in red on one
# line; the issuer's name when unset. DOCUMENT_FONT_DIRS (read by the renderer) adds an
# office's own licensed fonts (仿宋_GB2312, 方正小标宋), which then come before the free ones.
DOCUMENT_ISSUER_MARK = os.environ.get("DOCUMENT_ISSUER_MARK", "北京市重大专项配套资金联席会议文件")
DOCUMENT_ISSUER_MARK_EN = os.environ.get("DOCUMENT_ISSUER_MARK_EN", "")
# The electronic seal (a PNG, red on transparent) pressed over the issuer and date; no seal
# when unset. `manage.py make_demo_seal PATH` draws one marked 演示 / DEMO.
DOCUMENT_SEAL_IMAGE = os.environ.get("DOCUMENT_SEAL_IMAGE", "")
# A render that keeps failing is marked failed after this many attempts (task retries,
# redeliveries and render_pending together), never retried forever.
DOCUMENT_RENDER_MAX_ATTEMPTS = env_int("DOCUMENT_RENDER_MAX_ATTEMPTS", "5")
# Requests per client address and minute to the public verification page.
DOCUMENT_VERIFY_RATE_LIMIT = env_int("DOCUMENT_VERIFY_RATE_LIMIT", "30")
# Objections to a public notice one client may lodge per minute.
OBJECTION_RATE_LIMIT = env_int("OBJECTION_RATE_LIMIT", "5")

# --- Audit trail: signed checkpoints outside the database -------------------------------------
# An Ed25519 private key (PEM, PKCS#8) that signs the Merkle tree head of the audit log
# periodically and whenever a decision document is issued; without one no checkpoint is made.
# `manage.py make_audit_key PATH` makes one (`make run` makes a demonstration key in var/).
AUDIT_CHECKPOINT_KEY = os.environ.get("AUDIT_CHECKPOINT_KEY", "")
# Where each signed checkpoint is written, one JSON file each: a directory the operator ships
# elsewhere (another host, write-once storage); `verify_audit --checkpoints DIR` reads it back.
AUDIT_CHECKPOINT_DIR = Path(os.environ.get("AUDIT_CHECKPOINT_DIR", VAR_DIR / "checkpoints"))
# Auditors who receive every checkpoint by e-mail (comma-separated addresses), none by default.
AUDIT_CHECKPOINT_EMAILS = env_list("AUDIT_CHECKPOINT_EMAILS")
# The name the checkpoints sign for, so that a key shared with another log cannot be replayed.
AUDIT_CHECKPOINT_ORIGIN = os.environ.get("AUDIT_CHECKPOINT_ORIGIN", "matching-funds/audit")
CELERY_BEAT_SCHEDULE["seal-audit-checkpoint"] = {
    "task": "workflows.seal_audit_checkpoint",
    "schedule": float(os.environ.get("AUDIT_CHECKPOINT_EVERY", "600")),
}
# Only a throwaway database may be emptied by `flush` past the append-only triggers.
AUDIT_ALLOW_FLUSH = env_bool("AUDIT_ALLOW_FLUSH")
