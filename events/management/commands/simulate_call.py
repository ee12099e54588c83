"""``manage.py simulate_call --to 1001 --from "+33 1 42 68 53 00"``: an incoming call on the console PBX.

For demos and development without a PBX (docs/development.md): the call is
written as a script into ``ASTITRAY_CONSOLE_SPOOL`` and played by the
console PBX's event stream in ``manage.py pbx_events``, which must run:
the phone rings, then the call is answered (``--answer``, the default) or
missed (``--missed``). Several ``--to`` ring together (a ring group; the
first answers). ``--state unavailable`` sets the phones' state instead.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from accounts.models import Extension
from drivers.console_events import incoming_call, phone_state, write_script
from drivers.events import PhoneState, endpoints_of

_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")


class Command(BaseCommand):
    help = "Simulate an incoming call (or a phone state) on the console PBX; manage.py pbx_events plays it."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--to", action="append", required=True, help="The extension that rings (repeatable)."
        )
        parser.add_argument("--from", dest="caller", default="", help="The calling number.")
        parser.add_argument("--name", default="", help="The caller-ID name the PBX gives (else none).")
        outcome = parser.add_mutually_exclusive_group()
        outcome.add_argument("--answer", action="store_true", help="Answered after the ring (the default).")
        outcome.add_argument("--missed", action="store_true", help="Nobody answers: the caller hangs up.")
        outcome.add_argument("--state", choices=[s.value for s in PhoneState], help="Set the phones' state.")
        parser.add_argument("--ring-seconds", type=float, default=3.0, help="How long it rings (0.1 to 120).")
        parser.add_argument(
            "--talk-seconds", type=float, default=5.0, help="How long an answered call lasts."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        endpoints = [endpoint for number in options["to"] for endpoint in self._endpoints(number)]
        spool = settings.ASTITRAY_CONSOLE_SPOOL
        if options["state"]:
            steps = [step for e in endpoints for step in phone_state(e, PhoneState(options["state"]))]
            write_script(spool, steps)
            self.stdout.write(f"{', '.join(endpoints)}: {options['state']}.")
            return
        caller = re.sub(r"[\s().\-/]", "", options["caller"])
        if not _NUMBER.match(caller):
            raise CommandError(_("--from: give the calling number (digits, an optional leading +)."))
        ring_s, talk_s = options["ring_seconds"], options["talk_seconds"]
        if not (0.1 <= ring_s <= 120 and 0.1 <= talk_s <= 3600):
            raise CommandError(_("--ring-seconds is 0.1 to 120 and --talk-seconds 0.1 to 3600."))
        answered_by = "" if options["missed"] else endpoints[0]
        steps = incoming_call(
            endpoints, caller, options["name"], answered_by=answered_by, ring_s=ring_s, talk_s=talk_s
        )
        write_script(spool, steps)
        outcome = "missed" if options["missed"] else f"answered on {answered_by}"
        self.stdout.write(
            f"{caller} calls {', '.join(endpoints)}: rings {ring_s:g} s, {outcome} "
            "(played by manage.py pbx_events)."
        )

    def _endpoints(self, number: str) -> list[str]:
        extension = Extension.objects.filter(number=number, enabled=True).first()
        if extension is None:
            raise CommandError(_("No enabled phone has the number %(number)r.") % {"number": number})
        pbx = extension.effective_pbx()
        if pbx is None or pbx.driver != "console":
            raise CommandError(
                f"Phone {number} is not on the console PBX: only console calls can be simulated."
            )
        found = list(endpoints_of(extension.channel))
        if not found:
            raise CommandError(_("Phone %(number)s has no channel to ring.") % {"number": number})
        return found
