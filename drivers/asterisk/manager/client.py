"""One persistent, logged-in AMI connection per client, shared safely by threads.

:class:`AmiClient` opens its connection on first use (connect, read the
banner, log in: MD5 challenge or plaintext), then keeps it: a reader thread
routes each answer to the thread waiting for its ActionID
(:class:`~drivers.asterisk.manager.actions.PendingTable`) and every event to
``on_event``; a monitor thread pings the PBX when the line has been quiet
and calls ``on_tick`` about once a second. A lost connection fails the
actions still waiting and calls ``on_disconnect``; the next action connects
again, immediately after a drop, with back-off after failed attempts (a
PBX that is down is not hammered and web workers fail fast). Every step
has a deadline: nothing waits longer than ``timeout_s``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from drivers import tls
from drivers.asterisk.manager.actions import ActionIds, ReplyHook
from drivers.asterisk.manager.connection import Connection, EventHook
from drivers.asterisk.manager.protocol import Framer, Header, Message, check_headers, describe, encode_action
from drivers.base import AnswerLost, DriverError, PbxAuthFailed, PbxUnavailable, RequestNotSent
from drivers.translation import gettext as _

logger = logging.getLogger(__name__)

DisconnectHook = Callable[[int, str], None]  # (connection generation, reason)
AnswerHook = Callable[[Message, int], None]  # (answer, connection generation)


@dataclass(frozen=True)
class AmiSettings:
    """Where the AMI is and how to log in (built by the driver from its PbxConfig)."""

    host: str
    port: int
    username: str
    secret: str = field(repr=False)
    use_tls: bool = False
    ca_file: str = ""  # drivers/tls.py: "" is the system's trust store
    timeout_s: float = 5.0
    # "md5" (challenge; the secret never crosses the wire), "plain", or "auto":
    # MD5 when the PBX offers it, plaintext otherwise.
    auth: str = "auto"
    # The Login's "Events:" value: which event classes this session receives.
    # "call" carries OriginateResponse; "off" would silence every outcome.
    events: str = "call"
    keepalive_s: float = 20.0
    backoff_s: float = 0.5
    backoff_max_s: float = 10.0
    label: str = ""  # for logs: the PBX's name

    @property
    def where(self) -> str:
        return f"{self.label or 'AMI'} ({self.host}:{self.port})"


class AmiClient:
    """A shared AMI session: :meth:`action` from any thread; it connects when needed."""

    def __init__(
        self,
        settings: AmiSettings,
        *,
        on_event: EventHook | None = None,
        on_disconnect: DisconnectHook | None = None,
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        self.settings = settings
        self.on_event = on_event
        self.on_disconnect = on_disconnect
        self.on_tick = on_tick
        self.banner = ""
        self.login_method = ""
        self._reset_state()

    def _reset_state(self) -> None:
        self._pid = os.getpid()
        self._ids = ActionIds()
        self._connect_lock = threading.Lock()
        self._conn: Connection | None = None
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

    def connect(self, deadline: float | None = None) -> str:
        """Connect and log in now unless already done; the PBX's banner.

        :raises PbxAuthFailed: the login was refused (check :attr:`banner`: the PBX answered).
        :raises PbxUnavailable: no connection, no banner, or no answer to the login in time.
        """
        deadline = deadline if deadline is not None else time.monotonic() + self.settings.timeout_s
        return self._ensure_connected(deadline).banner

    def next_action_id(self) -> str:
        return self._ids.next()

    def action(
        self,
        action: str,
        headers: Iterable[Header] = (),
        *,
        action_id: str | None = None,
        deadline: float | None = None,
        on_reply: AnswerHook | None = None,
    ) -> Message:
        """Send one action and return its answer, connecting and logging in first if needed.

        ``deadline`` (``time.monotonic()``) bounds everything: connect, login, answer.
        ``on_reply(answer, generation)`` runs in the reader thread with the answer, before
        this call returns and before any later message is read (so before the events that
        follow it); ``generation`` numbers the connection (see ``on_disconnect``).

        :raises UnsafeValue: a header holds a control character: nothing was sent.
        :raises PbxUnavailable, PbxAuthFailed: no logged-in connection: nothing was sent.
        :raises AnswerLost: sent (perhaps), but no answer came; the connection is closed.
        """
        headers = list(headers)
        deadline = deadline if deadline is not None else time.monotonic() + self.settings.timeout_s
        action_id = action_id or self._ids.next()
        for attempt in (1, 2):
            conn = self._ensure_connected(deadline)
            hook = _bind_generation(on_reply, conn.generation) if on_reply is not None else None
            try:
                return self._request(conn, action, headers, action_id, deadline=deadline, on_reply=hook)
            except RequestNotSent:
                # Dropped before our bytes left: nothing reached the PBX, so one new connection is safe.
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self, logoff: bool = True) -> None:
        """Log off (best effort, briefly) and close; a later :meth:`action` connects again."""
        self._stop.set()
        conn = self._conn
        if conn is None or not conn.alive:
            return
        if logoff:
            deadline = time.monotonic() + min(1.0, self.settings.timeout_s)
            with contextlib.suppress(DriverError):  # closing anyway
                self._request(conn, "Logoff", [], self._ids.next(), deadline=deadline)
        conn.close("closed by Astitray")

    def wait_disconnected(self, timeout: float) -> bool:
        """True once the current connection (if any) is closed: for tests and tools."""
        conn = self._conn
        return conn is None or conn.closed.wait(timeout)

    # --- connecting ------------------------------------------------------------

    def _ensure_connected(self, deadline: float) -> Connection:
        if self._pid != os.getpid():
            # A forked worker inherited our state: threads and socket belong to the parent.
            self._reset_state()
        conn = self._conn
        if conn is not None and conn.alive:
            return conn
        s = self.settings
        # The login's values go on the wire too: refuse a control character before connecting.
        check_headers([("Username", s.username), ("Secret", s.secret), ("Events", s.events)])
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
                backoff = self.settings.backoff_s * 2 ** (self._failures - 1)
                self._retry_at = time.monotonic() + min(backoff, self.settings.backoff_max_s)
                raise
            self._failures = 0
            self._retry_at = 0.0
            self._conn = conn
            self._start_monitor()
            return conn
        finally:
            self._connect_lock.release()

    def _open(self, deadline: float) -> Connection:
        s = self.settings
        sock = self._connect_socket(deadline)
        framer = Framer()
        early: list[Message] = []
        try:
            while framer.expects_banner:
                sock.settimeout(_remaining(deadline))
                data = sock.recv(4096)
                if not data:
                    raise PbxUnavailable(_("the PBX closed the connection at once"))
                early += framer.feed(data)
        except (TimeoutError, PbxUnavailable) as exc:
            sock.close()
            logger.warning("AMI %s: no banner: %s", s.where, exc or "timed out")
            raise PbxUnavailable(_("the PBX accepted the connection but did not answer")) from exc
        except OSError as exc:
            sock.close()
            logger.warning("AMI %s: reading the banner failed: %s", s.where, exc)
            raise PbxUnavailable(_("the connection to the PBX failed")) from exc
        # The reader thread reads in short slices so that a closed connection is noticed.
        sock.settimeout(max(min(s.timeout_s, 1.0), 0.1))
        self._generation += 1
        conn = Connection(
            sock,
            framer,
            self._generation,
            where=s.where,
            on_event=self._route_event,
            on_close=self._connection_closed,
        )
        self.banner = conn.banner
        logger.debug("AMI %s: connected, banner %r", s.where, conn.banner)
        conn.start(early)
        try:
            self._login(conn, deadline)
        except AnswerLost as exc:
            conn.close("no answer to the login")
            raise PbxUnavailable(_("the PBX did not answer the login in time")) from exc
        except DriverError:
            conn.close("login failed")
            raise
        logger.info("AMI %s: logged in as %s (%s)", s.where, s.username, conn.banner)
        return conn

    def _connect_socket(self, deadline: float) -> socket.socket:
        s = self.settings
        try:
            sock = socket.create_connection((s.host, s.port), timeout=_remaining(deadline))
        except ConnectionRefusedError as exc:
            logger.warning("AMI %s: connection refused", s.where)
            raise PbxUnavailable(_("the PBX refused the connection")) from exc
        except TimeoutError as exc:
            logger.warning("AMI %s: connection timed out", s.where)
            raise PbxUnavailable(_("the PBX did not answer in time")) from exc
        except OSError as exc:
            logger.warning("AMI %s: cannot connect: %s", s.where, exc)
            raise PbxUnavailable(_("the PBX cannot be reached")) from exc
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
            logger.warning("AMI %s: TLS handshake failed: %s", s.where, exc)
            raise PbxUnavailable(tls.failure(exc)) from exc

    def _login(self, conn: Connection, deadline: float) -> None:
        s = self.settings
        headers: list[Header] = [("Username", s.username), ("Secret", s.secret)]
        if s.auth in ("md5", "auto"):
            reply = self._request(
                conn, "Challenge", [("AuthType", "MD5")], self._ids.next(), deadline=deadline
            )
            challenge = reply.get("Challenge")
            if reply.ok and challenge:
                key = hashlib.md5((challenge + s.secret).encode(), usedforsecurity=False).hexdigest()
                headers = [("AuthType", "MD5"), ("Username", s.username), ("Key", key)]
            elif s.auth == "md5":
                raise PbxAuthFailed("the PBX does not offer the MD5 login")
            else:
                logger.warning("AMI %s: no MD5 challenge (%s): plaintext login", s.where, reply.text)
        reply = self._request(
            conn, "Login", [*headers, ("Events", s.events)], self._ids.next(), deadline=deadline
        )
        if not reply.ok:
            logger.warning("AMI %s: login as %s refused: %s", s.where, s.username, reply.text)
            raise PbxAuthFailed()
        self.login_method = "MD5 challenge" if headers[0] == ("AuthType", "MD5") else "plaintext secret"

    # --- sending ---------------------------------------------------------------

    def _request(
        self,
        conn: Connection,
        action: str,
        headers: list[Header],
        action_id: str,
        *,
        deadline: float,
        on_reply: ReplyHook | None = None,
    ) -> Message:
        data = encode_action(action, headers, action_id)  # refuses unsafe values before anything
        entry = conn.pending.add(action_id, on_reply)
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "AMI %s -> %s",
                self.settings.where,
                describe([("Action", action), *headers, ("ActionID", action_id)]),
            )
        try:
            conn.send(data)
            return entry.wait(deadline - time.monotonic())
        except RequestNotSent:
            conn.pending.discard(action_id)
            raise
        except AnswerLost as exc:
            conn.pending.discard(action_id)
            if conn.alive:
                # A healthy AMI answers in milliseconds: a silent one is stuck; start afresh next time.
                logger.warning("AMI %s: no answer to %s in time", self.settings.where, action)
                conn.close(f"no answer to {action}")
            raise AnswerLost(str(exc)) from exc

    # --- events, disconnections, keep-alive ---------------------------------------

    def _route_event(self, message: Message, generation: int) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(message, generation)
        except Exception:  # the reader thread must survive a failing handler
            logger.exception("AMI %s: event handler failed", self.settings.where)

    def _connection_closed(self, conn: Connection, reason: str) -> None:
        logger.info("AMI %s: connection %s closed: %s", self.settings.where, conn.generation, reason)
        if self.on_disconnect is None:
            return
        try:
            self.on_disconnect(conn.generation, reason)
        except Exception:  # called from reader or sender threads: never let it escape
            logger.exception("AMI %s: disconnect handler failed", self.settings.where)

    def _start_monitor(self) -> None:
        if self._monitor is not None and self._monitor.is_alive() and not self._stop.is_set():
            return
        self._stop = threading.Event()
        self._monitor = threading.Thread(
            target=self._monitor_loop, args=(self._stop,), name="ami-monitor", daemon=True
        )
        self._monitor.start()

    def _monitor_loop(self, stop: threading.Event) -> None:
        tick = max(min(1.0, self.settings.keepalive_s), 0.05)
        while not stop.wait(tick):
            if self.on_tick is not None:
                try:
                    self.on_tick()
                except Exception:  # keep the monitor alive
                    logger.exception("AMI %s: tick handler failed", self.settings.where)
            conn = self._conn
            if conn is None or not conn.alive:
                continue
            if time.monotonic() - conn.last_traffic < self.settings.keepalive_s:
                continue
            try:
                deadline = time.monotonic() + self.settings.timeout_s
                self._request(conn, "Ping", [], self._ids.next(), deadline=deadline)
            except DriverError as exc:
                logger.warning("AMI %s: keep-alive ping failed: %s", self.settings.where, exc)
                conn.close("keep-alive ping failed")


def _bind_generation(hook: AnswerHook, generation: int) -> ReplyHook:
    return lambda message: hook(message, generation)


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise PbxUnavailable(_("the PBX did not answer in time"))
    return remaining
