"""``astitray-dial NUMBER-OR-URI``: dial from the command line, or as the desktop's tel: handler.

    astitray-dial "+44 20 7946 0958"
    astitray-dial tel:+44-20-7946-0958
    astitray-dial callto://+442079460958
    astitray-dial sip:1002@pbx.example.org
    python -m tray_client.dial ...     the same

It uses the tray's settings and the password in the system keyring, prints
and notifies "Calling …", then waits for the outcome (``--no-wait`` not).
Exit codes: 0 the call went through (or is on its way), 1 the call did not
go through, 2 nothing to dial in the argument, 3 not set up, 4 the server
refused or could not be reached.
"""

from __future__ import annotations

import argparse
import logging
import sys

from tray_client import api, config, i18n, messages
from tray_client.i18n import _
from tray_client.notify import Notifier, default_notifier
from tray_client.redial import RedialBook
from tray_client.uri import NotAPhoneLink, dial_text

logger = logging.getLogger(__name__)

WENT_THROUGH = frozenset({"answered", "queued", "unknown"})


def main(argv: list[str] | None = None, notifier: Notifier | None = None) -> int:
    i18n.set_language()
    parser = argparse.ArgumentParser(
        prog="astitray-dial",
        description=_("Call a number or a tel:, callto: or sip: link with your desk phone."),
    )
    parser.add_argument(
        "number", nargs="+", metavar="NUMBER-OR-URI", help=_("a phone number or a phone link")
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
        return dial(" ".join(args.number), notifier, wait_s=0 if args.no_wait else args.wait)
    finally:
        notifier.close()


def dial(argument: str, notifier: Notifier, wait_s: float = 90.0, every_s: float = 1.0) -> int:
    """Dial ``argument``, tell the outcome; the exit code (see the module doc)."""

    def say(message: str, key: str = "", error: bool = False) -> None:
        print(message, file=sys.stderr if error else sys.stdout, flush=True)
        notifier.show(_("Astitray"), message, key)

    try:
        text = dial_text(argument)
    except NotAPhoneLink as err:
        say(str(err), error=True)
        return 2
    try:
        profile = config.load_profile()
    except config.KeyringProblem as err:
        say(messages.describe(err), error=True)
        return 3
    if not profile.complete:
        say(messages.describe(api.NotConfigured()), error=True)
        return 3
    client = api.ApiClient(profile.credentials, timeout_s=profile.settings.timeout_s)
    try:
        result = client.dial(text)
    except api.ApiFault as fault:
        say(messages.describe(fault), error=True)
        return 1
    except api.ApiError as err:
        say(messages.describe(err), error=True)
        return 4
    RedialBook().remember(result.call_id, text)
    say(messages.calling(result.number), key=result.call_id)
    if wait_s <= 0:
        return 0
    info = client.outcome(result.call_id, every_s, wait_s)
    if info is None:
        return 0
    say(messages.call_outcome(info.number or result.number, info.status, info.reason), key=result.call_id)
    return 0 if info.status in WENT_THROUGH else 1


if __name__ == "__main__":
    sys.exit(main())
