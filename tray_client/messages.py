"""Every text the tray client shows about calls, errors and its state, in plain words.

Pure functions of their arguments, translated at the moment they are called.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tray_client import api
from tray_client.callee import Callee
from tray_client.config import KeyringProblem, SettingsError
from tray_client.i18n import _, ngettext


def describe(error: Exception, in_settings: bool = False) -> str:
    """One or two short sentences telling a person what went wrong and what to do.

    ``in_settings``: said inside the Settings window, so never "go to Settings".
    """
    if isinstance(error, api.ApiFault):
        return describe_fault(error.code, error.fault_string)
    if isinstance(error, api.ApiError):
        return _describe_in_settings(error) if in_settings else _describe_connection(error)
    if isinstance(error, KeyringProblem):
        return _("The system keyring could not be used: %(reason)s") % {"reason": error.reason}
    if isinstance(error, SettingsError):
        return str(error)
    if isinstance(error, OSError):
        reason = error.strerror or type(error).__name__
        return _("A file could not be read or written: %(error)s") % {"error": reason}
    return _("Something went wrong: %(error)s") % {"error": type(error).__name__}


def _describe_connection(error: api.ApiError) -> str:
    """An error of the connection to the server, or of the server itself."""
    if isinstance(error, api.NotConfigured):
        return _(
            "Astitray is not set up yet: open Settings… and enter the server, your username and password."
        )
    if isinstance(error, api.ServerTimeout):
        return _("The Astitray server did not answer in time. Try again in a moment.")
    if isinstance(error, api.ServerUnreachable):
        if error.certificate:
            return _("The server's security certificate is not trusted. Check the address in Settings….")
        return _("Cannot reach the Astitray server. Check your network and the address in Settings….")
    if isinstance(error, api.AuthenticationRefused) and error.token:
        return _("The server no longer accepts this computer's login (revoked?). Log in again in Settings….")
    if isinstance(error, api.AuthenticationRefused):
        return _("The server refused your username or password. Check them in Settings….")
    if isinstance(error, api.HttpError) and error.status == 413:
        return _("That text is too long to send to the server.")
    if isinstance(error, api.HttpError) and error.status >= 500:
        message = _("The Astitray server has a problem right now (HTTP error %(status)s). Try again later.")
        return message % {"status": error.status}
    if isinstance(error, api.NotAstitray | api.HttpError):
        return _("The address in Settings… does not lead to an Astitray server.")
    return _("Something went wrong: %(error)s") % {"error": type(error).__name__}


def _describe_in_settings(error: api.ApiError) -> str:
    """The same as :func:`_describe_connection`, for someone already looking at the settings."""
    if isinstance(error, api.ServerUnreachable):
        if error.certificate:
            return _("The server's security certificate is not trusted by this computer.")
        return _("Cannot reach a server at this address. Check the address and your network.")
    if isinstance(error, api.AuthenticationRefused) and error.token:
        return _("The server no longer accepts this computer's login (revoked?): type your password.")
    if isinstance(error, api.AuthenticationRefused):
        return _("The server refused this username or password.")
    if isinstance(error, api.NotAstitray | api.HttpError) and not (
        isinstance(error, api.HttpError) and (error.status >= 500 or error.status == 413)
    ):
        return _("This address does not lead to an Astitray server.")
    return _describe_connection(error)


def describe_fault(code: int, fault_string: str) -> str:
    """A fault of docs/api.md in the user's language (the server's own sentence is English)."""
    known = {
        api.NO_EXTENSION: _("You have no phone set up for dialing. Ask your administrator."),
        api.INVALID_NUMBER: _("No phone number that can be dialed was found in that text."),
        api.NUMBER_NOT_ALLOWED: _("You are not allowed to call that number."),
        api.RATE_LIMITED: _("Too many calls in a short time. Wait a minute and try again."),
        api.PBX_UNAVAILABLE: _("The phone system cannot be reached right now. Try again later."),
        api.PBX_ERROR: _("The phone system refused the call."),
        api.NOT_FOUND: _("The server no longer knows that call."),
        api.PHONE_UNAVAILABLE: phone_not_registered() + " " + _("Nothing was dialed."),
        api.METHOD_NOT_FOUND: _("The Astitray server does not offer this yet: it may need an update."),
        api.INVALID_PARAMS: _("The server did not accept that request."),
        api.INTERNAL_ERROR: _("The Astitray server had an internal error. Try again later."),
        -32700: _("The server could not understand the request."),
        -32600: _("The server could not understand the request."),
    }
    if code in known:
        return known[code]
    if fault_string:
        return fault_string
    return _("The server refused the request (error %(code)s).") % {"code": code}


def phone_not_registered() -> str:
    """The PBX says the user's own phone is not registered (whoami's ``phone``, fault -32082)."""
    return _("Your phone is not registered with the phone system: check that it is on and connected.")


def calling(number: str) -> str:
    """``number``: whom, as people read it ("Hélène Dupont (Acme) — +33 1 42 68 53 00", or the number)."""
    return _("Calling %(number)s — pick up your phone") % {"number": number}


def already_calling(number: str) -> str:
    """The same number dialed again while its call is being placed: the server answers that call."""
    return _("Already calling %(number)s — pick up your phone") % {"number": number}


def refused_notice(token: bool = False) -> str:
    """Said once when the server refuses the saved password or token (the tray then stops asking)."""
    if token:
        return _(
            "The server no longer accepts this computer's login (its token was revoked, or your account "
            "changed). Astitray will not try again until you log in again: click here or open Settings…."
        )
    return _(
        "The server refused your username or password. Astitray will not try again until you change "
        "them: click here or open Settings…."
    )


def call_outcome(number: str, status: str, reason: str = "") -> str:
    """What happened to the call to ``number``, once the PBX said."""
    values = {"number": number, "reason": reason}
    if status == "answered":
        return _("Your phone answered: %(number)s is being called.") % values
    if status == "no_answer":
        return _("Call to %(number)s not placed: your phone was not picked up.") % values
    if status == "busy":
        return _("Call to %(number)s not placed: your phone was busy.") % values
    if status == "failed":
        if reason:
            return _("The call to %(number)s failed: %(reason)s") % values
        return _("The call to %(number)s failed.") % values
    if status == "denied":
        return _("The call to %(number)s was refused.") % values
    if status == "unknown":
        return _("The phone system did not say what happened to the call to %(number)s.") % values
    return _("The call to %(number)s is on its way.") % values


def status_label(status: str) -> str:
    """A call status (docs/api.md) as one or two words."""
    labels = {
        "queued": _("sent"),
        "answered": _("answered"),
        "no_answer": _("no answer"),
        "busy": _("busy"),
        "failed": _("failed"),
        "denied": _("refused"),
        "unknown": _("unknown"),
        "missed": _("missed"),
    }
    return labels.get(status, status)


def incoming_call(callee: Callee) -> str:
    """ "Marie Dubois (Acme) is calling — 01 42 68 53 00", or "01 42 68 53 00 is calling"."""
    if callee.who:
        return _("%(who)s is calling — %(number)s") % {"who": callee.who, "number": callee.shown_number}
    return _("%(number)s is calling") % {"number": callee.shown_number}


def answered_here(callee: Callee) -> str:
    return _("Answered: %(whom)s") % {"whom": callee.title}


def answered_elsewhere(callee: Callee) -> str:
    """A ring group's call that a colleague picked up."""
    return _("Answered by a colleague: %(whom)s") % {"whom": callee.title}


def missed_menu(unseen: int) -> str:
    """The "Missed calls" submenu's name, with how many are new."""
    if unseen:
        return _("Missed calls (%(count)d)") % {"count": unseen}
    return _("Missed calls")


def missed_call_label(who: str, created: str, now: datetime | None = None) -> str:
    """A line of "Missed calls": who called (name and number, or the number) and when; a click calls back."""
    moment = when(created, now)
    if moment:
        return _("%(who)s, %(when)s") % {"who": who, "when": moment}
    return who


def missed_count(unseen: int) -> str:
    """The tooltip's line about new missed calls."""
    return ngettext("%(count)d missed call", "%(count)d missed calls", unseen) % {"count": unseen}


def recent_call_label(number: str, status: str, created: str, now: datetime | None = None) -> str:
    """A line of the "Recent calls" menu: whom (name and number, or the number), status and when."""
    moment = when(created, now)
    values = {"number": number, "status": status_label(status), "when": moment}
    if moment:
        return _("%(number)s — %(status)s, %(when)s") % values
    return _("%(number)s — %(status)s") % values


def when(created: str, now: datetime | None = None) -> str:
    """``created`` (ISO 8601, UTC) as a local time today, or a local date and time."""
    try:
        moment = datetime.fromisoformat(created.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    local = moment.astimezone()
    today = (now or datetime.now().astimezone()).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def tooltip(state: str, who: api.WhoAmI | None = None, detail: str = "", missed: int = 0) -> str:
    """The icon's tooltip: who is logged in and their extension, or what is wrong; new missed calls."""
    if state == "ok" and who is not None:
        name = who.full_name or who.username
        if who.extension:
            text = _("Astitray — %(name)s (%(username)s), extension %(extension)s") % {
                "name": name,
                "username": who.username,
                "extension": who.extension,
            }
        else:
            text = _("Astitray — %(name)s (%(username)s), no phone set up") % {
                "name": name,
                "username": who.username,
            }
        if who.phone_unavailable:
            text = f"{text}\n{phone_not_registered()}"
    else:
        text = {
            "unconfigured": _("Astitray — not set up: open Settings…"),
            "checking": _("Astitray — connecting…"),
            "unreachable": _("Astitray — the server cannot be reached"),
            "refused": _("Astitray — username or password refused"),
            "not_astitray": _("Astitray — the server address is wrong"),
        }.get(state, _("Astitray — something is wrong"))
    if missed:
        text = f"{text}\n{missed_count(missed)}"
    if detail:
        text = f"{text}\n{detail}"
    return text


def no_number(reason: str) -> str:
    """Why "Dial clipboard" has nothing to dial, for a notification."""
    texts = {
        "empty": _("The clipboard is empty: copy a phone number first."),
        "not_text": _("The clipboard holds no text (an image?): copy a phone number first."),
        "too_long": _("The clipboard holds too much text to be a phone number."),
        "no_tool": _("The clipboard cannot be read: install xclip (X11) or wl-clipboard (Wayland)."),
        "secret": _("The clipboard holds a password manager's secret: Astitray does not read it."),
        "error": _("The clipboard could not be read."),
    }
    return texts.get(reason, _("No phone number was found in the clipboard."))
