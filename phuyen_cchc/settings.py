"""Settings for the CCHC coordination portal (the province it serves is data: agencies.Province).

One module, configured by environment variables (see README.md and .env.example).
SQLite is the embedded default; PostgreSQL is used when DATABASE_URL is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from phuyen_cchc import cache_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# `make demo` (agencies/management/commands/run_demo.py): production's behaviour where a user
# sees it (DEBUG=0, so the portal's own Vietnamese 404/403/500 pages, never Django's debug
# page), served over plain HTTP on this machine with the static files straight from static/.
# Never set in production: it turns off the HTTPS-only cookies and redirect below.
DEMO_MODE = env_bool("DEMO_MODE", False)
INSECURE_DEV_KEY = "dev-only-insecure-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Production (DEBUG=0) refuses to start without a real secret "
            "key: set SECRET_KEY to a long random string (see README.md)."
        )
    SECRET_KEY = INSECURE_DEV_KEY
if not DEBUG and (SECRET_KEY == INSECURE_DEV_KEY or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured(
        "SECRET_KEY is too short or is the development key; use at least 50 random characters."
    )

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG or DEMO_MODE else ""
)
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG=0 (comma-separated hosts).")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "simple_history",
    "django_filters",
    "cachalot",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
    "agencies",
    "signing",
    "coordination",
    "scoring",
    "reports",
    # Open interfaces (issue 17): the REST API and personal tokens, iCal feeds, SSO/LDAP.
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Bodies that reorganise (issue 15): plans of mergers, splits, renames and abolitions.
    "reorg",
    "sso",
    "feeds",
    "api",
    "bench",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "agencies.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "agencies.middleware.KnownUserMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "agencies.middleware.SessionTimeoutMiddleware",
    "agencies.middleware.MFARequiredMiddleware",
    "agencies.middleware.SecurityAuditMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last: sees the sign-in attempts and answers a locked-out user with the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "phuyen_cchc.urls"
WSGI_APPLICATION = "phuyen_cchc.wsgi.application"

_loaders = [
    "django.template.loaders.filesystem.Loader",
    "django.template.loaders.app_directories.Loader",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "agencies.context_processors.portal",
                "coordination.context_processors.notifications",
            ],
            "loaders": _loaders if DEBUG else [("django.template.loaders.cached.Loader", _loaders)],
        },
    }
]

# Database: SQLite file by default, PostgreSQL (psycopg 3 with its pool) by DATABASE_URL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    _db = dj_database_url.parse(DATABASE_URL, conn_max_age=0)
    if _db["ENGINE"] == "django.db.backends.postgresql":
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": env_int("DB_POOL_MIN", 2),
            "max_size": env_int("DB_POOL_MAX", 8),
            "timeout": 10,
        }
else:
    _db = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        "OPTIONS": {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "agencies.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (username, IP address) pair before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
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
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# django-simple-history: change reasons carry user text (e.g. a return reason), so no
# 100-character limit (PostgreSQL enforces it; SQLite does not).
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# django-guardian: direct foreign-key permission models, no anonymous user object.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False
GUARDIAN_MONKEY_PATCH_USER = False

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d"]

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media-not-served/"  # files are served only through permission-checked views
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or DEMO_MODE
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# The demo runs with DEBUG=0 and no collectstatic: WhiteNoise serves static/ itself.
WHITENOISE_USE_FINDERS = DEMO_MODE
WHITENOISE_AUTOREFRESH = DEMO_MODE  # looks files up per request: no staticfiles/ needed

# A document with a long table (the whole-year coordination status) is laid out in two
# processes when this is 2 or more (reports.split; docs/deployment.md); 1 keeps one.
DOCUMENT_LAYOUT_PROCESSES = env_int("DOCUMENT_LAYOUT_PROCESSES", 2)

# Uploads: per-file size limit (bytes) and allowed extensions.
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
UPLOAD_ALLOWED_EXTENSIONS = env_list(
    "UPLOAD_ALLOWED_EXTENSIONS", "pdf,doc,docx,xls,xlsx,odt,ods,jpg,jpeg,png,zip"
)
# All files of one coordination item together.
UPLOAD_MAX_ITEM_BYTES = env_int("UPLOAD_MAX_ITEM_BYTES", 100 * 1024 * 1024)
# ZIP archives (and the zip containers of DOCX/XLSX/ODT/ODS): limits against zip bombs.
ZIP_MAX_ENTRIES = env_int("ZIP_MAX_ENTRIES", 1000)
ZIP_MAX_UNCOMPRESSED_BYTES = env_int("ZIP_MAX_UNCOMPRESSED_BYTES", 200 * 1024 * 1024)
ZIP_MAX_RATIO = env_int("ZIP_MAX_RATIO", 100)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# What looks at an accepted upload before it is stored (agencies.files.upload_inspectors):
# the check of a PDF's digital signatures against the trust anchors (docs/signing.md).
UPLOAD_INSPECTORS = ["signing.verify.inspect_upload"]

# Digital signatures (docs/signing.md). SIGNING_SECRET encrypts the bodies' PKCS#12 files
# and passphrases in the database (Fernet keys, comma-separated). When empty, one key is
# derived from SIGNING_SECRET_BASE: SECRET_KEY in production; the development key in
# development and in the demo, whose web server gets a new SECRET_KEY each run (run_demo)
# while its test certificate was stored once by seed_demo.
SIGNING_SECRET = env_str("SIGNING_SECRET", "")
SIGNING_SECRET_BASE = INSECURE_DEV_KEY if DEBUG or DEMO_MODE else SECRET_KEY
# A time-stamp authority (RFC 3161) makes signatures PAdES B-T; empty: B-B.
SIGNING_TSA_URL = env_str("SIGNING_TSA_URL", "")
# Fetch revocation data (OCSP/CRL) while signing, to embed it (B-LT). Off: nothing is
# fetched from the internet unless the province asks for it.
SIGNING_FETCH_REVOCATION = env_bool("SIGNING_FETCH_REVOCATION", False)
# What a job worker (manage.py jobs_worker) loads when it starts, so that the first document
# does not wait for it: WeasyPrint and the documents' fonts; the bodies' signing keys, font
# and images.
WORKER_WARM_UPS = ["reports.pdf.warm_up", "signing.sign.warm_up"]
# The public verification page: largest PDF checked, and checks per address per hour.
VERIFY_MAX_BYTES = env_int("VERIFY_MAX_BYTES", 20 * 1024 * 1024)
VERIFY_RATE = env_str("VERIFY_RATE", "30/h")

# E-mail: console in development and in the demo, SMTP in production.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG or DEMO_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds before a silent mail server counts as a failure (the job retries later).
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "cchc@phuyen.gov.vn")
# The portal's address as users reach it: the start of every link in e-mails
# (agencies.mail.absolute_url). `make demo PORT=8302` sets it to http://127.0.0.1:8302.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Background jobs: Django's Tasks API through the django-tasks backport. The database backend
# (django-tasks-db) is the default, so the embedded setup needs no other service; one or more
# workers run `manage.py db_worker`. TASKS_BACKEND=rq uses Redis (django-tasks-rq, workers run
# `manage.py rqworker`); TASKS_BACKEND=immediate runs each job at once, in the request (tests).
# See docs/deployment.md.
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
TASK_QUEUES = ["default", "documents", "mail"]
_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
if TASKS_BACKEND not in _TASK_BACKENDS:
    raise ImproperlyConfigured(f"TASKS_BACKEND must be one of {', '.join(_TASK_BACKENDS)}.")
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[TASKS_BACKEND], "QUEUES": TASK_QUEUES}}
if TASKS_BACKEND == "rq":
    INSTALLED_APPS.insert(INSTALLED_APPS.index("django_tasks_db"), "django_rq")
    RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in TASK_QUEUES}
    # django-tasks-rq's job class (`rqworker` needs it to run Django tasks).
    RQ = {"JOB_CLASS": "django_tasks_rq.Job"}

# Jobs' limits (docs/jobs.md, docs/jobs-page.md, docs/reports.md): a RUNNING job older than
# JOB_STALE_AFTER seconds is re-queued, up to JOB_MAX_ATTEMPTS runs; workers look every
# JOB_RECOVER_EVERY seconds. E-mail: OUTGOING_MAIL_MAX_ATTEMPTS tries, waiting
# OUTGOING_MAIL_BACKOFF_SECONDS × 2^n. What is small enough to build in the request:
# exports up to EXPORT_INLINE_ROWS rows, dossiers up to DOSSIER_INLINE_ENTRIES history
# entries, criteria files up to IMPORT_INLINE_BYTES.
JOB_STALE_AFTER = env_int("JOB_STALE_AFTER", 15 * 60)
JOB_MAX_ATTEMPTS = env_int("JOB_MAX_ATTEMPTS", 3)
JOB_RECOVER_EVERY = env_int("JOB_RECOVER_EVERY", 300)
OUTGOING_MAIL_MAX_ATTEMPTS = env_int("OUTGOING_MAIL_MAX_ATTEMPTS", 8)
OUTGOING_MAIL_BACKOFF_SECONDS = env_int("OUTGOING_MAIL_BACKOFF_SECONDS", 60)
EXPORT_INLINE_ROWS = env_int("EXPORT_INLINE_ROWS", 300)
DOSSIER_INLINE_ENTRIES = env_int("DOSSIER_INLINE_ENTRIES", 40)
IMPORT_INLINE_BYTES = env_int("IMPORT_INLINE_BYTES", 200 * 1024)

# Cache and the data versions of cached page parts: phuyen_cchc/cache_settings.py.
CACHES = cache_settings.caches(env_str("CACHE_URL"))
CACHALOT_ENABLED = False
CACHALOT_ONLY_CACHABLE_APPS = cache_settings.TRACKED_APPS
CACHALOT_ONLY_CACHABLE_TABLES = cache_settings.TRACKED_EXTRA
CACHALOT_UNCACHABLE_TABLES = cache_settings.UNTRACKED_TABLES
FRAGMENT_TABLES_APART = cache_settings.TRACKED_APART
SILENCED_SYSTEM_CHECKS = ["cachalot.W001"]  # the database cache only keeps timestamps here

# Portal configuration (nothing in the code is specific to one province).
PORTAL_PROVINCE_NAME = env_str("PORTAL_PROVINCE_NAME", "")
PORTAL_REGULATION = env_str("PORTAL_REGULATION", "")
# Days before a deadline when the first reminder goes out.
REMINDER_DAYS_BEFORE = env_int("REMINDER_DAYS_BEFORE", 3)
# Saturdays/Sundays made working days by a government swap (ISO dates, comma-separated).
EXTRA_WORKING_DAYS = env_list("EXTRA_WORKING_DAYS", "")

# Security: HTTPS settings for production (see docs/security.md).
SESSION_COOKIE_HTTPONLY = True
# Absolute session lifetime (seconds since sign-in; activity does not extend it).
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
# Idle timeout (seconds without a request); 0 turns it off.
SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 30 * 60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# Sessions are read from the shared cache, written to both it and the database (issue 14:
# one query less on every page). Ending a session goes through the session store, which
# removes both (agencies.security.user_sessions_end).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp 4): no inline scripts or styles anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sign-in lockout (django-axes): by username AND address together, since bodies share one
# NAT address and an address-only lock would lock out a whole department.
AXES_ENABLED = env_bool("AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 10)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_HOURS", 1) or None  # hours; 0 = until unlocked
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "agencies.security.client_ip"
# Number of reverse proxies in front of the portal that append to X-Forwarded-For; 0 means
# the client address is REMOTE_ADDR (see docs/security.md).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Two-factor authentication (django-otp: TOTP + recovery codes). Required for Nội vụ
# officers, leadership, council members and administrators when MFA_REQUIRED is on.
# `make demo` turns it off (MFA_REQUIRED=0); production keeps the default.
MFA_REQUIRED = env_bool("MFA_REQUIRED", True)
OTP_TOTP_ISSUER = env_str("OTP_TOTP_ISSUER", "Cổng điều phối CCHC")
MFA_RECOVERY_CODES = 10

# Audit of security events: days kept before `manage.py prune_security_events` deletes them.
SECURITY_EVENT_RETENTION_DAYS = env_int("SECURITY_EVENT_RETENTION_DAYS", 365)

if not DEBUG and not DEMO_MODE:
    # `__Host-` cookies: only over HTTPS, only for this exact host, path /.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- REST API (docs/api.md) ---------------------------------------------------------------
# Personal tokens (api.authentication) or the signed-in session (browsable docs); one error
# format (api.errors); pages of API_PAGE_SIZE; the same visible_to rules and services as the
# pages. API_TOKEN_RATE: requests per token (django REST framework's throttle syntax).
API_PAGE_SIZE = env_int("API_PAGE_SIZE", 50)
API_TOKEN_RATE = env_str("API_TOKEN_RATE", "600/min")
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "api.authentication.PortalSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "api.permissions.TokenScope",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": API_TOKEN_RATE},
    "DEFAULT_PAGINATION_CLASS": "api.pagination.PortalPagination",
    "PAGE_SIZE": API_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "API Cổng điều phối CCHC",
    "DESCRIPTION": "REST API v1 (docs/api.md)",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Names of the choice sets that share a field name ("status", "role") in several models.
    "ENUM_NAME_OVERRIDES": {
        "TaskStatusEnum": "coordination.models.Task.Status",
        "ParticipationStatusEnum": "coordination.models.Participation.Status",
        "ParticipationRoleEnum": "coordination.models.Participation.Role",
        "ReportRoundStatusEnum": "reports.models.ReportRound.Status",
        "AgencyReportStatusEnum": "reports.models.AgencyReport.Status",
    },
}

# --- iCal feeds (docs/api.md, "Lịch") ----------------------------------------------------------
# Days before each deadline when the feed's alarm rings.
ICAL_ALARM_DAYS = env_int("ICAL_ALARM_DAYS", 1)

# --- OpenID Connect sign-in (docs/sso.md), off by default -------------------------------------
# The province's identity provider through mozilla-django-oidc (authorization code flow with
# PKCE and nonce) and the portal's backend sso.oidc.PortalOIDCBackend. The provider's
# endpoints come from its discovery document (OIDC_OP_DISCOVERY_URL: the issuer or the full
# .well-known/openid-configuration URL), fetched at the first sign-in and kept for
# OIDC_DISCOVERY_CACHE_SECONDS; an endpoint set here one by one wins over the document.
OIDC_ENABLED = env_bool("OIDC_ENABLED", False)
OIDC_RP_CLIENT_ID = env_str("OIDC_RP_CLIENT_ID")
OIDC_RP_CLIENT_SECRET = env_str("OIDC_RP_CLIENT_SECRET")
OIDC_RP_SIGN_ALGO = env_str("OIDC_RP_SIGN_ALGO", "RS256")
OIDC_RP_SCOPES = env_str("OIDC_RP_SCOPES", "openid profile email")
OIDC_OP_DISCOVERY_URL = env_str("OIDC_OP_DISCOVERY_URL")
OIDC_DISCOVERY_CACHE_SECONDS = env_int("OIDC_DISCOVERY_CACHE_SECONDS", 3600)
OIDC_OP_ISSUER = env_str("OIDC_OP_ISSUER")
OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("OIDC_OP_AUTHORIZATION_ENDPOINT")
OIDC_OP_TOKEN_ENDPOINT = env_str("OIDC_OP_TOKEN_ENDPOINT")
OIDC_OP_USER_ENDPOINT = env_str("OIDC_OP_USER_ENDPOINT")
OIDC_OP_JWKS_ENDPOINT = env_str("OIDC_OP_JWKS_ENDPOINT")
OIDC_OP_LOGOUT_ENDPOINT = env_str("OIDC_OP_LOGOUT_ENDPOINT")
OIDC_USE_PKCE = env_bool("OIDC_USE_PKCE", True)
OIDC_TIMEOUT = env_int("OIDC_TIMEOUT", 10)
# The provider's TLS certificate is always checked; OIDC_CA_BUNDLE names a CA file to check
# it against (e.g. the government CA) instead of the system's.
OIDC_VERIFY_SSL = env_str("OIDC_CA_BUNDLE") or True
# Who the user is, their body and roles (sso.identity.apply_identity), from these claims of
# the ID token or the userinfo answer. OIDC_ROLE_MAP ("provider value=portal role,...")
# translates the provider's role names; without it the claim holds portal role codes.
OIDC_USERNAME_CLAIM = env_str("OIDC_USERNAME_CLAIM", "preferred_username")
OIDC_AGENCY_CLAIM = env_str("OIDC_AGENCY_CLAIM", "cchc_agency")
OIDC_ROLES_CLAIM = env_str("OIDC_ROLES_CLAIM", "cchc_roles")
OIDC_ROLE_MAP: dict[str, str] = {}
for _pair in env_list("OIDC_ROLE_MAP"):
    _value, _sep, _role = (part.strip() for part in _pair.partition("="))
    if not (_sep and _value and _role):
        raise ImproperlyConfigured(f"OIDC_ROLE_MAP: {_pair!r} is not 'provider value=role'.")
    OIDC_ROLE_MAP[_value] = _role
# A user the portal does not know is refused, or created from the claims (body required).
OIDC_CREATE_USERS = env_bool("OIDC_CREATE_USERS", False)
# The portal's own second factor is skipped when the ID token's `amr` holds one of these
# methods or its `acr` is one of these levels (agencies.mfa.mfa_session_asserted).
OIDC_MFA_AMR = env_list("OIDC_MFA_AMR", "mfa,otp,hwk,sms")
OIDC_MFA_ACR = env_list("OIDC_MFA_ACR", "")
# Sign-out ends the provider's session too (RP-initiated logout with id_token_hint) when it
# publishes an end_session_endpoint: the ID token is kept in the session for that.
OIDC_STORE_ID_TOKEN = True
OIDC_OP_LOGOUT_URL_METHOD = "sso.oidc.provider_logout_url"
SIGN_OUT_HOOKS = [OIDC_OP_LOGOUT_URL_METHOD]
if OIDC_ENABLED:
    _oidc_endpoints = (
        OIDC_OP_AUTHORIZATION_ENDPOINT,
        OIDC_OP_TOKEN_ENDPOINT,
        OIDC_OP_USER_ENDPOINT,
        OIDC_OP_JWKS_ENDPOINT,
    )
    if not (OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET):
        raise ImproperlyConfigured(
            "OIDC_ENABLED=1 needs OIDC_RP_CLIENT_ID and OIDC_RP_CLIENT_SECRET (docs/sso.md)."
        )
    if not (OIDC_OP_DISCOVERY_URL or all(_oidc_endpoints)):
        raise ImproperlyConfigured(
            "OIDC_ENABLED=1 needs OIDC_OP_DISCOVERY_URL, or the authorization, token, user "
            "and JWKS endpoints one by one (docs/sso.md)."
        )
    # After the lockout (first) and the portal's own passwords.
    AUTHENTICATION_BACKENDS.append("sso.oidc.PortalOIDCBackend")
    # The sign-out form's redirect goes on to the provider: allowed as a form target (CSP).
    CONTENT_SECURITY_POLICY["DIRECTIVES"]["form-action"] += sorted(
        {
            "/".join(url.split("/", 3)[:3])
            for url in (OIDC_OP_DISCOVERY_URL, OIDC_OP_LOGOUT_ENDPOINT)
            if url.startswith(("https://", "http://"))
        }
    )

# --- LDAP directory sign-in (docs/sso.md), off by default -------------------------------------
# sso.ldap.PortalLDAPBackend (django-auth-ldap) after the lockout and the portal's own
# passwords: the service account finds the user, the user's password is checked by binding
# as them, directory groups give the roles (LDAP_ROLE_GROUPS) and the body comes from the
# entry's LDAP_AGENCY_ATTR or a group (LDAP_AGENCY_GROUPS), through sso.identity. Mappings
# are "group DN=value" pairs separated by ";" (sso/ldap_config.py). Needs `.[ldap]`.
LDAP_ENABLED = env_bool("LDAP_ENABLED", False)
if LDAP_ENABLED:
    try:
        import ldap
        from django_auth_ldap.config import LDAPSearch

        from sso import ldap_config
    except ImportError as exc:
        raise ImproperlyConfigured("LDAP_ENABLED=1 needs pip install '.[ldap]'.") from exc
    AUTH_LDAP_SERVER_URI = env_str("LDAP_SERVER_URI", "ldap://127.0.0.1")
    AUTH_LDAP_START_TLS = env_bool("LDAP_START_TLS", False)
    AUTH_LDAP_CONNECTION_OPTIONS = ldap_config.connection_options(
        timeout=env_int("LDAP_TIMEOUT", 5), ca_file=env_str("LDAP_CA_FILE")
    )
    AUTH_LDAP_BIND_DN = env_str("LDAP_BIND_DN")
    AUTH_LDAP_BIND_PASSWORD = env_str("LDAP_BIND_PASSWORD")
    AUTH_LDAP_USER_SEARCH = LDAPSearch(
        env_str("LDAP_USER_SEARCH_BASE"),
        ldap.SCOPE_SUBTREE,
        env_str("LDAP_USER_FILTER", "(uid=%(user)s)"),
    )
    _ldap_group_type = env_str("LDAP_GROUP_TYPE", "groupOfNames")
    AUTH_LDAP_GROUP_TYPE = ldap_config.group_type(_ldap_group_type)
    AUTH_LDAP_GROUP_SEARCH = LDAPSearch(
        env_str("LDAP_GROUP_SEARCH_BASE"), ldap.SCOPE_SUBTREE, f"(objectClass={_ldap_group_type})"
    )
    # The backend writes the user itself (sso.identity) and asks the directory at every
    # sign-in, so a change of group counts from the next one.
    AUTH_LDAP_ALWAYS_UPDATE_USER = False
    AUTH_LDAP_CACHE_TIMEOUT = 0
    LDAP_ROLE_GROUPS = ldap_config.parse_map("LDAP_ROLE_GROUPS", env_str("LDAP_ROLE_GROUPS"))
    LDAP_AGENCY_GROUPS = ldap_config.parse_map("LDAP_AGENCY_GROUPS", env_str("LDAP_AGENCY_GROUPS"))
    LDAP_AGENCY_ATTR = env_str("LDAP_AGENCY_ATTR", "departmentNumber")
    LDAP_NAME_ATTRS = env_list("LDAP_NAME_ATTRS", "displayName,cn")
    LDAP_EMAIL_ATTR = env_str("LDAP_EMAIL_ATTR", "mail")
    if not (env_str("LDAP_USER_SEARCH_BASE") and env_str("LDAP_GROUP_SEARCH_BASE")):
        raise ImproperlyConfigured(
            "LDAP_ENABLED=1 needs LDAP_USER_SEARCH_BASE and LDAP_GROUP_SEARCH_BASE."
        )
    if not LDAP_ROLE_GROUPS:
        raise ImproperlyConfigured("LDAP_ENABLED=1 needs LDAP_ROLE_GROUPS (group DN=role;...).")
    AUTHENTICATION_BACKENDS.append("sso.ldap.PortalLDAPBackend")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # django-axes logs every sign-in at INFO; our own audit (SecurityEvent) records them.
    # pyHanko logs every untrusted or changed signature it validates with a traceback at
    # WARNING; the result is recorded on the file (signing.verify), so only errors are logged.
    "loggers": {
        "axes": {"level": "WARNING"},
        "pyhanko": {"level": "ERROR"},
        "pyhanko_certvalidator": {"level": "ERROR"},
    },
}
