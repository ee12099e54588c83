"""The faults of the public API (docs/api.md, "Faults"), and which domain error each answers.

Services raise their app's own errors (``dialer/errors.py``); the RPC
server (``astitray/rpc.py``) turns them into these faults through
:func:`fault_for`, here and nowhere else. Each message is one short sentence
for a person: no secret, host name, stack trace or PBX detail. Codes are
part of the public contract: never change them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.utils.translation import gettext, gettext_noop
from modernrpc.exceptions import RPCException, RPCInvalidParams

from accounts.errors import TokenNotFound
from dialer import errors
from dialer.phrases import translated

# modernrpc's own beginnings of the standard faults' messages (modernrpc/exceptions.py), translated.
STANDARD_PREFIXES = (
    gettext_noop("Parse error, unable to read the request: "),
    gettext_noop("Security error: "),
    gettext_noop("Invalid request: "),
    gettext_noop("Invalid parameters: "),
    gettext_noop("Internal error: "),
    gettext_noop("Method not found: "),
)


def localized(message: str) -> str:
    """A fault's message with modernrpc's English beginning said in the current language."""
    for prefix in STANDARD_PREFIXES:
        if message.startswith(prefix):
            return gettext(prefix) + message[len(prefix) :]
    return message


class AstitrayFault(RPCException):
    """Base of Astitray's own faults; subclasses set ``code`` (and ``default_message`` if raised bare)."""

    code: ClassVar[int]
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None) -> None:
        # Said in the language of the request being answered (astitray.locale); the code never changes.
        super().__init__(
            self.code, message or (gettext(self.default_message) if self.default_message else "")
        )


class AuthenticationFailed(AstitrayFault):
    code = -32098
    # One message whatever the reason: nothing to learn for someone guessing.
    default_message = gettext_noop("Authentication failed: check your username and password.")


class NoExtension(AstitrayFault):
    code = -32089


class InvalidNumber(AstitrayFault):
    code = -32088


class NumberNotAllowed(AstitrayFault):
    code = -32087


class RateLimited(AstitrayFault):
    code = -32086


class PbxUnavailable(AstitrayFault):
    code = -32085


class PbxError(AstitrayFault):
    code = -32084


class NotFound(AstitrayFault):
    code = -32083


class PhoneUnavailable(AstitrayFault):
    code = -32082


# The one place where a domain error becomes a fault: the first class of the error's MRO found
# here decides (``dialer.rewrite.RewriteError`` is an ``InvalidNumber``). The message is the
# domain error's own sentence.
DOMAIN_FAULTS: dict[type[Exception], type[AstitrayFault]] = {
    errors.NoExtension: NoExtension,
    errors.InvalidNumber: InvalidNumber,
    errors.NumberNotAllowed: NumberNotAllowed,
    errors.RateLimited: RateLimited,
    errors.PbxUnreachable: PbxUnavailable,
    errors.PbxRefused: PbxError,
    errors.CallNotFound: NotFound,
    errors.PhoneUnavailable: PhoneUnavailable,
}


def fault_for(exc: BaseException) -> AstitrayFault | None:
    """The fault answering the domain error ``exc``, or None when ``exc`` is not one."""
    if isinstance(exc, TokenNotFound):
        return NotFound(gettext(exc.message))
    for cls in type(exc).__mro__:
        fault = DOMAIN_FAULTS.get(cls)
        if fault is not None:
            # In the language of the request being answered.
            return fault(translated(getattr(exc, "message", "") or str(exc)))
    return None


def require_str(value: Any, name: str, max_length: int) -> str:
    """``value`` if it is a string of at most ``max_length`` characters, else -32602."""
    if not isinstance(value, str):
        raise RPCInvalidParams(gettext("%(name)s must be a string") % {"name": name})
    if len(value) > max_length:
        raise RPCInvalidParams(
            gettext("%(name)s is longer than %(length)d characters") % {"name": name, "length": max_length}
        )
    return value


def require_int(value: Any, name: str, minimum: int, maximum: int) -> int:
    """``value`` if it is an integer within [minimum, maximum], else -32602."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise RPCInvalidParams(gettext("%(name)s must be an integer") % {"name": name})
    if not minimum <= value <= maximum:
        raise RPCInvalidParams(
            gettext("%(name)s must be between %(minimum)d and %(maximum)d")
            % {"name": name, "minimum": minimum, "maximum": maximum}
        )
    return value
