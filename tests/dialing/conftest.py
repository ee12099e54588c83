"""Fixtures of the dialing tests: a fake Asterisk (AMI) as alice's PBX, waiting for a call's outcome."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from django.db import connections

from accounts.models import Extension
from dialer.models import Call
from dialer.services import record_outcome
from drivers.base import CallStatus
from drivers.models import PbxServer
from drivers.services import set_outcome_handler
from tests.fake_asterisk import FakeAmi

AMI_SECRET = "astitray-secret"


@pytest.fixture(autouse=True)
def _outcomes_share_an_in_memory_sqlite_database() -> Iterator[None]:
    """On the in-memory SQLite test database only: the drivers' threads use the test's connection.

    Each connection to SQLite's shared in-memory database locks whole
    tables and never waits ("database table is locked"); a file database
    (what ``DATABASE_URL=sqlite:///...`` gives) waits for its turn instead.
    So, as Django's own live server does, the outcome handler's thread
    borrows the test thread's connection; the handler itself is the real one.
    """
    shared = connections["default"]
    if shared.vendor != "sqlite" or not shared.is_in_memory_db():
        yield
        return

    def handler(reference: str, status: CallStatus, reason: str) -> None:
        connections["default"] = shared
        record_outcome(reference, status, reason)

    shared.inc_thread_sharing()
    set_outcome_handler(handler)
    try:
        yield
    finally:
        set_outcome_handler(record_outcome)
        shared.dec_thread_sharing()


@pytest.fixture
def ami() -> Iterator[FakeAmi]:
    with FakeAmi() as fake:
        yield fake


def make_ami_pbx(port: int, **changes: object) -> PbxServer:
    """An enabled, default ``asterisk_ami`` PBX in France (outside line 0) at 127.0.0.1:``port``."""
    fields: dict[str, object] = {
        "name": "Asterisk",
        "driver": "asterisk_ami",
        "host": "127.0.0.1",
        "port": port,
        "username": "astitray",
        "secret": AMI_SECRET,
        "context": "outbound",
        "country": "FR",
        "outside_prefix": "0",
        "ring_timeout_s": 25,
        "timeout_s": 5.0,
        "is_default": True,
    }
    fields.update(changes)
    pbx = PbxServer(**fields)
    pbx.full_clean()
    pbx.save()
    return pbx


@pytest.fixture
def ami_pbx(ami: FakeAmi, alice) -> PbxServer:
    """The fake AMI as alice's PBX."""
    pbx = make_ami_pbx(ami.port)
    Extension.objects.filter(user=alice).update(pbx=pbx)
    return pbx


def wait_for_status(call_id: str, timeout: float = 15.0) -> Call:
    """The Call row once it left ``queued`` (an AssertionError after ``timeout`` seconds).

    The outcome is written by the driver's reader thread: the database is
    polled (generous deadline; no timing is asserted).
    """
    deadline = time.monotonic() + timeout
    while True:
        call = Call.objects.get(call_id=call_id)
        if call.status != Call.Status.QUEUED:
            return call
        if time.monotonic() > deadline:
            raise AssertionError(f"call {call_id} still queued after {timeout} s")
        time.sleep(0.02)


@pytest.fixture
def wait_for() -> Callable[..., Call]:
    return wait_for_status
