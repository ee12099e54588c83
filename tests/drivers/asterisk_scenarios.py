"""What each recorded scenario (transcripts 20-45) must yield in neutral events, for every Asterisk stream.

Written from the recordings and FINDINGS-events.txt (who rang, who answered,
why each leg ended), not from the translators' output. Phone states of
devices other than phones (``Queue:support``) never appear. ``at`` is left
out of the comparison (the manager gives no time without ``timestampevents``).
"""

from __future__ import annotations

from drivers.base import CallStatus
from drivers.events import (
    CallEnded,
    CallProgress,
    LegAnswered,
    LegEnd,
    LegEnded,
    LegRinging,
    PbxEvent,
    PhoneChanged,
    PhoneState,
)

MARIE = ("0142685300", "Marie Dubois")
DUPONT = ("0044207946095", "Dupont SA")
BRUNO = ("1002", "Bruno Petit")
IDLE, RINGING, IN_USE, UNAVAILABLE = (
    PhoneState.IDLE,
    PhoneState.RINGING,
    PhoneState.IN_USE,
    PhoneState.UNAVAILABLE,
)


def ring(call: str, leg: str, phone: str, caller: tuple[str, str] = MARIE, call_id: str = "") -> LegRinging:
    return LegRinging(call_key=call, leg_key=leg, endpoint=f"PJSIP/{phone}", caller_number=caller[0],
                      caller_name=caller[1], call_id=call_id)  # fmt: skip


def answer(call: str, leg: str, phone: str) -> LegAnswered:
    return LegAnswered(call_key=call, leg_key=leg, endpoint=f"PJSIP/{phone}")


def end(call: str, leg: str, phone: str, reason: LegEnd) -> LegEnded:
    return LegEnded(call_key=call, leg_key=leg, endpoint=f"PJSIP/{phone}", reason=reason)


def over(call: str) -> CallEnded:
    return CallEnded(call_key=call)


def phone(name: str, state: PhoneState) -> PhoneChanged:
    return PhoneChanged(endpoint=f"PJSIP/{name}", state=state)


def progress(call_id: str, status: CallStatus, reason: str) -> CallProgress:
    return CallProgress(call_id=call_id, status=status, reason=reason)


def calls(events: list[PbxEvent]) -> list[PbxEvent]:
    """The call events only (the order of phone states against them varies between PBX interfaces)."""
    return [e for e in events if not isinstance(e, PhoneChanged)]


def phones(events: list[PbxEvent]) -> list[PhoneChanged]:
    return [e for e in events if isinstance(e, PhoneChanged)]


# Our call ids, put by the fake PBX where the recording has the click-to-dial's own ids (ChannelId).
CALL_27 = "27272727-0000-4000-8000-000000000027"
CALL_28 = "28282828-0000-4000-8000-000000000028"
CALL_29 = "29292929-0000-4000-8000-000000000029"
CALL_30 = "30303030-0000-4000-8000-000000000030"
CALL_45A = "0b7f3c52-1d2e-4f6a-9b8c-7d6e5f4a3b21"  # recorded with these ChannelIds
CALL_45B = "0b7f3c52-1d2e-4f6a-9b8c-7d6e5f4a3b22"

E = LegEnd
# name -> (call events in order, phone states in order) for the manager (AMI and AJAM: the same text).
MANAGER: dict[str, tuple[list[PbxEvent], list[PbxEvent]]] = {
    "20-incoming-answered": (
        [ring("1796605607.21", "1796605607.22", "1001"), answer("1796605607.21", "1796605607.22", "1001"),
         end("1796605607.21", "1796605607.22", "1001", E.ANSWERED), over("1796605607.21")],
        [phone("1001", RINGING), phone("trunk", IN_USE), phone("1001", IN_USE), phone("1001", IDLE),
         phone("trunk", IDLE)],
    ),
    "21-incoming-noanswer": (
        [ring("1796605625.23", "1796605625.24", "1003"),
         end("1796605625.23", "1796605625.24", "1003", E.NOT_ANSWERED), over("1796605625.23")],
        [phone("1003", RINGING), phone("trunk", IN_USE), phone("trunk", IDLE), phone("1003", IDLE)],
    ),
    "22-incoming-busy": (
        [ring("1796605657.25", "1796605657.26", "1002"),
         end("1796605657.25", "1796605657.26", "1002", E.BUSY),
         over("1796605657.25")],
        [phone("1002", RINGING), phone("trunk", IN_USE), phone("1002", IDLE), phone("trunk", IDLE)],
    ),
    "23-incoming-caller-cancel": (
        [ring("1796605671.27", "1796605671.28", "1003"),
         end("1796605671.27", "1796605671.28", "1003", E.CALLER_CANCELLED), over("1796605671.27")],
        [phone("1003", RINGING), phone("trunk", IN_USE), phone("trunk", IDLE), phone("1003", IDLE)],
    ),
    "24-ringgroup": (
        [ring("1796605687.29", "1796605687.30", "1001"), ring("1796605687.29", "1796605687.31", "1002"),
         answer("1796605687.29", "1796605687.31", "1002"),
         end("1796605687.29", "1796605687.30", "1001", E.ANSWERED_ELSEWHERE),
         end("1796605687.29", "1796605687.31", "1002", E.ANSWERED), over("1796605687.29")],
        [phone("1001", RINGING), phone("trunk", IN_USE), phone("1002", RINGING), phone("1002", IN_USE),
         phone("1001", IDLE), phone("trunk", IDLE), phone("1002", IDLE)],
    ),
    "25-queue": (
        [ring("1796605705.32", "1796605705.33", "1002"), ring("1796605705.32", "1796605705.34", "1001"),
         answer("1796605705.32", "1796605705.34", "1001"),
         end("1796605705.32", "1796605705.33", "1002", E.ANSWERED_ELSEWHERE),  # its CANCEL came twice
         end("1796605705.32", "1796605705.34", "1001", E.ANSWERED), over("1796605705.32")],
        [phone("trunk", IN_USE), phone("1002", RINGING), phone("1001", RINGING), phone("1001", IN_USE),
         phone("1002", IDLE), phone("1001", IDLE), phone("trunk", IDLE)],
    ),
    "26-internal-call": (
        [ring("1796605723.35", "1796605723.36", "1001", BRUNO),
         answer("1796605723.35", "1796605723.36", "1001"),
         end("1796605723.35", "1796605723.36", "1001", E.ANSWERED), over("1796605723.35")],
        [phone("1001", RINGING), phone("1002", IN_USE), phone("1001", IN_USE), phone("1001", IDLE),
         phone("1002", IDLE)],
    ),
    # Click-to-dial: the user's own phone rings with the number dialed; ChannelId = ActionID = our call id.
    "27-clicktodial-answered": (
        [ring(CALL_27, CALL_27, "1001", DUPONT, CALL_27), answer(CALL_27, CALL_27, "1001"),
         progress(CALL_27, CallStatus.ANSWERED, "answered"), end(CALL_27, CALL_27, "1001", E.ANSWERED),
         over(CALL_27)],
        [phone("1001", RINGING), phone("1001", IN_USE), phone("1001", IDLE)],
    ),
    "28-clicktodial-noanswer": (
        [ring(CALL_28, CALL_28, "1001", DUPONT, CALL_28),
         progress(CALL_28, CallStatus.NO_ANSWER, "no answer"),
         end(CALL_28, CALL_28, "1001", E.NOT_ANSWERED), over(CALL_28)],
        [phone("1001", RINGING), phone("1001", IDLE)],
    ),
    "29-clicktodial-busy": (  # OriginateResponse Reason 0: busy only from DialEnd BUSY / Hangup 17
        [ring(CALL_29, CALL_29, "1001", DUPONT, CALL_29), progress(CALL_29, CallStatus.BUSY, "busy"),
         end(CALL_29, CALL_29, "1001", E.BUSY), over(CALL_29)],
        [phone("1001", RINGING), phone("1001", IDLE)],
    ),
    "30-clicktodial-unregistered": (  # Reason 0 and nothing else: the phone is unavailable
        [progress(CALL_30, CallStatus.FAILED, "the phone is not registered or does not exist")],
        [],
    ),
    "31-presence-register": (
        [],
        [phone("1003", IDLE), phone("1003", UNAVAILABLE), phone("1003", IDLE), phone("1003", UNAVAILABLE),
         phone("1003", IDLE)],
    ),
    "45-clicktodial-channelid": (
        [ring(CALL_45A, CALL_45A, "1001", DUPONT, CALL_45A), progress(CALL_45A, CallStatus.BUSY, "busy"),
         end(CALL_45A, CALL_45A, "1001", E.BUSY), over(CALL_45A),
         ring(CALL_45B, CALL_45B, "1001", DUPONT, CALL_45B), answer(CALL_45B, CALL_45B, "1001"),
         progress(CALL_45B, CallStatus.ANSWERED, "answered"), end(CALL_45B, CALL_45B, "1001", E.ANSWERED),
         over(CALL_45B)],
        [phone("1001", RINGING), phone("1001", IDLE), phone("1001", RINGING), phone("1001", IN_USE),
         phone("1001", IDLE)],
    ),
}  # fmt: skip

# The click-to-dial recordings' own ids (ActionID of the Originate, the phone channel's Uniqueid)
# -> our call id: what the fake PBX puts in when the Originate carries ChannelId = ActionID = the call id.
ORIGINATED = {
    "27-clicktodial-answered": [(b"astitray-4242-a1b2c3-27", b"1796605741.37", CALL_27)],
    "28-clicktodial-noanswer": [(b"astitray-4242-a1b2c3-28", b"1796605756.38", CALL_28)],
    "29-clicktodial-busy": [(b"astitray-4242-a1b2c3-29", b"1796605783.39", CALL_29)],
    "30-clicktodial-unregistered": [(b"astitray-4242-a1b2c3-30a", b"", CALL_30)],
    "45-clicktodial-channelid": [(b"astitray-4242-a1b2c3-45a", CALL_45A.encode(), CALL_45A),
                                 (b"astitray-4242-a1b2c3-45b", CALL_45B.encode(), CALL_45B)],
}  # fmt: skip


def expected(name: str) -> list[PbxEvent]:
    """Both lists of a manager scenario, for comparing call events and phone states apart."""
    call_events, phone_states = MANAGER[name]
    return [*call_events, *phone_states]
