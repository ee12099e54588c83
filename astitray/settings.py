"""Astitray settings: everything comes from the environment (see README, "Configuration").

With no environment at all, ``make run`` and the tests work: SQLite file in
the project folder, local-memory cache, console PBX driver, DEBUG off.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import warnings
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import dj_database_url
import django_auth_ldap.config as ldap_config
import ldap
from django.core.exceptions import ImproperlyConfigured

from accounts.backends.sql_settings import validate_sql_settings
from astitray.env import (
    env_bool,
    env_float,
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
    "axes",
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
    # Last: turns a lockout into axes' "too many attempts" page (admin login; never the RPC).
    "accounts.lockout.LockoutMiddleware",
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

# It may hold a password: also DATABASE_URL_FILE (a systemd credential, a file only the service reads).
DATABASE_URL = env_secret("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'astitray.sqlite3'}"
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


# redis://:password@host:6379/0 holds a password: also CACHE_URL_FILE.
CACHE_URL = env_secret("CACHE_URL") or "locmem://astitray"
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
MODERNRPC_XML_DESERIALIZER = {"class": "astitray.rpc_handlers.SafeXmlDeserializer", "kwargs": {}}
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
AUTHENTICATION_BACKENDS = [
    # First: refuses locked-out usernames and addresses before any source is asked.
    "accounts.lockout.LockoutBackend",
    *(ASTITRAY_AUTH_BACKEND_PATHS[name] for name in ASTITRAY_AUTH_BACKENDS),
]
if "django" not in ASTITRAY_AUTH_BACKENDS:
    # Admins always log in with Django's own users.
    AUTHENTICATION_BACKENDS.append(ASTITRAY_AUTH_BACKEND_PATHS["django"])
# How long a verified credential is trusted by the RPC server (0: never cached).
ASTITRAY_AUTH_CACHE_SECONDS = env_int("ASTITRAY_AUTH_CACHE_SECONDS", 60, minimum=0, maximum=3600)


def _channel_template(name: str) -> str:
    """A dial-string template such as ``PJSIP/{extension}`` (also ``{username}``)."""
    template = env_str(name, "PJSIP/{extension}")
    try:
        template.format(extension="1001", username="alice")
    except (KeyError, IndexError, ValueError, AttributeError):
        raise ImproperlyConfigured(
            f"{name}: {template!r} is not a valid template (use {{extension}} and/or {{username}})"
        ) from None
    if "{extension}" not in template and "{username}" not in template:
        raise ImproperlyConfigured(f"{name}: {template!r} must contain {{extension}} or {{username}}")
    return template


def _regex(name: str) -> str:
    pattern = env_str(name)
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ImproperlyConfigured(f"{name}: {pattern!r} is not a regular expression: {exc}") from None
    return pattern


def _require(backend: str, **values: object) -> None:
    """Stop with the name of the first variable a configured backend needs and lacks."""
    if backend in ASTITRAY_AUTH_BACKENDS:
        for name, value in values.items():
            if not value:
                raise ImproperlyConfigured(f"{name} must be set when ASTITRAY_AUTH_BACKENDS has {backend}")


# Password file (Apache htpasswd): bcrypt, $apr1$, {SHA}, SHA-256/512 crypt.
ASTITRAY_HTPASSWD_FILE = env_str("ASTITRAY_HTPASSWD_FILE")
# Optional "login:extension[:channel]" lines giving each login its phone.
ASTITRAY_HTPASSWD_EXTENSIONS_FILE = env_str("ASTITRAY_HTPASSWD_EXTENSIONS_FILE")
ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE = _channel_template("ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE")
_require("htpasswd", ASTITRAY_HTPASSWD_FILE=ASTITRAY_HTPASSWD_FILE)

# LDAP: django-auth-ldap's own AUTH_LDAP_* names, read from the environment.
_LDAP_GROUP_TYPES = {
    "groupOfNames": (ldap_config.GroupOfNamesType, "(objectClass=groupOfNames)"),
    "nestedGroupOfNames": (ldap_config.NestedGroupOfNamesType, "(objectClass=groupOfNames)"),
    "groupOfUniqueNames": (ldap_config.GroupOfUniqueNamesType, "(objectClass=groupOfUniqueNames)"),
    "posixGroup": (ldap_config.PosixGroupType, "(objectClass=posixGroup)"),
    "activeDirectory": (ldap_config.NestedActiveDirectoryGroupType, "(objectClass=group)"),
}


def _ldap_flags_by_group(name: str) -> dict[str, str]:
    """``is_staff=cn=staff,ou=groups,dc=example,dc=org;is_superuser=...`` (DNs hold commas)."""
    flags: dict[str, str] = {}
    for item in env_str(name).split(";"):
        if not item.strip():
            continue
        flag, sep, group_dn = item.partition("=")
        flag = flag.strip()
        if not sep or flag not in ("is_active", "is_staff", "is_superuser") or not group_dn.strip():
            raise ImproperlyConfigured(
                f"{name}: expected is_active|is_staff|is_superuser=GROUP-DN separated by ';', not {item!r}"
            )
        flags[flag] = group_dn.strip()
    return flags


AUTH_LDAP_SERVER_URI = env_str("AUTH_LDAP_SERVER_URI")
AUTH_LDAP_BIND_DN = env_str("AUTH_LDAP_BIND_DN")
AUTH_LDAP_BIND_PASSWORD = env_secret("AUTH_LDAP_BIND_PASSWORD")
AUTH_LDAP_START_TLS = env_bool("AUTH_LDAP_START_TLS", False)
# Direct bind: "uid=%(user)s,ou=people,dc=example,dc=org". Or search-then-bind:
AUTH_LDAP_USER_DN_TEMPLATE = env_str("AUTH_LDAP_USER_DN_TEMPLATE") or None
_ldap_user_base = env_str("AUTH_LDAP_USER_SEARCH_BASE")
AUTH_LDAP_USER_SEARCH = (
    ldap_config.LDAPSearch(
        _ldap_user_base, ldap.SCOPE_SUBTREE, env_str("AUTH_LDAP_USER_SEARCH_FILTER", "(uid=%(user)s)")
    )
    if _ldap_user_base
    else None
)
# Without a service account, read the user's own entry with the user's own bind.
AUTH_LDAP_BIND_AS_AUTHENTICATING_USER = env_bool(
    "AUTH_LDAP_BIND_AS_AUTHENTICATING_USER", not AUTH_LDAP_BIND_DN
)
AUTH_LDAP_USER_ATTR_MAP = env_mapping("AUTH_LDAP_USER_ATTR_MAP") or {
    "first_name": "givenName",
    "last_name": "sn",
    "email": "mail",
}
_ldap_group_type = env_str("AUTH_LDAP_GROUP_TYPE", "groupOfNames")
if _ldap_group_type not in _LDAP_GROUP_TYPES:
    raise ImproperlyConfigured(
        f"AUTH_LDAP_GROUP_TYPE: unknown type {_ldap_group_type!r} "
        f"(choose from {', '.join(_LDAP_GROUP_TYPES)})"
    )
AUTH_LDAP_GROUP_TYPE = _LDAP_GROUP_TYPES[_ldap_group_type][0]()
_ldap_group_base = env_str("AUTH_LDAP_GROUP_SEARCH_BASE")
AUTH_LDAP_GROUP_SEARCH = (
    ldap_config.LDAPSearch(
        _ldap_group_base,
        ldap.SCOPE_SUBTREE,
        env_str("AUTH_LDAP_GROUP_SEARCH_FILTER", _LDAP_GROUP_TYPES[_ldap_group_type][1]),
    )
    if _ldap_group_base
    else None
)
AUTH_LDAP_REQUIRE_GROUP = env_str("AUTH_LDAP_REQUIRE_GROUP") or None
AUTH_LDAP_DENY_GROUP = env_str("AUTH_LDAP_DENY_GROUP") or None
AUTH_LDAP_USER_FLAGS_BY_GROUP = _ldap_flags_by_group("AUTH_LDAP_USER_FLAGS_BY_GROUP")
if (
    AUTH_LDAP_REQUIRE_GROUP or AUTH_LDAP_DENY_GROUP or AUTH_LDAP_USER_FLAGS_BY_GROUP
) and not AUTH_LDAP_GROUP_SEARCH:
    raise ImproperlyConfigured(
        "AUTH_LDAP_GROUP_SEARCH_BASE must be set to use AUTH_LDAP_REQUIRE_GROUP, AUTH_LDAP_DENY_GROUP "
        "or AUTH_LDAP_USER_FLAGS_BY_GROUP"
    )
# A directory that does not answer must not hang logins: connect and operation timeouts.
ASTITRAY_LDAP_TIMEOUT = env_float("ASTITRAY_LDAP_TIMEOUT", 5.0, minimum=0.1)
ASTITRAY_LDAP_CA_FILE = env_str("ASTITRAY_LDAP_CA_FILE")
AUTH_LDAP_CONNECTION_OPTIONS: dict[int, object] = {
    ldap.OPT_NETWORK_TIMEOUT: ASTITRAY_LDAP_TIMEOUT,
    ldap.OPT_TIMEOUT: ASTITRAY_LDAP_TIMEOUT,
    ldap.OPT_REFERRALS: 0,
}
if ASTITRAY_LDAP_CA_FILE:
    AUTH_LDAP_CONNECTION_OPTIONS[ldap.OPT_X_TLS_CACERTFILE] = ASTITRAY_LDAP_CA_FILE
    AUTH_LDAP_CONNECTION_OPTIONS[ldap.OPT_X_TLS_REQUIRE_CERT] = ldap.OPT_X_TLS_DEMAND
    AUTH_LDAP_CONNECTION_OPTIONS[ldap.OPT_X_TLS_NEWCTX] = 0  # last: applies the TLS options above
# The phone: which attribute, the digits kept from it (first group, else the match), the dial string.
# "none": the directory gives no phones, admins set them.
ASTITRAY_LDAP_EXTENSION_ATTR = env_str("ASTITRAY_LDAP_EXTENSION_ATTR", "telephoneNumber")
if ASTITRAY_LDAP_EXTENSION_ATTR.lower() == "none":
    ASTITRAY_LDAP_EXTENSION_ATTR = ""
ASTITRAY_LDAP_EXTENSION_REGEX = _regex("ASTITRAY_LDAP_EXTENSION_REGEX")
ASTITRAY_LDAP_CHANNEL_TEMPLATE = _channel_template("ASTITRAY_LDAP_CHANNEL_TEMPLATE")
_require("ldap", AUTH_LDAP_SERVER_URI=AUTH_LDAP_SERVER_URI)
if "ldap" in ASTITRAY_AUTH_BACKENDS and not (AUTH_LDAP_USER_DN_TEMPLATE or AUTH_LDAP_USER_SEARCH):
    raise ImproperlyConfigured(
        "AUTH_LDAP_USER_DN_TEMPLATE (direct bind) or AUTH_LDAP_USER_SEARCH_BASE (search then bind) "
        "must be set when ASTITRAY_AUTH_BACKENDS has ldap"
    )

# External SQL user table: its database, the query (one %s: the login, always a bound parameter).
ASTITRAY_AUTH_SQL_URL = env_secret("ASTITRAY_AUTH_SQL_URL")
ASTITRAY_AUTH_SQL_QUERY = env_str("ASTITRAY_AUTH_SQL_QUERY")
ASTITRAY_AUTH_SQL_HASH = env_list("ASTITRAY_AUTH_SQL_HASH", ["bcrypt"])
# Plaintext passwords in the table are refused unless this loudly named switch is on.
ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT = env_bool("ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT", False)
ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE = _channel_template("ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE")
ASTITRAY_AUTH_SQL_TIMEOUT = env_int("ASTITRAY_AUTH_SQL_TIMEOUT", 5, minimum=1, maximum=300)
_require("sql", ASTITRAY_AUTH_SQL_URL=ASTITRAY_AUTH_SQL_URL, ASTITRAY_AUTH_SQL_QUERY=ASTITRAY_AUTH_SQL_QUERY)
try:
    validate_sql_settings(
        ASTITRAY_AUTH_SQL_URL,
        ASTITRAY_AUTH_SQL_QUERY,
        ASTITRAY_AUTH_SQL_HASH,
        ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT,
    )
except ValueError as exc:
    raise ImproperlyConfigured(str(exc)) from None

# Lockout (django-axes, database handler: shared by every process, listed and cleared in the admin).
ASTITRAY_LOCKOUT_FAILURES = env_int("ASTITRAY_LOCKOUT_FAILURES", 5, minimum=0)
ASTITRAY_LOCKOUT_MINUTES = env_int("ASTITRAY_LOCKOUT_MINUTES", 15, minimum=1)
_LOCKOUT_PARAMETERS: dict[str, str | list[str]] = {
    "username": "username",
    "address": "ip_address",
    "username+address": ["username", "ip_address"],
}
ASTITRAY_LOCKOUT_BY = env_list("ASTITRAY_LOCKOUT_BY", ["username", "address"])
if not ASTITRAY_LOCKOUT_BY or any(item not in _LOCKOUT_PARAMETERS for item in ASTITRAY_LOCKOUT_BY):
    raise ImproperlyConfigured(
        f"ASTITRAY_LOCKOUT_BY: a comma list from {', '.join(_LOCKOUT_PARAMETERS)}, "
        f"not {','.join(ASTITRAY_LOCKOUT_BY)!r}"
    )
AXES_ENABLED = ASTITRAY_LOCKOUT_FAILURES > 0
AXES_FAILURE_LIMIT = max(ASTITRAY_LOCKOUT_FAILURES, 1)
AXES_COOLOFF_TIME = timedelta(minutes=ASTITRAY_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [_LOCKOUT_PARAMETERS[item] for item in ASTITRAY_LOCKOUT_BY]
# Attempts while locked out do not push the end of the lockout further away.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# Behind the reverse proxy, the client's address is the last X-Forwarded-For entry.
ASTITRAY_CLIENT_ADDRESS_FROM_FORWARDED_FOR = env_bool("ASTITRAY_BEHIND_PROXY", False)
# accounts.lockout.LockoutMiddleware is axes' middleware minus the RPC (which answers -32098).
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

# --- PBX drivers --------------------------------------------------------------

# Extra drivers: "name=dotted.path.DriverClass,other=..."
ASTITRAY_DRIVERS = env_mapping("ASTITRAY_DRIVERS")

# --- Dialing --------------------------------------------------------------------

ASTITRAY_DEFAULT_COUNTRY = env_str("ASTITRAY_DEFAULT_COUNTRY", "FR").upper()
# Calls per user in any 60 seconds, counted in the cache (Redis: across every process); 0: no limit.
ASTITRAY_RATE_LIMIT = env_int("ASTITRAY_RATE_LIMIT", 10, minimum=0, maximum=1000)
# The same user dialing the same number within this many seconds gets the call already placed.
ASTITRAY_DIAL_GUARD_SECONDS = env_int("ASTITRAY_DIAL_GUARD_SECONDS", 5, minimum=0, maximum=60)

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

# Addresses or networks (192.0.2.10, 10.1.0.0/16) of the PBXs that may ask; default loopback only.
ASTITRAY_CID_ALLOWED = env_list("ASTITRAY_CID_ALLOWED", ["127.0.0.1", "::1"])
try:
    ASTITRAY_CID_NETWORKS = tuple(ipaddress.ip_network(item, strict=False) for item in ASTITRAY_CID_ALLOWED)
except ValueError as exc:
    raise ImproperlyConfigured(
        f"ASTITRAY_CID_ALLOWED: {exc} (addresses or networks, comma-separated)"
    ) from None
# Longest name answered (characters); phones show about 15 to 40.
ASTITRAY_CID_MAX_LENGTH = env_int("ASTITRAY_CID_MAX_LENGTH", 40, minimum=1, maximum=200)

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
