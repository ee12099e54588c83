"""An outgoing call's new status reaches its caller as a ``call`` event, whichever process moved it."""

from __future__ import annotations

import pytest

from dialer import outcomes
from dialer.models import Call
from dialer.services import dial
from drivers.base import CallStatus
from events.models import UserEvent
from tests.events.conftest import events_of

pytestmark = pytest.mark.django_db


def test_the_console_dial_tells_its_caller(alice, bob):
    answer = dial(alice, "01 23 45 67 89")
    [event] = UserEvent.objects.filter(user=alice)
    assert event.type == "call"
    assert (event.payload["call_id"], event.payload["status"]) == (answer["call_id"], "answered")
    assert event.payload["number"] == answer["number"]
    assert UserEvent.objects.filter(user=bob).count() == 0


def test_a_driver_outcome_from_another_thread_tells_the_caller(alice):
    call = Call.objects.create(user=alice, username="alice", extension="1001", number="00123456789")
    outcomes.record_outcome(str(call.call_id), CallStatus.BUSY, "busy")
    outcomes.record_outcome(str(call.call_id), CallStatus.ANSWERED, "answered")  # too late: final already
    assert events_of(alice) == [("call", "00123456789", "", "busy", False)]


def test_a_receiver_that_fails_never_undoes_the_move(alice, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("events.receivers.publish", broken)
    call = Call.objects.create(user=alice, username="alice", extension="1001", number="00123456789")
    outcomes.record_outcome(str(call.call_id), CallStatus.NO_ANSWER, "no answer")
    assert Call.objects.get().status == "no_answer"
    assert "failed on its new status" in caplog.text
