"""Drivers for PbxServer rows: one instance per PBX and process, reused between calls.

Reusing the instance is what lets a driver keep a persistent, logged-in
connection (AMI). An admin's edit of the PBX changes its config, and the
next call builds a fresh driver (the old one is closed).
"""

from __future__ import annotations

import logging
import threading

from django.conf import settings

from drivers import registry
from drivers.base import CallStatus, CheckResult, Driver, DriverError, OutcomeCallback
from drivers.models import PbxServer

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_drivers: dict[int, Driver] = {}
_outcome_handler: OutcomeCallback | None = None


def set_outcome_handler(handler: OutcomeCallback | None) -> None:
    """Register who hears call outcomes (the dial service does, at start-up)."""
    global _outcome_handler  # noqa: PLW0603  (one handler per process, set once at start-up)
    _outcome_handler = handler


def _dispatch_outcome(reference: str, status: CallStatus, reason: str) -> None:
    handler = _outcome_handler
    if handler is None:
        logger.info("call %s ended %s (%s); no outcome handler registered", reference, status, reason)
        return
    try:
        handler(reference, status, reason)
    except Exception:  # a driver's reader thread must survive a failing handler
        logger.exception("outcome handler failed for call %s", reference)


def get_driver(pbx: PbxServer) -> Driver:
    """The driver of ``pbx`` for this process, built on first use.

    :raises registry.UnknownDriver: the PBX names a driver that is not installed.
    """
    config = pbx.to_config()
    with _lock:
        current = _drivers.get(pbx.pk)
        if current is not None and type(current).name == pbx.driver and current.config == config:
            return current
        cls = registry.load_driver_class(pbx.driver, settings.ASTITRAY_DRIVERS)
        driver = cls(config, on_outcome=_dispatch_outcome)
        _drivers[pbx.pk] = driver
    if current is not None:
        _close_quietly(current)
    return driver


def check_connection(pbx: PbxServer) -> CheckResult:
    """What the admin's "test connection" shows; never raises."""
    try:
        return get_driver(pbx).check()
    except registry.UnknownDriver:
        return CheckResult(False, False, False, (f"No PBX driver named {pbx.driver!r} is installed.",))
    except DriverError as exc:
        return CheckResult(False, False, False, (str(exc),))


def close_all() -> None:
    """Close every driver of this process (tests, shutdown)."""
    with _lock:
        drivers = list(_drivers.values())
        _drivers.clear()
    for driver in drivers:
        _close_quietly(driver)


def _close_quietly(driver: Driver) -> None:
    try:
        driver.close()
    except Exception:  # closing is best effort
        logger.exception("closing the %s driver failed", type(driver).name)
