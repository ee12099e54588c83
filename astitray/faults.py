"""The faults of the public API (API.md, "Faults").

Each is one short sentence for a person: no secret, host name, stack trace
or PBX detail. Codes are part of the public contract: never change them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from modernrpc.exceptions import RPCException, RPCInvalidParams


class AstitrayFault(RPCException):
    """Base of Astitray's own faults; subclasses set ``code`` and ``default_message``."""

    code: ClassVar[int]
    default_message: ClassVar[str]

    def __init__(self, message: str | None = None) -> None:
        super().__init__(self.code, message or self.default_message)


class AuthenticationFailed(AstitrayFault):
    code = -32098
    # One message whatever the reason: nothing to learn for someone guessing.
    default_message = "Authentication failed: check your username and password."


class NoExtension(AstitrayFault):
    code = -32089
    default_message = "You have no phone set up for dialing; ask your administrator."


class InvalidNumber(AstitrayFault):
    code = -32088
    default_message = "No phone number that can be dialed was found in that text."


class NumberNotAllowed(AstitrayFault):
    code = -32087
    default_message = "You are not allowed to call that number."


class RateLimited(AstitrayFault):
    code = -32086
    default_message = "Too many calls in a short time; wait a minute and try again."


class PbxUnavailable(AstitrayFault):
    code = -32085
    default_message = "The phone system cannot be reached right now; try again later."


class PbxError(AstitrayFault):
    code = -32084
    default_message = "The phone system refused the call."


class NotFound(AstitrayFault):
    code = -32083
    default_message = "No such call."


def require_str(value: Any, name: str, max_length: int) -> str:
    """``value`` if it is a string of at most ``max_length`` characters, else -32602."""
    if not isinstance(value, str):
        raise RPCInvalidParams(f"{name} must be a string")
    if len(value) > max_length:
        raise RPCInvalidParams(f"{name} is longer than {max_length} characters")
    return value


def require_int(value: Any, name: str, minimum: int, maximum: int) -> int:
    """``value`` if it is an integer within [minimum, maximum], else -32602."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RPCInvalidParams(f"{name} must be an integer")
    if not minimum <= value <= maximum:
        raise RPCInvalidParams(f"{name} must be between {minimum} and {maximum}")
    return value
