"""A fake Asterisk Manager Interface (TCP) that behaves like the recorded Asterisk 22.

See the package docstring (``testkit/fake_asterisk/__init__.py``) for the API.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable

from testkit.fake_asterisk.dialplan import FakeDialplan
from testkit.fake_asterisk.pbx import (
    BANNER,
    Header,
    ManagerUser,
    Reason,
    RecordedAction,
    Scheduler,
    core_show_channels,
    first,
    manager_users,
    parse_eventmask,
    render,
    response,
    wants,
)

# Actions the fake knows; any other is "Invalid/unknown command".
KNOWN_ACTIONS = ("login", "challenge", "logoff", "ping", "originate", "coreshowchannels")
# Actions allowed before login (Asterisk's process_message).
BEFORE_LOGIN = ("login", "challenge", "logoff")


class _Session:
    """One TCP connection to the fake."""

    def __init__(self, server: FakeAmi, sock: socket.socket, index: int) -> None:
        self.server = server
        self.sock = sock
        self.index = index
        self.user: ManagerUser | None = None
        self.username = ""
        self.eventmask: set[str] | None = None
        self.challenge = ""
        self.closed = threading.Event()
        self.received = bytearray()
        self._write_lock = threading.Lock()

    def send(self, data: bytes) -> None:
        with self._write_lock:
            if self.closed.is_set():
                return
            try:
                self.sock.sendall(data)
            except OSError:
                self.close()

    def send_headers(self, headers: Iterable[Header]) -> None:
        self.send(render(list(headers)))

    def send_event(self, event: list[Header]) -> None:
        if self.user is not None and wants(self.eventmask, self.user.read, event):
            self.send_headers(event)

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()


class FakeAmi:
    """The fake AMI server: ``with FakeAmi() as ami: ...`` (see the package docstring)."""

    def __init__(
        self,
        *,
        banner: str = BANNER,
        users: dict[str, ManagerUser] | None = None,
        dialplan: FakeDialplan | None = None,
        auth_fail_delay: float = 1.0,
        silent: bool = False,
        drop_every: float | None = None,
        drop_on_originate: str | None = None,
        ignore_actions: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls``: a server context, to speak AMI over TLS (manager.conf ``tlsenable``)."""
        self.tls = tls
        self.banner = banner
        self.users = users if users is not None else manager_users()
        self.dialplan = dialplan or FakeDialplan()
        self.auth_fail_delay = auth_fail_delay
        self.silent = silent
        self.drop_every = drop_every
        if drop_on_originate not in (None, "before_answer", "before_outcome"):
            raise ValueError("drop_on_originate: None, 'before_answer' or 'before_outcome'")
        self.drop_on_originate = drop_on_originate
        self.ignore_actions = {name.lower() for name in ignore_actions}
        self._bind = (host, port)
        self._actions: list[RecordedAction] = []
        self._sessions: list[_Session] = []
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._listener: socket.socket | None = None
        self._scheduler: Scheduler | None = None
        self.connections = 0  # TCP connections accepted so far

    # --- configuration shortcuts -------------------------------------------------------

    @property
    def outcomes(self) -> dict[str, Reason]:
        """Dialed number -> Reason of its OriginateResponse (mutable)."""
        return self.dialplan.outcomes

    @property
    def outcome_delay(self) -> float:
        return self.dialplan.outcome_delay

    @outcome_delay.setter
    def outcome_delay(self, value: float) -> None:
        self.dialplan.outcome_delay = value

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> FakeAmi:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(self._bind)
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        self._scheduler = Scheduler()
        threading.Thread(target=self._accept_loop, name="fake-ami-accept", daemon=True).start()
        if self.drop_every:
            self._scheduler.call_later(self.drop_every, self._periodic_drop)
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.stop()
        self.drop_connections()
        if self._listener is not None:
            self._listener.close()
        with self._cond:
            self._cond.notify_all()

    def __enter__(self) -> FakeAmi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return self._bind[0]

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() the fake first"
        return self._listener.getsockname()[1]

    # --- what was received -----------------------------------------------------------------

    @property
    def actions(self) -> list[RecordedAction]:
        """Every action received, in order (a copy)."""
        with self._cond:
            return list(self._actions)

    def actions_named(self, name: str) -> list[RecordedAction]:
        return [a for a in self.actions if a.name.lower() == name.lower()]

    @property
    def originates(self) -> list[RecordedAction]:
        return self.actions_named("Originate")

    @property
    def received(self) -> bytes:
        """Every byte received on every connection, in connection order."""
        with self._cond:
            return b"".join(bytes(s.received) for s in self._sessions)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Wait until ``predicate()`` is true (checked at each received action or drop)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))
        return True

    def wait_for_action(self, name: str, count: int = 1, timeout: float = 10.0) -> RecordedAction:
        """The ``count``-th action named ``name``, once received (AssertionError after ``timeout``)."""
        if not self.wait_for(lambda: len(self.actions_named(name)) >= count, timeout):
            raise AssertionError(f"the fake AMI did not receive {count} {name} action(s) in {timeout} s")
        return self.actions_named(name)[count - 1]

    @property
    def open_connections(self) -> int:
        with self._cond:
            return sum(1 for s in self._sessions if not s.closed.is_set())

    # --- faults ---------------------------------------------------------------------------

    def drop_connections(self) -> None:
        """Close every open connection now, as a restarting or crashing PBX does."""
        with self._cond:
            sessions = list(self._sessions)
        for session in sessions:
            session.close()
        with self._cond:
            self._cond.notify_all()

    def _periodic_drop(self) -> None:
        self.drop_connections()
        if self.drop_every and not self._stop.is_set() and self._scheduler is not None:
            self._scheduler.call_later(self.drop_every, self._periodic_drop)

    # --- serving ------------------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                try:
                    sock.settimeout(5)
                    sock = self.tls.wrap_socket(sock, server_side=True)
                    sock.settimeout(None)
                except OSError:  # the client did not trust us, or hung up: no session
                    sock.close()
                    continue
            with self._cond:
                self.connections += 1
                session = _Session(self, sock, self.connections)
                self._sessions.append(session)
            threading.Thread(
                target=self._serve, args=(session,), name="fake-ami-session", daemon=True
            ).start()

    def _serve(self, session: _Session) -> None:
        if self.silent:
            # Accepts TCP, then never sends a byte (a stuck PBX or a wrong port).
            while not session.closed.wait(0.2) and not self._stop.is_set():
                pass
            session.close()
            return
        session.send(f"{self.banner}\r\n".encode())
        buffer = b""
        headers: list[Header] = []
        while not session.closed.is_set():
            try:
                data = session.sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            with self._cond:
                session.received += data
            buffer += data
            # Asterisk's reading: a line ends at "\n" ("\r\n" or a lone "\n"); a lone "\r" stays.
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                line = raw.removesuffix(b"\r").decode("utf-8", errors="replace")
                if line:
                    key, _, value = line.partition(":")
                    headers.append((key.strip(), value.lstrip(" ")))
                elif headers:
                    message, headers = headers, []
                    self._handle(session, message)
                    if session.closed.is_set():
                        break
        session.close()
        with self._cond:
            self._cond.notify_all()

    def _record(self, session: _Session, name: str, message: list[Header]) -> None:
        with self._cond:
            self._actions.append(RecordedAction(name, tuple(message), session.index, "ami", session.username))
            self._cond.notify_all()

    def _handle(self, session: _Session, message: list[Header]) -> None:
        name = first(message, "Action")
        action_id = first(message, "ActionID")
        self._record(session, name, message)
        if not name:
            session.send_headers(response("Error", action_id, ("Message", "Missing action in request")))
            return
        lowered = name.lower()
        if lowered in self.ignore_actions:
            return
        if session.user is None and lowered not in BEFORE_LOGIN:
            session.send_headers(response("Error", action_id, ("Message", "Permission denied")))
            return
        if lowered not in KNOWN_ACTIONS:
            text = f"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands."
            session.send_headers(response("Error", action_id, ("Message", text)))
            return
        getattr(self, f"_action_{lowered}")(session, message, action_id)

    def _action_challenge(self, session: _Session, message: list[Header], action_id: str) -> None:
        if first(message, "AuthType").lower() != "md5":
            session.send_headers(response("Error", action_id, ("Message", "Must specify AuthType")))
            return
        session.challenge = str(secrets.randbelow(900_000_000) + 100_000_000)
        session.send_headers(response("Success", action_id, ("Challenge", session.challenge)))

    def _action_login(self, session: _Session, message: list[Header], action_id: str) -> None:
        username = first(message, "Username")
        user = self.users.get(username)
        accepted = False
        if user is not None:
            if first(message, "AuthType").lower() == "md5":
                expected = hashlib.md5(
                    (session.challenge + user.secret).encode(), usedforsecurity=False
                ).hexdigest()
                accepted = bool(session.challenge) and first(message, "Key") == expected
            else:
                accepted = first(message, "Secret") == user.secret
        if not accepted:
            # Asterisk answers a bad login after about one second, then closes the connection.
            time.sleep(self.auth_fail_delay)
            session.send_headers(response("Error", action_id, ("Message", "Authentication failed")))
            session.close()
            return
        session.user, session.username = user, username
        session.eventmask = parse_eventmask(first(message, "Events") or None)
        session.send_headers(response("Success", action_id, ("Message", "Authentication accepted")))
        session.send_event(
            [
                ("Event", "FullyBooted"),
                ("Privilege", "system,all"),
                ("Uptime", "135"),
                ("LastReload", "135"),
                ("Status", "Fully Booted"),
            ]
        )

    def _action_logoff(self, session: _Session, message: list[Header], action_id: str) -> None:
        session.send_headers(response("Goodbye", action_id, ("Message", "Thanks for all the fish.")))
        session.close()

    def _action_ping(self, session: _Session, message: list[Header], action_id: str) -> None:
        session.send_headers(
            response("Success", action_id, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))
        )

    def _action_coreshowchannels(self, session: _Session, message: list[Header], action_id: str) -> None:
        """No channel (recorded: ami-35 "csc-after"); "Permission denied" without system/reporting write."""
        assert session.user is not None
        session.send(core_show_channels(session.user, action_id))

    def _action_originate(self, session: _Session, message: list[Header], action_id: str) -> None:
        assert session.user is not None
        if not session.user.may_originate:
            session.send_headers(response("Error", action_id, ("Message", "Permission denied")))
            return
        if self.drop_on_originate == "before_answer":
            session.close()
            return
        sync = first(message, "Async").lower() not in ("true", "yes", "1", "on")
        error = self.dialplan.originate_error(message, sync=sync)
        if error:
            session.send_headers(response("Error", action_id, ("Message", error)))
            return
        early, late = self.dialplan.call(message, action_id)
        if sync:
            # A synchronous Originate answers once the phone answered (or did not).
            time.sleep(self.dialplan.outcome_delay)
            ok = self.dialplan.reason_for(message) == Reason.ANSWERED
            text = "Originate successfully queued" if ok else "Originate failed"
            session.send_headers(response("Success" if ok else "Error", action_id, ("Message", text)))
            self._broadcast(early + late)
            return
        session.send_headers(response("Success", action_id, ("Message", "Originate successfully queued")))
        if self.drop_on_originate == "before_outcome":
            session.close()
            return
        self._broadcast(early)
        assert self._scheduler is not None
        self._scheduler.call_later(self.dialplan.outcome_delay, lambda: self._broadcast(late))

    def _broadcast(self, events: list[list[Header]]) -> None:
        """Events go to every logged-in session whose Events: mask and read= classes allow them."""
        with self._cond:
            sessions = [s for s in self._sessions if not s.closed.is_set()]
        for event in events:
            for session in sessions:
                session.send_event(event)
