"""The AMI event stream: its own logged-in TCP connection with events on (``Events: call,system``).

Reuses the manager client (:mod:`drivers.asterisk.manager.client`): its
reader thread hands each event to this stream's queue, and :meth:`read`
translates them in the listener's thread (:class:`ManagerTranslator`).
The snapshot lists the channels (``CoreShowChannels``) and the devices
(``DeviceStateList``; ``ExtensionStateList`` on a PBX without it): their
items arrive as events carrying our ActionID, collected apart.

The account needs ``read = call,system`` (channels, device states,
``OriginateResponse``; ``FullyBooted``/``Shutdown``) and ``write =
reporting`` (the list actions): docs/asterisk.md. A dropped connection
(a PBX restart closes it after ``Shutdown``) makes the next read raise
:class:`~drivers.events.StreamLost`; the stream never reconnects by
itself (the listener does, with back-off, and asks a new snapshot).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import replace

from drivers.asterisk.events.manager import SETTLE_S, ManagerTranslator, manager_snapshot
from drivers.asterisk.manager.client import AmiClient, AmiSettings
from drivers.asterisk.manager.protocol import Message
from drivers.base import DriverError, PbxConfig, PbxUnavailable
from drivers.events import EventStream, PbxEvent, ProblemLog, Snapshot, StreamLost

logger = logging.getLogger(__name__)

# The event classes the stream asks for at login.
EVENTS = "call,system"
# Events handed to the translator per read at most (a flood is read in slices).
BATCH = 5000
RIGHTS_HINT = "give the PBX's manager user 'write = reporting' (docs/asterisk.md)"
_LOST = object()


class _List:
    """The items of one list action (events carrying its ActionID) until its ``...Complete`` event."""

    def __init__(self) -> None:
        self.items: list[Message] = []
        self.done = threading.Event()


class AmiEventStream(EventStream):
    """Live events over an AMI connection of their own (see the module docstring)."""

    def __init__(self, config: PbxConfig, settings: AmiSettings) -> None:
        super().__init__(config)
        self.settings = replace(settings, events=EVENTS, label=f"{settings.label or config.name} events")
        self.problems = ProblemLog(logger)
        self.translator = ManagerTranslator(self.problems, label=f"AMI {config.name}")
        self._queue: queue.Queue[object] = queue.Queue()
        self._lists: dict[str, _List] = {}
        self._lock = threading.Lock()
        self._client: AmiClient | None = None
        self._lost = False
        self._uptime: float | None = None

    # --- the connection

    def open(self) -> None:
        self._lost = False
        self._client = AmiClient(self.settings, on_event=self._on_event, on_disconnect=self._on_disconnect)
        self._client.connect()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # closing is best effort
                logger.debug("AMI %s: closing the event connection failed", self.config.name, exc_info=True)

    def _on_event(self, message: Message, generation: int) -> None:
        # The reader thread: list items to their collector, the rest to the queue.
        action_id = message.action_id
        if action_id is not None and not message.get("Privilege"):
            with self._lock:
                collector = self._lists.get(action_id)
            if collector is not None:
                if (message.event or "").lower().endswith("complete"):
                    collector.done.set()
                else:
                    collector.items.append(message)
                return
        if message.event == "FullyBooted" and self._uptime is None:
            try:
                self._uptime = float(message.get("Uptime") or "")
            except ValueError:
                self._uptime = None
        self._queue.put(message)

    def _on_disconnect(self, generation: int, reason: str) -> None:
        self._lost = True
        self._queue.put(_LOST)

    # --- events

    def read(self, timeout: float) -> Sequence[PbxEvent]:
        if self._client is None:
            raise StreamLost("the event stream is not open")
        try:
            item = self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return []
        messages: list[Message] = []
        while True:
            if item is _LOST:
                if messages:  # what came before the drop is handed over first
                    self._queue.put(_LOST)
                    break
                raise StreamLost()
            assert isinstance(item, Message)
            messages.append(item)
            if len(messages) >= BATCH:
                break
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return self.translator.translate_all(messages)

    # --- the snapshot

    def snapshot(self) -> Snapshot:
        channels = self._list("CoreShowChannels")
        devices = self._list("DeviceStateList", missing_ok=True)
        extensions = self._list("ExtensionStateList") if devices is None else []
        booted = self._uptime is not None and self._uptime < SETTLE_S
        snapshot, members = manager_snapshot(channels or [], devices or [], extensions or [], booted=booted)
        self.translator.seed(snapshot, members)
        return snapshot

    def _list(self, action: str, *, missing_ok: bool = False) -> list[Message] | None:
        """The items a list action answers; None for an action this PBX does not know (``missing_ok``).

        :raises StreamLost: the connection dropped. :raises PbxUnavailable: the account may not list.
        """
        client = self._client
        if client is None or self._lost:
            raise StreamLost()
        action_id = client.next_action_id()
        collector = _List()
        with self._lock:
            self._lists[action_id] = collector
        try:
            deadline = time.monotonic() + self.settings.timeout_s
            try:
                reply = client.action(action, action_id=action_id, deadline=deadline)
            except DriverError as exc:
                raise StreamLost(str(exc)) from exc
            if not reply.ok:
                self._refused(action, reply, missing_ok)
                return None
            if not collector.done.wait(max(deadline - time.monotonic(), 0.0)):
                raise StreamLost(f"the PBX did not finish listing ({action})")
            return collector.items
        finally:
            with self._lock:
                self._lists.pop(action_id, None)

    def _refused(self, action: str, reply: Message, missing_ok: bool) -> None:
        """Returns for an unknown action when ``missing_ok``; :raises PbxUnavailable: otherwise."""
        text = reply.text.lower()
        if missing_ok and "invalid/unknown command" in text:
            return None
        if "permission denied" in text:
            logger.warning(
                "AMI %s: %s refused (permission denied): %s", self.config.name, action, RIGHTS_HINT
            )
            raise PbxUnavailable(f"the PBX account may not list channels and phones: {RIGHTS_HINT}")
        logger.warning("AMI %s: %s refused: %s", self.config.name, action, reply.text)
        raise PbxUnavailable(f"the PBX refused {action}")
