"""What the listener tests share: a fast listener in a thread, and what it did, seen without the database."""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator

import pytest

from drivers.models import PbxServer
from events import lease
from events.listener import PbxListener, Timing

FAST = Timing(
    lease_s=3.0, renew_s=0.5, standby_s=0.2, read_s=0.2, sweep_s=1.0, backoff_first_s=0.1, backoff_max_s=0.5
)


def wait_until(check: Callable[[], object], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


@contextlib.contextmanager
def listening(pbx_row: PbxServer, holder: str = "test:1") -> Iterator[PbxListener]:
    stop = threading.Event()
    listener = PbxListener(pbx_row.pk, stop, holder=holder, timing=FAST)
    thread = threading.Thread(target=listener.run, daemon=True)
    thread.start()
    try:
        yield listener
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


class Watch:
    """What the listener did, seen without reading the database while it writes.

    (The test database is SQLite in memory, shared between threads with table locks: a test that
    polls it while the listener writes makes the listener's writes fail.)
    """

    def __init__(self) -> None:
        self.connected = threading.Event()
        self.connections = 0  # how many times a listener connected
        self.woken: list[int] = []

    def count(self) -> int:
        return len(self.woken)


def watching(monkeypatch: pytest.MonkeyPatch) -> Watch:
    """A :class:`Watch` of every listener of this test (the ``watch`` fixture)."""
    seen = Watch()
    bus = types.ModuleType("events.bus")
    bus.notify = seen.woken.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "events.bus", bus)
    record = lease.record_connection

    def recorded(pbx_id: int, holder: str, up: bool, error: str = "") -> None:
        record(pbx_id, holder, up, error)
        if up:
            seen.connections += 1
            seen.connected.set()

    monkeypatch.setattr(lease, "record_connection", recorded)
    return seen
