"""Strict readers of settings from the environment.

Each helper names the variable in its error, so that a typo in a unit file
stops the server at start-up with a message an admin can act on.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    """The variable's value, or ``default`` when it is unset or empty."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    """``True``/``False`` (also 1/0, yes/no, on/off, any case); anything else is an error."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if raw.lower() in _TRUE:
        return True
    if raw.lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be True or False, not {raw!r}")


def _env_number(name: str, default, parse, kind: str, *, minimum=None, maximum=None):
    raw = os.environ.get(name, "").strip()
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
    raw = os.environ.get(name, "")
    if not raw.strip():
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_secret(name: str, default: str = "") -> str:
    """A secret from ``NAME``, or from the file named by ``NAME_FILE``.

    Setting both is an error: it is never clear which one an admin meant.
    Trailing newlines of the file are dropped.
    """
    value = os.environ.get(name, "")
    path = os.environ.get(f"{name}_FILE", "")
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
