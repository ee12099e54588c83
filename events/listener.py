"""One PBX's listener: hold its lease, keep its event connection, and write what it says.

:class:`PbxListener` runs in its own thread of ``manage.py pbx_events``.
While another process holds the PBX's lease it stands by; once it holds
it, it opens the driver's event stream, resynchronises from the PBX's
snapshot (after every (re)connection: PBXs replay nothing), then reads,
tracks and writes events until it is stopped or loses its lease. A
dropped connection is reopened with exponential back-off (0.5 s doubling
to 30 s); a failure of the database or of one batch is logged once per
kind and the listener goes on.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Sequence
from functools import partial

from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from drivers import registry
from drivers.base import Driver, DriverError, PbxConfig, PbxUnavailable
from drivers.console_events import SPOOL_OPTION
from drivers.events import EventSource, EventStream, PbxEvent, ProblemLog, offers_events
from drivers.models import PbxServer
from events import lease
from events.tracker import CallTracker
from events.writer import Writer
from monitoring import metrics

logger = logging.getLogger(__name__)

READ_S = 1.0  # one read waits at most this long: stop, renew and sweep in between
SWEEP_S = 5.0
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
_BATCH = 500  # events written between two lease renewals


@dataclasses.dataclass
class Timing:
    """The listener's clock (tests shorten it)."""

    lease_s: float = lease.LEASE_S
    renew_s: float = lease.RENEW_S
    standby_s: float = lease.STANDBY_POLL_S
    read_s: float = READ_S
    sweep_s: float = SWEEP_S
    backoff_first_s: float = BACKOFF_FIRST_S
    backoff_max_s: float = BACKOFF_MAX_S


def build_driver(pbx: PbxServer) -> Driver:
    """A driver of its own for the listener (never the dialing one), with the server's options.

    :raises registry.UnknownDriver: the PBX names a driver that is not installed.
    """
    cls = registry.load_driver_class(pbx.driver, settings.ASTITRAY_DRIVERS)
    config = dataclasses.replace(
        pbx.to_config(), options={SPOOL_OPTION: str(settings.ASTITRAY_CONSOLE_SPOOL)}
    )
    return cls(config)


def listens(pbx: PbxServer) -> bool:
    """Whether ``pbx`` has a listener: enabled, with an installed driver that offers events."""
    try:
        cls = registry.load_driver_class(pbx.driver, settings.ASTITRAY_DRIVERS)
    except registry.UnknownDriver:
        return False
    return pbx.enabled and offers_events(cls)


def _feed(writer: Writer, tracker: CallTracker, events: Sequence[PbxEvent]) -> None:
    writer.apply(tracker.feed(events))


class PbxListener:
    """Listens to one PBX in the calling thread until ``stop`` is set."""

    def __init__(
        self,
        pbx_id: int,
        stop: threading.Event,
        holder: str | None = None,
        timing: Timing | None = None,
        config_of: Callable[[PbxConfig], PbxConfig] | None = None,
    ) -> None:
        self.pbx_id = pbx_id
        self.stop = stop
        self.holder = holder or lease.holder_name()
        self.timing = timing or Timing()
        self.config_of = config_of  # tests point a stream at their fake PBX
        self.problems = ProblemLog(logger)
        self._renewed = 0.0
        self._swept = 0.0

    def run(self) -> None:
        """Stand by, hold, listen; give the lease back when stopped."""
        try:
            while not self.stop.is_set():
                if self._guarded(lambda: lease.acquire(self.pbx_id, self.holder, self.timing.lease_s)):
                    self._renewed = time.monotonic()
                    self._hold_safely()
                else:
                    self.stop.wait(self.timing.standby_s)
        finally:
            self._guarded(lambda: lease.release(self.pbx_id, self.holder))
            connection.close()

    # --- Holding the lease ---------------------------------------------------------------

    def _hold_safely(self) -> None:
        """:meth:`_hold`; anything it did not expect (a driver's bug) is logged and tried again later."""
        try:
            self._hold()
        except Exception as exc:  # the thread must outlive a driver's bug
            kind = type(exc).__name__
            self.problems.report(
                f"hold:{kind}", "PBX %s: the listener failed: %s: %s", self.pbx_id, kind, exc
            )
            self._guarded(lambda: lease.record_connection(self.pbx_id, self.holder, False, f"failed: {kind}"))
            self.stop.wait(self.timing.backoff_max_s)

    def _hold(self) -> None:
        """Connect, resynchronise and read until stopped or the lease is lost; reconnect with back-off."""
        pbx = PbxServer.objects.filter(pk=self.pbx_id).first()
        if pbx is None:
            self.stop.wait(self.timing.standby_s)  # deleted: the command stops this thread
            return
        driver = build_driver(pbx)
        assert isinstance(driver, EventSource)
        if self.config_of is not None:
            driver.config = self.config_of(driver.config)
        tracker, writer = CallTracker(), Writer(pbx, holder=self.holder)
        backoff = self.timing.backoff_first_s
        while not self.stop.is_set() and self._keep_lease():
            stream = driver.event_stream()
            try:
                stream.open()
            except PbxUnavailable as exc:
                self._down(pbx, f"cannot connect: {exc}")
                backoff = self._back_off(backoff)
                continue
            try:
                self._up(pbx)
                backoff = self.timing.backoff_first_s
                self._listen(stream, tracker, writer)
            except PbxUnavailable as exc:  # StreamLost, or the snapshot's PBX went away
                self._down(pbx, f"connection lost: {exc}")
                backoff = self._back_off(backoff)
            except DriverError as exc:  # the PBX refused something: as a lost connection
                self._down(pbx, f"the PBX refused: {exc}")
                backoff = self._back_off(backoff)
            finally:
                stream.close()
        self._guarded(lambda: lease.record_connection(self.pbx_id, self.holder, False))

    def _listen(self, stream: EventStream, tracker: CallTracker, writer: Writer) -> None:
        snapshot = stream.snapshot()

        def resync() -> None:
            writer.apply(tracker.resync(snapshot))
            writer.resync(snapshot)

        self._write(resync)
        while not self.stop.is_set() and self._keep_lease():
            events = stream.read(self.timing.read_s)
            for start in range(0, len(events), _BATCH):
                batch: Sequence[PbxEvent] = events[start : start + _BATCH]
                self._write(partial(_feed, writer, tracker, batch))
                if not self._keep_lease():
                    return
            if time.monotonic() - self._swept >= self.timing.sweep_s:
                self._swept = time.monotonic()
                self._write(lambda: writer.sweep(tracker.live_calls()))

    def _keep_lease(self) -> bool:
        """Renew the lease when due; False when it is lost (someone else holds the PBX now)."""
        if time.monotonic() - self._renewed < self.timing.renew_s:
            return True
        kept = self._guarded(lambda: lease.renew(self.pbx_id, self.holder, self.timing.lease_s))
        if kept:
            self._renewed = time.monotonic()
        elif kept is False:
            logger.warning("PBX %s: the listener lease was taken over; standing by", self.pbx_id)
        return bool(kept) or (kept is None and time.monotonic() - self._renewed < self.timing.lease_s)

    # --- Connection state ------------------------------------------------------------------

    def _up(self, pbx: PbxServer) -> None:
        logger.info("PBX %s: listening (%s)", pbx.name, self.holder)
        metrics.count_pbx_connection(pbx.name, True)
        self._guarded(lambda: lease.record_connection(self.pbx_id, self.holder, True))

    def _down(self, pbx: PbxServer, why: str) -> None:
        self.problems.report(f"down:{why[:40]}", "PBX %s: %s; connecting again", pbx.name, why)
        metrics.count_pbx_connection(pbx.name, False)
        self._guarded(lambda: lease.record_connection(self.pbx_id, self.holder, False, why))

    def _back_off(self, current: float) -> float:
        self.stop.wait(current)
        return min(current * 2, self.timing.backoff_max_s)

    # --- Errors ---------------------------------------------------------------------------

    def _write(self, work: Callable[[], object]) -> None:
        """Run ``work``; a failure is logged once per kind and the listener goes on."""
        try:
            work()
        except (InterfaceError, OperationalError) as exc:
            self.problems.report("database", "PBX %s: the database failed: %s", self.pbx_id, exc)
            close_old_connections()
            connection.close()
        except PbxUnavailable:
            raise
        except Exception as exc:  # one bad batch must not stop the listener
            kind = type(exc).__name__
            self.problems.report(f"bug:{kind}", "PBX %s: events not written: %s: %s", self.pbx_id, kind, exc)

    def _guarded(self, work: Callable[[], object]) -> object | None:
        """``work()``, or None when the database failed (logged once per kind)."""
        try:
            return work()
        except (InterfaceError, OperationalError) as exc:
            self.problems.report("database", "PBX %s: the database failed: %s", self.pbx_id, exc)
            connection.close()
            return None
