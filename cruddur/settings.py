"""Settings for the Cruddur backend, read from environment variables.

Every variable is listed, with its default, in the README. The defaults are safe for production
(DEBUG off, secure cookies, no hard-coded secret key); a developer turns on what they need.
Gitpod and Codespaces are recognised from the variables they set, so that
`python manage.py runserver 0.0.0.0:4567` works there with no configuration.
"""

import os
from pathlib import Path

from django.core.management.utils import get_random_secret_key

from cruddur.environment import Environment, allowed_hosts, public_origins, shared_secret_key
from observability.configuration import logging_settings, observability_settings, rollbar_settings

BASE_DIR = Path(__file__).resolve().parent.parent

FRONTEND_PORT = 3000
BACKEND_PORT = 4567
LOCAL_HOSTS = ["localhost", "127.0.0.1", "[::1]"]

# Every variable is read through `env`: a value that does not parse is named by
# `manage.py check` (cruddur.E001), never a traceback from here.
env = Environment(os.environ)

DEBUG = env.bool("DJANGO_DEBUG")

# The secret key signs what must outlive a request (paging cursors). Without DJANGO_SECRET_KEY it
# is kept in a file, made on first use, that every process of this checkout shares; where that
# file cannot be written each process makes its own. `check --deploy` warns (cruddur.W001/W002).
SECRET_KEY_FILE = Path(env.str("DJANGO_SECRET_KEY_FILE", str(BASE_DIR / ".django-secret-key")))
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
SECRET_KEY_SOURCE = "environment"
if not SECRET_KEY:
    SECRET_KEY = shared_secret_key(SECRET_KEY_FILE)
    SECRET_KEY_SOURCE = "file" if SECRET_KEY else "process"
    SECRET_KEY = SECRET_KEY or get_random_secret_key()

PUBLIC_ORIGINS = public_origins(env.environ, FRONTEND_PORT, BACKEND_PORT)
ALLOWED_HOSTS = allowed_hosts(env.environ, PUBLIC_ORIGINS, LOCAL_HOSTS)
CSRF_TRUSTED_ORIGINS = PUBLIC_ORIGINS

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "cruddur",
    "activities",
    "observability",
]

MIDDLEWARE = [
    "observability.middleware.ObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cruddur.urls"
WSGI_APPLICATION = "cruddur.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
            ],
        },
    },
]

SQLITE_OPTIONS = {
    # WAL lets readers and one writer work at once; IMMEDIATE takes the write lock when a
    # transaction starts, so concurrent writers wait (up to `timeout` seconds) instead of failing.
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}

DATABASES = {
    "default": env.database(
        "DATABASE_URL",
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env.int("DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {**SQLITE_OPTIONS, **DATABASES["default"].get("OPTIONS", {})}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
# The browsable API's assets are served by WhiteNoise straight from the installed apps.
WHITENOISE_USE_FINDERS = True

# The contract: paths match exactly and a POST is never redirected.
APPEND_SLASH = False
# Request bodies larger than this get 413 under /api; Cruddur's largest field is 1024 characters.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("CRUDDUR_MAX_BODY_BYTES", 64 * 1024, minimum=1024)

CORS_ALLOWED_ORIGINS = PUBLIC_ORIGINS
CORS_URLS_REGEX = r"^/(api|rollbar)(/.*)?$"
CORS_ALLOW_METHODS = ["OPTIONS", "GET", "HEAD", "POST"]
CORS_ALLOW_HEADERS = ["content-type", "if-modified-since"]
CORS_EXPOSE_HEADERS = ["location", "link"]

SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT")
SECURE_REDIRECT_EXEMPT = [r"^api/health-check$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS")
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD")
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
# Django's debug page (DEBUG only) scrubbed like all telemetry: it never shows a secret.
DEFAULT_EXCEPTION_REPORTER = "observability.debug_page.ScrubbingExceptionReporter"
DEFAULT_EXCEPTION_REPORTER_FILTER = "observability.debug_page.ScrubbingExceptionReporterFilter"

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "activities.parsers.BoundedJSONParser",
        "activities.parsers.BoundedFormParser",
        "activities.parsers.BoundedMultiPartParser",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "activities.exceptions.api_exception_handler",
    "DEFAULT_PAGINATION_CLASS": "activities.pagination.LinkHeaderCursorPagination",
    "PAGE_SIZE": env.int("CRUDDUR_PAGE_SIZE", 20, minimum=1),
    "URL_FORMAT_OVERRIDE": None,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The OpenAPI schema at /api/schema; Swagger UI and ReDoc serve their assets from the sidecar
# package (through WhiteNoise), so the pages work with no internet.
SPECTACULAR_SETTINGS = {
    "TITLE": "Cruddur API",
    "DESCRIPTION": (
        "The social-feed API of the AWS Cloud Project Bootcamp. Errors answer a JSON array of "
        'snake_case codes; lists page with a `Link` header (`rel="next"`).'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "activities.schema.unbounded_response_messages",
        "cruddur.schema.rollbar_test_path",
    ],
}

CRUDDUR = {
    # Until sign-in exists, every write and the message pages act as this user.
    "ACTING_USER_HANDLE": env.str("CRUDDUR_ACTING_USER_HANDLE", "andrewbrown"),
    # Replies embedded in an activity: the oldest, up to this many (replies_count counts all).
    "REPLIES_PER_ACTIVITY": env.int("CRUDDUR_REPLIES_PER_ACTIVITY", 50),
    "MAX_PAGE_SIZE": env.int("CRUDDUR_MAX_PAGE_SIZE", 100, minimum=1),
}

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_LEVEL = env.choice("DJANGO_LOG_LEVEL", "INFO", LOG_LEVELS)
# What did not parse above, for cruddur.E001.
ENVIRONMENT_PROBLEMS = env.problems

# Telemetry: each provider is switched on by naming it in OBSERVABILITY_PROVIDERS and reads the
# variables its users already know (README). Read through observability.conf, never directly.
OBSERVABILITY = observability_settings(env.environ, debug=DEBUG)
LOGGING = logging_settings(OBSERVABILITY, level=LOG_LEVEL)
ROLLBAR = rollbar_settings(OBSERVABILITY, root=BASE_DIR)
