"""TrustLabel settings, configured from the environment (see `.env.example`).

Every setting with a secret may also come from a file: `NAME_FILE` holds the path.
A bad value stops the start with `ImproperlyConfigured` instead of running half-configured.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def envstr(name: str, default: str | None = None) -> str | None:
    """The value of NAME, or the contents of the file named by NAME_FILE."""
    if (path := os.environ.get(f"{name}_FILE")) is not None:
        try:
            return Path(path).read_text().strip()
        except OSError as e:
            raise ImproperlyConfigured(f"{name}_FILE={path}: {e.strerror}") from e
    return os.environ.get(name, default)


def envbool(name: str, default: str) -> bool:
    value = envstr(name, default).lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def envint(name: str, default: str) -> int:
    value = envstr(name, default)
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from None


def envfiles(name: str) -> list[Path]:
    """Comma-separated paths of files that must exist."""
    paths = [Path(p.strip()) for p in (envstr(name) or "").split(",") if p.strip()]
    for path in paths:
        if not path.is_file():
            raise ImproperlyConfigured(f"{name}: {path} is not a file")
    return paths


def envfloat(name: str, default: str) -> float:
    value = envstr(name, default)
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


DEBUG = envbool("DEBUG", "false")
SECRET_KEY = envstr("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-only-key"  # noqa: S105 - only ever with DEBUG on

ALLOWED_HOSTS = envstr("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in envstr("CSRF_TRUSTED_ORIGINS", "").split(",") if o]
VAR_DIR = Path(envstr("TRUSTLABEL_VAR_DIR", str(BASE_DIR / "var")))

# The public address printed in every QR code (GS1 Digital Link); the domain is part of
# the code's identity, so it must not change after labels are printed.
TRUSTLABEL_BASE_URL = envstr("TRUSTLABEL_BASE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "trustlabel",
    "trustlabel.accounts",
    "trustlabel.catalog",
    "trustlabel.codes",
    "trustlabel.verify",
    "trustlabel.trace",
    "trustlabel.regions",
    "trustlabel.ledger",
    "trustlabel.integrity",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "trustlabel.urls"
WSGI_APPLICATION = "trustlabel.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "portal-home"
LOGOUT_REDIRECT_URL = "verify:form"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# SQLite (WAL) unless DATABASE_URL names another database.
if database_url := envstr("DATABASE_URL"):
    DATABASES = {
        "default": dj_database_url.parse(
            database_url,
            conn_max_age=envint("DB_CONN_MAX_AGE", "600"),
            conn_health_checks=True,
        )
    }
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Statements that ask for it (the verification check, whose planning costs more
        # than its execution) are prepared once per connection. Turn off behind a pooler
        # in transaction mode that cannot keep prepared statements (PgBouncer < 1.21).
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
            5 if envbool("DB_PREPARED_STATEMENTS", "true") else None
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "trustlabel.sqlite3",
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": envstr("TASKS_BACKEND", "django_tasks_db.DatabaseBackend")}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "trustlabel" / "locale"]
TIME_ZONE = envstr("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "media/"
MEDIA_ROOT = VAR_DIR / "media"
# Print files hold every secret code of an order: kept outside MEDIA_ROOT, served only
# through the download view to the enterprise's admin.
EXPORT_ROOT = VAR_DIR / "exports"
# Uploads only some may read (applications' documents...): never under MEDIA_URL, served
# through views that check who asks (trustlabel/storage.py).
PRIVATE_ROOT = VAR_DIR / "private"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "trustlabel.storage.PrivateStorage",
        "OPTIONS": {"location": PRIVATE_ROOT},
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = envbool("SECURE_COOKIES", "false")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if proxy_header := envstr("SECURE_PROXY_SSL_HEADER"):
    SECURE_PROXY_SSL_HEADER = (proxy_header, "https")
# How many reverse proxies stand in front of us: the client address is taken that many
# hops back in X-Forwarded-For (0: use REMOTE_ADDR, never trust the header).
TRUSTLABEL_NUM_PROXIES = envint("TRUSTLABEL_NUM_PROXIES", "0")

# Codes: label orders up to this size may be exported as a PDF label sheet.
TRUSTLABEL_PDF_MAX_LABELS = envint("TRUSTLABEL_PDF_MAX_LABELS", "10000")
# Orders up to this size export at once in the request; larger ones in the background.
TRUSTLABEL_EXPORT_INLINE_MAX = envint("TRUSTLABEL_EXPORT_INLINE_MAX", "0")
TRUSTLABEL_EXPORT_TTL_HOURS = envint("TRUSTLABEL_EXPORT_TTL_HOURS", "24")
TRUSTLABEL_MAX_ORDER_QUANTITY = envint("TRUSTLABEL_MAX_ORDER_QUANTITY", "100000000")

# Verification: copy detection and rate limits.
TRUSTLABEL_COPY_CHECK_LIMIT = envint("TRUSTLABEL_COPY_CHECK_LIMIT", "10")
TRUSTLABEL_MAX_TRAVEL_KMH = envfloat("TRUSTLABEL_MAX_TRAVEL_KMH", "900")
TRUSTLABEL_RATE_PER_CLIENT = envint("TRUSTLABEL_RATE_PER_CLIENT", "60")  # checks a minute
TRUSTLABEL_RATE_PER_CODE = envint("TRUSTLABEL_RATE_PER_CODE", "20")  # checks an hour

# Regions (anti-diversion): polygons that place a check's point in a division, GeoJSON
# (.gz too) in WGS-84 with the GB/T 2260 code in each feature's properties.code. The
# shipped province boundaries, then any files the operator adds (counties, say).
TRUSTLABEL_BOUNDARY_FILES = [
    BASE_DIR / "trustlabel" / "regions" / "data" / "boundaries" / "provinces.geojson.gz",
    *envfiles("TRUSTLABEL_BOUNDARY_FILES"),
]
# An IP geolocation database the operator downloads and keeps current (.mmdb: GeoLite2 or
# GeoIP2 City, DB-IP City Lite); unset, checks are never placed by their IP address.
TRUSTLABEL_IP_DB = next(iter(envfiles("TRUSTLABEL_IP_DB")), None)

# The public ledger's signing key (a signed-note Ed25519 key; `trustlabel ledger_key NAME`
# makes one). Without it, records queue up but nothing is integrated or served.
TRUSTLABEL_LEDGER_KEY = envstr("TRUSTLABEL_LEDGER_KEY")


def envwitnesses(name: str) -> list[tuple[str, str]]:
    """Witnesses as `<url> <vkey>;<url> <vkey>`: where each takes add-checkpoint requests
    (the URL it is given, plus /add-checkpoint) and its cosignature/v1 public key."""
    pairs = []
    for item in filter(None, (part.strip() for part in (envstr(name) or "").split(";"))):
        url, _, vkey = item.partition(" ")
        if not url.startswith(("https://", "http://")) or not vkey.strip():
            raise ImproperlyConfigured(f"{name}: expected '<url> <vkey>;...', got {item!r}")
        pairs.append((url, vkey.strip()))
    return pairs


# The witnesses the ledger's writer sends each new checkpoint to, for cosignatures.
TRUSTLABEL_LEDGER_WITNESSES = envwitnesses("TRUSTLABEL_LEDGER_WITNESSES")

# Traceability: what one EPCIS capture may hold (announced in GS1-EPCIS-Capture-Limit and
# GS1-EPCIS-Capture-File-Size-Limit).
TRUSTLABEL_EPCIS_CAPTURE_LIMIT = envint("TRUSTLABEL_EPCIS_CAPTURE_LIMIT", "10000")
TRUSTLABEL_EPCIS_CAPTURE_SIZE_LIMIT = envint(
    "TRUSTLABEL_EPCIS_CAPTURE_SIZE_LIMIT", str(32 * 1024 * 1024)
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": envstr("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

NINJA_PAGINATION_PER_PAGE = 50
