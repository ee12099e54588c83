"""Listeners as real processes: SIGKILL mid-call, racing, takeover, a dial worker killed, /readyz.

Each process is ``manage.py pbx_events`` (or a dial in ``manage.py shell``) on one shared SQLite
file, against a fake Asterisk in the test replaying the recordings.
"""

from __future__ import annotations

import json
import signal
import time

import pytest

from testkit.fake_asterisk.events_replay import EventsAmi, recorded_answer
from testkit.fake_asterisk.replay import transcript
from testkit.known_secrets import AMI_SECRET
from testkit.listener import Site, kill, wait_for
from tests.drivers.asterisk_scenarios import CALL_45A

FIRST, SECOND = "ami-43-reconnect-during-call-first", "ami-43-reconnect-during-call-second"

SETUP = """
from django.contrib.auth import get_user_model
from accounts.models import Extension
from drivers.models import PbxServer
PbxServer.objects.all().delete()
pbx = PbxServer.objects.create(name="Asterisk", driver="asterisk_ami", host="127.0.0.1", port={port},
                               username="astitray", secret={secret!r}, context="outbound", is_default=True,
                               timeout_s=3)
for username, number in [("alice", "1001"), ("bruno", "1002"), ("chloe", "1003")]:
    user = get_user_model().objects.create_user(username, password=username + "-pw-1")
    Extension.objects.create(user=user, number=number, channel="PJSIP/" + number, pbx=pbx)
"""


@pytest.fixture
def site():
    with Site() as shared:
        yield shared


def ringing() -> list[bytes]:
    """The first connection's events while 1001 rings (before its channel goes Up)."""
    events = EventsAmi(transcript(FIRST)).unsolicited()
    return events[: next(n for n, e in enumerate(events) if b"\r\nChannelStateDesc: Up\r\n" in e)]


def prepare(site: Site, fake: EventsAmi) -> None:
    site.shell(SETUP.format(port=fake.port, secret=AMI_SECRET))


def test_a_listener_killed_mid_call_is_replaced_within_10_s_without_a_duplicate(site):
    with EventsAmi(transcript(FIRST)) as fake:
        prepare(site, fake)
        first = site.listener()  # the default lease: 6 s
        assert wait_for(lambda: site.lease() and site.lease()[1]), "the first listener never connected"
        fake.broadcast(b"".join(ringing()))  # 1001 rings (the answer is still to come)
        assert wait_for(lambda: site.events("alice") == [("incoming", "0142685300", "", False)])
        second = site.listener()  # a standby on "another host"
        time.sleep(1)
        killed_at = time.monotonic()
        kill(first)  # SIGKILL: no goodbye, its lease stays until it expires
        fake.load(transcript(SECOND))
        fake.lists["coreshowchannels"] = recorded_answer(SECOND, "csc-ringing")  # still ringing
        assert wait_for(lambda: held_by(site, second), timeout=15)
        took_over = time.monotonic() - killed_at
        assert took_over < 10, f"took over after {took_over:.1f} s"
        print(f"takeover {took_over:.1f} s after the SIGKILL")
        time.sleep(0.5)
        fake.play()  # answered, then hung up
        assert wait_for(lambda: len(site.events("alice")) >= 2)
        time.sleep(1)
        kill(second, signal.SIGTERM)
    assert site.events("alice") == [
        ("incoming", "0142685300", "", False),
        ("answered", "0142685300", "answered", True),
    ]
    assert site.query("SELECT username, status, reason FROM dialer_call") == [
        ("alice", "answered", "answered")
    ]


def held_by(site: Site, process) -> bool:
    """Whether ``process`` holds the PBX's lease and is connected."""
    lease = site.lease()
    return bool(lease and lease[0].endswith(f":{process.pid}") and lease[1])


def test_two_listeners_race_one_listens_the_other_takes_over_when_it_stops(site):
    with EventsAmi(transcript("ami-20-incoming-answered")) as fake:
        prepare(site, fake)
        racers = [site.listener("--lease-seconds", "3"), site.listener("--lease-seconds", "3")]
        assert wait_for(lambda: site.lease() and site.lease()[1])
        time.sleep(2)
        assert fake.logins == 1 and fake.connected == 1  # the other stands by: no second connection
        holder = next(p for p in racers if site.lease()[0].endswith(f":{p.pid}"))
        other = next(p for p in racers if p is not holder)
        fake.play()
        assert wait_for(lambda: len(site.events("alice")) >= 2)
        stopped_at = time.monotonic()
        assert kill(holder, signal.SIGTERM) == 0  # a clean stop gives the lease back
        assert wait_for(
            lambda: site.lease() and site.lease()[0].endswith(f":{other.pid}") and site.lease()[1]
        )
        assert time.monotonic() - stopped_at < 5
        fake.load(transcript("ami-21-incoming-noanswer"))
        time.sleep(0.5)
        fake.play()
        assert wait_for(lambda: len(site.events("chloe")) >= 2)
        time.sleep(1)
        kill(other, signal.SIGTERM)
    assert site.events("alice") == [
        ("incoming", "0142685300", "", False),
        ("answered", "0142685300", "answered", True),
    ]
    assert site.events("chloe") == [
        ("incoming", "0142685300", "", False),
        ("missed", "0142685300", "missed", False),
    ]
    assert site.events("bruno") == []


DIAL = """
import time
from django.contrib.auth import get_user_model
from dialer.services import dial
print(dial(get_user_model().objects.get(username="alice"), "+44 20 7946 0958"), flush=True)
time.sleep(120)
"""


def test_a_dial_whose_worker_was_killed_still_gets_the_pbxs_outcome(site):
    with EventsAmi(transcript("ami-45-clicktodial-channelid")) as fake:
        prepare(site, fake)
        fake.hold = True  # the PBX answers "queued" and keeps the call's events until release()
        listener = site.listener()
        assert wait_for(lambda: site.lease() and site.lease()[1])
        worker = site.start("shell", "-c", DIAL, name="dial-worker")
        assert wait_for(lambda: site.query("SELECT status FROM dialer_call") == [("queued",)])
        assert wait_for(lambda: any(b"Action: Originate" in a for a in fake.received))
        kill(worker)  # SIGKILL before the outcome: its AMI connection and reader die with it
        fake.release()  # the phone rejected the call (Reason 0; DialEnd BUSY)
        assert wait_for(lambda: site.query("SELECT status FROM dialer_call") == [("busy",)])
        time.sleep(0.5)
        kill(listener, signal.SIGTERM)
    [(call_id,)] = site.query("SELECT call_id FROM dialer_call")
    assert call_id.replace("-", "") != CALL_45A.replace("-", "")  # our own id, put on the call
    assert site.events("alice") == [("call", "000442079460958", "busy", False)]


CONSOLE = """
from drivers.models import PbxServer
PbxServer.objects.create(name="Console", driver="console")
"""
READYZ = """
from django.test import Client
response = Client().get("/readyz")
print("READYZ", response.status_code, response.content.decode())
"""


def readyz(site: Site) -> tuple[int, dict]:
    """(status, body) of ``GET /readyz`` on the shared database, as an app server answers it."""
    line = next(line for line in site.shell(READYZ).splitlines() if line.startswith("READYZ "))
    _, status, body = line.split(" ", 2)
    return int(status), json.loads(body)


def states(body: dict) -> dict[str, str]:
    return {pbx["name"]: pbx["state"] for pbx in body["pbx"]}


def test_a_stopped_pbx_is_down_in_readyz_which_still_answers_200(site):
    with EventsAmi(transcript("ami-20-incoming-answered")) as fake:
        prepare(site, fake)
        site.shell(CONSOLE)  # a second PBX, through which dialing still works
        listener = site.listener()  # it listens to both PBXs
        assert wait_for(lambda: states(readyz(site)[1]) == {"Asterisk": "up", "Console": "up"})
    # The Asterisk stopped (its port now refuses connections): its listener cannot reconnect.
    assert wait_for(lambda: states(readyz(site)[1])["Asterisk"] == "down")
    status, body = readyz(site)
    kill(listener, signal.SIGTERM)
    # Dialing through the other PBX still works: the server is ready, that PBX is marked down.
    assert status == 200
    assert body == {**body, "status": "ok", "database": "up", "cache": "up"}
    assert states(body) == {"Asterisk": "down", "Console": "up"}
    assert "127.0.0.1" not in json.dumps(body) and AMI_SECRET not in json.dumps(body)
