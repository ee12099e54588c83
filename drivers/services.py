"""Drivers for PbxServer rows: one instance per PBX and process, reused between calls.

Reusing the instance is what lets a driver keep a persistent, logged-in
connection (AMI). An admin's edit of the PBX changes its config, and the
next call builds a fresh driver (the old one is closed). The outcomes a
driver reports are sent as the :data:`drivers.signals.call_outcome` signal.
"""

from __future__ import annotations

import logging
import threading
from functools import partial

from django.conf import settings

from drivers import registry
from drivers.base import CallStatus, CheckResult, Driver, DriverError
from drivers.models import PbxServer
from drivers.signals import call_outcome

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_drivers: dict[int, Driver] = {}


def send_outcome(driver_class: type[Driver], reference: str, status: CallStatus, reason: str) -> None:
    """Send :data:`~drivers.signals.call_outcome` for a driver of ``driver_class``; never raises.

    A failing receiver is logged (by Django's ``send_robust``) and the others still run:
    this runs in a driver's reader or polling thread, which must survive.
    """
    if not call_outcome.send_robust(driver_class, reference=reference, status=status, reason=reason):
        logger.info("call %s ended %s (%s); no one receives call outcomes", reference, status, reason)


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
        driver = cls(config, on_outcome=partial(send_outcome, cls))
        _drivers[pbx.pk] = driver
    if current is not None:
        _close_quietly(current)
    return driver


def check_connection(pbx: PbxServer) -> CheckResult:
    """What the admin's "test connection" shows; never raises."""
    try:
        return get_driver(pbx).check()
    except registry.UnknownDriver:
        return CheckResult.unreachable(f"No PBX driver named {pbx.driver!r} is installed.")
    except DriverError as exc:
        return CheckResult.unreachable(str(exc))


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
