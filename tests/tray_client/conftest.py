"""Fixtures of the tray client's tests: a stand-in XML-RPC server, a stub icon, a private XDG home.

The client never imports server code, and most of its tests need answers,
faults, slowness or "not Astitray" behaviours that the real server gives
only with the whole dial service set up: :class:`StandIn` is a small real
XML-RPC server (stdlib, real HTTP and marshalling, Basic auth) whose
procedures each test writes. The end-to-end tests use the real Astitray
server instead (tests/tray_client/test_desktop.py).
"""

from __future__ import annotations

import base64
import inspect
import os
import secrets
import ssl
import threading
import xmlrpc.client
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from testkit import tray_package
from testkit.desktop import INSTALLED_TRAY, PRIVATE_HOME, Desktop, missing_programs
from testkit.known_secrets import ALICE_PASSWORD
from testkit.services import require

# pystray picks its backend when imported; without a display only "dummy"
# imports. The unit tests use StubIcon below (dummy cannot run an icon).
os.environ.setdefault("PYSTRAY_BACKEND", "dummy")

import keyring
import keyring.backends.null
import pystray._base

from tray_client import i18n

USER = "alice"
PASSWORD = ALICE_PASSWORD

ALICE = {
    "username": "alice",
    "full_name": "Alice Martin",
    "extension": "1001",
    "extension_source": "manual",
    "can_dial": True,
    "phone": "unknown",
    "server_version": "0.1.0",
    "api_version": 1,
}
WRONG_PARAMETERS = "Invalid parameters: wrong number or names of parameters; see system.methodHelp"


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeouts are tested on purpose) is no error of the server."""


class Challenge(Exception):
    """A request without credentials to a procedure that needs them: HTTP 401 and a Basic challenge."""


class StandIn:
    """A real XML-RPC server on a free loopback port; ``procedures`` maps a name to a function.

    A procedure returns the answer or raises ``xmlrpc.client.Fault``. Every
    call is recorded in ``calls`` (name, params). As Astitray does (checked
    against the real server by test_stand_in.py): an unknown procedure is
    fault -32601 whoever asks, a known one without any credentials HTTP 401
    with a Basic challenge, with wrong ones -32098, and with parameters it
    does not take -32602. API tokens too: ``accounts.create_token`` (with
    the password only) makes one, ``accounts.revoke_token`` or
    :meth:`revoke_all` revokes; ``Authorization: Bearer`` with one of
    ``tokens`` is alice, with any other -32098.
    """

    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        self.procedures: dict[str, Callable[..., Any]] = {
            "accounts.whoami": lambda: ALICE,
            "accounts.create_token": self._create_token,
            "accounts.revoke_token": self._revoke_token,
        }
        self.tokens: dict[str, int] = {}  # token -> id
        self.revoked: list[int] = []
        self.bearer = False  # whether the call being answered came with a token
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.raw: Callable[[BaseHTTPRequestHandler], bool] | None = None
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def do_POST(self) -> None:
                if stand_in.raw is not None and stand_in.raw(self):
                    return
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                params, method = xmlrpc.client.loads(body)
                method = method or ""
                stand_in.calls.append((method, params))
                try:
                    answer = xmlrpc.client.dumps(
                        (stand_in.answer(method, params, self.headers),), methodresponse=True
                    )
                except Challenge:
                    self.send_response(401)
                    self.send_header("WWW-Authenticate", 'Basic realm="Astitray", charset="UTF-8"')
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                except xmlrpc.client.Fault as fault:
                    answer = xmlrpc.client.dumps(fault, methodresponse=True)
                data = answer.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = _QuietServer((host, 0), Handler)
        self.origin = f"http://{host}"
        if tls is not None:  # HTTPS (a certificate for "localhost"): the handshake happens on accepting
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
            self.origin = "https://localhost"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def answer(self, method: str, params: tuple[Any, ...], headers: Any) -> Any:
        """The answer to one call; checked in the real server's order: procedure, credentials, parameters."""
        if method == "system.listMethods":  # as the real server: no credentials needed
            return sorted([*self.procedures, "system.listMethods"])
        procedure = self.procedures.get(method)
        if procedure is None:
            raise xmlrpc.client.Fault(-32601, f'Method not found: "{method}"')
        authorization = headers.get("Authorization")
        if authorization is None:
            raise Challenge
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        self.bearer = authorization.startswith("Bearer ")
        if authorization != expected and authorization.removeprefix("Bearer ") not in self.tokens:
            raise xmlrpc.client.Fault(-32098, "Authentication failed: check your username and password.")
        try:
            inspect.signature(procedure).bind(*params)
        except TypeError:
            raise xmlrpc.client.Fault(-32602, WRONG_PARAMETERS) from None
        return procedure(*params)

    def _create_token(self, label: str) -> dict[str, Any]:
        if self.bearer:
            raise xmlrpc.client.Fault(
                -32098, "API tokens are made with your username and password, not a token."
            )
        token = "astk_" + secrets.token_urlsafe(32)
        self.tokens[token] = token_id = len(self.tokens) + len(self.revoked) + 1
        return {"id": token_id, "token": token, "label": label, "created": "2026-12-07T14:00:00Z"}

    def _revoke_token(self, token_id: int) -> bool:
        for token, known in list(self.tokens.items()):
            if known == token_id:
                del self.tokens[token]
                self.revoked.append(token_id)
                return True
        raise xmlrpc.client.Fault(-32083, "No such API token of yours.")

    def revoke_all(self) -> None:
        """Every token revoked (as the user or an admin can on the server)."""
        self.revoked.extend(self.tokens.values())
        self.tokens.clear()

    @property
    def url(self) -> str:
        return f"{self.origin}:{self.server.server_address[1]}/rpc/"

    def called(self, method: str) -> list[tuple[Any, ...]]:
        return [params for name, params in self.calls if name == method]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    server = StandIn()
    yield server
    server.close()


class StubIcon(pystray._base.Icon):
    """A pystray icon without a display: what the client asks of the platform is recorded."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.menu_updates = 0
        self.icon_updates = 0
        self.stopped = threading.Event()

    def _show(self) -> None:
        pass

    def _hide(self) -> None:
        pass

    def _update_icon(self) -> None:
        self.icon_updates += 1

    def _update_title(self) -> None:
        pass

    def _update_menu(self) -> None:
        self.menu_updates += 1

    def _notify(self, message: str, title: str | None = None) -> None:
        raise AssertionError("the client sends notifications through tray_client.notify")

    def _remove_notification(self) -> None:
        pass

    def _run(self) -> None:
        self._mark_ready()
        self.stopped.wait()

    def _stop(self) -> None:
        self.stopped.set()

    def item(self, label_start: str) -> pystray._base.MenuItem:
        """The visible menu item whose label starts with ``label_start``."""
        for entry in self.menu:
            if entry.text.startswith(label_start):
                return entry
        raise AssertionError(f"no menu item {label_start!r} in {[entry.text for entry in self.menu]}")


@pytest.fixture(scope="module")
def desktop(tmp_path_factory) -> Iterator[Desktop]:
    """A real X desktop (testkit/desktop.py), one per test module."""
    missing = missing_programs()
    require(not missing, f"the desktop tests need {', '.join(missing)}")
    session = Desktop(tmp_path_factory.mktemp("desktop"))
    yield session
    session.close()


@pytest.fixture(scope="module")
def installed_tray(tmp_path_factory) -> Iterator[str]:
    """This checkout's Debian package, installed with apt as the docs say (root only), for one test
    module: the machine's package lock is held meanwhile, and the package is built and installed again
    unless the installed one is this checkout's already. Its /usr/bin/astitray-tray."""
    reason = tray_package.unavailable()
    require(not reason, reason)
    held = tray_package.lock()
    try:
        if not tray_package.installed_matches_checkout():
            tray_package.install(tray_package.build(tmp_path_factory.mktemp("deb")))
        assert tray_package.installed_matches_checkout(), "apt installed something else than this checkout"
        yield INSTALLED_TRAY
    finally:
        held.close()


@pytest.fixture(autouse=True)
def _english_and_a_private_home(tmp_path, monkeypatch) -> Iterator[None]:
    """English texts, the null keyring, and XDG folders of the test's own (never the user's)."""
    for variable, folder in PRIVATE_HOME:
        path = tmp_path / "xdg" / folder
        path.mkdir(parents=True)
        monkeypatch.setenv(variable, str(path))
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.null.Keyring())
    i18n.set_language(["en"])
    yield
    i18n.set_language(["en"])
    keyring.set_keyring(previous)
