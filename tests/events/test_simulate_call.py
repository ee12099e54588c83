"""``manage.py simulate_call`` through the console PBX's stream and the listener: what ``make run`` shows."""

from __future__ import annotations

import time

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Extension
from events.presence import phone_state_for
from tests.events.conftest import events_of
from tests.events.helpers import listening, wait_until
from tests.phonebook.helpers import add

pytestmark = pytest.mark.django_db(transaction=True)
MARIE = ("+33142685300", "Marie Dubois")


@pytest.fixture
def spool(settings, tmp_path):
    settings.ASTITRAY_CONSOLE_SPOOL = tmp_path / "spool"
    return settings.ASTITRAY_CONSOLE_SPOOL


@pytest.mark.parametrize("outcome", ["--answer", "--missed"])
@pytest.mark.usefixtures("spool")
def test_a_simulated_call_reaches_the_user_through_the_listener(alice, bob, console_pbx, watch, outcome):
    add("Marie Dubois", "+33 1 42 68 53 00")
    with listening(console_pbx):
        assert watch.connected.wait(10)
        call_command("simulate_call", "--to", "1001", "--from", "+33 1 42 68 53 00", outcome,
                     "--ring-seconds", "0.3", "--talk-seconds", "0.2")  # fmt: skip
        assert wait_until(lambda: watch.count() >= 2)
        time.sleep(0.5)
    ended = (
        ("answered", *MARIE, "answered", True)
        if outcome == "--answer"
        else ("missed", *MARIE, "missed", False)
    )
    assert events_of(alice) == [("incoming", *MARIE, "", False), ended]
    assert events_of(bob) == []


def test_a_console_phone_state_is_presence(alice, console_pbx, spool, watch):
    phone = Extension.objects.get(number="1001")
    with listening(console_pbx):
        assert watch.connected.wait(10)
        assert wait_until(lambda: phone_state_for(phone) == "idle")  # the console PBX: idle when not said
        call_command("simulate_call", "--to", "1001", "--state", "unavailable")
        assert wait_until(lambda: phone_state_for(phone) == "unavailable")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--to", "1009", "--from", "0142685300"], "No enabled phone has the number '1009'"),
        (["--to", "1001", "--from", "call me"], "--from: give the calling number"),
        (["--to", "1001", "--from", "0142685300", "--ring-seconds", "0"], "--ring-seconds is 0.1 to 120"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(alice, console_pbx, spool, args, says):
    with pytest.raises(CommandError, match=says):
        call_command("simulate_call", *args)
    assert not spool.exists() or not list(spool.iterdir())


def test_a_phone_on_a_real_pbx_cannot_be_simulated(alice, pbx, spool):
    Extension.objects.filter(number="1001").update(pbx=pbx)
    pbx.driver = "asterisk_ami"
    pbx.save()
    with pytest.raises(CommandError, match="not on the console PBX"):
        call_command("simulate_call", "--to", "1001", "--from", "0142685300")


def test_pbx_events_refuses_a_lease_out_of_bounds(db):
    for bad in ("0.1", "61"):
        with pytest.raises(CommandError, match=r"--lease-seconds is 0\.5 to 60"):
            call_command("pbx_events", "--lease-seconds", bad)


@pytest.mark.usefixtures("alice", "spool")
def test_a_drivers_bug_is_logged_and_the_listener_tries_again(console_pbx, watch, monkeypatch, caplog):
    from drivers.console_events import ConsoleEventStream

    real = ConsoleEventStream.snapshot
    failures = iter([RuntimeError("a third-party driver's bug")])

    def snapshot(self):
        for failure in failures:
            raise failure
        return real(self)

    monkeypatch.setattr(ConsoleEventStream, "snapshot", snapshot)
    with listening(console_pbx):
        assert wait_until(lambda: watch.connections >= 2)  # failed once, then connected again
        call_command("simulate_call", "--to", "1001", "--from", "0142685300", "--ring-seconds", "0.2",
                     "--talk-seconds", "0.1")  # fmt: skip
        assert wait_until(lambda: watch.count() >= 2)
    assert "the listener failed: RuntimeError: a third-party driver's bug" in caplog.text
