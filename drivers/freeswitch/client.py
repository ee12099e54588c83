"""One persistent, authenticated ESL connection per client, shared safely by threads.

:class:`EslClient` opens its connection on first use (connect, wait for
``auth/request``, ``auth <password>``, subscribe to its events), then keeps
it: a reader thread hands each reply to the command waiting for it and
every event to ``on_event``; a monitor thread calls ``on_tick`` about once
a second and checks a quiet line with ``api status``. A lost connection
fails the commands still waiting and calls ``on_disconnect``; the next
command connects again, at once after a drop, with back-off after failed
attempts (a PBX that is down is not hammered and web workers fail fast).
Every step has a deadline: nothing waits longer than ``timeout_s``.

What the server says on connect (FINDINGS-esl.txt): ``auth/request`` at
once; a source address its ``apply-inbound-acl`` refuses gets
``text/rude-rejection`` and is closed; a wrong password gets ``-ERR
invalid`` and is closed at once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from drivers import tls
from drivers.base import (
    AnswerLost,
    DriverError,
    PbxAuthFailed,
    PbxUnavailable,
    RequestNotSent,
    UnsafeValue,
)
from drivers.freeswitch.connection import EslConnection, ReplyHook
from drivers.freeswitch.protocol import EslMessage, Framer, Header, describe_command, encode_command
from drivers.translation import gettext as _
from drivers.translation import gettext_noop

logger = logging.getLogger(__name__)

DisconnectHook = Callable[[int, str], None]  # (connection generation, reason)
EventHook = Callable[[EslMessage, int], None]

ACL_REFUSED = gettext_noop(
    "the PBX refused our address (event_socket.conf.xml: apply-inbound-acl must allow this server)"
)


class NotEventSocket(PbxUnavailable):
    """Something answers on that port, but not an Event Socket (an AMI banner, an HTTP server, ...)."""

    default_message = gettext_noop("the PBX does not speak the Event Socket protocol")


class PbxAddressRefused(PbxAuthFailed):
    """The Event Socket's ACL (``apply-inbound-acl``) refused our address before any login."""

    default_message = ACL_REFUSED


@dataclass(frozen=True)
class EslSettings:
    """Where the Event Socket is and how to log in (built by the driver from its PbxConfig)."""

    host: str
    port: int
    password: str = field(repr=False)
    use_tls: bool = False
    ca_file: str = ""  # drivers/tls.py: "" is the system's trust store
    timeout_s: float = 5.0
    # The "event plain ..." subscription after login; empty: none.
    events: str = "BACKGROUND_JOB"
    keepalive_s: float = 20.0
    backoff_s: float = 0.5
    backoff_max_s: float = 10.0
    label: str = ""  # for logs: the PBX's name

    @property
    def where(self) -> str:
        return f"{self.label or 'ESL'} ({self.host}:{self.port})"


class EslClient:
    """A shared ESL session: :meth:`command` from any thread; it connects when needed."""

    def __init__(
        self,
        settings: EslSettings,
        *,
        on_event: EventHook | None = None,
        on_disconnect: DisconnectHook | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.on_event = on_event
        self.on_disconnect = on_disconnect
        self.on_tick = on_tick
        self.answered = False  # the server sent auth/request (or rejected us): it is reachable
        self._reset_state()

    def _reset_state(self) -> None:
        self._pid = os.getpid()
        self._connect_lock = threading.Lock()
        self._conn: EslConnection | None = None
        self._generation = 0
        self._failures = 0
        self._retry_at = 0.0
        self._monitor: threading.Thread | None = None
        self._stop = threading.Event()

    # --- public ---------------------------------------------------------------

    @property
    def connected(self) -> bool:
        conn = self._conn
        return conn is not None and conn.alive

    @property
    def generation(self) -> int:
        return self._generation

    def connect(self, deadline: float | None = None) -> None:
        """Connect and log in now unless already done.

        :raises PbxAuthFailed: the password (or, :class:`PbxAddressRefused`, our address) was refused.
        :raises PbxUnavailable: no connection, or no answer in time.
        """
        deadline = deadline if deadline is not None else time.monotonic() + self.settings.timeout_s
        self._ensure_connected(deadline)

    def command(
        self,
        line: str,
        headers: Sequence[Header] = (),
        *,
        before: Sequence[str] = (),
        deadline: float | None = None,
        on_reply: Callable[[EslMessage, int], None] | None = None,
    ) -> EslMessage:
        """Send ``before`` (commands whose replies must be +OK) then ``line``, in one write; ``line``'s reply.

        They go out on one connection, so what ``before`` set (a filter)
        holds for ``line``. ``on_reply(reply, generation)`` runs in the
        reader thread with ``line``'s reply, before any later message is read.

        :raises UnsafeValue: a control character anywhere: nothing was sent.
        :raises PbxUnavailable, PbxAuthFailed: no logged-in connection: nothing was sent.
        :raises AnswerLost: sent (perhaps), but no reply came; the connection is closed.
        """
        data = b"".join(encode_command(text) for text in before) + encode_command(line, headers)
        deadline = deadline if deadline is not None else time.monotonic() + self.settings.timeout_s
        for attempt in (1, 2):
            conn = self._ensure_connected(deadline)
            hooks: list[ReplyHook | None] = [None] * len(before)
            hooks.append(_bind_generation(on_reply, conn.generation) if on_reply is not None else None)
            try:
                replies = self._exchange(conn, data, hooks, line, deadline)
            except RequestNotSent:
                # Dropped before our bytes left: nothing reached the PBX, so one new connection is safe.
                if attempt == 2:
                    raise
                continue
            for text, reply in zip(before, replies, strict=False):
                if not reply.ok:
                    logger.warning("ESL %s: %s -> %s", self.settings.where, text, reply.reply_text)
            return replies[-1]
        raise AssertionError("unreachable")

    def close(self, say_exit: bool = True) -> None:
        """Say ``exit`` (best effort, briefly) and close; a later :meth:`command` connects again."""
        self._stop.set()
        conn = self._conn
        if conn is None or not conn.alive:
            return
        if say_exit:
            deadline = time.monotonic() + min(1.0, self.settings.timeout_s)
            with contextlib.suppress(DriverError):  # closing anyway
                self._exchange(conn, encode_command("exit"), [None], "exit", deadline)
        conn.close("closed by Astitray")

    def wait_closed(self, timeout: float) -> bool:
        """True once the current connection (if any) is closed: for tests and tools."""
        conn = self._conn
        return conn is None or conn.closed.wait(timeout)

    def drop(self) -> None:
        """Close the connection without a word (tests: a lost connection)."""
        conn = self._conn
        if conn is not None:
            conn.close("dropped")

    # --- connecting ------------------------------------------------------------

    def _ensure_connected(self, deadline: float) -> EslConnection:
        if self._pid != os.getpid():
            # A forked worker inherited our state: threads and socket belong to the parent.
            self._reset_state()
        conn = self._conn
        if conn is not None and conn.alive:
            return conn
        s = self.settings
        # The login's values go on the wire too: refuse a control character before connecting.
        encode_command(f"auth {s.password}")
        if not self._connect_lock.acquire(timeout=max(deadline - time.monotonic(), 0.0)):
            raise PbxUnavailable(_("the PBX did not answer in time"))
        try:
            conn = self._conn
            if conn is not None and conn.alive:
                return conn
            wait = self._retry_at - time.monotonic()
            if wait > 0:
                raise PbxUnavailable(
                    _("the PBX cannot be reached (next attempt in %(seconds).0f s)") % {"seconds": wait}
                )
            try:
                conn = self._open(deadline)
            except DriverError:
                self._failures += 1
                backoff = s.backoff_s * 2 ** (self._failures - 1)
                self._retry_at = time.monotonic() + min(backoff, s.backoff_max_s)
                raise
            self._failures = 0
            self._retry_at = 0.0
            self._conn = conn
            self._start_monitor()
            return conn
        finally:
            self._connect_lock.release()

    def _open(self, deadline: float) -> EslConnection:
        s = self.settings
        sock = self._connect_socket(deadline)
        login = _LoginReader(sock, deadline)
        try:
            try:
                greeting = login.next()
            except NotEventSocket:
                self.answered = True  # something answered: reachable, but no login possible
                logger.warning("ESL %s: what answers there is not an Event Socket", s.where)
                raise
            self.answered = greeting.content_type in ("auth/request", "text/rude-rejection")
            if greeting.content_type == "text/rude-rejection":
                logger.warning("ESL %s: our address was refused (apply-inbound-acl)", s.where)
                raise PbxAddressRefused()
            if greeting.content_type != "auth/request":
                raise NotEventSocket()
            reply = login.ask(f"auth {s.password}")
            if not reply.ok:
                logger.warning("ESL %s: password refused: %s", s.where, reply.reply_text)
                raise PbxAuthFailed()
            if s.events:
                reply = login.ask(f"event plain {s.events}")
                if not reply.ok:
                    logger.warning("ESL %s: event %s refused: %s", s.where, s.events, reply.reply_text)
                    raise PbxUnavailable(_("the PBX refused the event subscription"))
        except DriverError:
            sock.close()
            raise
        except TimeoutError as exc:
            sock.close()
            logger.warning("ESL %s: no answer while logging in", s.where)
            raise PbxUnavailable(_("the PBX accepted the connection but did not answer")) from exc
        except OSError as exc:
            sock.close()
            logger.warning("ESL %s: logging in failed: %s", s.where, exc)
            raise PbxUnavailable(_("the connection to the PBX failed")) from exc
        # The reader thread reads in short slices so that a closed connection is noticed.
        sock.settimeout(max(min(s.timeout_s, 1.0), 0.1))
        self._generation += 1
        conn = EslConnection(
            sock,
            login.framer,
            self._generation,
            where=s.where,
            on_event=self._route_event,
            on_close=self._connection_closed,
        )
        conn.start(login.backlog)  # what came after the last login reply (an early event)
        logger.info("ESL %s: logged in (connection %s)", s.where, conn.generation)
        return conn

    def _connect_socket(self, deadline: float) -> socket.socket:
        s = self.settings
        try:
            sock = socket.create_connection((s.host, s.port), timeout=_remaining(deadline))
        except ConnectionRefusedError as exc:
            logger.warning("ESL %s: connection refused", s.where)
            raise RequestNotSent(_("the PBX refused the connection")) from exc
        except TimeoutError as exc:
            logger.warning("ESL %s: connection timed out", s.where)
            raise RequestNotSent(_("the PBX did not answer in time")) from exc
        except OSError as exc:
            logger.warning("ESL %s: cannot connect: %s", s.where, exc)
            raise RequestNotSent(_("the PBX cannot be reached")) from exc
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if not s.use_tls:
            return sock
        try:
            context = tls.client_context(s.ca_file)
        except tls.CaFileUnusable:
            sock.close()
            raise
        try:
            sock.settimeout(_remaining(deadline))
            return context.wrap_socket(sock, server_hostname=s.host)
        except (OSError, ssl.SSLError) as exc:
            sock.close()
            logger.warning("ESL %s: TLS handshake failed: %s", s.where, exc)
            raise PbxUnavailable(tls.failure(exc)) from exc

    # --- sending ---------------------------------------------------------------

    def _exchange(
        self, conn: EslConnection, data: bytes, hooks: list[ReplyHook | None], line: str, deadline: float
    ) -> list[EslMessage]:
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("ESL %s -> %s", self.settings.where, describe_command(line))
        waiters = conn.send(data, hooks)
        try:
            return [waiter.wait(deadline - time.monotonic()) for waiter in waiters]
        except AnswerLost as exc:
            if conn.alive:
                # A healthy Event Socket answers in milliseconds: a silent one is stuck; start afresh.
                logger.warning(
                    "ESL %s: no reply to %s in time", self.settings.where, line.split(" ", maxsplit=1)[0]
                )
                conn.close("no reply in time")
            raise AnswerLost(str(exc)) from exc

    # --- events, disconnections, keep-alive ---------------------------------------

    def _route_event(self, message: EslMessage, generation: int) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(message, generation)
        except Exception:  # the reader thread must survive a failing handler
            logger.exception("ESL %s: event handler failed", self.settings.where)

    def _connection_closed(self, conn: EslConnection, reason: str) -> None:
        logger.info("ESL %s: connection %s closed: %s", self.settings.where, conn.generation, reason)
        if self.on_disconnect is None:
            return
        try:
            self.on_disconnect(conn.generation, reason)
        except Exception:  # called from reader or sender threads: never let it escape
            logger.exception("ESL %s: disconnect handler failed", self.settings.where)

    def _start_monitor(self) -> None:
        if self._monitor is not None and self._monitor.is_alive() and not self._stop.is_set():
            return
        self._stop = threading.Event()
        self._monitor = threading.Thread(
            target=self._monitor_loop, args=(self._stop,), name="esl-monitor", daemon=True
        )
        self._monitor.start()

    def _monitor_loop(self, stop: threading.Event) -> None:
        tick = max(min(1.0, self.settings.keepalive_s), 0.05)
        while not stop.wait(tick):
            if self.on_tick is not None:
                try:
                    self.on_tick()
                except Exception:  # keep the monitor alive
                    logger.exception("ESL %s: tick handler failed", self.settings.where)
            conn = self._conn
            if conn is None or not conn.alive:
                continue
            if time.monotonic() - conn.last_traffic < self.settings.keepalive_s:
                continue
            try:
                deadline = time.monotonic() + self.settings.timeout_s
                self._exchange(conn, encode_command("api status"), [None], "api status", deadline)
            except DriverError as exc:
                logger.warning("ESL %s: keep-alive failed: %s", self.settings.where, exc)
                conn.close("keep-alive failed")


class _LoginReader:
    """Reads the login's messages one at a time on a socket of its own (before the reader thread)."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self.sock = sock
        self.deadline = deadline
        self.framer = Framer()
        self.backlog: list[EslMessage] = []

    def next(self) -> EslMessage:
        """The next message. :raises NotEventSocket: the server's first bytes are not a header line."""
        seen = b""
        while not self.backlog:
            self.sock.settimeout(_remaining(self.deadline))
            data = self.sock.recv(4096)
            if not data:
                raise PbxUnavailable(_("the PBX closed the connection"))
            seen = (seen + data).lstrip(b"\r\n")
            if seen[:8] != b"Content-"[: len(seen[:8])]:
                # Every ESL message starts with a Content-Type or Content-Length header.
                raise NotEventSocket(_("the PBX does not speak the Event Socket protocol"))
            self.backlog += self.framer.feed(data)
        return self.backlog.pop(0)

    def ask(self, line: str) -> EslMessage:
        """Send ``line``, return its reply (events before it stay in :attr:`backlog`)."""
        self.sock.sendall(encode_command(line))
        skipped: list[EslMessage] = []
        while True:
            message = self.next()
            if message.is_reply:
                self.backlog[:0] = skipped
                return message
            if message.content_type == "text/disconnect-notice":
                raise PbxUnavailable(_("the PBX closed the connection"))
            skipped.append(message)


def _bind_generation(hook: Callable[[EslMessage, int], None], generation: int) -> ReplyHook:
    return lambda message: hook(message, generation)


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise PbxUnavailable(_("the PBX did not answer in time"))
    return remaining


__all__ = ["EslClient", "EslSettings", "PbxAddressRefused", "UnsafeValue"]
