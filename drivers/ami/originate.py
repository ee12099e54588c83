"""The ``Originate`` action's fields, and what Asterisk's answers to it mean.

Shared by the AMI driver (TCP) and the AJAM driver (the same manager
actions over HTTP). Asterisk 22 behaviour, from the recorded transcripts:

- ``Response: Success`` / ``Message: Originate successfully queued`` to an
  ``Async: true`` Originate only means "queued". The outcome arrives later
  as the ``OriginateResponse`` event carrying the same ActionID, with
  ``Reason`` 4 (answered), 3 (no answer), 5 (busy), 8 (congestion), 0 or 1
  (failed).
- Synchronous refusals: ``Permission denied`` (no ``originate`` write right),
  ``Extension does not exist.`` (unknown context or number), ``Originate
  failed`` (synchronous originate of a channel that cannot be called).
- Each ``Variable:`` header is split by Asterisk on commas outside
  parentheses and quotes, and loses its double quotes and backslashes: our
  values are escaped so they arrive as given.
"""

from __future__ import annotations

import logging
import re

from drivers.ami.protocol import Header, Message
from drivers.base import (
    CallStatus,
    DriverError,
    OriginateFailed,
    OriginateRejected,
    OriginateRequest,
    PbxAuthFailed,
    PbxPermissionDenied,
    UnknownExtension,
    UnsafeValue,
)

logger = logging.getLogger(__name__)

# The channel variable holding Astitray's call id (for the dialplan and CDRs).
CALL_ID_VARIABLE = "ASTITRAY_CALL_ID"
# Set (inherited) on channels whose technology has no standard auto-answer header:
# the dialplan may act on it (README, "Configuring Asterisk for Astitray").
AUTO_ANSWER_VARIABLE = "__ASTITRAY_AUTOANSWER"

# The headers desk phones understand as "answer at once": Alert-Info (Polycom,
# Yealink, Snom, Grandstream) and Call-Info answer-after (Yealink, Snom, Cisco, ...).
ALERT_INFO = "<http://127.0.0.1>;info=alert-autoanswer;delay=0"
CALL_INFO = "<sip:127.0.0.1>;answer-after=0"

# NAME, _NAME or __NAME (inherited), or FUNCTION(arguments).
_VARIABLE_NAME_RE = re.compile(r"_{0,2}[A-Za-z][A-Za-z0-9_]*(\([^()\"\\]*\))?\Z")

# OriginateResponse "Reason" (Asterisk's control frame codes) -> status, words.
REASONS: dict[int, tuple[CallStatus, str]] = {
    4: (CallStatus.ANSWERED, "answered"),
    3: (CallStatus.NO_ANSWER, "no answer"),
    5: (CallStatus.BUSY, "busy"),
    8: (CallStatus.FAILED, "congestion"),
    0: (CallStatus.FAILED, "the phone could not be called"),
    1: (CallStatus.FAILED, "hung up"),
}


def technology(channel: str) -> str:
    """``PJSIP/1001`` -> ``PJSIP``."""
    return channel.partition("/")[0].upper()


def auto_answer_variables(channel: str) -> list[tuple[str, str]]:
    """The channel variables that ask the caller's phone to answer by itself."""
    tech = technology(channel)
    if tech == "PJSIP":
        return [("PJSIP_HEADER(add,Alert-Info)", ALERT_INFO), ("PJSIP_HEADER(add,Call-Info)", CALL_INFO)]
    if tech == "SIP":
        # chan_sip adds every SIPADDHEADERnn variable of the channel to its INVITE.
        return [
            ("SIPADDHEADER51", f"Alert-Info: {ALERT_INFO}"),
            ("SIPADDHEADER52", f"Call-Info: {CALL_INFO}"),
        ]
    return [(AUTO_ANSWER_VARIABLE, "yes")]


def check_variable_name(name: str) -> str:
    """:raises UnsafeValue: a name Asterisk would split or mangle (commas, quotes, ...)."""
    if not _VARIABLE_NAME_RE.match(name):
        raise UnsafeValue("a variable name must be letters, digits and '_' (or FUNCTION(arguments))")
    return name


def escape_variable_value(value: str) -> str:
    """Protect ``\\``, ``"`` and ``,`` from Asterisk's argument splitting."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace(",", "\\,")


def channel_variables(request: OriginateRequest) -> list[tuple[str, str]]:
    """Every variable the call carries, raw (not escaped): the request's, auto-answer, call id."""
    variables = [(check_variable_name(name), value) for name, value in request.variables.items()]
    if request.auto_answer:
        variables += auto_answer_variables(request.channel)
    if request.call_id:
        variables.append((CALL_ID_VARIABLE, request.call_id))
    return variables


def originate_headers(request: OriginateRequest, default_context: str) -> list[Header]:
    """The fields of an ``Async`` Originate for ``request`` (ActionID added by the sender)."""
    headers: list[Header] = [
        ("Channel", request.channel),
        ("Context", request.context or default_context),
        ("Exten", request.number),
        ("Priority", "1"),
        ("Async", "true"),
        ("Timeout", str(int(request.ring_timeout_s) * 1000)),  # milliseconds here
    ]
    if request.caller_id:
        headers.append(("CallerID", request.caller_id))
    if request.account_code:
        headers.append(("Account", request.account_code))
    headers += [
        ("Variable", f"{name}={escape_variable_value(value)}") for name, value in channel_variables(request)
    ]
    return headers


def outcome_of(event: Message) -> tuple[CallStatus, str]:
    """What an ``OriginateResponse`` event says: the call's final status and why."""
    raw = event.get("Reason") or ""
    try:
        reason = int(raw)
    except ValueError:
        return (CallStatus.UNKNOWN, f"the PBX gave no usable reason ({raw!r})")
    if reason in REASONS:
        return REASONS[reason]
    return (CallStatus.UNKNOWN, f"reason {reason}")


def originate_error(reply: Message) -> DriverError:
    """The error for a refused Originate (its ``Message:`` text logged by the caller)."""
    text = reply.text.strip().rstrip(".").lower()
    if text == "permission denied":
        return PbxPermissionDenied()
    if text == "extension does not exist":
        return UnknownExtension()
    if text == "originate failed":
        return OriginateFailed()
    if text == "authentication failed":
        return PbxAuthFailed()
    return OriginateRejected()
