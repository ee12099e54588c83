"""The FreeSWITCH event stream: an Event Socket connection of its own, subscribed to calls and phones.

Reuses the driver's client (:mod:`drivers.freeswitch.client`) with the
subscription of :data:`~drivers.freeswitch.events.EVENTS`: its reader
thread queues each event, and :meth:`EslEventStream.read` translates them
in the listener's thread (:class:`~drivers.freeswitch.events.EslTranslator`).
The snapshot asks ``api show registrations`` (registered phones are idle)
and ``api status`` (a server started moments ago says ``booted``).

A ``SHUTDOWN`` event (a restart), the server's disconnect notice or a
dropped connection makes the next read raise
:class:`~drivers.events.StreamLost` once the events before it were handed
over; the stream never reconnects by itself (the listener does, with
back-off, and asks a new snapshot: FreeSWITCH replays nothing).
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Sequence
from dataclasses import replace

from drivers.base import DriverError, PbxConfig
from drivers.events import EventStream, PbxEvent, ProblemLog, Snapshot, StreamLost
from drivers.freeswitch.client import EslClient, EslSettings
from drivers.freeswitch.events import EVENTS, SETTLE_S, EslTranslator, registrations_snapshot, uptime_s
from drivers.freeswitch.protocol import EslEvent, EslMessage, parse_event

logger = logging.getLogger(__name__)

# Events handed to the translator per read at most (a flood is read in slices).
BATCH = 5000
_LOST = object()


class EslEventStream(EventStream):
    """Live events over an Event Socket connection of their own (see the module docstring)."""

    def __init__(self, config: PbxConfig, settings: EslSettings) -> None:
        super().__init__(config)
        self.settings = replace(settings, events=EVENTS, label=f"{settings.label or config.name} events")
        self.problems = ProblemLog(logger)
        self.translator = EslTranslator(self.problems, label=f"ESL {config.name}")
        self._queue: queue.Queue[object] = queue.Queue()
        self._client: EslClient | None = None

    def open(self) -> None:
        self._queue = queue.Queue()
        self.translator.reset()
        client = EslClient(self.settings, on_event=self._on_event, on_disconnect=self._on_disconnect)
        client.connect()
        self._client = client

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing is best effort
                logger.debug("ESL %s: closing the event connection failed", self.config.name, exc_info=True)

    def _on_event(self, message: EslMessage, generation: int) -> None:
        # The reader thread: parse here, translate in the listener's thread.
        event = parse_event(message)
        if event is None:
            self.problems.report("unreadable", "ESL %s: an unreadable event dropped", self.config.name)
            return
        self._queue.put(event)
        if event.name == "SHUTDOWN":
            logger.info("ESL %s: FreeSWITCH is shutting down", self.config.name)
            self._queue.put(_LOST)

    def _on_disconnect(self, generation: int, reason: str) -> None:
        self._queue.put(_LOST)

    def read(self, timeout: float) -> Sequence[PbxEvent]:
        if self._client is None:
            raise StreamLost("the event stream is not open")
        try:
            item = self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return []
        events: list[EslEvent] = []
        while True:
            if item is _LOST:
                self._client.drop()  # a SHUTDOWN: the connection is going anyway
                if events:  # what came before the end is handed over first
                    self._queue.put(_LOST)
                    break
                raise StreamLost()
            assert isinstance(item, EslEvent)
            events.append(item)
            if len(events) >= BATCH:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return self.translator.translate_all(events)

    def snapshot(self) -> Snapshot:
        client = self._client
        if client is None:
            raise StreamLost("the event stream is not open")
        try:
            listing = client.command("api show registrations").reply_text
            status = client.command("api status").reply_text
        except DriverError as exc:
            raise StreamLost(str(exc)) from exc
        uptime = uptime_s(status)
        snapshot = registrations_snapshot(
            listing, booted=uptime is not None and uptime < SETTLE_S, at=time.time()
        )
        return replace(snapshot, calls=self.translator.live_calls())
