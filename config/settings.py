"""Settings for every environment, read from environment variables.

Secure by default: with DEBUG off (the default) a SECRET_KEY is required, cookies are secure, HSTS
and SSL redirects are on, and `manage.py check --deploy` has nothing to report.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

# Without DEBUG a real key is required: left empty, Django refuses to sign anything with it and
# the system check config.E001 (accounts/checks.py) stops check, runserver and migrate with a
# message, while commands that sign nothing (makemigrations) still run.
SECRET_KEY = env_str("SECRET_KEY") or (
    "django-insecure-development-only-key-never-use-in-production-0123456789" if DEBUG else ""
)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "accounts.admin_config.TenantAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "import_export",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "csp",
    "accounts",
    "agreements",
    "projects",
    "invoicing",
    "reporting",
    "demo",
    "config.apps.OperationsConfig",
]

MIDDLEWARE = [
    # Outermost: a request id for every answer and log line; latency per view for /metrics.
    "accounts.platform.middleware.RequestIdMiddleware",
    "config.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Cache-Control: private, no-store on every signed-in or tenant response.
    "accounts.platform.middleware.PrivateCacheMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "accounts.platform.middleware.TenantMiddleware",
    # Database and decimal errors become a message that says what to change (never their text).
    "accounts.platform.errors.FriendlyErrorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "accounts.platform.context_processors.tenancy",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_POOL = env_bool("DATABASE_POOL", False)
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        # Django's pool and persistent connections exclude each other: pooled, a request hands
        # its connection back to the pool when it ends (CONN_MAX_AGE 0).
        conn_max_age=0 if DATABASE_POOL else env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=not DATABASE_POOL,
    )
}
if DATABASE_POOL and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg's connection pool, per process: every checkout is a `connect()` for Django, so the
    # row-level security settings (role, tenant, bypass) are written again each time
    # (accounts/platform/rls.py, `connection_created`); a connection never carries the previous
    # request's tenant. Size it per process: max size × processes ≤ the server's connections.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DATABASE_POOL_MIN_SIZE", 1),
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", 4),
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
    }
# PostgreSQL plans a statement on every run unless it is prepared: planning took 4 of the
# invoice list's 6 ms in the database, 2 to 3 ms of each project page's (issue 18). With
# parameters bound by the server, psycopg prepares a statement from its fifth run on a
# connection, and PostgreSQL then reuses a generic plan when it costs no more than the custom
# ones. Persistent or pooled connections keep them; turn off behind a pooler that cannot.
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)
if (
    DATABASE_PREPARED_STATEMENTS
    and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
):
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        server_side_binding=True,
        prepare_threshold=env_int("DATABASE_PREPARE_THRESHOLD", 5),
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside a writer; IMMEDIATE makes concurrent writers queue for the lock
    # instead of failing with "database is locked" half-way through a transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
# PostgreSQL row-level security (accounts/platform/rls.py, README "PostgreSQL"): the app's queries
# run as this role (NOSUPERUSER, NOBYPASSRLS, not the tables' owner) through SET ROLE on every
# connection; `migrate` runs as the URL's user, creates the role if missing and grants it the
# tables. "none" runs the app as the URL's user (a superuser then bypasses every policy).
DATABASE_APP_ROLE = env_str("DATABASE_APP_ROLE", "frameworks_app")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -----------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # The ModelBackend, finding the user by e-mail address whatever its case.
    "accounts.platform.authentication.EmailBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Throttle failed logins per username *and* address together, so that nobody can lock a
# colleague out from another machine by typing their username.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 6)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions end after a working day, and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_HOURS", 10) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# --- Security when DEBUG is off ----------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    # Probes and the metrics scraper call the app server directly, over plain http.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The policy is on in development too, so that a page that would break under it breaks early.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# --- Internationalisation -----------------------------------------------------------------------
# The company's language (Tenant.language) is activated per request by TenantMiddleware; pages
# outside a company (sign-in, errors) are in LANGUAGE_CODE. British English is the source
# language (its dates and money as before); German is the first translation (locale/de).
LANGUAGE_CODE = "en-gb"
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Uploaded files are never served from MEDIA_URL: only through views that check the tenant.
MEDIA_URL = "/media-not-served/"
# STORAGE_BACKEND=s3: uploads, invoice PDFs and export batches in S3-compatible object storage
# (django-storages). The views still read them through the storage and stream them after their
# tenant and role checks: the bucket stays private and no URL of it is ever handed out.
STORAGE_BACKEND = env_str("STORAGE_BACKEND", "filesystem")
if STORAGE_BACKEND not in ("filesystem", "s3"):
    raise ImproperlyConfigured(f"STORAGE_BACKEND={STORAGE_BACKEND!r}: use filesystem or s3.")
MEDIA_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
if STORAGE_BACKEND == "s3":
    MEDIA_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("S3_BUCKET"),
            "endpoint_url": env_str("S3_ENDPOINT_URL"),  # none: AWS itself
            "region_name": env_str("S3_REGION"),
            "access_key": env_str("S3_ACCESS_KEY_ID"),
            "secret_key": env_str("S3_SECRET_ACCESS_KEY"),
            "location": env_str("S3_PREFIX", ""),
            "default_acl": None,  # the bucket's own (private) policy
            "querystring_auth": True,  # even a stray .url would expire
            "file_overwrite": False,  # a name taken gets a new one, as on the filesystem
            "addressing_style": env_str("S3_ADDRESSING_STYLE", "path"),
        },
    }
    if not MEDIA_STORAGE["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured("STORAGE_BACKEND=s3 needs S3_BUCKET.")
STORAGES = {
    "default": MEDIA_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_MB", 20) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Email --------------------------------------------------------------------------------------
# SMTP by default (README, "E-mail"). For local development (DEBUG) without an EMAIL_HOST,
# mail is written as .log files under EMAIL_FILE_PATH instead, so `make run` sends nothing out.
_EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.filebased.EmailBackend"
    if DEBUG and not _EMAIL_HOST
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(MEDIA_ROOT / "sent-mail")))
EMAIL_HOST = _EMAIL_HOST or "localhost"
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", default=False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: set one.")
EMAIL_PORT = env_int("EMAIL_PORT", 465 if EMAIL_USE_SSL else 587 if EMAIL_USE_TLS else 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)  # seconds; a mail server that hangs fails the send
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "no-reply@localhost")

# --- Background work ----------------------------------------------------------------------------
# TASKS_BACKEND: `db` (the default: django-tasks-db and `manage.py db_worker`, nothing else to
# run), `rq` (RQ on Redis at REDIS_URL, workers started with `manage.py rqworker default`), or a
# backend's dotted path (the tests use django_tasks' immediate backend).
TASKS_BACKEND_ALIASES = {
    "db": "django_tasks_db.DatabaseBackend",
    "database": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
TASKS_BACKEND = env_str("TASKS_BACKEND", "db")
TASKS_BACKEND = TASKS_BACKEND_ALIASES.get(TASKS_BACKEND.lower(), TASKS_BACKEND)
TASKS = {"default": {"BACKEND": TASKS_BACKEND}}
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
# A bulk run of thousands of invoices outlasts RQ's default of 180 s per job.
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": env_int("RQ_JOB_TIMEOUT", 3600)}}
if TASKS_BACKEND == "django_tasks_rq.RQBackend":
    INSTALLED_APPS.append("django_rq")

# --- Cache ----------------------------------------------------------------------------------------
# Cached figures (reporting.freshness: dashboard, profitability, aged receivables, a project's
# money tabs) live in the default cache until a write changes them. CACHE_URL: `locmem` (the
# default: per process, each worker computes a version once), `redis://host:port/db` (shared
# by every app server: one computation per version) or `file:///path` (shared by one host's
# workers).
CACHE_URL = env_str("CACHE_URL", "locmem")
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
elif CACHE_URL.startswith("file://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": CACHE_URL.removeprefix("file://"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
FIGURES_CACHE_SECONDS = env_int("FIGURES_CACHE_SECONDS", 3600)  # a backstop: writes expire sooner

# --- Front end ----------------------------------------------------------------------------------
# Inputs, selects and textareas written in Python, the same markup as Django's templates (issue 18).
FORM_RENDERER = "accounts.platform.form_renderer.WidgetRenderer"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"
DJANGO_TABLES2_TABLE_ATTRS = {"class": "table table-hover align-middle mb-0"}

# --- Operations ---------------------------------------------------------------------------------
# /metrics answers only with `Authorization: Bearer <METRICS_TOKEN>`, and 404 while it is unset.
# With several processes (gunicorn workers, task workers on the same host) set
# PROMETHEUS_MULTIPROC_DIR to an empty directory shared by them (config/metrics.py).
METRICS_TOKEN = env_str("METRICS_TOKEN", "")

# LOG_FORMAT=json: one JSON object per line with the request id, the tenant's slug and the user's
# id (config/logging.py); `text` (the default) puts the request id in front of each message.
LOG_FORMAT = env_str("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use text or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "config.logging.RequestContextFilter"}},
    "formatters": {
        "text": {"format": "%(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
