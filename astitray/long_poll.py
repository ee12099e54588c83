"""The ASGI path of ``events.wait``: a long poll that holds no thread while it waits.

Django serves an ASGI request inside a per-request "thread-sensitive
context": its first sync step (the ``request_started`` signal, any sync
middleware) creates a thread that lives until the answer is sent. For a
client waiting 55 seconds that is one idle thread per client. So the ASGI
application (``astitray/asgi.py``) hands the API's long polls to
:class:`LongPollRouter`, which serves them itself:

- only ``POST`` to the API's path whose body names ``events.wait`` (one
  call: not a batch, not ``system.multicall``) takes this path; everything
  else goes to Django untouched (the body it read is handed on as it came,
  cut at ``ASTITRAY_MAX_REQUEST_BYTES`` and a byte: the RPC server refuses
  it, and no API request is read past its limit, as under WSGI);
- the request is Django's own ``ASGIRequest``, answered by the RPC server's
  async view (:meth:`astitray.rpc.AstitrayRpcServer.ahandle`: the same
  checks, authentication, lockout and faults as any call);
- the middleware that acts on API requests runs its hooks here, in the
  same order (:data:`RPC_MIDDLEWARE`: host check, HTTPS redirect and
  security headers, the language of ``Accept-Language``); the others do
  nothing to ``/rpc/`` (``tests/events/test_long_poll_server.py`` checks
  both lists against ``MIDDLEWARE``);
- a client that hangs up ends its wait at once.

The user page's long polls (``POST /me/rpc/``, the page's script waiting for
incoming calls) take the same path, with the page's own middleware hooks
(:data:`PAGE_MIDDLEWARE`: its session, its CSRF check, its user) and its
server (:data:`web.rpc.server`); the hooks that may write the session run
in the shared pool too.

Blocking work (authentication, the database) runs in the event loop's
shared thread pool, a few threads for the whole process.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Awaitable, Callable, Coroutine, MutableMapping
from functools import cache
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import reverse
from django.utils import translation
from django.utils.module_loading import import_string

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

LONG_POLLS = frozenset({"events.wait"})
# The middleware of settings.MIDDLEWARE that acts on API requests, in its order. Its hooks are
# plain functions of the request and the response (no database): they run in the event loop.
RPC_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "astitray.locale.AdminLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
# The rest of settings.MIDDLEWARE, and why an API request needs none of it.
NOT_FOR_RPC = {
    "astitray.probes.ProbesMiddleware": "answers /healthz, /readyz and /metrics only",
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves static files only",
    "django.contrib.sessions.middleware.SessionMiddleware": "the API has no session",
    "django.middleware.csrf.CsrfViewMiddleware": "the API is exempt (no cookie, Basic credentials)",
    "django.contrib.auth.middleware.AuthenticationMiddleware": "the API authenticates each call itself",
    "django.contrib.messages.middleware.MessageMiddleware": "admin messages only",
    "accounts.lockout.LockoutMiddleware": "leaves the API alone (it answers lockouts with its fault)",
}
# The middleware of settings.MIDDLEWARE that acts on the user page's RPC (/me/rpc/), in its order:
# a session, the CSRF check, the session's user (lazy: read in the shared pool, never in the loop).
PAGE_MIDDLEWARE = (
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "astitray.locale.AdminLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
)
NOT_FOR_PAGE = {
    "astitray.probes.ProbesMiddleware": "answers /healthz, /readyz and /metrics only",
    "whitenoise.middleware.WhiteNoiseMiddleware": "serves static files only",
    "django.contrib.messages.middleware.MessageMiddleware": "admin messages only",
    "accounts.lockout.LockoutMiddleware": "the admin login's lockout page (the page's RPC logs no one in)",
}
_XML_METHOD = re.compile(rb"<methodName>\s*([^<]{1,100}?)\s*</methodName>")
_MAX_SNIFF = 64 * 1024  # a long poll's request is a few hundred bytes


def is_long_poll(body: bytes) -> bool:
    """Whether ``body`` is one call of a long-poll procedure (JSON-RPC or XML-RPC).

    Only a choice of path: whatever the body really holds, the long-poll
    path answers it as the RPC server does.
    """
    if len(body) > _MAX_SNIFF or b"events.wait" not in body:
        return False
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        try:
            parsed = json.loads(body)
        except ValueError:
            return False
        return isinstance(parsed, dict) and parsed.get("method") in LONG_POLLS
    names = _XML_METHOD.findall(body)
    return len(names) == 1 and names[0].decode("utf-8", "replace") in LONG_POLLS


@cache
def _middleware(paths: tuple[str, ...] = RPC_MIDDLEWARE) -> tuple[Any, ...]:
    """One instance of each of ``paths`` (their ``get_response`` is never called)."""

    def unused(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never called
        raise AssertionError("the long-poll path calls the view itself")

    return tuple(import_string(path)(unused) for path in paths)


async def respond(request: HttpRequest) -> HttpResponseBase:
    """The answer to an API request: the middleware's hooks around the RPC server's async view."""
    from astitray.rpc import server

    middleware = _middleware()
    response: HttpResponseBase | None = None
    try:
        for each in middleware:
            hook = getattr(each, "process_request", None)
            response = hook(request) if hook else None
            if response is not None:
                break
        if response is None:
            response = await server.ahandle(request)
        for each in reversed(middleware):
            hook = getattr(each, "process_response", None)
            if hook:
                response = hook(request, response)
    except Exception as exc:  # a bad Host header (400), as Django's handler answers it
        response = response_for_exception(request, exc)
    finally:
        translation.deactivate()
    return response


async def respond_page(request: HttpRequest) -> HttpResponseBase:
    """The answer to a long poll of the user page: its middleware's hooks around the page's server.

    As Django would run them for ``web.rpc.server.view``: the session and the
    user are lazy (read by the server's authentication, in the shared pool),
    the CSRF check refuses a request without the page's token before any
    procedure runs, and the response hooks (a session to save) run in the
    shared pool.
    """
    from events.bus import in_thread
    from web.rpc import server

    middleware = _middleware(PAGE_MIDDLEWARE)
    response: HttpResponseBase | None = None
    ran: list[Any] = []
    try:
        for each in middleware:
            ran.append(each)
            hook = getattr(each, "process_request", None)
            response = hook(request) if hook else None
            if response is not None:
                break
        if response is None:
            for each in middleware:
                hook = getattr(each, "process_view", None)
                response = hook(request, server.view, (), {}) if hook else None
                if response is not None:
                    break
        if response is None:
            response = server.for_the_page(await server.ahandle(request))

        def finish(answer: HttpResponseBase) -> HttpResponseBase:
            for each in reversed(ran):
                hook = getattr(each, "process_response", None)
                if hook:
                    answer = hook(request, answer)
            return answer

        response = await in_thread(lambda: finish(response))
    except Exception as exc:  # a bad Host header (400), as Django's handler answers it
        response = response_for_exception(request, exc)
    finally:
        translation.deactivate()
    return response


class LongPollRouter:
    """ASGI application: long polls served here, everything else by Django's ``application``."""

    def __init__(self, application: ASGIHandler) -> None:
        self.application = application

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        path = scope.get("path")
        if scope["type"] != "http" or scope.get("method") != "POST" or path not in _long_poll_paths():
            await self.application(scope, receive, send)
            return
        body, complete = await _read_some(receive, settings.ASTITRAY_MAX_REQUEST_BYTES + 1)
        if complete and is_long_poll(body):
            await self.serve(scope, body, receive, send, respond if path == _rpc_path() else respond_page)
            return
        # Over the limit: Django gets the limit and a byte (it answers 413), never the rest.
        await self.application(scope, _replay(body, complete, receive), send)

    async def serve(
        self,
        scope: Scope,
        body: bytes,
        receive: Receive,
        send: Send,
        responder: Callable[[HttpRequest], Coroutine[Any, Any, HttpResponseBase]] = respond,
    ) -> None:
        """Answer the long poll in ``body``; a client that hangs up cancels its wait."""
        request = ASGIRequest(scope, io.BytesIO(body))
        answering = asyncio.create_task(responder(request))
        hanging_up = asyncio.create_task(_disconnected(receive))
        done, _pending = await asyncio.wait({answering, hanging_up}, return_when=asyncio.FIRST_COMPLETED)
        if answering not in done:
            answering.cancel()
            await asyncio.gather(answering, return_exceptions=True)
            return
        hanging_up.cancel()
        await asyncio.gather(hanging_up, return_exceptions=True)
        await self.application.send_response(answering.result(), send)


async def _lifespan(receive: Receive, send: Send) -> None:
    """The server's start and stop (Django has nothing to do at either): acknowledged."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


@cache
def _rpc_path() -> str:
    return reverse("rpc")


@cache
def _long_poll_paths() -> frozenset[str]:
    """The API's path and the user page's."""
    return frozenset((_rpc_path(), reverse("web:rpc")))


async def _read_some(receive: Receive, limit: int) -> tuple[bytes, bool]:
    """The request's body up to ``limit`` bytes; whether that is all of it."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
        if size >= limit:
            return b"".join(chunks), False


def _replay(body: bytes, complete: bool, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` as the whole request, then the client's hang-up.

    A body cut at the limit (``complete`` false): what the client still sends
    is never read, and no hang-up is reported (the answer is a quick refusal).
    """
    given = False

    async def replay() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        if complete:
            return await receive()
        await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    return replay


async def _disconnected(receive: Receive) -> None:
    """Returns when the client hangs up."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
