"""What every Asterisk driver puts on the call's channel: its variables, and the auto-answer request.

Shared by the AMI and AJAM drivers (``Variable:`` headers of an Originate)
and the ARI driver (the ``variables`` object of ``POST /channels``).
"""

from __future__ import annotations

import re

from drivers.base import OriginateRequest, UnsafeValue

# The channel variable holding Astitray's call id (for the dialplan and CDRs).
CALL_ID_VARIABLE = "ASTITRAY_CALL_ID"
# Set (inherited) on channels whose technology has no standard auto-answer header:
# the dialplan may act on it (docs/asterisk.md, auto-answer).
AUTO_ANSWER_VARIABLE = "__ASTITRAY_AUTOANSWER"

# The headers desk phones understand as "answer at once": Alert-Info (Polycom,
# Yealink, Snom, Grandstream) and Call-Info answer-after (Yealink, Snom, Cisco, ...).
ALERT_INFO = "<http://127.0.0.1>;info=alert-autoanswer;delay=0"
CALL_INFO = "<sip:127.0.0.1>;answer-after=0"

# NAME, _NAME or __NAME (inherited), or FUNCTION(arguments).
_VARIABLE_NAME_RE = re.compile(r"_{0,2}[A-Za-z][A-Za-z0-9_]*(\([^()\"\\]*\))?\Z")


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


def channel_variables(request: OriginateRequest) -> list[tuple[str, str]]:
    """Every variable the call carries, raw (not escaped): the request's, auto-answer, call id."""
    variables = [(check_variable_name(name), value) for name, value in request.variables.items()]
    if request.auto_answer:
        variables += auto_answer_variables(request.channel)
    if request.call_id:
        variables.append((CALL_ID_VARIABLE, request.call_id))
    return variables
