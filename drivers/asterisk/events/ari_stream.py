"""The ARI event stream: the ``/ari/events`` WebSocket of an application subscribed to everything.

A WebSocket client library (``websocket-client``) holds the connection;
a reader thread hands each text frame to :meth:`read`, which decodes and
translates it in the listener's thread (:class:`~drivers.asterisk.events.ari.AriTranslator`).
What Asterisk does that matters here (FINDINGS-events.txt):

- ``GET /ari/events?app=astitray&subscribeAll=true`` with HTTP Basic
  authentication; 401 is a refused login, 404 an Asterisk whose ARI is
  not loaded (yet: during a restart);
- one JSON message per text frame; Asterisk never pings: the reader pings
  after 20 s of silence (Asterisk answers with a pong) and gives the
  connection up after 45 s without any frame, pongs included;
- on a restart the TCP connection is closed WITHOUT a close frame: the
  stream is lost (the listener reconnects: refused, then 404 while ARI
  loads, then 101 about 1.3 s after the close);
- ``ApplicationReplaced``: another client took the application's name:
  this stream receives nothing more, it is lost.

The snapshot asks the REST interface (:func:`~drivers.asterisk.events.ari.ari_snapshot`):
``/ari/asterisk/info?only=status`` (booted: the start time against the
answer's ``Date``), ``/ari/channels`` and ``/ari/endpoints``.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests
import websocket

from drivers import tls
from drivers.asterisk.events.ari import AriTranslator, ari_snapshot
from drivers.asterisk.events.manager import SETTLE_S
from drivers.asterisk.events.states import ari_time
from drivers.base import DriverError, PbxAuthFailed, PbxConfig, PbxUnavailable
from drivers.events import EventStream, PbxBooted, PbxEvent, ProblemLog, Snapshot, StreamLost

logger = logging.getLogger(__name__)

APPLICATION = "astitray"
PING_AFTER_S = 20.0
DEAD_AFTER_S = 45.0
_LOST = object()

# (method, path under /ari) -> the HTTP answer; the driver's request() with its session and URL.
Get = Callable[[str], requests.Response]


class AriEventStream(EventStream):
    """Live events over the ARI WebSocket (see the module docstring)."""

    def __init__(self, config: PbxConfig, ari_url: str, get: Get) -> None:
        super().__init__(config)
        self.ari_url = ari_url  # http(s)://host:port[/prefix]/ari
        self.get = get
        self.problems = ProblemLog(logger)
        self.translator = AriTranslator(self.problems, label=f"ARI {config.name}")
        self._queue: queue.Queue[object] = queue.Queue()
        self._ws: websocket.WebSocket | None = None
        self._stop = threading.Event()
        self._booted: list[PbxEvent] = []
        self.ping_after_s, self.dead_after_s = PING_AFTER_S, DEAD_AFTER_S

    # --- the WebSocket

    def events_url(self) -> str:
        scheme, rest = self.ari_url.split("://", 1)
        query = urlencode({"app": APPLICATION, "subscribeAll": "true"})
        return f"{'wss' if scheme == 'https' else 'ws'}://{rest}/events?{query}"

    def open(self) -> None:
        credentials = f"{self.config.username}:{self.config.secret}".encode()
        header = [f"Authorization: Basic {base64.b64encode(credentials).decode()}"]
        sslopt = {}
        if self.events_url().startswith("wss:"):
            sslopt = {"context": tls.client_context(self.config.ca_file)}  # the trust of every driver
        try:
            ws = websocket.create_connection(
                self.events_url(),
                header=header,
                timeout=self.config.timeout_s,
                enable_multithread=True,
                sslopt=sslopt,
            )
        except websocket.WebSocketBadStatusException as exc:
            if exc.status_code == 401:
                raise PbxAuthFailed() from exc
            logger.warning(
                "ARI %s: the events WebSocket was refused: HTTP %s", self.config.name, exc.status_code
            )
            raise PbxUnavailable(f"the PBX refused the events WebSocket (HTTP {exc.status_code})") from exc
        except (OSError, websocket.WebSocketException) as exc:
            logger.warning(
                "ARI %s: cannot open the events WebSocket: %s", self.config.name, type(exc).__name__
            )
            if tls.verification_error(exc) is not None:
                raise PbxUnavailable(tls.failure(exc)) from exc
            raise PbxUnavailable("the PBX cannot be reached") from exc
        ws.settimeout(min(1.0, self.ping_after_s))
        self._ws, self._stop, self._queue = ws, threading.Event(), queue.Queue()
        threading.Thread(target=self._receive, args=(ws, self._stop), name="ari-events", daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(OSError, websocket.WebSocketException):  # closing anyway
                ws.close(timeout=1)

    def _receive(self, ws: websocket.WebSocket, stop: threading.Event) -> None:
        last = time.monotonic()
        while not stop.is_set():
            try:
                # Control frames too: the pong of our ping says a quiet connection is alive.
                opcode, frame = ws.recv_data_frame(True)
            except websocket.WebSocketTimeoutException:
                silent = time.monotonic() - last
                if silent > self.dead_after_s:
                    break
                if silent > self.ping_after_s:
                    with contextlib.suppress(OSError, websocket.WebSocketException):
                        ws.ping()
                continue
            except (OSError, websocket.WebSocketException) as exc:
                if not stop.is_set():
                    logger.info(
                        "ARI %s: the events WebSocket ended: %s", self.config.name, type(exc).__name__
                    )
                break
            last = time.monotonic()
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY) and frame.data:
                self._queue.put(frame.data)
        self._queue.put(_LOST)

    # --- events

    def read(self, timeout: float) -> Sequence[PbxEvent]:
        if self._ws is None:
            raise StreamLost("the event stream is not open")
        events, self._booted = list(self._booted), []
        try:
            item = self._queue.get(timeout=0.0 if events else max(timeout, 0.0))
        except queue.Empty:
            return events
        while True:
            if item is _LOST:
                if events:
                    self._queue.put(_LOST)
                    return events
                self._ws = None
                raise StreamLost()
            events += self._translate(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return events

    def _translate(self, text: object) -> list[PbxEvent]:
        try:
            message = json.loads(text if isinstance(text, str | bytes) else "")
        except ValueError:
            self.problems.report("not json", "ARI %s: a frame that is not JSON ignored", self.config.name)
            return []
        if isinstance(message, dict) and message.get("type") == "ApplicationReplaced":
            logger.warning("ARI %s: another client took the application %r", self.config.name, APPLICATION)
            self._queue.put(_LOST)
            return []
        return self.translator.translate(message)

    # --- the snapshot

    def snapshot(self) -> Snapshot:
        if self._ws is None:
            raise StreamLost()
        status, date = self._json("/asterisk/info?only=status")
        started = ari_time(status.get("status", {}).get("startup_time")) if isinstance(status, dict) else 0.0
        uptime = (date - started) if started and date else SETTLE_S
        channels, _ = self._json("/channels")
        endpoints, _ = self._json("/endpoints")
        booted = uptime < SETTLE_S
        snapshot, members = ari_snapshot(
            channels if isinstance(channels, list) else [],
            endpoints if isinstance(endpoints, list) else [],
            booted=booted,
            at=time.time(),
        )
        if booted:
            self._booted = [PbxBooted(settle_s=SETTLE_S - uptime, at=started + uptime)]
        self.translator.seed(snapshot, members)
        return snapshot

    def _json(self, path: str) -> tuple[Any, float]:
        """The JSON of ``GET /ari<path>`` and the answer's ``Date`` (epoch seconds, 0 without one).

        :raises StreamLost: no answer. :raises PbxUnavailable: refused.
        """
        try:
            answer = self.get(path)
        except DriverError as exc:
            raise StreamLost(str(exc)) from exc
        if answer.status_code == 401:
            raise PbxAuthFailed()
        if answer.status_code != 200:
            logger.warning("ARI %s: GET %s answered HTTP %s", self.config.name, path, answer.status_code)
            raise PbxUnavailable(f"the PBX answered HTTP {answer.status_code}")
        try:
            date = parsedate_to_datetime(answer.headers.get("Date", "")).timestamp()
        except (TypeError, ValueError):
            date = 0.0
        try:
            return answer.json(), date
        except ValueError as exc:
            raise PbxUnavailable("the PBX gave an answer that is not ARI's") from exc
