"""The API client: answers become values, every failure becomes one plain error."""

from __future__ import annotations

import socket
import ssl
import threading
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testkit.services import free_port, require_program
from tests.e2e.deployment import self_signed_certificate
from tests.tray_client.conftest import ALICE, PASSWORD, USER, StandIn
from tray_client import api
from tray_client.messages import describe


def client(url: str, password: str = PASSWORD, timeout_s: float = 5.0) -> api.ApiClient:
    return api.ApiClient(api.Credentials(url, USER, password), timeout_s=timeout_s)


def test_it_reads_whoami(stand_in):
    who = client(stand_in.url).whoami()
    assert who == api.WhoAmI("alice", "Alice Martin", "1001", True, "0.1.0", 1, phone="unknown")


@pytest.mark.parametrize(
    ("phone", "read"),
    [
        ("unavailable", "unavailable"),
        ("in_use", "in_use"),
        ("unknown", "unknown"),
        ("on_fire", ""),
        (3, None),
    ],
)
def test_whoami_reads_the_phone_s_state_when_the_server_says_it(stand_in, phone, read):
    stand_in.procedures["accounts.whoami"] = lambda: {**ALICE, "phone": phone}
    if read is None:  # not a string: not an Astitray answer
        with pytest.raises(api.NotAstitray):
            client(stand_in.url).whoami()
        return
    who = client(stand_in.url).whoami()
    assert (who.phone, who.phone_unavailable) == (read, read == "unavailable")


def test_it_sends_basic_credentials_and_refuses_wrong_ones(stand_in):
    with pytest.raises(api.AuthenticationRefused) as caught:
        client(stand_in.url, password="wrong").whoami()
    assert "wrong" not in str(caught.value) and "wrong" not in repr(caught.value)
    assert describe(caught.value) == "The server refused your username or password. Check them in Settings…."


def test_the_password_never_shows_in_a_repr():
    credentials = api.Credentials("https://x.example.org/rpc/", USER, "s3cret-pw")
    assert "s3cret-pw" not in repr(credentials)
    assert "s3cret-pw" not in repr(api.ApiClient(credentials).credentials)


def test_it_needs_complete_settings():
    with pytest.raises(api.NotConfigured):
        api.ApiClient(api.Credentials("", USER, PASSWORD)).whoami()
    with pytest.raises(api.NotConfigured):
        api.ApiClient(api.Credentials("http://127.0.0.1:1/rpc/", USER, "")).whoami()


def test_a_server_that_is_down_is_unreachable():
    with pytest.raises(api.ServerUnreachable) as caught:
        client(f"http://127.0.0.1:{free_port()}/rpc/").whoami()
    assert describe(caught.value).startswith("Cannot reach the Astitray server.")


def test_an_unknown_host_is_unreachable():
    with pytest.raises(api.ServerUnreachable):
        client("http://astitray.invalid/rpc/", timeout_s=5).whoami()


def test_a_slow_server_times_out_without_waiting_for_it(stand_in):
    release = threading.Event()
    stand_in.procedures["accounts.whoami"] = lambda: release.wait(30) and {}
    try:
        with pytest.raises(api.ServerTimeout) as caught:
            client(stand_in.url, timeout_s=0.3).whoami()
    finally:
        release.set()
    assert describe(caught.value) == "The Astitray server did not answer in time. Try again in a moment."


def test_a_web_page_is_not_astitray(stand_in):
    def html(handler):
        data = b"<html><body>Welcome to nginx!</body></html>"
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)
        return True

    stand_in.raw = html
    with pytest.raises(api.NotAstitray) as caught:
        client(stand_in.url).whoami()
    assert describe(caught.value) == "The address in Settings… does not lead to an Astitray server."


@pytest.mark.parametrize(
    ("status", "kind", "text"),
    [
        (404, api.HttpError, "The address in Settings… does not lead to an Astitray server."),
        (
            401,
            api.AuthenticationRefused,
            "The server refused your username or password. Check them in Settings….",
        ),
        (
            502,
            api.HttpError,
            "The Astitray server has a problem right now (HTTP error 502). Try again later.",
        ),
        (413, api.HttpError, "That text is too long to send to the server."),
    ],
)
def test_http_errors(stand_in, status, kind, text):
    def error(handler):
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return True

    stand_in.raw = error
    with pytest.raises(kind) as caught:
        client(stand_in.url).whoami()
    assert describe(caught.value) == text


def test_an_xmlrpc_server_without_whoami_is_not_astitray(stand_in):
    del stand_in.procedures["accounts.whoami"]
    with pytest.raises(api.NotAstitray):
        client(stand_in.url).whoami()


def test_a_whoami_answer_of_the_wrong_shape_is_not_astitray(stand_in):
    for answer in ("alice", [1], {"username": "alice"}, {"username": 3, "api_version": 1}):
        stand_in.procedures["accounts.whoami"] = lambda answer=answer: answer
        with pytest.raises(api.NotAstitray):
            client(stand_in.url).whoami()


def test_a_server_that_does_not_speak_http_is_not_astitray():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        connection, _ = listener.accept()
        connection.recv(65536)
        connection.sendall(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")
        connection.close()

    threading.Thread(target=serve, daemon=True).start()
    with pytest.raises(api.NotAstitray):
        client(f"http://127.0.0.1:{listener.getsockname()[1]}/rpc/").whoami()
    listener.close()


def test_an_answer_too_large_is_refused(stand_in, monkeypatch):
    monkeypatch.setattr(api, "MAX_ANSWER_BYTES", 10_000)
    stand_in.procedures["phonebook.search"] = lambda query, limit: [{"name": "x" * 20_000, "numbers": []}]
    with pytest.raises(api.NotAstitray):
        client(stand_in.url).search("x")


@pytest.mark.parametrize(
    ("code", "text"),
    [
        (-32089, "You have no phone set up for dialing. Ask your administrator."),
        (-32088, "No phone number that can be dialed was found in that text."),
        (-32087, "You are not allowed to call that number."),
        (-32086, "Too many calls in a short time. Wait a minute and try again."),
        (-32085, "The phone system cannot be reached right now. Try again later."),
        (-32084, "The phone system refused the call."),
        (-32083, "The server no longer knows that call."),
        (
            -32082,
            "Your phone is not registered with the phone system: check that it is on and connected. "
            "Nothing was dialed.",
        ),
        (-32601, "The Astitray server does not offer this yet: it may need an update."),
        (-32602, "The server did not accept that request."),
        (-32603, "The Astitray server had an internal error. Try again later."),
        (-32700, "The server could not understand the request."),
        (-1, "Something odd happened."),
    ],
)
def test_every_fault_reads_plainly(stand_in, code, text):
    def dial(_text):
        raise xmlrpc.client.Fault(code, "Something odd happened.")

    stand_in.procedures["dialer.dial"] = dial
    with pytest.raises(api.ApiFault) as caught:
        client(stand_in.url).dial("0123")
    assert caught.value.code == code
    assert describe(caught.value) == text


def test_dial_status_history_normalize_and_search(stand_in):
    call = {
        "call_id": "c1",
        "number": "00442079460958",
        "status": "answered",
        "reason": "",
        "created": "2026-11-26T13:10:00Z",
        "updated": "2026-11-26T13:10:02Z",
    }
    stand_in.procedures.update(
        {
            "dialer.normalize": lambda text: {
                "input": text,
                "number": "00442079460958",
                "e164": "+442079460958",
                "extension_digits": "",
                "internal": False,
                "steps": [],
            },
            "dialer.dial": lambda text: {
                "call_id": "c1",
                "number": "00442079460958",
                "extension": "1001",
                "status": "queued",
            },
            "dialer.call_status": lambda call_id: call,
            "dialer.history": lambda limit: [call] * min(limit, 3),
            "phonebook.search": lambda query, limit: [
                {
                    "id": 7,
                    "name": "Hélène Dupont",
                    "company": "ACME",
                    "department": "",
                    "title": "",
                    "email": "",
                    "numbers": [{"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"}],
                    "presence": "ringing",
                }
            ],
        }
    )
    c = client(stand_in.url)
    assert c.normalize("+44 20 7946 0958").number == "00442079460958"
    assert c.dial("+44 20 7946 0958") == api.DialResult("c1", "00442079460958", "1001", "queued")
    assert c.call_status("c1").final
    assert len(c.history(2)) == 2
    (contact,) = c.search("hel dup")
    assert contact.name == "Hélène Dupont"
    assert contact.numbers[0].e164 == "+442079460958"
    assert contact.presence == "ringing"
    assert stand_in.called("phonebook.search") == [("hel dup", 20)]
    assert stand_in.called("dialer.history") == [(2,)]


@pytest.fixture
def https_stand_in(tmp_path) -> Iterator[tuple[StandIn, Path]]:
    """A stand-in server over HTTPS, with a self-signed certificate for "localhost" (the certificate)."""
    require_program("openssl", "openssl")
    cert, key = self_signed_certificate(tmp_path, "localhost")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    server = StandIn(tls)
    yield server, cert
    server.close()


def test_a_server_whose_certificate_is_not_trusted_is_unreachable(https_stand_in):
    stand_in, _cert = https_stand_in
    with pytest.raises(api.ServerUnreachable) as caught:
        client(stand_in.url).whoami()
    assert caught.value.certificate
    assert (
        describe(caught.value)
        == "The server's security certificate is not trusted. Check the address in Settings…."
    )
    assert stand_in.calls == []


def test_https_calls_share_one_tls_context(https_stand_in, monkeypatch):
    """The system's certificates are loaded once, not on every call (some 20 ms of CPU each)."""
    stand_in, cert = https_stand_in
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the stand-in, as the system would its CA
    made = []
    create = ssl.create_default_context

    def counted(*args: Any, **kwargs: Any) -> ssl.SSLContext:
        made.append(1)
        return create(*args, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counted)
    monkeypatch.setattr(ssl, "_create_default_https_context", counted)  # what http.client makes
    api.tls_context.cache_clear()
    try:
        for _ in range(3):
            assert client(stand_in.url).whoami().username == "alice"
        assert client(stand_in.url).call("accounts.whoami")["extension"] == "1001"
    finally:
        api.tls_context.cache_clear()  # the next test loads the system's certificates again
    assert len(stand_in.called("accounts.whoami")) == 4
    assert len(made) == 1
