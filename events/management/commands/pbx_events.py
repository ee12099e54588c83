"""``manage.py pbx_events``: the PBX event listener (docs/deploying.md, "The PBX event listener").

One thread per enabled PBX whose driver offers events (events/listener.py).
Run it on one or more hosts: per PBX exactly one process listens, the
others stand by and take over within 10 s of its death. The PBX list is
read again every few seconds (a PBX added, disabled or edited in the admin
is followed). SIGTERM or SIGINT: every stream is closed and every lease
given back, so a standby takes over at once.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from drivers.models import PbxServer
from events import lease
from events.listener import PbxListener, Timing, listens

_RELOAD_S = 5.0
_JOIN_S = 10.0


class Command(BaseCommand):
    help = "Listen to the events of every enabled PBX (one active listener per PBX across hosts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--pbx", type=int, action="append", default=[], help="Only this PBX id (repeatable)."
        )
        parser.add_argument(
            "--lease-seconds",
            type=float,
            default=lease.LEASE_S,
            help="Seconds a lease lasts unrenewed; a standby takes over after it (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        lease_s = options["lease_seconds"]
        if not 0.5 <= lease_s <= 60:
            raise CommandError(_("--lease-seconds is 0.5 to 60."))
        timing = Timing(
            lease_s=lease_s, renew_s=lease_s / 3, standby_s=min(lease.STANDBY_POLL_S, lease_s / 6)
        )
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        holder = lease.holder_name()
        self.stdout.write(f"pbx_events: {holder} listening; SIGTERM stops it.")
        running: dict[int, tuple[object, threading.Event, threading.Thread]] = {}
        try:
            while not stop.is_set():
                self._follow(running, options["pbx"], holder, timing)
                stop.wait(_RELOAD_S)
        finally:
            for _seen, thread_stop, _thread in running.values():
                thread_stop.set()
            for _seen, _stop, thread in running.values():
                thread.join(_JOIN_S)
            self.stdout.write("pbx_events: stopped; leases given back.")

    def _follow(
        self,
        running: dict[int, tuple[object, threading.Event, threading.Thread]],
        only: list[int],
        holder: str,
        timing: Timing,
    ) -> None:
        """Start a listener for each PBX that needs one, stop those of PBXs gone, disabled or edited."""
        wanted = {}
        for pbx in PbxServer.objects.filter(enabled=True):
            if (not only or pbx.pk in only) and listens(pbx):
                wanted[pbx.pk] = (pbx.driver, pbx.to_config(), pbx.name)
        for pk, (seen, thread_stop, thread) in list(running.items()):
            if wanted.get(pk) != seen or not thread.is_alive():
                thread_stop.set()
                thread.join(_JOIN_S)
                del running[pk]
        for pk, seen in wanted.items():
            if pk not in running:
                thread_stop = threading.Event()
                listener = PbxListener(pk, thread_stop, holder=holder, timing=timing)
                thread = threading.Thread(target=listener.run, name=f"pbx-events-{pk}", daemon=True)
                thread.start()
                running[pk] = (seen, thread_stop, thread)
                self.stdout.write(f"pbx_events: PBX {seen[2]} (id {pk}): standing by or listening")
