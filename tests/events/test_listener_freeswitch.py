"""The listener (``manage.py pbx_events``) over the fake Event Socket playing a real FreeSWITCH's events.

The same listener as for Asterisk, a PBX server with the ``freeswitch_esl``
driver: alice's phone is ``user/1001``, bruno's ``sofia/internal/1002@127.0.0.1``
(both as FreeSWITCH admins write them). Bob Durand (1002 in the recordings)
calls 1001: alice is told it rang, then that she answered it, or missed it;
1002's registration makes bruno's phone idle.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY

from accounts.models import Extension
from dialer.models import Call
from drivers.events import PhoneState
from drivers.models import PbxServer
from events.presence import phone_state_for
from testkit.fake_freeswitch import FakeEsl
from testkit.known_secrets import ESL_PASSWORD
from tests.events.conftest import events_of
from tests.events.helpers import listening, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

BOB = ("1002", "Bob Durand")


@pytest.fixture
def esl() -> Iterator[FakeEsl]:
    with FakeEsl() as fake:
        yield fake


@pytest.fixture
def fs_pbx(pbx, phones, esl) -> PbxServer:
    PbxServer.objects.filter(pk=pbx.pk).update(
        driver="freeswitch_esl",
        host="127.0.0.1",
        port=esl.port,
        username="",
        secret=ESL_PASSWORD,
        timeout_s=3.0,
    )
    Extension.objects.filter(number="1001").update(channel="user/1001")
    Extension.objects.filter(number="1002").update(channel="sofia/internal/1002@127.0.0.1")
    pbx.refresh_from_db()
    return pbx


@pytest.mark.parametrize(
    "case",
    [
        (
            "esl-06-incoming-answered",
            [("incoming", *BOB, "", False), ("answered", *BOB, "answered", True)],
            "answered",
        ),
        (
            "esl-06-incoming-missed",
            [("incoming", *BOB, "", False), ("missed", *BOB, "missed", False)],
            "missed",
        ),
    ],
)
def test_a_recorded_incoming_call_tells_alice(fs_pbx, phones, watch, esl, case):
    name, told, status = case
    with listening(fs_pbx):
        assert watch.connected.wait(10), "the listener never connected"
        time.sleep(0.3)  # the snapshot is read
        assert esl.play(name) > 0
        assert wait_until(lambda: watch.count() >= len(told))
        time.sleep(0.5)  # nothing more comes
    assert events_of(phones["alice"]) == told
    for username in ("bruno", "chloe", "bob"):
        assert events_of(phones[username]) == [], username
    assert {(c.username, c.status) for c in Call.objects.filter(direction="in")} == {("alice", status)}


def test_registrations_are_the_phones_presence(fs_pbx, phones, watch, esl):
    bruno = Extension.objects.get(number="1002")
    with listening(fs_pbx):
        assert watch.connected.wait(10)
        # The snapshot: the recorded `show registrations` lists 1001 and 1002, both idle.
        assert wait_until(lambda: phone_state_for(bruno) is PhoneState.IDLE)
        esl.play("esl-05-presence-registrations")  # plain events: 1002 registers again (idle)
        time.sleep(0.5)
        assert phone_state_for(bruno) is PhoneState.IDLE
        assert phone_state_for(Extension.objects.get(number="1003")) is PhoneState.UNKNOWN


def connection_changes(pbx: PbxServer, change: str) -> float:
    """``astitray_pbx_connection_changes_total`` for ``pbx`` (this process's counter: no database read)."""
    labels = {"pbx": pbx.name, "change": change}
    return REGISTRY.get_sample_value("astitray_pbx_connection_changes_total", labels) or 0.0


def test_after_a_restart_the_listener_reconnects_and_hears_the_next_call(fs_pbx, phones, watch, esl):
    ups, downs = connection_changes(fs_pbx, "up"), connection_changes(fs_pbx, "down")
    with listening(fs_pbx):
        assert watch.connected.wait(10)
        time.sleep(0.3)
        watch.connected.clear()
        esl.restart()  # SHUTDOWN, "The system is being shut down.", EOF: as recorded
        assert watch.connected.wait(10), "the listener never came back"
        assert esl.connections >= 2
        # The metrics say it: the connection went down once, and up again (a reconnection).
        assert connection_changes(fs_pbx, "down") - downs >= 1
        assert connection_changes(fs_pbx, "up") - ups >= 2
        time.sleep(0.3)  # the new snapshot is read
        esl.play("esl-06-incoming-missed")
        assert wait_until(lambda: watch.count() >= 2)
        time.sleep(0.5)
    assert events_of(phones["alice"]) == [("incoming", *BOB, "", False), ("missed", *BOB, "missed", False)]
