"""Fixtures of the dialing tests: a fake Asterisk (AMI) as alice's PBX, waiting for a call's outcome."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from django.db import connections

from accounts.models import Extension
from dialer.models import Call, CallLogStatus
from dialer.outcomes import record_outcome
from drivers.base import CallStatus
from drivers.models import PbxServer
from testkit.fake_asterisk import FakeAmi
from testkit.known_secrets import AMI_SECRET
from tests.dialer.calls.drivers import driver, recording_pbx
from tests.outcome_receiver import outcomes_to

__all__ = ["AMI_SECRET", "driver", "recording_pbx"]  # shared fixtures


@pytest.fixture(autouse=True)
def _outcome_handler() -> Iterator[None]:
    """Outcomes go to the dial service's real ``record_outcome``, with the test's database connections.

    The drivers' threads (an AMI reader) run it with connections of their
    own, which must not outlive the test (the test database could not be
    dropped): they are closed after each outcome. On the in-memory SQLite
    test database, whose connections lock whole tables and never wait
    ("database table is locked"), those threads borrow the test's connection
    instead, as Django's own live server does; a file database (what
    ``DATABASE_URL=sqlite:///...`` gives in production) waits for its turn.
    """
    shared = connections["default"]
    in_memory = shared.vendor == "sqlite" and shared.is_in_memory_db()
    # A thread that borrows the test's connection writes inside whatever
    # transaction that connection has open: an outcome heard after the test
    # ended would land inside the teardown's flush (a row pointing at a user
    # the flush deleted: "FOREIGN KEY constraint failed", and the next test
    # starts on a dirty database). The teardown closes the door under the
    # lock, so it waits for an outcome being written, and later ones are dropped.
    door = threading.Lock()
    open_door = [True]

    def handler(reference: str, status: CallStatus, reason: str) -> None:
        if threading.current_thread() is threading.main_thread():
            record_outcome(reference, status, reason)  # reported from inside originate()
        elif in_memory:
            with door:
                if not open_door[0]:
                    return
                connections["default"] = shared
                record_outcome(reference, status, reason)
        else:
            try:
                record_outcome(reference, status, reason)
            finally:
                connections["default"].close()

    if in_memory:
        shared.inc_thread_sharing()
    try:
        with outcomes_to(handler):
            yield
    finally:
        with door:
            open_door[0] = False
        if in_memory:
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
        if call.status != CallLogStatus.QUEUED:
            return call
        if time.monotonic() > deadline:
            raise AssertionError(f"call {call_id} still queued after {timeout} s")
        time.sleep(0.02)


@pytest.fixture
def wait_for() -> Callable[..., Call]:
    return wait_for_status
