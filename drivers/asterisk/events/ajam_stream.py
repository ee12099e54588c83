"""The AJAM event stream: a manager session of its own over HTTP, long-polling ``WaitEvent``.

A poller thread keeps one ``WaitEvent`` outstanding on the stream's session
(``Timeout`` at most 50 s: Asterisk caps it at its ``httptimeout`` minus 10 s,
and forgets a session idle for 60 s) and hands each answer's events to
:meth:`read`, which translates them in the listener's thread
(:class:`~drivers.asterisk.events.manager.ManagerTranslator`: the same text
as the AMI). What Asterisk does that matters here (FINDINGS-events.txt):

- a waiting ``WaitEvent`` returns as soon as any event enters Asterisk's
  queue, even one this user may not read: empty answers are normal;
- a second ``WaitEvent`` on the same session ends the first at once with an
  empty HTTP 200 (no body): not an error, the newer one carries on;
- a session nobody polls keeps its events (a whole call in one 37 kB answer);
- "Permission denied" means the session expired (its queued events are
  gone), and an HTTP 503 that Asterisk is shutting down: the stream is lost.

The snapshot's list actions run on the same session (another HTTP
connection): their items come in the action's own answer, not in the
event queue.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence

import requests

from drivers.asterisk.events.manager import ManagerTranslator, manager_snapshot
from drivers.asterisk.manager.protocol import Header, Message, check_headers, parse_messages
from drivers.base import DriverError, PbxAuthFailed, PbxConfig, PbxUnavailable
from drivers.events import EventStream, PbxEvent, ProblemLog, Snapshot, StreamLost

logger = logging.getLogger(__name__)

MAX_WAIT_S = 50.0  # Asterisk's cap with its default httptimeout (60 s)
RIGHTS_HINT = "give the PBX's manager user 'write = reporting' (docs/asterisk.md)"
_LOST = object()

# (session, form parameters, timeout) -> the HTTP answer; the driver's request() with its URL.
Post = Callable[[requests.Session, list[Header], float], requests.Response]


class AjamEventStream(EventStream):
    """Live events over an AJAM session of its own (see the module docstring)."""

    def __init__(
        self, config: PbxConfig, post: Post, new_session: Callable[[], requests.Session], wait_s: float = 20.0
    ) -> None:
        super().__init__(config)
        self.post = post
        self.new_session = new_session
        self.wait_s = max(1.0, min(wait_s, MAX_WAIT_S))
        self.problems = ProblemLog(logger)
        self.translator = ManagerTranslator(self.problems, label=f"AJAM {config.name}")
        self._queue: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        self._http: requests.Session | None = None
        self._poller: threading.Thread | None = None

    # --- the session

    def open(self) -> None:
        self._stop = threading.Event()
        self._queue = queue.Queue()
        http = self.new_session()
        params = [("Action", "Login"), ("Username", self.config.username), ("Secret", self.config.secret)]
        reply = self._messages(self._send(http, params, self.config.timeout_s))[0]
        if not reply.ok:
            http.close()
            logger.warning("AJAM %s: the event session's login was refused: %s", self.config.name, reply.text)
            raise PbxAuthFailed()
        self._http = http
        self._poller = threading.Thread(
            target=self._poll, args=(http, self._stop), name="ajam-events", daemon=True
        )
        self._poller.start()

    def close(self) -> None:
        self._stop.set()
        http, self._http = self._http, None
        if http is not None:
            with contextlib.suppress(DriverError):  # the session expires anyway
                self.post(http, [("Action", "Logoff")], min(1.0, self.config.timeout_s))
            http.close()

    def _send(self, http: requests.Session, params: list[Header], timeout: float) -> requests.Response:
        try:
            return self.post(http, check_headers(params), timeout)
        except DriverError as exc:
            raise StreamLost(str(exc)) from exc

    def _messages(self, answer: requests.Response) -> list[Message]:
        """The messages of an AJAM answer. :raises StreamLost: not AJAM's (a 503 while shutting down)."""
        if answer.status_code != 200 or not answer.headers.get("Content-Type", "").startswith("text/plain"):
            raise StreamLost(f"the PBX answered HTTP {answer.status_code}")
        return parse_messages(answer.content)

    # --- the poller thread

    def _poll(self, http: requests.Session, stop: threading.Event) -> None:
        params = [("Action", "WaitEvent"), ("Timeout", str(int(self.wait_s)))]
        while not stop.is_set():
            try:
                answer = self._send(http, params, self.wait_s + self.config.timeout_s)
                if answer.status_code == 200 and not answer.content:
                    # Another WaitEvent on this session ended ours: someone else polls it.
                    self.problems.report("superseded", "AJAM %s: another client polls the event session",
                                         self.config.name)  # fmt: skip
                    continue
                messages = self._messages(answer)
                if messages and not messages[0].ok and "permission denied" in messages[0].text.lower():
                    raise StreamLost("the PBX session expired: its events are lost")
            except StreamLost as exc:
                if not stop.is_set():
                    logger.info("AJAM %s: the event session ended: %s", self.config.name, exc)
                    self._queue.put(_LOST)
                return
            events = [m for m in messages[1:] if m.is_event and m.event != "WaitEventComplete"]
            if events:
                self._queue.put(events)

    # --- events

    def read(self, timeout: float) -> Sequence[PbxEvent]:
        if self._http is None:
            raise StreamLost("the event stream is not open")
        try:
            item = self._queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return []
        batches: list[list[Message]] = []
        while True:
            if item is _LOST:
                if batches:
                    self._queue.put(_LOST)
                    break
                self._http = None
                raise StreamLost()
            assert isinstance(item, list)
            batches.append(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
        return [out for batch in batches for out in self.translator.translate_all(batch)]

    # --- the snapshot

    def snapshot(self) -> Snapshot:
        channels = self._list("CoreShowChannels")
        devices = self._list("DeviceStateList", missing_ok=True)
        extensions = self._list("ExtensionStateList") if devices is None else []
        snapshot, members = manager_snapshot(channels or [], devices or [], extensions or [])
        self.translator.seed(snapshot, members)
        return snapshot

    def _list(self, action: str, *, missing_ok: bool = False) -> list[Message] | None:
        http = self._http
        if http is None:
            raise StreamLost()
        messages = self._messages(self._send(http, [("Action", action)], self.config.timeout_s))
        reply = messages[0]
        if not reply.ok:
            text = reply.text.lower()
            if missing_ok and "invalid/unknown command" in text:
                return None
            if "permission denied" in text:
                logger.warning(
                    "AJAM %s: %s refused (permission denied): %s", self.config.name, action, RIGHTS_HINT
                )
                raise PbxUnavailable(f"the PBX account may not list channels and phones: {RIGHTS_HINT}")
            raise PbxUnavailable(f"the PBX refused {action}")
        return [m for m in messages[1:] if m.is_event and not (m.event or "").lower().endswith("complete")]
