"""The listener's tracker fed by the FreeSWITCH stream's translation of the recorded events.

The same pipeline as for Asterisk (events/tracker.py) decides, from the
legs the FreeSWITCH translator reports, that 1001's phone rang for Bob
Durand's call and answered it, or missed it when Bob hung up, and the
outcome of a click-to-dial: the listener works with FreeSWITCH unchanged.
"""

from __future__ import annotations

import logging

from drivers.base import CallStatus
from drivers.events import PbxEvent, ProblemLog
from drivers.freeswitch.events import EslTranslator
from drivers.freeswitch.protocol import Framer, parse_event
from events.tracker import CallTracker, Incoming, Outcome, Settled
from testkit.fake_freeswitch.recording import raw


def translated(name: str) -> list[PbxEvent]:
    translator = EslTranslator(ProblemLog(logging.getLogger(__name__)))
    events = [parse_event(m) for m in Framer().feed(raw(name)) if m.is_event]
    return translator.translate_all([e for e in events if e is not None])


def effects(name: str) -> list[object]:
    return [e for e in CallTracker().feed(translated(name)) if isinstance(e, Incoming | Settled | Outcome)]


def test_an_incoming_call_answered_on_the_phone():
    incoming, settled = effects("esl-06-incoming-answered")
    assert isinstance(incoming, Incoming) and isinstance(settled, Settled)
    assert (incoming.endpoint, incoming.caller_name, incoming.caller_number) == (
        "user/1001",
        "Bob Durand",
        "1002",
    )
    assert (settled.endpoint, settled.answered, settled.by_me) == ("user/1001", True, True)


def test_an_incoming_call_missed_when_the_caller_hung_up():
    incoming, settled = effects("esl-06-incoming-missed")
    assert isinstance(incoming, Incoming) and isinstance(settled, Settled)
    assert (settled.answered, settled.reason) == (False, "the caller hung up")


def test_a_click_to_dial_is_an_outcome_not_an_incoming_call():
    found = effects("esl-03-clicktodial-busy")
    assert [type(e) for e in found] == [Outcome]
    (outcome,) = found
    assert isinstance(outcome, Outcome)
    assert (outcome.status, outcome.reason) == (CallStatus.BUSY, "busy")
