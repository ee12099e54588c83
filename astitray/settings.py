"""Astitray settings: flat reads of the environment (every variable: docs/configuration.md).

With no environment at all, ``make run`` and the tests work: SQLite file in
the project folder, local-memory cache, console PBX driver, DEBUG off. Each
line reads one variable through ``astitray/env.py``, which stops the server
naming the variable when its value is not of the right kind. Whether values
fit together (a backend and the variables it needs, the SQL query's shape,
the LDAP configuration) is checked by the system checks of each app
(``manage.py check``; also before every command and when a server starts).
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path

from astitray.env import (
    env_bool,
    env_cache,
    env_choice,
    env_choices,
    env_database,
    env_float,
    env_int,
    env_list,
    env_mapping,
    env_networks,
    env_secret,
    env_secret_key,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

# --- Core -------------------------------------------------------------------

DEBUG = env_bool("DEBUG", False)
# Without SECRET_KEY(_FILE): a random key made once into a file git ignores.
ASTITRAY_SECRET_KEY_PATH = Path(env_str("ASTITRAY_SECRET_KEY_PATH", str(BASE_DIR / ".secret_key")))
SECRET_KEY = env_secret_key("SECRET_KEY", ASTITRAY_SECRET_KEY_PATH)
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
    "events",
    "web",
]

MIDDLEWARE = [
    # First: /healthz, /readyz and /metrics answered before host checks, HTTPS redirects, sessions.
    "astitray.probes.ProbesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The admin in each browser's language (the RPC reads Accept-Language itself, without cookies).
    "astitray.locale.AdminLocaleMiddleware",
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

# The installation's language ("fr": French); the admin follows each browser's (LocaleMiddleware),
# the API's fault messages a client's Accept-Language. Catalogues: locale/ (docs/development.md).
LANGUAGE_CODE = env_str("LANGUAGE_CODE", "en-us")
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# WhiteNoise serves the admin's files from STATIC_ROOT (filled by `make run`'s
# collectstatic); it need not warn in processes that serve none (tests, benchmarks).
warnings.filterwarnings("ignore", message="No directory at", category=UserWarning)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Database and cache -------------------------------------------------------

# The URL may hold a password: also DATABASE_URL_FILE (a systemd credential, a file only the service reads).
DATABASE_CONN_MAX_AGE = env_int("DATABASE_CONN_MAX_AGE", 60, minimum=0)
DATABASES = {
    "default": env_database(
        "DATABASE_URL", f"sqlite:///{BASE_DIR / 'astitray.sqlite3'}", DATABASE_CONN_MAX_AGE
    )
}
# Authentication cache, rate limits, lockouts: redis://:password@host:6379/0 (also CACHE_URL_FILE).
CACHES = {"default": env_cache("CACHE_URL", "locmem://astitray")}

# --- Security (production: docs/deploying.md) --------------------------------

# ASTITRAY_HTTPS=True when the site is served over HTTPS (directly or by a proxy
# that sets X-Forwarded-Proto): secure cookies, HSTS, redirect.
ASTITRAY_HTTPS = env_bool("ASTITRAY_HTTPS", False)
ASTITRAY_SSL_REDIRECT = env_bool("ASTITRAY_SSL_REDIRECT", True)
ASTITRAY_HSTS_SECONDS = env_int("ASTITRAY_HSTS_SECONDS", 31536000 if ASTITRAY_HTTPS else 0, minimum=0)
# Behind the reverse proxy: its X-Forwarded-Proto is trusted, and the client's
# address is the last X-Forwarded-For entry.
ASTITRAY_BEHIND_PROXY = env_bool("ASTITRAY_BEHIND_PROXY", False)
SESSION_COOKIE_SECURE = ASTITRAY_HTTPS
CSRF_COOKIE_SECURE = ASTITRAY_HTTPS
SECURE_SSL_REDIRECT = ASTITRAY_HTTPS and ASTITRAY_SSL_REDIRECT
SECURE_HSTS_SECONDS = ASTITRAY_HSTS_SECONDS
SECURE_HSTS_INCLUDE_SUBDOMAINS = ASTITRAY_HTTPS
SECURE_HSTS_PRELOAD = ASTITRAY_HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if ASTITRAY_BEHIND_PROXY else None
ASTITRAY_CLIENT_ADDRESS_FROM_FORWARDED_FOR = ASTITRAY_BEHIND_PROXY
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
    "astitray.rpc_handlers.JsonRpcHandler",
    "astitray.rpc_handlers.XmlRpcHandler",
]
MODERNRPC_JSON_DESERIALIZER = {"class": "astitray.rpc_handlers.SafeJsonDeserializer", "kwargs": {}}
MODERNRPC_XML_DESERIALIZER = {"class": "astitray.rpc_handlers.SafeXmlDeserializer", "kwargs": {}}
# No nil in answers (docs/api.md): marshalling None is an error, not a silent nil.
MODERNRPC_XML_SERIALIZER = {
    "class": "modernrpc.xmlrpc.backends.xmlrpc.PythonXmlRpcSerializer",
    "kwargs": {"dump_kwargs": {"allow_none": False}},
}

# --- Authentication (docs/authentication.md; checks: accounts/checks.py) --------

ASTITRAY_AUTH_BACKEND_PATHS = {
    "django": "django.contrib.auth.backends.ModelBackend",
    "htpasswd": "accounts.backends.htpasswd.HtpasswdBackend",
    "ldap": "accounts.backends.ldap.LdapBackend",
    "sql": "accounts.backends.sql.SqlBackend",
}
ASTITRAY_AUTH_BACKENDS = env_choices("ASTITRAY_AUTH_BACKENDS", ASTITRAY_AUTH_BACKEND_PATHS, ["django"])
AUTHENTICATION_BACKENDS = [
    # First: refuses locked-out usernames and addresses before any source is asked.
    "accounts.lockout.LockoutBackend",
    *(ASTITRAY_AUTH_BACKEND_PATHS[name] for name in ASTITRAY_AUTH_BACKENDS),
    # Admins always log in with Django's own users (listed once).
    *([] if "django" in ASTITRAY_AUTH_BACKENDS else [ASTITRAY_AUTH_BACKEND_PATHS["django"]]),
]
# How long a verified credential is trusted by the RPC server (0: never cached).
ASTITRAY_AUTH_CACHE_SECONDS = env_int("ASTITRAY_AUTH_CACHE_SECONDS", 60, minimum=0, maximum=3600)
# API tokens of people from an outside source: how long "still in the source" is trusted (at most 5 min).
ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS = env_int(
    "ASTITRAY_TOKEN_SOURCE_CHECK_SECONDS", 300, minimum=0, maximum=300
)

# Password file (Apache htpasswd): bcrypt, $apr1$, {SHA}, SHA-256/512 crypt.
ASTITRAY_HTPASSWD_FILE = env_str("ASTITRAY_HTPASSWD_FILE")
# Optional "login:extension[:channel]" lines giving each login its phone.
ASTITRAY_HTPASSWD_EXTENSIONS_FILE = env_str("ASTITRAY_HTPASSWD_EXTENSIONS_FILE")
ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE = env_str("ASTITRAY_HTPASSWD_CHANNEL_TEMPLATE", "PJSIP/{extension}")

# LDAP: django-auth-ldap's own AUTH_LDAP_* names. Its objects (searches, group type,
# connection options) are built from these by accounts.backends.ldap_config.
AUTH_LDAP_SERVER_URI = env_str("AUTH_LDAP_SERVER_URI")
AUTH_LDAP_BIND_DN = env_str("AUTH_LDAP_BIND_DN")
AUTH_LDAP_BIND_PASSWORD = env_secret("AUTH_LDAP_BIND_PASSWORD")
AUTH_LDAP_START_TLS = env_bool("AUTH_LDAP_START_TLS", False)
# Direct bind: "uid=%(user)s,ou=people,dc=example,dc=org". Or search-then-bind:
AUTH_LDAP_USER_DN_TEMPLATE = env_str("AUTH_LDAP_USER_DN_TEMPLATE") or None
AUTH_LDAP_USER_SEARCH_BASE = env_str("AUTH_LDAP_USER_SEARCH_BASE")
AUTH_LDAP_USER_SEARCH_FILTER = env_str("AUTH_LDAP_USER_SEARCH_FILTER", "(uid=%(user)s)")
# Without a service account, read the user's own entry with the user's own bind.
AUTH_LDAP_BIND_AS_AUTHENTICATING_USER = env_bool(
    "AUTH_LDAP_BIND_AS_AUTHENTICATING_USER", not AUTH_LDAP_BIND_DN
)
AUTH_LDAP_USER_ATTR_MAP = env_mapping("AUTH_LDAP_USER_ATTR_MAP") or {
    "first_name": "givenName",
    "last_name": "sn",
    "email": "mail",
}
# Read under other names: django-auth-ldap's own are the objects built from them.
ASTITRAY_LDAP_GROUP_TYPE = env_str("AUTH_LDAP_GROUP_TYPE", "groupOfNames")
AUTH_LDAP_GROUP_SEARCH_BASE = env_str("AUTH_LDAP_GROUP_SEARCH_BASE")
AUTH_LDAP_GROUP_SEARCH_FILTER = env_str("AUTH_LDAP_GROUP_SEARCH_FILTER")  # empty: the group type's
AUTH_LDAP_REQUIRE_GROUP = env_str("AUTH_LDAP_REQUIRE_GROUP") or None
AUTH_LDAP_DENY_GROUP = env_str("AUTH_LDAP_DENY_GROUP") or None
# "is_staff=cn=staff,ou=groups,dc=example,dc=org;is_superuser=..." (DNs hold commas).
ASTITRAY_LDAP_USER_FLAGS_BY_GROUP = env_str("AUTH_LDAP_USER_FLAGS_BY_GROUP")
# A directory that does not answer must not hang logins: connect and operation timeouts.
ASTITRAY_LDAP_TIMEOUT = env_float("ASTITRAY_LDAP_TIMEOUT", 5.0, minimum=0.1)
ASTITRAY_LDAP_CA_FILE = env_str("ASTITRAY_LDAP_CA_FILE")
# The phone: which attribute ("none": the directory gives no phones, admins set them), the
# digits kept from it (first group, else the match), the dial string.
ASTITRAY_LDAP_EXTENSION_ATTR = env_str("ASTITRAY_LDAP_EXTENSION_ATTR", "telephoneNumber")
ASTITRAY_LDAP_EXTENSION_REGEX = env_str("ASTITRAY_LDAP_EXTENSION_REGEX")
ASTITRAY_LDAP_CHANNEL_TEMPLATE = env_str("ASTITRAY_LDAP_CHANNEL_TEMPLATE", "PJSIP/{extension}")

# External SQL user table (any database Django speaks): its URL (also _FILE), the
# query (one %s: the login, always a bound parameter), the hash schemes.
ASTITRAY_AUTH_SQL_URL = env_secret("ASTITRAY_AUTH_SQL_URL")
ASTITRAY_AUTH_SQL_QUERY = env_str("ASTITRAY_AUTH_SQL_QUERY")
ASTITRAY_AUTH_SQL_HASH = env_list("ASTITRAY_AUTH_SQL_HASH", ["bcrypt"])
# Plaintext passwords in the table are refused unless this loudly named switch is on.
ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT = env_bool("ASTITRAY_AUTH_SQL_ALLOW_INSECURE_PLAINTEXT", False)
ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE = env_str("ASTITRAY_AUTH_SQL_CHANNEL_TEMPLATE", "PJSIP/{extension}")
ASTITRAY_AUTH_SQL_TIMEOUT = env_int("ASTITRAY_AUTH_SQL_TIMEOUT", 5, minimum=1, maximum=300)

# Lockout (django-axes, database handler: shared by every process, listed and cleared in the admin).
ASTITRAY_LOCKOUT_FAILURES = env_int("ASTITRAY_LOCKOUT_FAILURES", 5, minimum=0)
ASTITRAY_LOCKOUT_MINUTES = env_int("ASTITRAY_LOCKOUT_MINUTES", 15, minimum=1)
_LOCKOUT_PARAMETERS: dict[str, str | list[str]] = {
    "username": "username",
    "address": "ip_address",
    "username+address": ["username", "ip_address"],
}
# Default: a (username, address) pair, so an office behind one NAT address never shares a lockout.
ASTITRAY_LOCKOUT_BY = env_choices("ASTITRAY_LOCKOUT_BY", _LOCKOUT_PARAMETERS, ["username+address"])
# Failures from one address, all usernames together, that lock that address out (0: no such limit).
ASTITRAY_LOCKOUT_ADDRESS_FAILURES = env_int("ASTITRAY_LOCKOUT_ADDRESS_FAILURES", 100, minimum=0)
AXES_ENABLED = ASTITRAY_LOCKOUT_FAILURES > 0
AXES_FAILURE_LIMIT = max(ASTITRAY_LOCKOUT_FAILURES, 1)
AXES_COOLOFF_TIME = timedelta(minutes=ASTITRAY_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [_LOCKOUT_PARAMETERS[item] for item in ASTITRAY_LOCKOUT_BY]
# Attempts while locked out do not push the end of the lockout further away.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_address"
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# accounts.lockout.LockoutMiddleware is axes' middleware minus the RPC (which answers -32098).
SILENCED_SYSTEM_CHECKS = ["axes.W002"]

# --- PBX drivers and dialing ----------------------------------------------------

# Extra drivers: "name=dotted.path.DriverClass,other=..."
ASTITRAY_DRIVERS = env_mapping("ASTITRAY_DRIVERS")
# TLS to the PBX (AMI, AJAM, ARI, ESL): the PEM file of the CA that signed its certificate
# (checked: drivers.E002); empty: the system's trust store.
ASTITRAY_PBX_CA_FILE = env_str("ASTITRAY_PBX_CA_FILE")
# A country of the numbering plan (checked: dialer.E001).
ASTITRAY_DEFAULT_COUNTRY = env_str("ASTITRAY_DEFAULT_COUNTRY", "FR").upper()
# Calls per user in any 60 seconds, counted in the cache (Redis: across every process); 0: no limit.
ASTITRAY_RATE_LIMIT = env_int("ASTITRAY_RATE_LIMIT", 10, minimum=0, maximum=1000)
# The same user dialing the same number within this many seconds gets the call already placed.
ASTITRAY_DIAL_GUARD_SECONDS = env_int("ASTITRAY_DIAL_GUARD_SECONDS", 5, minimum=0, maximum=60)

# --- Phonebook (defaults of the import commands; their options override them) ---

ASTITRAY_PHONEBOOK_LDAP_URI = env_str("ASTITRAY_PHONEBOOK_LDAP_URI")
ASTITRAY_PHONEBOOK_LDAP_BIND_DN = env_str("ASTITRAY_PHONEBOOK_LDAP_BIND_DN")
ASTITRAY_PHONEBOOK_LDAP_BIND_PASSWORD = env_secret("ASTITRAY_PHONEBOOK_LDAP_BIND_PASSWORD")
ASTITRAY_PHONEBOOK_LDAP_BASE = env_str("ASTITRAY_PHONEBOOK_LDAP_BASE")
# Empty: inetOrgPerson entries and Active Directory's people (phonebook.importers.ldap.DEFAULT_FILTER).
ASTITRAY_PHONEBOOK_LDAP_FILTER = env_str("ASTITRAY_PHONEBOOK_LDAP_FILTER")
ASTITRAY_PHONEBOOK_LDAP_SCOPE = env_choice(
    "ASTITRAY_PHONEBOOK_LDAP_SCOPE", ["base", "one", "sub"], "sub", case="lower"
)
# "field=attr|attr,...": overrides of the default attribute mapping (docs/phonebook.md).
ASTITRAY_PHONEBOOK_LDAP_ATTRS = env_str("ASTITRAY_PHONEBOOK_LDAP_ATTRS")
# Empty: entryUUID, else objectGUID, else the DN; "dn" or any unique attribute.
ASTITRAY_PHONEBOOK_LDAP_KEY_ATTR = env_str("ASTITRAY_PHONEBOOK_LDAP_KEY_ATTR")
ASTITRAY_PHONEBOOK_LDAP_START_TLS = env_bool("ASTITRAY_PHONEBOOK_LDAP_START_TLS", False)
ASTITRAY_PHONEBOOK_LDAP_CA_FILE = env_str("ASTITRAY_PHONEBOOK_LDAP_CA_FILE")
ASTITRAY_PHONEBOOK_LDAP_PAGE_SIZE = env_int(
    "ASTITRAY_PHONEBOOK_LDAP_PAGE_SIZE", 500, minimum=1, maximum=10000
)
ASTITRAY_PHONEBOOK_LDAP_TIMEOUT = env_int("ASTITRAY_PHONEBOOK_LDAP_TIMEOUT", 30, minimum=1)
# Past a size limit that caps paging (a stock OpenLDAP): searches split by this attribute ("none": fail).
ASTITRAY_PHONEBOOK_LDAP_SPLIT_ATTR = env_str("ASTITRAY_PHONEBOOK_LDAP_SPLIT_ATTR", "cn")
# Any database Django speaks; the URL holds a password, hence also _FILE.
ASTITRAY_PHONEBOOK_SQL_URL = env_secret("ASTITRAY_PHONEBOOK_SQL_URL")
ASTITRAY_PHONEBOOK_SQL_QUERY = env_str("ASTITRAY_PHONEBOOK_SQL_QUERY")

# --- Caller-ID lookup for the PBX (/cid/) ---------------------------------------

# Addresses or networks (192.0.2.10, 10.1.0.0/16) of the PBXs that may ask; default loopback only.
ASTITRAY_CID_NETWORKS = env_networks("ASTITRAY_CID_ALLOWED", ["127.0.0.1", "::1"])
# Longest name answered (characters); phones show about 15 to 40.
ASTITRAY_CID_MAX_LENGTH = env_int("ASTITRAY_CID_MAX_LENGTH", 40, minimum=1, maximum=200)
# Where `manage.py simulate_call` leaves the console PBX's simulated calls for `manage.py pbx_events`.
ASTITRAY_CONSOLE_SPOOL = Path(env_str("ASTITRAY_CONSOLE_SPOOL", str(BASE_DIR / ".console-events")))

# --- Prometheus metrics (/metrics) -------------------------------------------------

# Addresses or networks of the Prometheus servers that may scrape /metrics; default loopback only.
ASTITRAY_METRICS_NETWORKS = env_networks("ASTITRAY_METRICS_ALLOWED", ["127.0.0.1", "::1"])

# --- Logging ----------------------------------------------------------------------

_LEVELS = ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LOG_LEVEL = env_choice("LOG_LEVEL", _LEVELS, "INFO", case="upper")
# modernrpc logs every call's parameters at DEBUG: passwords are parameters of nothing
# here, but numbers are personal data; keep it at INFO unless asked.
LOG_LEVEL_RPC = env_choice("LOG_LEVEL_RPC", _LEVELS, "INFO", case="upper")
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
        "modernrpc": {"level": LOG_LEVEL_RPC},
        "django.db.backends": {"level": "INFO"},
    },
}
