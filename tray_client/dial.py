"""``astitray-dial NUMBER-OR-URI``: dial from the command line, or as the desktop's tel: handler.

    astitray-dial "+44 20 7946 0958"
    astitray-dial tel:+44-20-7946-0958
    astitray-dial callto://+442079460958
    astitray-dial sip:1002@pbx.example.org
    python -m tray_client.dial ...     the same

    astitray-dial --from-link %u       how the desktop runs it for a clicked link

It uses the tray's settings and the password in the system keyring, prints
and notifies "Calling …", then waits for the outcome (``--no-wait`` not).

``--from-link`` (the Exec line that ``astitray-tray --install`` writes) says
the argument comes from a clicked link, which any web page can open: unless
the setting "Ask before calling a link" is off (``[links]
ask_before_calling = false``), a window first asks "Call … with your desk
phone?" (:mod:`tray_client.windows.confirm`) and nothing is dialed unless
the user answers "Call". A number typed on the command line is never asked.

Exit codes: 0 the call went through (or is on its way), 1 the call did not
go through, 2 nothing to dial in the argument, 3 not set up, 4 the server
refused or could not be reached, 5 the user did not confirm the link (Cancel,
Escape, the window closed, or no answer within 60 s), 6 the question could
not be shown (no display): nothing was dialed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from tray_client import api, config, i18n, messages
from tray_client.i18n import _
from tray_client.notify import Notifier, default_notifier
from tray_client.redial import RedialBook
from tray_client.uri import NotAPhoneLink, dial_text
from tray_client.windows.launcher import WindowFailed, run_window

# The question's expiry (kept here too so that dial.py imports no tkinter).
EXPIRE_S = 60.0

logger = logging.getLogger(__name__)

WENT_THROUGH = frozenset({"answered", "queued", "unknown"})

# Exit codes (see the module doc).
CALLED, NOT_CALLED, NOTHING_TO_DIAL, NOT_SET_UP, SERVER_PROBLEM, NOT_CONFIRMED, CANNOT_ASK = range(7)
# How long astitray-dial waits for the question's window beyond its own expiry.
ASK_MARGIN_S = 30.0


def main(argv: list[str] | None = None, notifier: Notifier | None = None) -> int:
    i18n.set_language()
    parser = argparse.ArgumentParser(
        prog="astitray-dial",
        description=_("Call a number or a tel:, callto: or sip: link with your desk phone."),
    )
    parser.add_argument(
        "number", nargs="+", metavar="NUMBER-OR-URI", help=_("a phone number or a phone link")
    )
    parser.add_argument(
        "--from-link",
        action="store_true",
        help=_("the argument is a clicked link: ask before calling (unless turned off in Settings)"),
    )
    parser.add_argument("--no-wait", action="store_true", help=_("do not wait for the outcome of the call"))
    parser.add_argument(
        "--wait", type=float, default=90.0, metavar="SECONDS", help=_("how long to wait for the outcome (90)")
    )
    parser.add_argument("--debug", action="store_true", help=_("log everything (to standard error)"))
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(name)s: %(message)s"
    )
    notifier = notifier or default_notifier()
    try:
        return dial(
            " ".join(args.number), notifier, wait_s=0 if args.no_wait else args.wait, from_link=args.from_link
        )
    finally:
        notifier.close()


def dial(
    argument: str,
    notifier: Notifier,
    wait_s: float = 90.0,
    every_s: float = 1.0,
    *,
    from_link: bool = False,
    expire_s: float = EXPIRE_S,
) -> int:
    """Dial ``argument`` (after asking, for a link), tell the outcome; the exit code (see the module doc)."""

    def say(message: str, key: str = "", error: bool = False) -> None:
        print(message, file=sys.stderr if error else sys.stdout, flush=True)
        notifier.show(_("Astitray"), message, key)

    try:
        text = dial_text(argument)
    except NotAPhoneLink as err:
        say(str(err), error=True)
        return NOTHING_TO_DIAL
    try:
        profile = config.load_profile()
    except config.KeyringProblem as err:
        say(messages.describe(err), error=True)
        return NOT_SET_UP
    if not profile.complete:
        say(messages.describe(api.NotConfigured()), error=True)
        return NOT_SET_UP
    if from_link and profile.settings.confirm_links:
        answer = ask(argument, text, profile, expire_s)
        if answer != "call":
            message = refusal_message(answer, expire_s)
            if answer == "cancel":
                print(message, flush=True)  # the user's own choice: no notification
            else:
                say(message, error=answer == "cannot ask")
            return CANNOT_ASK if answer == "cannot ask" else NOT_CONFIRMED
    client = profile.client()
    try:
        result = client.dial(text)
    except api.ApiFault as fault:
        say(messages.describe(fault), error=True)
        return NOT_CALLED
    except api.ApiError as err:
        say(messages.describe(err), error=True)
        return SERVER_PROBLEM
    RedialBook().remember(result.call_id, text)
    say(messages.calling(result.number), key=result.call_id)
    if wait_s <= 0:
        return CALLED
    info = client.outcome(result.call_id, every_s, wait_s)
    if info is None:
        return CALLED
    say(messages.call_outcome(info.number or result.number, info.status, info.reason), key=result.call_id)
    return CALLED if info.status in WENT_THROUGH else NOT_CALLED


def ask(link: str, text: str, profile: config.Profile, expire_s: float = EXPIRE_S) -> str:
    """Ask "Call … with your desk phone?" in a window: "call", "cancel", "expired" or "cannot ask"."""
    payload = {
        **profile.connection(),
        "link": link.strip(),
        "text": text,
        "expire_s": expire_s,
    }
    try:
        answers = run_window("confirm", payload, timeout_s=expire_s + ASK_MARGIN_S)
    except WindowFailed as err:
        logger.warning("cannot ask before calling: %s", err)
        return "cannot ask"
    return answer_of(answers)


def answer_of(answers: list[dict[str, Any]]) -> str:
    """The window's answer: "call" only when it said so in so many words; "cancel" by default."""
    for answer in answers:
        if answer.get("call") is True:
            return "call"
        if answer.get("call") is False:
            return "expired" if answer.get("reason") == "expired" else "cancel"
    return "cancel"


def refusal_message(answer: str, expire_s: float = EXPIRE_S) -> str:
    """What astitray-dial says when a link was not confirmed."""
    if answer == "expired":
        return _("Not called: nobody answered the question within %(seconds)d seconds.") % {
            "seconds": round(expire_s)
        }
    if answer == "cannot ask":
        return _(
            'Not called: the question "Call … with your desk phone?" cannot be shown here. To call links '
            'without being asked, turn off "Ask before calling a link" in Settings.'
        )
    return _("Not called: you cancelled the call.")


if __name__ == "__main__":
    sys.exit(main())
