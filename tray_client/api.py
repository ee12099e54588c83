"""The client of the public Astitray API (docs/api.md), over XML-RPC with HTTP Basic or an API token.

Every call has a timeout, a deadline and a bounded answer; every way a call
can fail becomes one :class:`ApiError` subclass, which
:func:`tray_client.messages.describe` turns into plain words. Answers are
checked and turned into small value objects: a server that answers
something else is :class:`NotAstitray`. A client object is cheap and holds
no connection, so each call may come from any thread.
"""

from __future__ import annotations

import base64
import http.client
import logging
import ssl
import threading
import time
import xml.parsers.expat
import xmlrpc.client
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from tray_client import __version__
from tray_client.values import (
    CallInfo,
    Choice,
    Contact,
    ContactNumber,
    DialResult,
    Event,
    Normalized,
    WhoAmI,
)

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 10.0
# An answer larger than this is not an Astitray answer (a search of 200
# contacts is a few hundred kilobytes).
MAX_ANSWER_BYTES = 4 * 1024 * 1024
# The numbers of one text offered to choose from (a signature holds a few).
MAX_CHOICES = 10
USER_AGENT = f"Astitray-Tray/{__version__} (xmlrpc)"

# Fault codes of docs/api.md.
AUTHENTICATION_FAILED = -32098
NO_EXTENSION = -32089
INVALID_NUMBER = -32088
NUMBER_NOT_ALLOWED = -32087
RATE_LIMITED = -32086
PBX_UNAVAILABLE = -32085
PBX_ERROR = -32084
NOT_FOUND = -32083
PHONE_UNAVAILABLE = -32082
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603


class ApiError(Exception):
    """A call that gave no usable answer. ``str()`` is for the log; people get ``messages.describe``."""


class NotConfigured(ApiError):
    """No server address, username or password yet."""


class ServerUnreachable(ApiError):
    """No connection to the server (network down, wrong address, refused, TLS failure)."""

    def __init__(self, detail: str = "", *, certificate: bool = False, tls: bool = False) -> None:
        super().__init__(detail or "server unreachable")
        self.certificate = certificate
        # The TLS handshake failed otherwise than on the certificate (e.g. the port speaks plain HTTP).
        self.tls = tls


class ServerTimeout(ApiError):
    """The server did not answer within the timeout."""


class AuthenticationRefused(ApiError):
    """The server refused the username or password, or the API token (fault -32098, or HTTP 401).

    ``held``: the server was not asked at all, because it refused these
    credentials before (see :mod:`tray_client.gate`). ``token``: what was
    refused is an API token (revoked, or its user disabled), not a password.
    """

    def __init__(self, detail: str = "", *, held: bool = False, token: bool = False) -> None:
        super().__init__(detail or "credentials refused")
        self.held = held
        self.token = token


class NotAstitray(ApiError):
    """The address answers, but not as an Astitray server does."""


class HttpError(ApiError):
    """An HTTP error status instead of an XML-RPC answer."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class ApiFault(ApiError):
    """A fault of the API (docs/api.md, "Faults") other than a refused login."""

    def __init__(self, code: int, fault_string: str) -> None:
        super().__init__(f"fault {code}: {fault_string}")
        self.code = code
        self.fault_string = fault_string


@dataclass(frozen=True)
class Credentials:
    """Where the server is and who calls it: a password, or an API token (``accounts.create_token``),
    which then goes instead as ``Authorization: Bearer``. Neither shows in ``repr``."""

    url: str
    username: str
    password: str = field(repr=False)
    token: str = field(default="", repr=False)

    @property
    def complete(self) -> bool:
        return bool(self.url and self.username and (self.password or self.token))


class _BoundedMixin:
    """A transport with a socket timeout, an overall deadline and a bounded answer."""

    timeout_s: float
    deadline: float

    def make_connection(self, host: Any) -> Any:
        connection = super().make_connection(host)  # type: ignore[misc]
        connection.timeout = self.timeout_s
        return connection

    def parse_response(self, response: http.client.HTTPResponse) -> Any:
        content_type = (response.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if content_type not in ("text/xml", "application/xml"):
            raise NotAstitray(f"answer of type {content_type or 'unknown'!r}")
        stream: Any = response
        if response.getheader("Content-Encoding", "") == "gzip":
            stream = xmlrpc.client.GzipDecodedResponse(response)
        parser, unmarshaller = self.getparser()  # type: ignore[attr-defined]
        received = 0
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            received += len(chunk)
            if received > MAX_ANSWER_BYTES:
                raise NotAstitray(f"answer larger than {MAX_ANSWER_BYTES} bytes")
            if time.monotonic() > self.deadline:
                raise TimeoutError("answer too slow")
            parser.feed(chunk)
        if stream is not response:
            stream.close()
        parser.close()
        return unmarshaller.close()


class _Transport(_BoundedMixin, xmlrpc.client.Transport):
    pass


class _SafeTransport(_BoundedMixin, xmlrpc.client.SafeTransport):
    pass


@cache
def tls_context() -> ssl.SSLContext:
    """The system's trusted certificates, loaded once: loading them costs some 20 ms of CPU, which
    every HTTPS call (each clipboard check, each search keystroke, each status of a followed call)
    paid again. An SSL context is safe to share between threads."""
    return ssl.create_default_context()


def _transport(url: str, headers: list[tuple[str, str]]) -> _Transport | _SafeTransport:
    if urlsplit(url).scheme == "https":
        return _SafeTransport(headers=headers, context=tls_context())
    return _Transport(headers=headers)


class ApiClient:
    """Calls the procedures of docs/api.md on one server as one user."""

    def __init__(self, credentials: Credentials, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.credentials = credentials
        self.timeout_s = timeout_s

    def call(self, method: str, *params: Any, anonymous: bool = False) -> Any:
        """Call ``method``; return its answer or raise an :class:`ApiError`.

        ``anonymous``: without the credentials (``system.*`` procedures need none).
        """
        headers = [("User-Agent", USER_AGENT)]
        if not anonymous:
            if not self.credentials.complete:
                raise NotConfigured("server address, username or password missing")
            headers.insert(0, ("Authorization", self._authorization()))
        transport = _transport(self.credentials.url, headers)
        transport.timeout_s = self.timeout_s
        transport.deadline = time.monotonic() + self.timeout_s
        proxy = xmlrpc.client.ServerProxy(self.credentials.url, transport=transport, allow_none=False)
        started = time.monotonic()
        try:
            return getattr(proxy, method)(*params)
        except ApiError:
            raise
        except (
            xmlrpc.client.Fault,
            xmlrpc.client.ProtocolError,
            xmlrpc.client.ResponseError,
            xml.parsers.expat.ExpatError,
            http.client.HTTPException,
            OSError,  # timeouts, TLS failures, refused connections, unknown hosts
            ValueError,  # a malformed value inside an XML-RPC answer
            TypeError,
        ) as err:
            raise self._error_for(err) from err
        finally:
            logger.debug("%s answered or failed in %.0f ms", method, (time.monotonic() - started) * 1000)

    def _authorization(self) -> str:
        """The Authorization header: the token when there is one, else the username and password."""
        if self.credentials.token:
            return f"Bearer {self.credentials.token}"
        pair = f"{self.credentials.username}:{self.credentials.password}".encode()
        return f"Basic {base64.b64encode(pair).decode()}"

    def _error_for(self, err: Exception) -> ApiError:
        """The :class:`ApiError` a failed call becomes."""
        token = bool(self.credentials.token)
        if isinstance(err, xmlrpc.client.Fault):
            if err.faultCode == AUTHENTICATION_FAILED:
                return AuthenticationRefused("token refused" if token else "credentials refused", token=token)
            return ApiFault(int(err.faultCode), _clean(str(err.faultString)))
        if isinstance(err, xmlrpc.client.ProtocolError):
            if err.errcode == 401:
                return AuthenticationRefused("HTTP 401", token=token)
            return HttpError(int(err.errcode))
        if isinstance(err, TimeoutError):  # socket.timeout is TimeoutError since Python 3.10
            return ServerTimeout(f"no answer within {self.timeout_s:g} s")
        if isinstance(err, ssl.SSLCertVerificationError):
            return ServerUnreachable("certificate not trusted", certificate=True)
        if isinstance(err, ssl.SSLError):
            return ServerUnreachable(f"TLS failed ({err.reason or type(err).__name__})", tls=True)
        if isinstance(err, OSError) and not isinstance(err, http.client.HTTPException):
            return ServerUnreachable(type(err).__name__)
        return NotAstitray(type(err).__name__)

    def is_astitray(self) -> bool:
        """Whether the address answers as an Astitray server (``system.listMethods``, no credentials sent)."""
        try:
            methods = self.call("system.listMethods", anonymous=True)
        except ApiError:
            return False
        return isinstance(methods, list) and "accounts.whoami" in methods

    def whoami(self) -> WhoAmI:
        """``accounts.whoami``; a server without it is not Astitray."""
        try:
            answer = self.call("accounts.whoami")
        except ApiFault as fault:
            if fault.code == METHOD_NOT_FOUND:
                raise NotAstitray("no accounts.whoami") from fault
            raise
        return WhoAmI(
            username=_text(answer, "username"),
            full_name=_text(answer, "full_name", optional=True),
            extension=_text(answer, "extension", optional=True),
            can_dial=bool(_get(answer, "can_dial", bool, default=False)),
            server_version=_text(answer, "server_version", optional=True),
            api_version=_get(answer, "api_version", int),
            phone=_phone_state(_text(answer, "phone", optional=True)),
        )

    def create_token(self, label: str) -> tuple[int, str]:
        """``accounts.create_token`` (asked with the password: a token cannot make tokens): the new
        token's id and the token itself, which the server shows this once."""
        answer = self.call("accounts.create_token", label)
        token = _get(answer, "token", str)
        if not (20 <= len(token) <= 200 and token.isascii() and token.isprintable()) or " " in token:
            raise NotAstitray("accounts.create_token gave no usable token")
        return _get(answer, "id", int), token

    def revoke_token(self, token_id: int) -> None:
        """``accounts.revoke_token``: the token with this id is refused from the next call on."""
        self.call("accounts.revoke_token", token_id)

    def normalize(self, text: str) -> Normalized:
        """``dialer.normalize``: what would be dialed for ``text`` (nothing is dialed).

        ``display`` and ``choices`` are read when the server gives them (older
        servers do not: then there is one choice, the number found).
        """
        answer = self.call("dialer.normalize", text)
        choices = _get(answer, "choices", list, default=[])
        return Normalized(
            input=_text(answer, "input", optional=True),
            number=_text(answer, "number"),
            e164=_text(answer, "e164", optional=True),
            internal=bool(_get(answer, "internal", bool, default=False)),
            display=_text(answer, "display", optional=True),
            extension_digits=_text(answer, "extension_digits", optional=True),
            choices=tuple(_choice(item) for item in choices[:MAX_CHOICES]),
        )

    def dial(self, text: str) -> DialResult:
        """``dialer.dial``: ring the caller's phone, then call the number found in ``text``."""
        answer = self.call("dialer.dial", text)
        return DialResult(
            call_id=_text(answer, "call_id"),
            number=_text(answer, "number"),
            extension=_text(answer, "extension", optional=True),
            status=_text(answer, "status", optional=True),
        )

    def call_status(self, call_id: str) -> CallInfo:
        """``dialer.call_status`` of one of the caller's calls."""
        return _call_info(self.call("dialer.call_status", call_id))

    def wait_events(self, cursor: str, timeout_s: int) -> tuple[str, list[Event]]:
        """``events.wait``: the events after ``cursor`` ("" for from now on) as soon as there are
        some, else none after ``timeout_s`` seconds; the cursor to give next time. This client's own
        timeout must be longer than ``timeout_s``."""
        answer = self.call("events.wait", cursor, timeout_s)
        events = _get(answer, "events", list)
        return _text(answer, "cursor", optional=True) or cursor, [_event(item) for item in events[:200]]

    def history(self, limit: int = 20) -> list[CallInfo]:
        """``dialer.history``: the caller's calls, newest first."""
        answer = self.call("dialer.history", limit)
        if not isinstance(answer, list):
            raise NotAstitray("dialer.history did not answer a list")
        return [_call_info(item) for item in answer]

    def outcome(
        self, call_id: str, every_s: float, for_s: float, stop: threading.Event | None = None
    ) -> CallInfo | None:
        """Ask ``dialer.call_status`` every ``every_s`` until the call is over; None if it never says.

        A failed ask is asked again; a call the server no longer knows ends it.
        ``stop`` (when set) ends it early.
        """
        stop = stop or threading.Event()
        deadline = time.monotonic() + for_s
        while not stop.wait(every_s):
            try:
                info = self.call_status(call_id)
            except ApiFault as fault:
                if fault.code == NOT_FOUND:
                    return None
            except ApiError as err:
                logger.info("no status of call %s yet: %s", call_id, err)
            else:
                if info.final:
                    return info
            if time.monotonic() > deadline:
                logger.info("call %s: no outcome after %.0f s", call_id, for_s)
                return None
        return None

    def search(self, query: str, limit: int = 20) -> list[Contact]:
        """``phonebook.search``: contacts matching ``query``."""
        answer = self.call("phonebook.search", query, limit)
        if not isinstance(answer, list):
            raise NotAstitray("phonebook.search did not answer a list")
        return [_contact(item) for item in answer]

    def lookup(self, number: str) -> Contact | None:
        """``phonebook.lookup``: the contact owning ``number``, or None when nobody has it."""
        answer = self.call("phonebook.lookup", number)
        if answer == {}:
            return None
        return _contact(answer)


def _clean(text: str, limit: int = 200) -> str:
    """A server's text made safe to show: printable characters only, bounded."""
    return "".join(char for char in text if char.isprintable())[:limit]


def _get(answer: Any, key: str, kind: type, default: Any = None) -> Any:
    if not isinstance(answer, dict):
        raise NotAstitray(f"answer is a {type(answer).__name__}, not a struct")
    if key not in answer:
        if default is not None:
            return default
        raise NotAstitray(f"answer without {key!r}")
    value = answer[key]
    if kind is int and isinstance(value, bool):
        raise NotAstitray(f"{key!r} is not an integer")
    if not isinstance(value, kind):
        raise NotAstitray(f"{key!r} is a {type(value).__name__}")
    return value


def _text(answer: Any, key: str, optional: bool = False) -> str:
    value = _get(answer, key, str, default="" if optional else None)
    return _clean(value, 500)


def _event(answer: Any) -> Event:
    return Event(
        id=str(_get(answer, "id", object, default="")),
        type=_text(answer, "type"),
        at=_text(answer, "at", optional=True),
        call_id=_text(answer, "call_id", optional=True),
        number=_text(answer, "number", optional=True),
        name=_text(answer, "name", optional=True),
        company=_text(answer, "company", optional=True),
        status=_text(answer, "status", optional=True),
        by_me=bool(_get(answer, "by_me", bool, default=False)),
    )


def _call_info(answer: Any) -> CallInfo:
    return CallInfo(
        call_id=_text(answer, "call_id"),
        number=_text(answer, "number", optional=True),
        status=_text(answer, "status"),
        reason=_text(answer, "reason", optional=True),
        created=_text(answer, "created", optional=True),
        updated=_text(answer, "updated", optional=True),
        input=_text(answer, "input", optional=True),
        name=_text(answer, "name", optional=True),
        direction=_text(answer, "direction", optional=True) or "out",
    )


def _choice(answer: Any) -> Choice:
    number = _text(answer, "number")
    e164 = _text(answer, "e164", optional=True)
    display = _text(answer, "display", optional=True)
    return Choice(
        number=number,
        e164=e164,
        display=display,
        extension_digits=_text(answer, "extension_digits", optional=True),
        label=_text(answer, "label", optional=True),
        # What dials this one: the server's text for it, else its unambiguous form (a dial string sent
        # back could be prefixed twice).
        text=_text(answer, "text", optional=True) or e164 or display or number,
    )


def _contact(answer: Any) -> Contact:
    identifier = _get(answer, "id", object, default="")
    numbers = _get(answer, "numbers", list, default=[])
    return Contact(
        id=identifier if isinstance(identifier, int | str) else str(identifier),
        name=_text(answer, "name"),
        company=_text(answer, "company", optional=True),
        department=_text(answer, "department", optional=True),
        title=_text(answer, "title", optional=True),
        email=_text(answer, "email", optional=True),
        numbers=tuple(
            ContactNumber(
                label=_text(item, "label", optional=True),
                number=_text(item, "number"),
                e164=_text(item, "e164", optional=True),
            )
            for item in numbers
        ),
        presence=_phone_state(_text(answer, "presence", optional=True)),
    )


PHONE_STATES = frozenset({"idle", "ringing", "in_use", "unavailable", "unknown"})


def _phone_state(value: str) -> str:
    """whoami's ``phone``: one of docs/api.md's values, else "" (a newer value is not guessed at)."""
    return value if value in PHONE_STATES else ""
