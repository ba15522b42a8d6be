"""Hyoka settings, driven by environment variables.

With nothing set, Hyoka runs on the embedded defaults: a SQLite file and a
filesystem Celery broker under ``var/``, so one can check out the code and run
it. Production and the test suite set ``DATABASE_URL`` (PostgreSQL) and
``CELERY_BROKER_URL`` (Redis). A malformed value stops start-up with an
``ImproperlyConfigured`` that names the variable.
"""

import os
import secrets
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
# The suite runs in several processes (pytest-xdist, bin/test): each keeps its files in a folder of its own.
VAR_DIR = Path(os.environ.get("HYOKA_VAR_DIR", BASE_DIR / "var")) / os.environ.get("PYTEST_XDIST_WORKER", "")

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def envbool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def envint(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not an integer.") from None


def envfloat(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a number.") from None


def envlist(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


def proxy_ssl_header(name):
    """Read ``X-Forwarded-Proto: https`` (the header a proxy sets, and the value that means HTTPS) as Django's
    ``("HTTP_X_FORWARDED_PROTO", "https")``; None when the variable is unset or empty."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    header, colon, value = (part.strip() for part in raw.partition(":"))
    if not colon or not header or not value or not all(c.isalnum() or c == "-" for c in header):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a header and its value, e.g. 'X-Forwarded-Proto: https'.")
    return "HTTP_" + header.upper().replace("-", "_"), value


# Set on every SQLite connection, for one web server and one worker on one machine. Write-ahead logging: readers
# never wait for the writer, and a commit appends to the log instead of rewriting pages; synchronous=NORMAL syncs
# at checkpoints, not at every commit (a power cut may lose the last commits, never the file's consistency);
# pages cached per connection (20 MB), the file mapped into memory (256 MB, shared by all processes), temporary
# tables in memory, and the log cut back to 64 MB after a checkpoint.
SQLITE_PRAGMAS = ";".join([
    "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL", "PRAGMA cache_size = -20000",
    "PRAGMA mmap_size = 268435456", "PRAGMA temp_store = MEMORY", "PRAGMA journal_size_limit = 67108864",
])


def database_from_url(url):
    """Turn ``postgres://user:pass@host:port/name`` or ``sqlite:///path`` into a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        if not path or path == "/":
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no SQLite file.")
        # sqlite:///relative/path and sqlite:////absolute/path: drop the separator slash.
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": path[1:],
            "CONN_MAX_AGE": envint("DATABASE_CONN_MAX_AGE", 60),
            # Writers take the lock when their transaction begins (IMMEDIATE), so none fails halfway on upgrading
            # a read lock; a writer waits up to `timeout` seconds (SQLite's busy timeout) for another's commit.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": SQLITE_PRAGMAS},
        }
    if parts.scheme in ("postgres", "postgresql"):
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} names no database.")
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"DATABASE_URL={url!r} has a malformed port.") from None
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": name,
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "CONN_MAX_AGE": envint("DATABASE_CONN_MAX_AGE", 60),
            # Django binds parameters on the client, so its own queries are never prepared; this lets the
            # rating hot paths (annotation.hot_paths) prepare theirs once per connection. Set 0 behind a
            # pooler in transaction mode (PgBouncer before 1.21), which cannot keep prepared statements.
            "OPTIONS": {"prepare_threshold": envint("DATABASE_PREPARE_THRESHOLD", 5) or None},
        }
    raise ImproperlyConfigured(
        f"DATABASE_URL={url!r} has scheme {parts.scheme!r}; use postgres:// or sqlite:///."
    )


def secret_key_from_var():
    """Generate a secret key once into var/ so local sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


DEBUG = envbool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY") or secret_key_from_var()
ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])

# HTTPS. The embedded default serves plain HTTP on loopback; production sets HTTPS=true, which turns on the
# redirect to HTTPS, secure session and CSRF cookies and a year of HSTS (subdomains and preload included), each
# of which its own variable can turn off. Behind a proxy that terminates TLS, SECURE_PROXY_SSL_HEADER names the
# header it sets ("X-Forwarded-Proto: https"); without it every request looks like plain HTTP and is redirected.
HTTPS = envbool("HTTPS", False)
SECURE_PROXY_SSL_HEADER = proxy_ssl_header("SECURE_PROXY_SSL_HEADER")
SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", HTTPS)
SESSION_COOKIE_SECURE = envbool("SESSION_COOKIE_SECURE", HTTPS)
CSRF_COOKIE_SECURE = envbool("CSRF_COOKIE_SECURE", HTTPS)
SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 365 * 24 * 3600 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envbool("SECURE_HSTS_INCLUDE_SUBDOMAINS", HTTPS)
SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", HTTPS)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "annotation",
    "judging",
    "exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "hyoka.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "hyoka.urls"

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
            ],
        },
    },
]

WSGI_APPLICATION = "hyoka.wsgi.application"

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'hyoka.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}
if os.environ.get("HYOKA_TEST_DATABASE_NAME"):
    # bin/test names the test database per run, so that runs side by side do not drop each other's.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["HYOKA_TEST_DATABASE_NAME"]}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # A file, not memory, so that commands run as subprocesses by the tests see the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

LANGUAGE_CODE = "ja"
LANGUAGES = [("ja", _("Japanese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Tokyo")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns about a missing one
MEDIA_ROOT = VAR_DIR / "media"

# Uploads (annotation.services.uploads): files wait here for their import, so web processes and Celery
# workers on other machines must share this folder. Each is streamed to disk as it arrives (never held in
# memory), and refused beyond HYOKA_UPLOAD_MAX_BYTES (default 1 GiB).
HYOKA_UPLOAD_DIR = Path(os.environ.get("HYOKA_UPLOAD_DIR") or VAR_DIR / "uploads")  # set but empty: the default
HYOKA_UPLOAD_MAX_BYTES = envint("HYOKA_UPLOAD_MAX_BYTES", 1024**3)
FILE_UPLOAD_TEMP_DIR = HYOKA_UPLOAD_DIR / "incoming"  # the same file system, so a received file is renamed
FILE_UPLOAD_TEMP_DIR.mkdir(parents=True, exist_ok=True)  # Django's checks want it to exist

# Exam campaigns' figures (annotation.figure_files): one folder per campaign under this one, served to the
# campaign's members only. A figure over HYOKA_EXAM_FIGURE_MAX_BYTES (default 20 MiB) is refused, and so is
# a figures zip that unpacks to more than HYOKA_EXAM_ZIP_MAX_BYTES (default 1 GiB), or one that would take the
# figures uploaded to a campaign over HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES (default 2 GiB).
HYOKA_EXAM_FIGURES_DIR = Path(os.environ.get("HYOKA_EXAM_FIGURES_DIR") or VAR_DIR / "exam-figures")
HYOKA_EXAM_FIGURE_MAX_BYTES = envint("HYOKA_EXAM_FIGURE_MAX_BYTES", 20 * 1024**2)
HYOKA_EXAM_ZIP_MAX_BYTES = envint("HYOKA_EXAM_ZIP_MAX_BYTES", 1024**3)
HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES = envint("HYOKA_EXAM_UPLOADED_FIGURES_MAX_BYTES", 2 * 1024**3)

# Celery: Redis in production and tests, kombu's filesystem transport by default.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL") or "filesystem://"
if not CELERY_BROKER_URL.startswith(("filesystem://", "redis://", "rediss://", "memory://")):
    raise ImproperlyConfigured(
        f"CELERY_BROKER_URL={CELERY_BROKER_URL!r}: use redis://host:port/db or filesystem://."
    )
CELERY_BROKER_FOLDER = VAR_DIR / "celery"
# kombu's filesystem transport, with each message written whole before a worker can see it (hyoka.broker).
CELERY_BROKER_TRANSPORT = "hyoka.broker:Transport" if CELERY_BROKER_URL.startswith("filesystem://") else None
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "processed_folder": str(CELERY_BROKER_FOLDER / "processed"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem://")
    else {}
)
for folder in CELERY_BROKER_TRANSPORT_OPTIONS.get("data_folder_in", ""), CELERY_BROKER_TRANSPORT_OPTIONS.get(
    "processed_folder", ""
):
    if folder:  # kombu's filesystem transport does not create its folders
        Path(folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_ALWAYS_EAGER = envbool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# LLM judges: how long a worker's claim on a job or a call slot outlives its last renewal, where the
# cross-worker limits live (default: the Celery broker when it is Redis), and the first retry delay.
HYOKA_JUDGE_LEASE_SECONDS = envint("HYOKA_JUDGE_LEASE_SECONDS", 30)
HYOKA_JUDGE_REDIS_URL = os.environ.get("HYOKA_JUDGE_REDIS_URL", "")
HYOKA_JUDGE_BACKOFF_SECONDS = envfloat("HYOKA_JUDGE_BACKOFF_SECONDS", 1.0)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "annotation.authentication.AnnotatorTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "hyoka.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Hyoka API",
    "DESCRIPTION": "Rate LLM responses with people and LLM judges, and publish what was measured.",
    "VERSION": "0.1.0",
    # Component names come from the serializers (extend_schema_serializer(component_name=...) on the nested
    # InputSerializer / OutputSerializer classes); tests/test_schema.py fails on any warning, a clash included.
    "SERVE_INCLUDE_SCHEMA": False,  # the schema does not describe its own endpoint
    "SCHEMA_PATH_PREFIX": r"/api/",  # tags from the segment after it: campaigns, items, judge-jobs, ...
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "hyoka.schema.document_errors"],
    # Fields named "status" carry several choice sets (campaigns, assignments, jobs, uploads): name them.
    "ENUM_NAME_OVERRIDES": {"CampaignStatusEnum": "annotation.models.Campaign.Status"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
