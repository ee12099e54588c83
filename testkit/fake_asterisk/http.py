"""A fake Asterisk HTTP server: AJAM (``/rawman``) and ARI (``/ari/...``) on one port, like Asterisk's.

See the package docstring (``testkit/fake_asterisk/__init__.py``) for the API.
"""

from __future__ import annotations

import contextlib
import functools
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from testkit.fake_asterisk.ajam import AjamMixin, AjamSession
from testkit.fake_asterisk.ari import AriMixin, AriRequest
from testkit.fake_asterisk.dialplan import FakeDialplan
from testkit.fake_asterisk.pbx import (
    SERVER,
    AriUser,
    Header,
    ManagerUser,
    Reason,
    RecordedAction,
    Scheduler,
    ari_users,
    manager_users,
)
from testkit.fake_asterisk.replay import http_responses, transcript

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


@functools.cache
def _shutdown_answer() -> bytes:
    """Asterisk's answer to AJAM during ``core restart now`` (ajam-46): HTTP 503, text/html."""
    answers = http_responses(transcript("ajam-46-core-restart"))
    return next(answer for answer in answers if answer.startswith(b"HTTP/1.1 503"))


class FakeAsteriskHttp(AjamMixin, AriMixin):
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
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls``: a server context, to serve https:// (Asterisk's ``tlsenable``) with its certificate."""
        self.tls = tls
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
        self._shutting_down = False

    # --- an Asterisk restart (recorded: ajam-46) ------------------------------------------

    def shut_down(self) -> None:
        """``core restart now`` under way: AJAM answers the recorded 503 "Shutdown in progress"."""
        self._shutting_down = True

    def boot(self) -> None:
        """Asterisk is up again: every session is forgotten ("Permission denied" for an old cookie)."""
        self.expire_sessions()
        self._shutting_down = False

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
        if self.tls is not None:
            httpd.socket = self.tls.wrap_socket(httpd.socket, server_side=True)
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
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

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

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._cond:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.5))
        return True


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
        if path == "/rawman" and fake._shutting_down:
            return self._send_raw(_shutdown_answer())
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

    def _send_raw(self, answer: bytes) -> None:
        """A recorded HTTP answer, byte for byte, then the connection closed (as Asterisk does)."""
        self.close_connection = True
        self.wfile.write(answer)

    def _drop(self) -> None:
        """Close the TCP connection without answering (the PBX died mid-request)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
