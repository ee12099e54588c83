"""A fake Asterisk HTTP server: AJAM (``/rawman``) and ARI (``/ari/...``) on one port, like Asterisk's.

See the package docstring (``tests/fake_asterisk/__init__.py``) for the API.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.fake_asterisk.pbx import (
    SERVER,
    TECHNOLOGIES,
    AriUser,
    FakeDialplan,
    Header,
    ManagerUser,
    Reason,
    RecordedAction,
    Scheduler,
    ari_users,
    first,
    manager_users,
    parse_callerid,
    render,
    response,
    wants,
)

NOT_FOUND_PAGE = (
    '<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\r\n'
    "<html><head>\r\n"
    "<title>404 Not Found</title>\r\n"
    "</head><body>\r\n"
    "<h1>Not Found</h1>\r\n"
    "<p>The requested URL was not found on this server.</p>\r\n"
    "<hr />\r\n"
    f"<address>{SERVER}</address>\r\n"
    "</body></html>\r\n"
)
KNOWN_AJAM_ACTIONS = ("login", "logoff", "ping", "originate", "waitevent")


@dataclass
class AjamSession:
    """A manager session over HTTP, named by its ``mansession_id`` cookie."""

    id: str
    last_seen: float
    user: ManagerUser | None = None
    username: str = ""
    events: list[list[Header]] = field(default_factory=list)


@dataclass(frozen=True)
class AriRequest:
    """One ARI request as received: its query, its JSON body, who sent it."""

    method: str
    path: str  # without the prefix: "/ari/channels"
    query: tuple[Header, ...]
    body: Any
    username: str

    def param(self, name: str) -> Any:
        """A parameter from the JSON body, else from the query (None when absent)."""
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        for key, value in self.query:
            if key == name:
                return value
        return None


class FakeAsteriskHttp:
    """The fake HTTP server (AJAM + ARI): ``with FakeAsteriskHttp() as http: ...``."""

    def __init__(
        self,
        *,
        prefix: str = "",
        users: dict[str, ManagerUser] | None = None,
        ari_accounts: dict[str, AriUser] | None = None,
        dialplan: FakeDialplan | None = None,
        auth_fail_delay: float = 1.0,
        session_timeout: float = 60.0,
        silent: bool = False,
        drop_on_originate: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.prefix = prefix.strip("/")
        self.users = users if users is not None else manager_users()
        self.ari_users = ari_accounts if ari_accounts is not None else ari_users()
        self.dialplan = dialplan or FakeDialplan()
        self.auth_fail_delay = auth_fail_delay
        self.session_timeout = session_timeout
        self.silent = silent
        if drop_on_originate not in (None, "before_answer", "before_outcome"):
            raise ValueError("drop_on_originate: None, 'before_answer' or 'before_outcome'")
        self.drop_on_originate = drop_on_originate
        self._bind = (host, port)
        self._actions: list[RecordedAction] = []
        self._ari: list[AriRequest] = []
        self._request_lines: list[str] = []
        self._sessions: dict[str, AjamSession] = {}
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._scheduler: Scheduler | None = None
        self._channels = 0

    # --- configuration shortcuts -------------------------------------------------------

    @property
    def outcomes(self) -> dict[str, Reason]:
        return self.dialplan.outcomes

    @property
    def outcome_delay(self) -> float:
        return self.dialplan.outcome_delay

    @outcome_delay.setter
    def outcome_delay(self, value: float) -> None:
        self.dialplan.outcome_delay = value

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> FakeAsteriskHttp:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        httpd = ThreadingHTTPServer(self._bind, Handler)
        httpd.daemon_threads = True
        httpd.block_on_close = False
        self._httpd = httpd
        self._scheduler = Scheduler()
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._scheduler is not None:
            self._scheduler.stop()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def __enter__(self) -> FakeAsteriskHttp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def host(self) -> str:
        return self._bind[0]

    @property
    def port(self) -> int:
        assert self._httpd is not None, "start() the fake first"
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # --- what was received ------------------------------------------------------------------

    @property
    def actions(self) -> list[RecordedAction]:
        """Every AJAM action received, in order (a copy)."""
        with self._cond:
            return list(self._actions)

    def actions_named(self, name: str) -> list[RecordedAction]:
        return [a for a in self.actions if a.name.lower() == name.lower()]

    @property
    def originates(self) -> list[RecordedAction]:
        return self.actions_named("originate")

    @property
    def request_lines(self) -> list[str]:
        """Every HTTP request line received (``POST /rawman HTTP/1.1``), in order."""
        with self._cond:
            return list(self._request_lines)

    @property
    def ari_requests(self) -> list[AriRequest]:
        with self._cond:
            return list(self._ari)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))
        return True

    @property
    def sessions(self) -> int:
        """Logged-in AJAM sessions."""
        with self._cond:
            return sum(1 for s in self._sessions.values() if s.user is not None)

    def expire_sessions(self) -> None:
        """Forget every AJAM session now, as Asterisk does after ``httptimeout`` idle seconds."""
        with self._cond:
            self._sessions.clear()
            self._cond.notify_all()

    # --- AJAM --------------------------------------------------------------------------------

    def session_for(self, cookie_header: list[str]) -> AjamSession:
        """The session named by the LAST mansession_id cookie, or a new one (not logged in)."""
        wanted = ""
        for header in cookie_header:
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name == "mansession_id":
                    wanted = value.strip('"')
        now = time.monotonic()
        with self._cond:
            for sid, session in list(self._sessions.items()):
                if now - session.last_seen > self.session_timeout:
                    del self._sessions[sid]
            found = self._sessions.get(wanted)
            if found is None:
                found = AjamSession(secrets.token_hex(4), now)
                self._sessions[found.id] = found
            found.last_seen = now
            return found

    def ajam(self, session: AjamSession, params: list[Header]) -> tuple[bytes, bool]:
        """The body answering ``params`` in ``session``; True when the connection must drop instead."""
        name = first(params, "action")
        action_id = first(params, "actionid")
        with self._cond:
            self._actions.append(RecordedAction(name, tuple(params), 0, "ajam", session.username))
            self._cond.notify_all()
        lowered = name.lower()
        if not name:
            return render(response("Error", action_id, ("Message", "Missing action in request"))), False
        if lowered == "login":
            return self._login(session, params, action_id), False
        if session.user is None:
            return render(response("Error", action_id, ("Message", "Permission denied"))), False
        if lowered not in KNOWN_AJAM_ACTIONS:
            text = f"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands."
            return render(response("Error", action_id, ("Message", text))), False
        if lowered == "logoff":
            self._forget(session)
            return render(response("Goodbye", action_id, ("Message", "Thanks for all the fish."))), False
        if lowered == "ping":
            return render(
                response("Success", action_id, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))
            ), False
        if lowered == "waitevent":
            return self._waitevent(session, params, action_id), False
        return self._originate(session, params, action_id)

    def _forget(self, session: AjamSession) -> None:
        with self._cond:
            self._sessions.pop(session.id, None)
            self._cond.notify_all()

    def _login(self, session: AjamSession, params: list[Header], action_id: str) -> bytes:
        user = self.users.get(first(params, "username"))
        if user is None or first(params, "secret") != user.secret:
            time.sleep(self.auth_fail_delay)
            self._forget(session)
            return render(response("Error", action_id, ("Message", "Authentication failed")))
        with self._cond:
            session.user, session.username = user, first(params, "username")
            session.events = []
        return render(response("Success", action_id, ("Message", "Authentication accepted")))

    def _originate(self, session: AjamSession, params: list[Header], action_id: str) -> tuple[bytes, bool]:
        assert session.user is not None
        if not session.user.may_originate:
            return render(response("Error", action_id, ("Message", "Permission denied"))), False
        if self.drop_on_originate == "before_answer":
            return b"", True
        sync = first(params, "async").lower() not in ("true", "yes", "1", "on")
        error = self.dialplan.originate_error(params, sync=sync)
        if error:
            return render(response("Error", action_id, ("Message", error))), False
        early, late = self.dialplan.call(params, action_id)
        if sync:
            time.sleep(self.dialplan.outcome_delay)
            self._queue_events(early + late)
            if self.dialplan.reason_for(params) != Reason.ANSWERED:
                return render(response("Error", action_id, ("Message", "Originate failed"))), False
        else:
            self._queue_events(early)
            assert self._scheduler is not None
            self._scheduler.call_later(self.dialplan.outcome_delay, lambda: self._queue_events(late))
        if self.drop_on_originate == "before_outcome":
            self._forget(session)  # the session (and its queued events) is lost
        return render(response("Success", action_id, ("Message", "Originate successfully queued"))), False

    def _queue_events(self, events: Iterable[list[Header]]) -> None:
        with self._cond:
            for session in self._sessions.values():
                if session.user is not None:
                    session.events += [e for e in events if wants(None, session.user.read, e)]
            self._cond.notify_all()

    def _waitevent(self, session: AjamSession, params: list[Header], action_id: str) -> bytes:
        raw = first(params, "timeout")
        timeout = float(raw) if raw.isdigit() else 30.0
        deadline = time.monotonic() + min(timeout, self.session_timeout)
        with self._cond:
            while (
                not session.events and not self._stop.is_set() and self._sessions.get(session.id) is session
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            events, session.events = session.events, []
            session.last_seen = time.monotonic()
        body = render(response("Success", action_id, ("Message", "Waiting for Event completed.")))
        body += b"".join(render(event) for event in events)
        complete: list[Header] = [("Event", "WaitEventComplete")]
        if action_id:
            complete.append(("ActionID", action_id))
        return body + render(complete)

    # --- ARI ------------------------------------------------------------------------------------

    def ari_user(self, authorization: str | None, query: list[Header]) -> tuple[str, AriUser] | None:
        credentials = ""
        if authorization and authorization.lower().startswith("basic "):
            try:
                credentials = base64.b64decode(authorization[6:].strip()).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
        else:
            credentials = first(query, "api_key")
        username, _, password = credentials.partition(":")
        user = self.ari_users.get(username)
        if user is None or user.password != password:
            return None
        return (username, user)

    def ari(
        self, method: str, path: str, query: list[Header], body: Any, username: str
    ) -> tuple[int, Any, bool]:
        """(HTTP status, JSON answer, drop the connection instead) for one authenticated request."""
        with self._cond:
            self._ari.append(AriRequest(method, path, tuple(query), body, username))
            self._cond.notify_all()
        if method == "GET" and path == "/ari/asterisk/info":
            return (
                200,
                {
                    "system": {"version": SERVER.split("/")[1], "entity_id": "00:11:22:33:44:55"},
                    "build": {"os": "Linux"},
                },
                False,
            )
        if method == "POST" and path == "/ari/channels":
            return self._ari_originate(AriRequest(method, path, tuple(query), body, username))
        return 404, {"message": "Resource not found"}, False

    def _ari_originate(self, request: AriRequest) -> tuple[int, Any, bool]:
        endpoint = request.param("endpoint") or ""
        if not endpoint:
            return 400, {"message": "Endpoint must be specified"}, False
        if self.drop_on_originate == "before_answer":
            return 0, None, True
        tech, _, resource = str(endpoint).partition("/")
        if tech.upper() not in TECHNOLOGIES or not resource:
            return 500, {"error": "Allocation failed"}, False
        with self._cond:
            self._channels += 1
            n = self._channels
        name, number = parse_callerid(str(request.param("callerId") or ""))
        local_exten, _, local_ctx = resource.partition("@")
        channel = {
            "id": request.param("channelId") or f"1795699295.{40 + 2 * n}",
            "name": f"{endpoint}-{n:08x};1" if tech.upper() == "LOCAL" else f"{endpoint}-{n:08x}",
            "state": "Down",
            "protocol_id": "",
            "caller": {
                "name": "" if name == "<unknown>" else name,
                "number": "" if number == "<unknown>" else number,
            },
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": {
                "context": local_ctx or "default",
                "exten": local_exten,
                "priority": 1,
                "app_name": "AppDial2",
                "app_data": "(Outgoing Line)",
            },
            "creationtime": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime()),
            "language": "en",
        }
        return 200, channel, False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once: no 40 ms delayed-ACK stall
    wbufsize = 65536
    server_fake: FakeAsteriskHttp

    def version_string(self) -> str:
        return SERVER

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet tests

    def handle_one_request(self) -> None:
        if self.server_fake.silent:
            # Accepts TCP, reads nothing, answers nothing until the fake stops.
            self.server_fake._stop.wait()
            self.close_connection = True
            return
        super().handle_one_request()

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        fake = self.server_fake
        with fake._cond:
            fake._request_lines.append(self.requestline)
        url = urlsplit(self.path)
        query = parse_qsl(url.query, keep_blank_values=True)
        length = int(self.headers.get("Content-Length") or 0)
        raw_body = self.rfile.read(length) if length else b""
        prefix = f"/{fake.prefix}" if fake.prefix else ""
        path = url.path
        if not path.startswith(prefix + "/"):
            return self._send(404, "text/html", NOT_FOUND_PAGE.encode())
        path = path[len(prefix) :]
        if path == "/rawman":
            params = list(query)
            if method == "POST" and "x-www-form-urlencoded" in (self.headers.get("Content-Type") or ""):
                params += parse_qsl(raw_body.decode("utf-8", errors="replace"), keep_blank_values=True)
            session = fake.session_for(self.headers.get_all("Cookie") or [])
            body, drop = fake.ajam(session, params)
            if drop:
                return self._drop()
            cookie = f'mansession_id="{session.id}"; Version=1; Max-Age={max(int(fake.session_timeout), 1)}'
            return self._send(
                200, "text/plain", body, extra=[("Set-Cookie", cookie), ("Pragma", "SuppressEvents")]
            )
        if path.startswith("/ari/"):
            who = fake.ari_user(self.headers.get("Authorization"), query)
            if who is None:
                body = json.dumps({"message": "Authentication required"}, separators=(",", ":")).encode()
                return self._send(
                    401,
                    "application/json",
                    body,
                    extra=[("WWW-Authenticate", 'Basic realm="Asterisk REST Interface"')],
                    extra_first=True,
                )
            username, user = who
            if user.read_only and method != "GET":
                body = json.dumps({"message": "Write access denied"}, separators=(",", ":")).encode()
                return self._send(403, "application/json", body)
            try:
                data = json.loads(raw_body) if raw_body else None
            except ValueError:
                return self._send(400, "application/json", b'{"message":"Invalid JSON"}')
            status, answer, drop = fake.ari(
                method, path, [(k, v) for k, v in query if k != "api_key"], data, username
            )
            if drop:
                return self._drop()
            return self._send(status, "application/json", json.dumps(answer, separators=(",", ":")).encode())
        return self._send(404, "text/html", NOT_FOUND_PAGE.encode())

    def _send(
        self,
        status: int,
        content_type: str,
        body: bytes,
        extra: Sequence[Header] = (),
        extra_first: bool = False,
    ) -> None:
        self.send_response(status)
        self.send_header("Cache-Control", "no-cache, no-store")
        if extra_first:
            for key, value in extra:
                self.send_header(key, value)
        self.send_header("Content-type", content_type)
        if not extra_first:
            for key, value in extra:
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _drop(self) -> None:
        """Close the TCP connection without answering (the PBX died mid-request)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
