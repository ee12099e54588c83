"""Asterisk's names for phone states and channels, in the neutral vocabulary.

Shared by the manager (AMI/AJAM) and ARI translators: both name device
states alike (``NOT_INUSE``, ``RINGING``, ...).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from drivers.events import LegEnd, PhoneState

# Device states (AMI DeviceStateChange "State", ARI device_state "state", DeviceStateList).
DEVICE_STATES: dict[str, PhoneState] = {
    "NOT_INUSE": PhoneState.IDLE,
    "INUSE": PhoneState.IN_USE,
    "BUSY": PhoneState.IN_USE,
    "ONHOLD": PhoneState.IN_USE,
    "RINGING": PhoneState.RINGING,
    "RINGINUSE": PhoneState.IN_USE,  # in a call, and another one rings: busy for colleagues
    "UNAVAILABLE": PhoneState.UNAVAILABLE,
    "INVALID": PhoneState.UNKNOWN,  # no such device: say nothing rather than "unavailable"
    "UNKNOWN": PhoneState.UNKNOWN,
}

# ExtensionStatus / ExtensionState "Status" (a hint's state; a bit field).
EXTENSION_STATES: dict[int, PhoneState] = {
    0: PhoneState.IDLE,
    1: PhoneState.IN_USE,
    2: PhoneState.IN_USE,  # busy
    4: PhoneState.UNAVAILABLE,
    8: PhoneState.RINGING,
    9: PhoneState.IN_USE,  # in use and ringing
    16: PhoneState.IN_USE,  # on hold
    17: PhoneState.IN_USE,
}

# Q.850 hangup causes that say why a phone's leg ended (FINDINGS-events.txt).
CAUSE_ANSWERED_ELSEWHERE = 26
BUSY_CAUSES = frozenset({17, 21})  # user busy (SIP 486), call rejected (SIP 603 from the phone)
NO_ANSWER_CAUSES = frozenset({18, 19})  # no user responding, user alerting with no answer
# Dial statuses (AMI DialEnd "DialStatus", ARI Dial "dialstatus") -> how the leg ended.
DIAL_ENDS: dict[str, LegEnd] = {
    "ANSWER": LegEnd.ANSWERED,
    "BUSY": LegEnd.BUSY,
    "NOANSWER": LegEnd.NOT_ANSWERED,
    "CANCEL": LegEnd.CALLER_CANCELLED,  # unless answered elsewhere (see book.end_reason)
    "CHANUNAVAIL": LegEnd.FAILED,
    "CONGESTION": LegEnd.FAILED,
}

# A device whose state is a phone's: "PJSIP/1001", not "Queue:support" or "Custom:x".
_DEVICE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*/[^\s/]+\Z")
# Asterisk's own unique ids: "<epoch>.<n>"; ours (ChannelId, channelId) are UUIDs.
_ASTERISK_ID_RE = re.compile(r"\d+\.\d+\Z")


def device_state(name: str) -> PhoneState:
    """A device state's meaning (``UNKNOWN`` for a name Asterisk might add later)."""
    return DEVICE_STATES.get(name.strip().upper(), PhoneState.UNKNOWN)


def extension_state(status: str) -> PhoneState:
    """An ExtensionStatus ``Status`` (``-1``: no hint, unknown)."""
    try:
        return EXTENSION_STATES.get(int(status), PhoneState.UNKNOWN)
    except ValueError:
        return PhoneState.UNKNOWN


def is_phone_device(name: str) -> bool:
    """Whether a device is a phone's endpoint (``PJSIP/1001``) rather than a queue or custom state."""
    return bool(_DEVICE_RE.match(name)) and not name.lower().startswith("local/")


def endpoint_of(channel: str) -> str:
    """The endpoint of a channel name: ``PJSIP/1001-0000001e`` -> ``PJSIP/1001`` (text before the last "-").

    ``Local/1001@phones-00000001;2`` -> ``Local/1001@phones``; "" for a name without "/".
    """
    name = channel.strip().split(";", 1)[0]
    if "/" not in name:
        return ""
    head, sep, _ = name.rpartition("-")
    return head if sep and "/" in head else name


def is_call_id(value: str) -> bool:
    """Whether ``value`` may be one of our call ids (a UUID), rather than an id Asterisk chose."""
    if not value or _ASTERISK_ID_RE.match(value):
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def cause_of(value: object) -> int | None:
    """A hangup cause as a number (None when absent or not a number)."""
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def clean(value: str | None) -> str:
    """A caller ID field as Asterisk gives it, with its ``<unknown>`` placeholder as empty text."""
    text = (value or "").strip()
    return "" if text.lower() in ("<unknown>", "unknown") else text


def ari_time(value: object) -> float:
    """An ARI timestamp (``2026-12-07T01:06:47.103+0000``) in epoch seconds; 0 when unreadable."""
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()
    except ValueError:
        return 0.0
