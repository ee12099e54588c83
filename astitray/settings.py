"""Astitray settings: everything comes from the environment (see README, "Configuration").

With no environment at all, ``make run`` and the tests work: SQLite file in
the project folder, local-memory cache, console PBX driver, DEBUG off.
"""

from __future__ import annotations

import secrets
import warnings
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from astitray.env import (
    env_bool,
    env_int,
    env_list,
    env_mapping,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)


def _generated_secret_key(path: Path) -> str:
    """A random key made once and kept in a file git ignores (never a key in the code)."""
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    if len(key) >= 50:
        return key
    key = secrets.token_urlsafe(64)
    path.touch(mode=0o600)
    path.write_text(key + "\n", encoding="ascii")
    return key


SECRET_KEY = env_secret("SECRET_KEY") or _generated_secret_key(
    Path(env_str("ASTITRAY_SECRET_KEY_PATH", str(BASE_DIR / ".secret_key")))
)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "modernrpc",
    "drivers",
    "accounts",
    "phonebook",
    "dialer",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "astitray.urls"
WSGI_APPLICATION = "astitray.wsgi.application"
# The admin lives here; change it to hide it from scanners (e.g. "office-admin/").
ASTITRAY_ADMIN_PATH = env_str("ASTITRAY_ADMIN_PATH", "admin/").strip("/") + "/"

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
            ],
        },
    },
]

LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en-us")
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# WhiteNoise serves the admin's files from STATIC_ROOT (filled by `make run`'s
# collectstatic); it need not warn in processes that serve none (tests, benchmarks).
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Database ---------------------------------------------------------------

DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'astitray.sqlite3'}")
try:
    _default_db = dj_database_url.parse(
        DATABASE_URL,
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL: {exc}") from None
if not _default_db.get("ENGINE"):
    raise ImproperlyConfigured("DATABASE_URL: unsupported database (use sqlite, postgres or mysql)")
if _default_db["ENGINE"] == "django.db.backends.sqlite3":
    _default_db["CONN_MAX_AGE"] = 0
    # WAL and a busy timeout: the threads of the live test server and of
    # runserver write at the same time as readers without "database is locked".
    _default_db["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }
elif _default_db["ENGINE"] == "django.db.backends.mysql":
    _default_db.setdefault("OPTIONS", {})
    _default_db["OPTIONS"].setdefault("charset", "utf8mb4")
    _default_db["OPTIONS"].setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
    _default_db["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
DATABASES = {"default": _default_db}

# --- Cache (authentication cache, rate limits, lockouts) --------------------


def _cache_from_url(url: str) -> dict:
    """``locmem://``, ``dummy://`` or ``redis://host:port/db`` as a Django CACHES entry."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url.split("?", 1)[0],
            "KEY_PREFIX": options.get("prefix", "astitray"),
            "TIMEOUT": 300,
        }
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": parts.netloc}
    if parts.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(f"CACHE_URL: unsupported scheme {parts.scheme!r} (use redis://, locmem://)")


CACHE_URL = env_str("CACHE_URL", "locmem://astitray")
CACHES = {"default": _cache_from_url(CACHE_URL)}

# --- Security (production: see README, "Deploying") ------------------------

# Set ASTITRAY_HTTPS=True when the site is served over HTTPS (directly or by
# a proxy that sets X-Forwarded-Proto): secure cookies, HSTS, redirect.
ASTITRAY_HTTPS = env_bool("ASTITRAY_HTTPS", False)
SESSION_COOKIE_SECURE = ASTITRAY_HTTPS
CSRF_COOKIE_SECURE = ASTITRAY_HTTPS
SECURE_SSL_REDIRECT = ASTITRAY_HTTPS and env_bool("ASTITRAY_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = env_int("ASTITRAY_HSTS_SECONDS", 31536000 if ASTITRAY_HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = ASTITRAY_HTTPS
SECURE_HSTS_PRELOAD = ASTITRAY_HTTPS
if env_bool("ASTITRAY_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- RPC (django-modern-rpc) ------------------------------------------------

# Larger bodies are refused before they are read (HTTP 413 with a fault).
ASTITRAY_MAX_REQUEST_BYTES = env_int("ASTITRAY_MAX_REQUEST_BYTES", 256 * 1024, minimum=1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = ASTITRAY_MAX_REQUEST_BYTES
# JSON-RPC batches and XML-RPC system.multicall: at most this many calls.
ASTITRAY_MAX_BATCH = env_int("ASTITRAY_MAX_BATCH", 50, minimum=1)
MODERNRPC_HANDLERS = [
    "modernrpc.jsonrpc.handler.JsonRpcHandler",
    "astitray.rpc_handlers.XmlRpcHandler",
]
MODERNRPC_JSON_DESERIALIZER = {"class": "astitray.rpc_handlers.SafeJsonDeserializer", "kwargs": {}}
# No nil in answers (API.md): marshalling None is an error, not a silent nil.
MODERNRPC_XML_SERIALIZER = {
    "class": "modernrpc.xmlrpc.backends.xmlrpc.PythonXmlRpcSerializer",
    "kwargs": {"dump_kwargs": {"allow_none": False}},
}

# --- Authentication ---------------------------------------------------------

ASTITRAY_AUTH_BACKEND_PATHS = {
    "django": "django.contrib.auth.backends.ModelBackend",
    "htpasswd": "accounts.backends.htpasswd.HtpasswdBackend",
    "ldap": "accounts.backends.ldap.LdapBackend",
    "sql": "accounts.backends.sql.SqlBackend",
}
ASTITRAY_AUTH_BACKENDS = env_list("ASTITRAY_AUTH_BACKENDS", ["django"])
_unknown = [name for name in ASTITRAY_AUTH_BACKENDS if name not in ASTITRAY_AUTH_BACKEND_PATHS]
if _unknown:
    raise ImproperlyConfigured(
        f"ASTITRAY_AUTH_BACKENDS: unknown backend(s) {', '.join(_unknown)} "
        f"(choose from {', '.join(ASTITRAY_AUTH_BACKEND_PATHS)})"
    )
AUTHENTICATION_BACKENDS = [ASTITRAY_AUTH_BACKEND_PATHS[name] for name in ASTITRAY_AUTH_BACKENDS]
if "django" not in ASTITRAY_AUTH_BACKENDS:
    # Admins always log in with Django's own users.
    AUTHENTICATION_BACKENDS.append(ASTITRAY_AUTH_BACKEND_PATHS["django"])
# How long a verified credential is trusted by the RPC server (0: never cached).
ASTITRAY_AUTH_CACHE_SECONDS = env_int("ASTITRAY_AUTH_CACHE_SECONDS", 60, minimum=0, maximum=3600)

# --- PBX drivers --------------------------------------------------------------

# Extra drivers: "name=dotted.path.DriverClass,other=..."
ASTITRAY_DRIVERS = env_mapping("ASTITRAY_DRIVERS")

# --- Dialing --------------------------------------------------------------------

ASTITRAY_DEFAULT_COUNTRY = env_str("ASTITRAY_DEFAULT_COUNTRY", "FR").upper()
ASTITRAY_RATE_LIMIT = env_int("ASTITRAY_RATE_LIMIT", 10, minimum=0)

# --- Phonebook ------------------------------------------------------------------

# Defaults of `manage.py import_ldap_contacts` (its options override them).
ASTITRAY_PHONEBOOK_LDAP_URI = env_str("ASTITRAY_PHONEBOOK_LDAP_URI")
ASTITRAY_PHONEBOOK_LDAP_BIND_DN = env_str("ASTITRAY_PHONEBOOK_LDAP_BIND_DN")
ASTITRAY_PHONEBOOK_LDAP_BIND_PASSWORD = env_secret("ASTITRAY_PHONEBOOK_LDAP_BIND_PASSWORD")
ASTITRAY_PHONEBOOK_LDAP_BASE = env_str("ASTITRAY_PHONEBOOK_LDAP_BASE")
# Empty: inetOrgPerson entries and Active Directory's people (phonebook.importers.ldap.DEFAULT_FILTER).
ASTITRAY_PHONEBOOK_LDAP_FILTER = env_str("ASTITRAY_PHONEBOOK_LDAP_FILTER")
ASTITRAY_PHONEBOOK_LDAP_SCOPE = env_str("ASTITRAY_PHONEBOOK_LDAP_SCOPE", "sub").lower()
if ASTITRAY_PHONEBOOK_LDAP_SCOPE not in ("base", "one", "sub"):
    raise ImproperlyConfigured(
        f"ASTITRAY_PHONEBOOK_LDAP_SCOPE must be base, one or sub, not {ASTITRAY_PHONEBOOK_LDAP_SCOPE!r}"
    )
# "field=attr|attr,...": overrides of the default attribute mapping (README, "Phonebook").
ASTITRAY_PHONEBOOK_LDAP_ATTRS = env_str("ASTITRAY_PHONEBOOK_LDAP_ATTRS")
# Empty: entryUUID, else objectGUID, else the DN; "dn" or any unique attribute.
ASTITRAY_PHONEBOOK_LDAP_KEY_ATTR = env_str("ASTITRAY_PHONEBOOK_LDAP_KEY_ATTR")
ASTITRAY_PHONEBOOK_LDAP_START_TLS = env_bool("ASTITRAY_PHONEBOOK_LDAP_START_TLS", False)
ASTITRAY_PHONEBOOK_LDAP_CA_FILE = env_str("ASTITRAY_PHONEBOOK_LDAP_CA_FILE")
ASTITRAY_PHONEBOOK_LDAP_PAGE_SIZE = env_int(
    "ASTITRAY_PHONEBOOK_LDAP_PAGE_SIZE", 500, minimum=1, maximum=10000
)
ASTITRAY_PHONEBOOK_LDAP_TIMEOUT = env_int("ASTITRAY_PHONEBOOK_LDAP_TIMEOUT", 30, minimum=1)
# Defaults of `manage.py import_sql_contacts`: the URL holds a password, hence also _FILE.
ASTITRAY_PHONEBOOK_SQL_URL = env_secret("ASTITRAY_PHONEBOOK_SQL_URL")
ASTITRAY_PHONEBOOK_SQL_QUERY = env_str("ASTITRAY_PHONEBOOK_SQL_QUERY")

# --- Caller-ID lookup for the PBX (/cid/) ---------------------------------------

ASTITRAY_CID_ALLOWED = env_list("ASTITRAY_CID_ALLOWED", ["127.0.0.1", "::1"])

# --- Logging ----------------------------------------------------------------------

LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}"
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
    },
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "stream": "ext://sys.stdout", "formatter": "plain"},
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        # modernrpc logs every call's parameters at DEBUG: passwords are parameters of nothing
        # here, but numbers are personal data; keep it at INFO unless asked.
        "modernrpc": {"level": env_str("LOG_LEVEL_RPC", "INFO").upper()},
        "django.db.backends": {"level": "INFO"},
    },
}
