"""The login gate: after a refusal, no login attempt until the credentials change (tray_client/gate.py)."""

from __future__ import annotations

from tray_client.gate import LoginGate


def test_an_answer_to_a_call_sent_before_the_refusal_does_not_open_the_gate_again():
    """A long poll sent before the token was revoked answers after the refusal: the gate stays shut,
    or the next dial would be a second failed login (the server counts them towards a lockout)."""
    gate = LoginGate(clock=lambda: 1000.0)
    long_poll = gate.allow()
    clipboard_check = gate.allow()
    assert long_poll is not None and clipboard_check is not None
    assert gate.refuse()  # the clipboard check is refused
    gate.accepted(long_poll)  # then the long poll, authenticated before, answers
    assert gate.refused
    assert gate.allow() is None  # the dial that follows is held, not sent


def test_an_answer_to_a_call_sent_after_the_refusal_opens_it():
    clock = [1000.0]
    gate = LoginGate(retry_s=3600, clock=lambda: clock[0])
    gate.refuse()
    assert gate.allow() is None
    clock[0] += 3600
    hourly = gate.allow()  # the hour's one attempt
    assert hourly is not None
    assert gate.allow() is None  # only one
    gate.accepted(hourly)  # and the server took it: open again
    assert not gate.refused
    assert gate.allow() is not None


def test_new_credentials_open_it_at_once():
    gate = LoginGate(clock=lambda: 1000.0)
    gate.refuse()
    gate.reset()
    assert gate.allow() is not None
