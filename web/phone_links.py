"""What the page says in its script's language, and the text of a clicked phone link."""

from __future__ import annotations

from urllib.parse import unquote

from django.utils.translation import gettext as _

MAX_LINK = 4096


def link_text(uri: str) -> str:
    """The text of a ``tel:``/``callto:``/``sip:`` link as the browser hands it (percent-encoded), decoded.

    Only decoded and bounded here: which number it holds is ``dialer.normalize``'s to say.
    """
    text = unquote(uri[:MAX_LINK], errors="replace")
    return "".join(char for char in text if char.isprintable())[:MAX_LINK]


def page_texts() -> dict[str, str]:
    """The sentences the page's script shows, in the request's language."""
    return {
        "calling": _("Calling %(number)s — pick up your phone"),
        "ask": _("Call %(number)s with your desk phone?"),
        "expired": _("Not called: no answer within a minute. Click the link again."),
        "will_dial": _("Will dial %(number)s"),
        "no_number": _("No phone number in this text."),
        "not_allowed": _("You are not allowed to call this number."),
        "no_results": _("Nobody found."),
        "call": _("Call"),
        "call_back": _("Call back"),
        "queued": _("Ringing your phone…"),
        "answered": _("Answered: calling the number."),
        "no_answer": _("Your phone was not picked up."),
        "busy": _("Busy."),
        "failed": _("The call failed."),
        "denied": _("Refused by a number rule."),
        "unknown": _("The phone system did not say what happened."),
        "presence_idle": _("available"),
        "presence_ringing": _("ringing"),
        "presence_in_use": _("on the phone"),
        "presence_unavailable": _("unavailable"),
        "presence_unknown": "",
        "out": _("outgoing"),
        "in": _("incoming"),
        "missed": _("missed"),
        "error": _("The server could not be reached."),
        "incoming": _("Incoming call from %(name)s"),
        "incoming_missed": _("Missed call from %(name)s"),
        "incoming_answered": _("You answered %(name)s"),
        "incoming_answered_elsewhere": _("A colleague answered %(name)s"),
        "notify_ask": _("Show incoming calls as notifications"),
        "notify_blocked": _("Notifications are blocked in this browser's settings for this site."),
        "handler_set": _("This page now opens phone links (tel:)."),
        "handler_failed": _("This browser does not let the page open phone links."),
    }
