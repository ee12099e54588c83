"""``astitray-dial NUMBER-OR-URI``: dial from the command line, as the desktop's tel: handler, or a shortcut.

    astitray-dial "+44 20 7946 0958"
    astitray-dial tel:+44-20-7946-0958
    astitray-dial callto://+442079460958
    astitray-dial sip:1002@pbx.example.org
    astitray-dial --selection          the text selected last (X11/Wayland primary), else the clipboard
    astitray-dial --clipboard          the clipboard
    python -m tray_client.dial ...     the same

    astitray-dial --from-link %u       how the desktop runs it for a clicked link

It uses the tray's settings and the password in the system keyring, prints
and notifies whom it calls ("Calling Hélène Dupont (Acme) — +33 1 42 68 53
00"), then waits for the outcome (``--no-wait`` not).

``--selection`` is what a desktop's own keyboard shortcut runs where the
tray cannot grab one (Wayland, GNOME): the selected text is checked on the
desktop first (tray_client.phonetext: prose, passwords and amounts never
leave it), and when it holds several numbers a window asks which one.

``--from-link`` (the Exec line of the installed link handler) says the
argument comes from a clicked link, which any web page can open: unless the
setting "Ask before calling a link" is off (``[links] ask_before_calling =
false``), a window first asks "Call … with your desk phone?"
(:mod:`tray_client.windows.confirm`) and nothing is dialed unless the user
answers "Call". A number typed on the command line is never asked.

Exit codes: 0 the call went through (or is on its way), 1 the call did not
go through, 2 nothing to dial in the argument, 3 not set up, 4 the server
refused or could not be reached, 5 the user did not confirm the link (Cancel,
Escape, the window closed, or no answer within 60 s), 6 the question could
not be shown (no display, no GUI toolkit): nothing was dialed.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from typing import Any

from tray_client import api, config, i18n, messages
from tray_client.callee import Callee, Resolver
from tray_client.clipboard import ClipboardReader
from tray_client.i18n import _
from tray_client.notify import Notifier, default_notifier
from tray_client.phonetext import could_hold_number
from tray_client.redial import RedialBook
from tray_client.uri import NotAPhoneLink, dial_text
from tray_client.windows.launcher import WindowFailed, run_window

# The question's expiry (kept here too so that dial.py imports no toolkit).
EXPIRE_S = 60.0

logger = logging.getLogger(__name__)

WENT_THROUGH = frozenset({"answered", "queued", "unknown"})

# Exit codes (see the module doc).
CALLED, NOT_CALLED, NOTHING_TO_DIAL, NOT_SET_UP, SERVER_PROBLEM, NOT_CONFIRMED, CANNOT_ASK = range(7)
# How long astitray-dial waits for a window beyond its own expiry.
ASK_MARGIN_S = 30.0
CHOOSE_S = 120.0

Say = Callable[..., None]


def main(argv: list[str] | None = None, notifier: Notifier | None = None) -> int:
    i18n.set_language()
    parser = argparse.ArgumentParser(
        prog="astitray-dial",
        description=_("Call a number or a tel:, callto: or sip: link with your desk phone."),
    )
    parser.add_argument(
        "number", nargs="*", metavar="NUMBER-OR-URI", help=_("a phone number or a phone link")
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--selection",
        action="store_true",
        help=_("call the number in the selected text (else the clipboard)"),
    )
    source.add_argument("--clipboard", action="store_true", help=_("call the number in the clipboard"))
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
    if bool(args.number) == (args.selection or args.clipboard):
        parser.error(_("give a number or a link, or --selection or --clipboard"))
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(name)s: %(message)s"
    )
    notifier = notifier or default_notifier()
    wait_s = 0 if args.no_wait else args.wait
    try:
        if args.selection or args.clipboard:
            return dial_selected("primary" if args.selection else "clipboard", notifier, wait_s=wait_s)
        return dial(" ".join(args.number), notifier, wait_s=wait_s, from_link=args.from_link)
    finally:
        notifier.close()


def _sayer(notifier: Notifier) -> Say:
    def say(message: str, key: str = "", error: bool = False) -> None:
        print(message, file=sys.stderr if error else sys.stdout, flush=True)
        notifier.show(_("Astitray"), message, key)

    return say


def _profile(say: Say) -> config.Profile | None:
    try:
        profile = config.load_profile()
    except config.KeyringProblem as err:
        say(messages.describe(err), error=True)
        return None
    if not profile.complete:
        say(messages.describe(api.NotConfigured()), error=True)
        return None
    return profile


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
    say = _sayer(notifier)
    try:
        text = dial_text(argument)
    except NotAPhoneLink as err:
        say(str(err), error=True)
        return NOTHING_TO_DIAL
    profile = _profile(say)
    if profile is None:
        return NOT_SET_UP
    title = ""
    if from_link and profile.settings.confirm_links:
        answers = ask(argument, text, profile, expire_s)
        answer = answer_of(answers)
        if answer != "call":
            reason = next((str(item["cannot"]) for item in answers if "cannot" in item), "")
            message = refusal_message(answer, expire_s, reason)
            if answer == "cancel":
                print(message, flush=True)  # the user's own choice: no notification
            else:
                say(message, error=answer == "cannot ask")
            return CANNOT_ASK if answer == "cannot ask" else NOT_CONFIRMED
        title = next((str(item.get("title", "")) for item in answers if item.get("call") is True), "")
    return place(profile, text, say, wait_s, every_s, title=title)


def dial_selected(selection: str, notifier: Notifier, wait_s: float = 90.0, every_s: float = 1.0) -> int:
    """Dial the number in the selected text (``primary``, else the clipboard) or the ``clipboard``."""
    say = _sayer(notifier)
    content = ClipboardReader(selection=selection).read()
    if selection == "primary" and not content.has_text:
        content = ClipboardReader().read()
    if not content.has_text or not could_hold_number(content.text):
        reason = content.reason if content.reason in ("secret", "no_tool") else "no_digits"
        say(messages.no_number(reason), error=True)
        return NOTHING_TO_DIAL
    profile = _profile(say)
    if profile is None:
        return NOT_SET_UP
    try:
        callees = Resolver(profile.client).resolve(content.text)
    except api.ApiFault as fault:
        say(messages.describe(fault), error=True)
        return NOTHING_TO_DIAL if fault.code == api.INVALID_NUMBER else NOT_CALLED
    except api.ApiError as err:
        say(messages.describe(err), error=True)
        return SERVER_PROBLEM
    text, title = content.text, callees[0].title if callees else ""
    if len(callees) > 1:
        chosen = choose(profile, callees)
        if chosen is None:
            print(_("Not called: you chose no number."), flush=True)
            return NOT_CONFIRMED
        text, title = chosen
    return place(profile, text, say, wait_s, every_s, title=title)


def choose(profile: config.Profile, callees: tuple[Callee, ...]) -> tuple[str, str] | None:
    """Ask which of ``callees`` to call (the search window, showing them): (text, title), or None."""
    rows = [
        {"text": c.text, "number": c.shown_number, "name": c.name, "company": c.company, "label": c.label}
        for c in callees
    ]
    try:
        answers = run_window("search", {**profile.connection(), "choices": rows}, timeout_s=CHOOSE_S)
    except WindowFailed as err:
        logger.warning("cannot ask which number: %s", err)
        return (callees[0].text, callees[0].title) if callees else None
    for answer in answers:
        if isinstance(answer.get("dial"), str):
            callee = Callee(
                text=answer["dial"], display=str(answer.get("number", "")), name=str(answer.get("name", ""))
            )
            return answer["dial"], callee.title
    return None


def place(
    profile: config.Profile, text: str, say: Say, wait_s: float, every_s: float, *, title: str = ""
) -> int:
    """Dial ``text``, say whom it calls (or that it is calling them already), then the outcome."""
    client = profile.client()
    try:
        result = client.dial(text)
    except api.ApiFault as fault:
        say(messages.describe(fault), error=True)
        return NOT_CALLED
    except api.ApiError as err:
        say(messages.describe(err), error=True)
        return SERVER_PROBLEM
    title = title or _whom(client, text, result)
    if not RedialBook().remember(result.call_id, text, title):
        say(messages.already_calling(title), key=result.call_id)
        return CALLED
    say(messages.calling(title), key=result.call_id)
    if wait_s <= 0:
        return CALLED
    info = client.outcome(result.call_id, every_s, wait_s)
    if info is None:
        return CALLED
    say(messages.call_outcome(title, info.status, info.reason), key=result.call_id)
    return CALLED if info.status in WENT_THROUGH else NOT_CALLED


def _whom(client: api.ApiClient, text: str, result: api.DialResult) -> str:
    """Whom the call goes to, as people read it (the dial string when the server cannot say)."""
    try:
        callees = Resolver(lambda: client).resolve(text)
    except api.ApiError as err:
        logger.info("no name for the call: %s", err)
        return result.number
    match = next((callee for callee in callees if callee.number == result.number), None)
    return match.title if match is not None else result.number


def ask(link: str, text: str, profile: config.Profile, expire_s: float = EXPIRE_S) -> list[dict[str, Any]]:
    """Ask "Call … with your desk phone?" in a window; its answers ([] with ``{"cannot": …}`` when none)."""
    payload = {**profile.connection(), "link": link.strip(), "text": text, "expire_s": expire_s}
    try:
        return run_window("confirm", payload, timeout_s=expire_s + ASK_MARGIN_S)
    except WindowFailed as err:
        logger.warning("cannot ask before calling: %s", err)
        return [{"cannot": str(err)}]


def answer_of(answers: list[dict[str, Any]]) -> str:
    """The window's answer: "call" only when it said so in so many words; "cancel" by default."""
    for answer in answers:
        if "cannot" in answer:
            return "cannot ask"
        if answer.get("call") is True:
            return "call"
        if answer.get("call") is False:
            return "expired" if answer.get("reason") == "expired" else "cancel"
    return "cancel"


def refusal_message(answer: str, expire_s: float = EXPIRE_S, reason: str = "") -> str:
    """What astitray-dial says when a link was not confirmed (``reason``: why no window could show).

    When the question cannot be shown, neither can the Settings window: the
    way out it gives is the file, never a window.
    """
    if answer == "expired":
        return _("Not called: nobody answered the question within %(seconds)d seconds.") % {
            "seconds": round(expire_s)
        }
    if answer == "cannot ask":
        message = _(
            'Not called: the question "Call … with your desk phone?" cannot be shown here. To call links '
            "without being asked, set ask_before_calling = false in the [links] section of %(path)s."
        ) % {"path": config.config_path()}
        return f"{message}\n{reason}" if reason else message
    return _("Not called: you cancelled the call.")


if __name__ == "__main__":
    sys.exit(main())
