"""Every text the tray client shows about calls, errors and its state, in plain words.

Pure functions of their arguments, translated at the moment they are called.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tray_client import api
from tray_client.config import KeyringProblem, SettingsError
from tray_client.i18n import _


def describe(error: Exception) -> str:
    """One or two short sentences telling a person what went wrong and what to do."""
    if isinstance(error, api.ApiFault):
        return describe_fault(error.code, error.fault_string)
    if isinstance(error, api.ApiError):
        return _describe_connection(error)
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


def describe_fault(code: int, fault_string: str) -> str:
    """A fault of API.md in the user's language (the server's own sentence is English)."""
    known = {
        api.NO_EXTENSION: _("You have no phone set up for dialing. Ask your administrator."),
        api.INVALID_NUMBER: _("No phone number that can be dialed was found in that text."),
        api.NUMBER_NOT_ALLOWED: _("You are not allowed to call that number."),
        api.RATE_LIMITED: _("Too many calls in a short time. Wait a minute and try again."),
        api.PBX_UNAVAILABLE: _("The phone system cannot be reached right now. Try again later."),
        api.PBX_ERROR: _("The phone system refused the call."),
        api.NOT_FOUND: _("The server no longer knows that call."),
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


def calling(number: str) -> str:
    return _("Calling %(number)s — pick up your phone") % {"number": number}


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
    """A call status (API.md) as one or two words."""
    labels = {
        "queued": _("sent"),
        "answered": _("answered"),
        "no_answer": _("no answer"),
        "busy": _("busy"),
        "failed": _("failed"),
        "denied": _("refused"),
        "unknown": _("unknown"),
    }
    return labels.get(status, status)


def recent_call_label(number: str, status: str, created: str, now: datetime | None = None) -> str:
    """A line of the "Recent calls" menu: number, status and when (local time)."""
    when = _when(created, now)
    values = {"number": number, "status": status_label(status), "when": when}
    if when:
        return _("%(number)s — %(status)s, %(when)s") % values
    return _("%(number)s — %(status)s") % values


def _when(created: str, now: datetime | None) -> str:
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


def tooltip(state: str, who: api.WhoAmI | None = None, detail: str = "") -> str:
    """The icon's tooltip: who is logged in and their extension, or what is wrong."""
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
    else:
        text = {
            "unconfigured": _("Astitray — not set up: open Settings…"),
            "checking": _("Astitray — connecting…"),
            "unreachable": _("Astitray — the server cannot be reached"),
            "refused": _("Astitray — username or password refused"),
            "not_astitray": _("Astitray — the server address is wrong"),
        }.get(state, _("Astitray — something is wrong"))
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
        "error": _("The clipboard could not be read."),
    }
    return texts.get(reason, _("No phone number was found in the clipboard."))
