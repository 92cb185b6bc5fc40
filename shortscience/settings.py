"""ShortScience settings: one file, configured from the environment.

Every knob is an environment variable read through the small helpers below, which refuse
values they cannot understand instead of guessing. Nothing secret lives in this file.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=""):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0/true/false/yes/no/on/off, not {raw!r}")


def env_int(name, default):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}") from None


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)

SECRET_KEY = env_str("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production refuses to start"
            " with a made-up key). For local development run `make run`, which turns DEBUG on."
        )
    SECRET_KEY = "insecure-development-key-only-used-when-DEBUG-is-on"

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

# The canonical address of the site, used in feeds, e-mails and canonical links.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
SITE_NAME = "ShortScience"

INSTALLED_APPS = [
    "shortscience.admin_site.ModerationAdminConfig",  # django.contrib.admin, our site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.sitemaps",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "papers",
    "summaries",
]

MIDDLEWARE = [
    "shortscience.middleware.request_log",
    "shortscience.middleware.healthcheck",
    "django.middleware.security.SecurityMiddleware",
    "shortscience.middleware.security_headers",
    "shortscience.middleware.refuse_nul_bytes",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the page cache: views are counted, and HEAD answered, for cached pages too.
    "papers.viewcounts.count_views",
    "shortscience.methods.answer_head_and_preflight",
    "shortscience.pagecache.page_cache",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.end_banned_sessions",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "shortscience.urls"
WSGI_APPLICATION = "shortscience.wsgi.application"

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
                "shortscience.context_processors.site",
                "summaries.notices.context",
            ],
        },
    },
]

# SQLite by default so a fresh checkout runs with no setup; DATABASE_URL selects PostgreSQL.
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {
        "default": dj_database_url.parse(
            DATABASE_URL,
            conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "shortscience",
        }
    }
    # Sessions read from Redis, written through to the database, which stays their record:
    # a signed-in request is spared a query.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CACHE_VERSIONS_ALIAS = CACHE_PAGES_ALIAS = "default"
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # The versions of what pages show, and the cached pages, which every process must
        # share (shortscience/pagecache.py): tables in the database, created by a migration.
        "versions": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "shortscience_cache_versions",
            "TIMEOUT": None,
            "OPTIONS": {"MAX_ENTRIES": 2_000_000},
        },
        "pages": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "shortscience_cache_pages",
            "OPTIONS": {"MAX_ENTRIES": 50_000},
        },
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"
    CACHE_VERSIONS_ALIAS, CACHE_PAGES_ALIAS = "versions", "pages"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.UsernameOrEmailBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["shortscience.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "ShortScience <noreply@shortscience.local>")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)

# Background work (mail, notices, digests) goes through django-tasks' database backend and is
# run by `python manage.py run_worker`. Mail is retried with a doubling delay from
# MAIL_RETRY_SECONDS, up to MAIL_MAX_ATTEMPTS times (then kept as failed for the admin).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
MAIL_RETRY_SECONDS = env_int("MAIL_RETRY_SECONDS", 60)
MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 12)
MAIL_SEND_LEASE_SECONDS = env_int("MAIL_SEND_LEASE_SECONDS", 600)
# A fan-out or send task still RUNNING after this long lost its worker: it is run again.
TASK_STALE_SECONDS = env_int("TASK_STALE_SECONDS", 1800)

# Where suspended writers send their appeal (shown to them at log-in).
MODERATORS_EMAIL = env_str("MODERATORS_EMAIL", "moderators@shortscience.local")

# Whole pages for anonymous readers, kept under the versions of the data they show and ended
# by the writes that change it (shortscience/pagecache.py); on with or without Redis.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600) if env_bool("PAGE_CACHE", True) else 0

# Bounded request bodies: a summary is at most 100 KB, a BibTeX upload at most 5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 6 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Behind a TLS-terminating proxy: DJANGO_SECURE=1 turns on HTTPS-only cookies, HSTS and the
# redirect; SECURE_PROXY_SSL_HEADER says which header the proxy sets (e.g. X-Forwarded-Proto).
if env_bool("DJANGO_SECURE", False):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", True)
_proxy_header = env_str("SECURE_PROXY_SSL_HEADER")
if _proxy_header:
    header = "HTTP_" + _proxy_header.upper().replace("-", "_")
    SECURE_PROXY_SSL_HEADER = (header, "https")
    USE_X_FORWARDED_HOST = env_bool("USE_X_FORWARDED_HOST", False)
# Only behind a proxy that sets X-Forwarded-For may it name the client (for throttling).
TRUST_X_FORWARDED_FOR = env_bool("TRUST_X_FORWARDED_FOR", False)

# Logs go to stdout, one line each, tagged with the id of the request they belong to.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "shortscience.requestlog.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s [%(request_id)s] %(name)s %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # request_log already writes one line per request; skip Django's duplicate 4xx lines.
        "django.request": {"level": "ERROR"},
        # Django's own console handlers would print each of its lines a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "shortscience.request": {"level": env_str("REQUEST_LOG_LEVEL", "INFO")},
    },
}

# The benchmark's floor: a trivial view served by the same stack, enabled only for `make bench`.
BENCH_FLOOR = env_bool("BENCH_FLOOR", False)

# Summaries per page on list pages.
PAGE_SIZE = env_int("PAGE_SIZE", 20)

# Per-user limits on writes: action -> (how many, per how many seconds, what they are called).
RATE_LIMITS = {
    "summary": (env_int("RATE_LIMIT_SUMMARIES", 30), 3600, "summary saves"),
    "comment": (env_int("RATE_LIMIT_COMMENTS", 30), 3600, "comments"),
    "vote": (env_int("RATE_LIMIT_VOTES", 200), 3600, "votes"),
    # Previews and imports count their work: a unit per 4 KB of text and per 0.1 s of rendering
    # (summaries/previewing.py), one per paper imported.
    "preview": (env_int("RATE_LIMIT_PREVIEWS", 2000), 3600, "units of preview work"),
    "import": (env_int("RATE_LIMIT_IMPORTS", 1000), 3600, "imported papers"),
    "bibtex": (env_int("RATE_LIMIT_BIBTEX_UNITS", 320), 3600, "units of 64 KB of BibTeX read"),
    "email": (env_int("RATE_LIMIT_EMAILS", 5), 3600, "confirmation e-mails"),
    "report": (env_int("RATE_LIMIT_REPORTS", 20), 3600, "reports"),
    "follow": (env_int("RATE_LIMIT_FOLLOWS", 200), 3600, "follows"),
    "request": (env_int("RATE_LIMIT_REQUESTS", 100), 3600, "summary requests"),
    "save": (env_int("RATE_LIMIT_SAVES", 300), 3600, "reading-list changes"),
    "lookup": (env_int("RATE_LIMIT_LOOKUPS", 60), 3600, "paper look-ups"),
}
# Requests doing heavy work (previews, diffs, reading BibTeX) at once, site-wide (heavywork.py).
HEAVY_WORK_SLOTS = env_int("HEAVY_WORK_SLOTS", 2)
# New accounts per client address and hour.
SIGNUPS_PER_ADDRESS = env_int("SIGNUPS_PER_ADDRESS", 20)

# Longest Markdown source accepted for a summary or comment, in bytes.
SUMMARY_MAX_BYTES = 100 * 1024
# How long an e-mail confirmation link stays valid.
EMAIL_CONFIRMATION_MAX_AGE = 60 * 60 * 24 * 3

# Page views are added up in each process and written in batches (papers/viewcounts.py).
VIEW_FLUSH_SECONDS = env_int("VIEW_FLUSH_SECONDS", 60)
VIEW_FLUSH_VIEWS = env_int("VIEW_FLUSH_VIEWS", 200)

# Looking papers up by arXiv id, DOI or dblp key (papers/lookup.py): services' addresses (tests
# point them at a local server), seconds each may take, and the contact their User-Agent gives.
LOOKUP_SERVICES = {
    "arxiv": env_str("LOOKUP_ARXIV_URL", "https://export.arxiv.org/api/query"),
    "crossref": env_str("LOOKUP_CROSSREF_URL", "https://api.crossref.org/works/"),
    "datacite": env_str("LOOKUP_DATACITE_URL", "https://api.datacite.org/dois/"),
    "dblp": env_str("LOOKUP_DBLP_URL", "https://dblp.org/rec/"),
}
LOOKUP_TIMEOUT = env_int("LOOKUP_TIMEOUT", 3)
LOOKUP_CONTACT = env_str("LOOKUP_CONTACT", "")
