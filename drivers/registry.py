"""Driver short names -> driver classes. Built-ins here; more from ``ASTITRAY_DRIVERS``."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module

from drivers.base import Driver

BUILTIN_DRIVERS: dict[str, str] = {
    "console": "drivers.console.ConsoleDriver",
    "asterisk_ami": "drivers.asterisk.ami.AsteriskAmiDriver",
    "asterisk_ajam": "drivers.asterisk.ajam.AsteriskAjamDriver",
    "asterisk_ari": "drivers.asterisk.ari.AsteriskAriDriver",
    "freeswitch_esl": "drivers.freeswitch.esl.FreeSwitchEslDriver",
}


class UnknownDriver(LookupError):
    """No driver is registered under that name, or its dotted path does not import."""


def driver_paths(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every registered driver: name -> dotted path (extra ones may override built-ins)."""
    return {**BUILTIN_DRIVERS, **(extra or {})}


def load_driver_class(name: str, extra: Mapping[str, str] | None = None) -> type[Driver]:
    """The driver class registered under ``name``.

    :raises UnknownDriver: unknown name, or a path that does not name a Driver subclass.
    """
    path = driver_paths(extra).get(name)
    if path is None:
        raise UnknownDriver(f"no PBX driver named {name!r}")
    module_name, _, class_name = path.rpartition(".")
    try:
        cls = getattr(import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UnknownDriver(f"driver {name!r}: cannot import {path}: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Driver)):
        raise UnknownDriver(f"driver {name!r}: {path} is not a Driver subclass")
    return cls
