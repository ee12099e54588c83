"""The manager's ``Originate`` action: its fields, and what Asterisk's answers to it mean.

Shared by the AMI driver (TCP) and the AJAM driver (the same manager
actions over HTTP). Asterisk 22 behaviour, from the recorded transcripts
(``testkit/fake_asterisk/recorded/``):

- ``Response: Success`` / ``Message: Originate successfully queued`` to an
  ``Async: true`` Originate only means "queued". The outcome arrives later
  as the ``OriginateResponse`` event carrying the same ActionID, with
  ``Reason`` 4 (answered), 3 (no answer), 5 (busy), 8 (congestion), 0 or 1
  (failed; but a real phone rejecting the call also gives 0: see
  :mod:`~drivers.asterisk.manager.originated`).
- Synchronous refusals: ``Permission denied`` (no ``originate`` write right),
  ``Extension does not exist.`` (unknown context or number), ``Originate
  failed`` (synchronous originate of a channel that cannot be called).
- Each ``Variable:`` header is split by Asterisk on commas outside
  parentheses and quotes, and loses its double quotes and backslashes: our
  values are escaped so they arrive as given.
"""

from __future__ import annotations

import logging

from drivers.asterisk.channels import channel_variables
from drivers.asterisk.manager.originated import REASONS, UNAVAILABLE
from drivers.asterisk.manager.protocol import Header, Message
from drivers.base import (
    CallStatus,
    DriverError,
    OriginateFailed,
    OriginateRejected,
    OriginateRequest,
    PbxAuthFailed,
    PbxPermissionDenied,
    UnknownExtension,
)
from drivers.translation import gettext as _
from drivers.translation import gettext_noop

logger = logging.getLogger(__name__)


def escape_variable_value(value: str) -> str:
    """Protect ``\\``, ``"`` and ``,`` from Asterisk's argument splitting."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace(",", "\\,")


def originate_headers(request: OriginateRequest, default_context: str, channel_id: str = "") -> list[Header]:
    """The fields of an ``Async`` Originate for ``request`` (ActionID added by the sender).

    ``channel_id`` (the call's reference) becomes the phone channel's
    ``Uniqueid`` (``ChannelId``): every event of the call, the failed
    ``OriginateResponse`` included, then carries it.
    """
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
    if channel_id:
        headers.append(("ChannelId", channel_id))
    return headers


def outcome_of(event: Message) -> tuple[CallStatus, str]:
    """What an ``OriginateResponse`` event says alone: the call's final status and why.

    Reason 0 alone means the phone could not be called at all (not
    registered, unknown); a phone that rejected the call also gives 0, which
    only its channel's events tell apart
    (:class:`~drivers.asterisk.manager.originated.OriginateOutcomes`).
    """
    raw = event.get("Reason") or ""
    try:
        reason = int(raw)
    except ValueError:
        return (CallStatus.UNKNOWN, f"the PBX gave no usable reason ({raw!r})")
    if reason in REASONS:
        return REASONS[reason]
    if reason == 0:
        return UNAVAILABLE
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


def right_probe(context: str) -> list[Header]:
    """An Originate without a Channel, to learn whether the account may originate.

    Asterisk refuses it before anything is dialed: "Permission denied" without
    the ``originate`` right, "Channel not specified" with it.
    """
    return [("Context", context), ("Exten", "s"), ("Priority", "1"), ("Async", "true")]


def originate_right(reply: Message) -> tuple[bool | None, str]:
    """Whether the account may originate, from the answer to :func:`right_probe`, and in words."""
    text = reply.text.lower()
    if "permission denied" in text:
        return (False, _("This account may NOT originate calls: add 'originate' to its write= line."))
    if "channel not specified" in text:
        return (True, _("This account may originate calls."))
    return (
        None,
        _("Could not tell whether this account may originate calls (the PBX said %(said)r).")
        % {"said": reply.text},
    )


LISTENER_RIGHTS = gettext_noop(
    "Live events (incoming calls, presence) need 'call,system' in read= and 'reporting' in write= "
    "(docs/asterisk.md)."
)


def listener_rights_note(reply: Message) -> str:
    """What the admin should fix for the event listener, from the answer to a ``CoreShowChannels``."""
    if "permission denied" in reply.text.lower():
        return _(
            "This account may not list channels: the event listener needs 'reporting' in its write= line."
        )
    return _(LISTENER_RIGHTS)
