"""What the dial services refuse, in the dialer's own words (no RPC, no HTTP).

Each error carries ``message``: one short sentence for a person, with no
secret, host name or PBX detail (details go to the log and the call log),
in English, marked for translation (:mod:`dialer.phrases`): where it leaves
for a person it is said in their language.
The RPC layer answers each with its fault code (``astitray/faults.py``);
the admin and the management commands show the message as it is.
Errors of the drivers (``drivers.base.DriverError``) never leave the dialer:
:func:`dialer.services.dial` records them on the call and raises
:class:`PbxUnreachable` or :class:`PbxRefused`.
"""

from __future__ import annotations

from typing import ClassVar

from dialer.phrases import _


class DialError(Exception):
    """Base of the dialer's errors; subclasses set ``default_message``."""

    default_message: ClassVar[str] = ""  # the base is never raised: each error has its own sentence

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class NoExtension(DialError):
    """The caller has no enabled phone."""

    default_message = _("You have no phone set up for dialing; ask your administrator.")


class InvalidNumber(DialError):
    """No number that can be dialed in the text (see :class:`dialer.rewrite.RewriteError`)."""

    default_message = _("No phone number that can be dialed was found in that text.")


class NumberNotAllowed(DialError):
    """A number rule denies the number to this caller."""

    default_message = _("You are not allowed to call that number.")


class RateLimited(DialError):
    """Too many calls by this caller in a short time."""

    default_message = _("Too many calls in a short time; wait a minute and try again.")


class PbxUnreachable(DialError):
    """No usable PBX for the phone, or the PBX cannot be reached or refused our login."""

    default_message = _("The phone system cannot be reached right now; try again later.")


class PbxRefused(DialError):
    """The PBX refused the call (unknown channel, permission, an unsafe value, a failing driver)."""

    default_message = _("The phone system refused the call.")


class PhoneUnavailable(DialError):
    """The PBX says the caller's own phone is not registered or unreachable: nothing was dialed."""

    default_message = _("Your phone is not connected to the phone system; check that it is on and try again.")


class CallNotFound(DialError):
    """No such call of this caller (someone else's reads the same)."""

    default_message = _("No such call.")
