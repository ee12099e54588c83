"""Incoming calls as they happen, through the server's ``events.wait`` long poll (docs/api.md).

One thread asks ``events.wait(cursor, 25)``: the server answers as soon as
there is something, else after 25 seconds with nothing, and the thread asks
again. That is all the traffic: never more often than the server answers
(an empty answer that comes back early waits a second before the next
question), a failure waits longer each time (2 s up to a minute), a refused
password waits for new settings (the login gate, :mod:`tray_client.gate`),
and a server without ``events.wait`` (fault -32601: not updated yet) is not
asked again until the settings change or the tray starts again; the log
says so once.

What each event does: ``incoming`` shows "Marie Dubois (Acme) is calling —
0142685300" at once, then with the number as people write it ("01 42 68
53 00", ``dialer.normalize``'s display) once the server said it (and opens
the user's CRM address, when set), ``answered``
and ``missed`` replace that notification, a missed call with "Call back"
and "Copy number"; the recent and missed calls are loaded again.
"""

from __future__ import annotations

import logging
import threading
import time
import webbrowser
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import quote

from tray_client import api, messages
from tray_client.callee import Callee
from tray_client.i18n import _

if TYPE_CHECKING:
    from tray_client.app import TrayApp

logger = logging.getLogger(__name__)

WAIT_S = 25  # the server's default; its limit is 55
FIRST_WAIT_S = 1
BACKOFF_S = (2.0, 5.0, 15.0, 30.0, 60.0)
MIN_INTERVAL_S = 1.0  # between two questions answered with nothing
IDLE_S = 5.0  # while there is nobody to ask for (no settings, a refused password, a server down)


class EventsPoller:
    """The long poll's thread. :meth:`reset` after new settings: a new cursor, the server asked again."""

    def __init__(self, app: TrayApp, wait_s: int = WAIT_S, backoff_s: tuple[float, ...] = BACKOFF_S) -> None:
        self.app = app
        self.wait_s = wait_s
        self.backoff_s = backoff_s
        self.min_interval_s = MIN_INTERVAL_S
        self.cursor = ""
        self.unsupported = False
        self.failures = 0
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="astitray-events", daemon=True)
        self._thread.start()

    def reset(self) -> None:
        """New settings: events from now on, and a server without events.wait is asked again."""
        self.cursor, self.unsupported, self.failures = "", False, 0
        self._wake.set()

    def _pause(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _run(self) -> None:
        while not self.app.stopping.is_set():
            client = self.app.events_client(self.wait_s) if not self.unsupported else None
            if client is None:
                self._pause(IDLE_S if not self.unsupported else 3600.0)
                continue
            self._pause(self.ask(client))

    def ask(self, client: api.ApiClient) -> float:
        """One question to the server; the seconds to wait before the next one."""
        started = time.monotonic()
        # The first question is short: it gives the cursor that from then on keeps every event (the
        # server keeps them ten minutes), whatever happens to the next questions.
        wait_s = self.wait_s if self.cursor else FIRST_WAIT_S
        logger.debug("waiting for events (%d s)", wait_s)
        try:
            cursor, events = client.wait_events(self.cursor, wait_s)
        except api.ApiFault as fault:
            if fault.code == api.METHOD_NOT_FOUND:
                self.unsupported = True
                logger.warning(
                    "the server has no events.wait: incoming calls are not shown (update the server)"
                )
                return 0.0
            return self._failed(fault)
        except api.AuthenticationRefused as refused:
            self.app.note_error(refused)
            return IDLE_S
        except api.ApiError as err:
            return self._failed(err)
        self.failures = 0
        if not self.cursor:
            logger.info("following the server's events (incoming calls)")
        self.cursor = cursor
        for event in events:
            self.app.incoming.handle(event)
        elapsed = time.monotonic() - started
        return 0.0 if events or elapsed >= self.min_interval_s else self.min_interval_s - elapsed

    def _failed(self, err: api.ApiError) -> float:
        self.failures += 1
        delay = self.backoff_s[min(self.failures, len(self.backoff_s)) - 1]
        logger.info("events.wait failed (%s): asking again in %g s", err, delay)
        return delay


OPENED_KEPT = 200  # the calls whose address was opened, remembered to open it once per call


class IncomingCalls:
    """What the events do: notifications, the CRM address, the call lists loaded again."""

    def __init__(self, app: TrayApp, open_url: Callable[[str], object] = webbrowser.open) -> None:
        self.app = app
        self.open_url = open_url
        # The calls whose address was opened: an event given again (a cursor asked twice after an
        # outage, a call offered to the phone again) opens nothing more.
        self._opened: deque[str] = deque(maxlen=OPENED_KEPT)
        # Each call's latest event and its number as people write it, once the server said it.
        self._lock = threading.Lock()
        self._latest: OrderedDict[str, str] = OrderedDict()
        self._written: dict[str, str] = {}

    def handle(self, event: api.Event) -> None:
        with self._lock:
            shown = self._written.get(event.number, event.number)
            if event.call_id:
                self._latest[event.call_id] = event.type
                self._latest.move_to_end(event.call_id)
                while len(self._latest) > OPENED_KEPT:
                    self._latest.popitem(last=False)
        callee = Callee(text=event.number, display=shown, name=event.name, company=event.company)
        key = f"call-{event.call_id}" if event.call_id else ""
        if event.type == "incoming":
            logger.info("incoming call %s from %s", event.call_id, event.number)
            self.app.notify(_("Incoming call"), messages.incoming_call(callee), key=key)
            if event.call_id and event.number and shown == event.number:
                self.app.submit(self._show_as_written, event, key)
            self._open_once(event)
        elif event.type == "answered":
            text = messages.answered_here(callee) if event.by_me else messages.answered_elsewhere(callee)
            self.app.notify(_("Incoming call"), text, key=key)
            self.app.submit(self.app.calls.refresh_history)
        elif event.type == "missed":
            self.app.calls.notify_missed_event(event, callee, key)
            self.app.submit(self.app.calls.refresh_history)
        elif event.type == "call":
            self.app.submit(self.app.calls.refresh_history)

    def _show_as_written(self, event: api.Event, key: str) -> None:
        """The ringing notification again with the number as people write it ("01 42 68 53 00", not
        the PBX's "0142685300"), as the server's rules say it; not once the call was answered or missed."""
        shown = next((callee.display for callee in self._callees(event.number) if callee.display), "")
        if not shown or shown == event.number:
            return
        with self._lock:
            if len(self._written) > OPENED_KEPT:
                self._written.clear()
            self._written[event.number] = shown
            if self._latest.get(event.call_id) != "incoming":
                return  # answered or missed meanwhile: those say it already (as written, from now on)
            callee = Callee(text=event.number, display=shown, name=event.name, company=event.company)
            self.app.notify(_("Incoming call"), messages.incoming_call(callee), key=key)

    def _open_once(self, event: api.Event) -> None:
        with self.app.lock:
            template = self.app.profile.settings.incoming_url
        call = event.call_id or f"event-{event.id}"
        if not template or not event.number or call in self._opened:
            return
        self._opened.append(call)
        self.app.submit(self.open_crm, event.number, event.name)

    def open_crm(self, number: str, name: str = "") -> None:
        """Open the user's address for incoming calls with the caller's number and name (off when not set).

        ``{number}`` is the number as the PBX gave it, ``{e164}`` in international form (as the
        server's rules read it), ``{name}`` whose it is (the event's name, else the phonebook's for
        the number, else empty); each is URL-encoded ("+" is "%2B", a space "%20").
        """
        with self.app.lock:
            template = self.app.profile.settings.incoming_url
        if not template or not number:
            return
        wanted = "{e164}" in template or ("{name}" in template and not name)
        callees = self._callees(number) if wanted else ()
        e164 = next((callee.e164 for callee in callees if callee.e164), number)
        name = name or next((callee.name for callee in callees if callee.name), "")
        values = {"{number}": number, "{e164}": e164, "{name}": name}
        url = template
        for placeholder, value in values.items():
            url = url.replace(placeholder, quote(value, safe=""))
        logger.info("opening the address for incoming calls")
        self.open_url(url)

    def _callees(self, number: str) -> tuple[Callee, ...]:
        """The number as the server's rules read it, with the phonebook's name (none when it cannot say)."""
        try:
            return self.app.resolver.resolve(number)
        except api.ApiError:
            return ()
