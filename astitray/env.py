"""Strict readers of settings from the environment.

Each helper reads one variable and names it in its error, so that a typo in
a unit file stops the server at start-up with a message an admin can act
on. They check what a value *is* (a boolean, a number in range, one of some
words, a URL of a known kind); whether values make sense *together* is for
the system checks (``accounts/checks.py`` ...), which name the variables too.

Every variable read is remembered (:func:`names_read`): a test compares them
with the table of docs/configuration.md.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}
_read: set[str] = set()


def names_read() -> set[str]:
    """The names of every variable these helpers have read (``NAME_FILE`` included for secrets)."""
    return set(_read)


def _raw(name: str) -> str:
    _read.add(name)
    return os.environ.get(name, "")


def env_str(name: str, default: str = "") -> str:
    """The variable's value, or ``default`` when it is unset or empty."""
    return _raw(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    """``True``/``False`` (also 1/0, yes/no, on/off, any case); anything else is an error."""
    raw = _raw(name).strip()
    if not raw:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {raw!r}")


def _env_number(name: str, default, parse, kind: str, *, minimum=None, maximum=None):
    raw = _raw(name).strip()
    if not raw:
        return default
    try:
        value = parse(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be {kind}, not {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value}")
    if maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be at most {maximum}, not {value}")
    return value


def env_int(name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer within [minimum, maximum]; anything else is an error."""
    return _env_number(name, default, int, "an integer", minimum=minimum, maximum=maximum)


def env_float(name: str, default: float, minimum: float | None = None, maximum: float | None = None) -> float:
    """A number (``2.5``) within [minimum, maximum]; anything else is an error."""
    return _env_number(name, default, float, "a number", minimum=minimum, maximum=maximum)


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """A comma-separated list, items stripped, empty items dropped."""
    raw = _raw(name)
    if not raw.strip():
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: Iterable[str], default: str, *, case: str = "") -> str:
    """One of ``choices`` (after ``case``: "upper" or "lower"); anything else is an error."""
    value = env_str(name, default).strip()
    value = value.upper() if case == "upper" else value.lower() if case == "lower" else value
    allowed = list(choices)
    if value not in allowed:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def env_choices(name: str, choices: Iterable[str], default: list[str]) -> list[str]:
    """A comma-separated list of at least one of ``choices``; an unknown item is an error."""
    values = env_list(name, default)
    allowed = list(choices)
    unknown = [value for value in values if value not in allowed]
    if unknown or not values:
        raise ImproperlyConfigured(
            f"{name}: unknown value(s) {', '.join(unknown) or '(none)'} "
            f"(a comma list from {', '.join(allowed)})"
        )
    return values


def env_secret(name: str, default: str = "") -> str:
    """A secret from ``NAME``, or from the file named by ``NAME_FILE``.

    Setting both is an error: it is never clear which one an admin meant.
    Trailing newlines of the file are dropped.
    """
    value = _raw(name)
    path = _raw(f"{name}_FILE")
    if value and path:
        raise ImproperlyConfigured(f"set {name} or {name}_FILE, not both")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {path}: {exc.strerror}") from None
    return value or default


def env_mapping(name: str) -> dict[str, str]:
    """``key=value`` pairs, comma-separated (``ASTITRAY_DRIVERS=acme=acme.pbx.Driver``)."""
    result: dict[str, str] = {}
    for item in env_list(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name}: expected name=value, not {item!r}")
        result[key.strip()] = value.strip()
    return result


def env_networks(name: str, default: list[str]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """Addresses or networks (``192.0.2.10``, ``10.1.0.0/16``), comma-separated."""
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in env_list(name, default))
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc} (addresses or networks, comma-separated)") from None


def env_database(name: str, default: str, conn_max_age: int) -> dict[str, Any]:
    """A ``DATABASES`` entry from a URL (also ``NAME_FILE``: it may hold a password).

    SQLite gets WAL and a busy timeout (threads of the live server and of
    runserver write while others read); MySQL/MariaDB utf8mb4 and strict mode.
    """
    url = env_secret(name) or default
    try:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=conn_max_age, conn_health_checks=True)
        )
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name}: {exc}") from None
    if config.get("ENGINE") == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
        }
    elif config.get("ENGINE") == "django.db.backends.mysql":
        config.setdefault("OPTIONS", {})
        config["OPTIONS"].setdefault("charset", "utf8mb4")
        config["OPTIONS"].setdefault("init_command", "SET sql_mode='STRICT_TRANS_TABLES'")
        config["TEST"] = {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
    return config


def env_cache(name: str, default: str) -> dict[str, Any]:
    """A ``CACHES`` entry from ``locmem://``, ``dummy://`` or ``redis://host:port/db`` (also NAME_FILE)."""
    url = env_secret(name) or default
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "BACKEND": "astitray.cache.SharedPoolRedisCache",
            "LOCATION": url.split("?", 1)[0],
            "KEY_PREFIX": options.get("prefix", "astitray"),
            "TIMEOUT": 300,
        }
    if parts.scheme == "locmem":
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": parts.netloc}
    if parts.scheme == "dummy":
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    raise ImproperlyConfigured(f"{name}: unsupported scheme {parts.scheme!r} (use redis://, locmem://)")


def env_secret_key(name: str, path: Path) -> str:
    """Django's key from ``NAME`` (or ``NAME_FILE``), else a random key made once and kept at ``path``.

    The file is one git ignores: never a key in the code.
    """
    key = env_secret(name)
    if key:
        return key
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
