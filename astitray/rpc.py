"""The one RPC server of Astitray: ``POST /rpc/``, XML-RPC and JSON-RPC.

Each app's ``rpc.py`` holds an ``RpcNamespace`` of thin procedures; this
module puts them together behind one authentication (HTTP Basic, checked by
:func:`accounts.rpc_auth.rpc_user`), adds the ``system.*`` procedures (open
to all, as docs/api.md says), turns the apps' domain errors into the API's faults
(:func:`astitray.faults.fault_for`), and wraps django-modern-rpc's view with
the checks every request goes through before any procedure runs: a bounded
body, read without trusting the client's size; strict UTF-8; any unexpected
error answered as a fault of the request's protocol, never as an HTML error
page.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from inspect import iscoroutinefunction
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from modernrpc import Protocol, RpcRequestContext, RpcServer
from modernrpc.core import ProcedureWrapper
from modernrpc.exceptions import (
    AuthenticationError,
    RPCException,
    RPCInsecureRequest,
    RPCInternalError,
    RPCInvalidParams,
    RPCParseError,
)
from modernrpc.handler import RpcHandler
from modernrpc.jsonrpc.handler import JsonRpcRequest
from modernrpc.xmlrpc.handler import XmlRpcRequest

from accounts.rpc import accounts
from accounts.rpc_auth import rpc_user
from astitray import rpc_body
from astitray.faults import AuthenticationFailed, fault_for, localized
from astitray.rpc_system import system_namespace
from dialer.rpc import dialer
from drivers.process_copy import one_read_per_call
from events.bus import in_thread
from events.rpc import events
from monitoring import metrics
from phonebook.rpc import phonebook

logger = logging.getLogger(__name__)

_MAX_FAULT_LENGTH = 200
# Control characters, line separators and lone surrogates: never in a fault's message.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")


# Set on the request when a procedure that needs a caller got no credentials at all.
_CHALLENGE = "_astitray_rpc_challenge"


def challenge(response: HttpResponse) -> None:
    """Make ``response`` (a -32098 fault) an HTTP 401 with a Basic challenge (RFC 7617).

    Clients that send credentials only when challenged (Perl's LWP with
    ``credentials()``, Java's ``Authenticator``, .NET without
    ``PreAuthenticate``) then send them; the others read the fault as before.
    Wrong credentials are never challenged: they keep the fault's one message.
    """
    response.status_code = HTTPStatus.UNAUTHORIZED
    response.reason_phrase = HTTPStatus.UNAUTHORIZED.phrase
    response["WWW-Authenticate"] = 'Basic realm="Astitray", charset="UTF-8"'


def _on_error(exc: BaseException, context: RpcRequestContext) -> None:
    """Turn any exception into the fault a client may see (raised to replace ``exc``).

    Faults carry no ``data`` (it may hold the request) and a bounded message;
    a failed authentication always reads the same; a domain error (a
    service's refusal) becomes its fault; anything unexpected is logged here
    and answered as a bare internal error.
    """
    exc = fault_for(exc) or exc
    if isinstance(exc, AuthenticationError):
        if "HTTP_AUTHORIZATION" not in context.request.META:
            setattr(context.request, _CHALLENGE, True)
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, AuthenticationError):
            # The check itself failed (Redis or the database is down): refused, said in the log, and
            # answered as the server's failure, not as wrong credentials (a client that stops trying
            # a refused password, as the tray does, keeps trying after an outage).
            logger.error("RPC authentication could not be checked", exc_info=cause)
            raise RPCInternalError(gettext("the server could not complete the request"))
        raise AuthenticationFailed()
    if isinstance(exc, RPCInsecureRequest):
        raise RPCParseError(gettext("XML entities and document type declarations are not accepted"))
    if isinstance(exc, RPCInvalidParams) and isinstance(exc.__context__, TypeError):
        # django-modern-rpc turns any TypeError of the call into -32602 with Python's own message
        # ("dial() got multiple values for argument 'ctx'"): internal names, or a bug's message.
        if _raised_by_the_call_itself(exc.__context__):
            raise RPCInvalidParams(gettext("wrong number or names of parameters; see system.methodHelp"))
        logger.error("RPC procedure failed", exc_info=exc.__context__)
        raise RPCInternalError(gettext("the server could not complete the request"))
    if isinstance(exc, RPCException):
        # Messages may quote the client (an unknown method's name): one line, valid text, bounded.
        raise RPCException(exc.code, _UNPRINTABLE.sub(" ", localized(exc.message))[:_MAX_FAULT_LENGTH])
    logger.error("RPC procedure failed", exc_info=exc)
    raise RPCInternalError(gettext("the server could not complete the request"))


def _raised_by_the_call_itself(exc: TypeError) -> bool:
    """Whether ``exc`` came from binding the client's parameters, not from inside the procedure.

    Binding fails in the caller's frame: the traceback has no frame of the procedure.
    """
    frames = 0
    tb = exc.__traceback__
    while tb is not None:
        frames += 1
        tb = tb.tb_next
    return frames <= 1


class AsyncSafeProcedure:
    """A procedure as :meth:`AstitrayRpcServer.ahandle` runs it; the sync view runs it unchanged.

    Either way a sync procedure runs in :func:`~drivers.process_copy.one_read_per_call`:
    the versions of the rules and the PBX servers are read once per call.

    django-modern-rpc's own async execution checks the credentials in the
    event loop (a database query there is refused) and runs sync procedures
    in Django's per-request thread. Here both run in the loop's shared pool
    (:func:`events.bus.in_thread`): a client waiting in an async procedure
    holds no thread.
    """

    def __init__(self, wrapper: ProcedureWrapper) -> None:
        self.wrapper = wrapper

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapper, name)

    def execute(self, context: RpcRequestContext, args: Any = None, kwargs: Any = None) -> Any:
        wrapper = self.wrapper
        if not iscoroutinefunction(wrapper.func_or_coro):
            with one_read_per_call():
                return wrapper.execute(context, args, kwargs)
        # An async procedure under the sync view (WSGI, the test client): it holds this thread.
        self._authenticate(context)
        coroutine = self._bind(context, args, kwargs)

        async def run() -> Any:
            return await coroutine

        return async_to_sync(run)()

    async def aexecute(self, context: RpcRequestContext, args: Any = None, kwargs: Any = None) -> Any:
        wrapper = self.wrapper
        if not iscoroutinefunction(wrapper.func_or_coro):

            def run() -> Any:
                with one_read_per_call():
                    return wrapper.execute(context, args, kwargs)

            return await in_thread(run)
        await in_thread(lambda: self._authenticate(context))
        return await self._bind(context, args, kwargs)

    def _authenticate(self, context: RpcRequestContext) -> None:
        """The procedure's authentication, as django-modern-rpc runs it (the caller in ``auth_result``)."""
        try:
            context.auth_result = self.wrapper.check_permissions(context.request)
        except Exception as exc:
            raise AuthenticationError(self.wrapper.name) from exc

    def _bind(self, context: RpcRequestContext, args: Any, kwargs: Any) -> Any:
        """The procedure's coroutine for these parameters; those that do not fit are -32602."""
        call_kwargs = dict(kwargs or {})
        if self.wrapper.context_target:
            call_kwargs[self.wrapper.context_target] = context
        try:
            return self.wrapper.func_or_coro(*(args or []), **call_kwargs)
        except TypeError as exc:  # raised by the call itself: _on_error says it plainly
            raise RPCInvalidParams(str(exc)) from exc


class AstitrayRpcServer(RpcServer):
    """django-modern-rpc's server behind a guarded view."""

    @property
    def view(self):
        return csrf_exempt(self.handle)

    def handle(self, request: HttpRequest) -> HttpResponse:
        prepared = self.prepare(request)
        if isinstance(prepared, HttpResponse):
            return prepared
        handler, context, body = prepared
        try:
            result = handler.process_request(body, context)
        except Exception as exc:  # the top boundary: never an HTML 500 for an RPC client
            logger.error("RPC request failed", exc_info=exc)
            return self.fault_response(
                handler, RPCInternalError(gettext("the server could not complete the request"))
            )
        return self.finish(request, self.build_response(handler, result))

    async def ahandle(self, request: HttpRequest) -> HttpResponse:
        """The same as :meth:`handle`, as a coroutine: what the ASGI long-poll path serves.

        Async procedures (``events.wait``) are awaited in the event loop;
        authentication and sync procedures run in the loop's shared thread
        pool (:class:`AsyncSafeProcedure`), never in a thread of their own.
        """
        prepared = self.prepare(request)
        if isinstance(prepared, HttpResponse):
            return prepared
        handler, context, body = prepared
        try:
            result = await handler.aprocess_request(body, context)
        except Exception as exc:  # the top boundary: never an HTML 500 for an RPC client
            logger.error("RPC request failed", exc_info=exc)
            return self.fault_response(
                handler, RPCInternalError(gettext("the server could not complete the request"))
            )
        return self.finish(request, self.build_response(handler, result))

    def prepare(self, request: HttpRequest) -> HttpResponse | tuple[RpcHandler, RpcRequestContext, str]:
        """The checks before any procedure runs: the refusal to answer, or (handler, context, body)."""
        if request.method != "POST":
            return self.check_request(request)  # 405, or a redirect of GET
        # No Content-Type is answered as an unknown one (the library's own 400 otherwise, in English).
        handler = self.get_request_handler(request) if request.content_type else None
        if handler is None:
            return HttpResponse(
                "Unsupported Content-Type: send XML-RPC as text/xml or JSON-RPC as application/json.",
                status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                content_type="text/plain",
            )
        context = RpcRequestContext(request, self, handler, handler.protocol)
        try:
            body = rpc_body.request_text(request, handler.protocol, settings.ASTITRAY_MAX_REQUEST_BYTES)
        except rpc_body.BodyRefused as refused:
            return self.fault_response(handler, refused.error, refused.status)
        return handler, context, body

    @staticmethod
    def finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
        """A -32098 fault for a request that sent no credentials at all is also a 401 challenge."""
        if getattr(request, _CHALLENGE, False):
            challenge(response)
        return response

    def get_procedure_wrapper(self, name: str, protocol: Protocol) -> Any:
        """The procedure, wrapped so that the async view never blocks its event loop."""
        return AsyncSafeProcedure(super().get_procedure_wrapper(name, protocol))

    @staticmethod
    def fault_response(
        handler: RpcHandler, exc: RPCException, status: HTTPStatus = HTTPStatus.OK
    ) -> HttpResponse:
        """A fault in the protocol of ``handler``, for errors found before any procedure runs."""
        metrics.count_rpc(metrics.NO_PROCEDURE, exc.code)
        request: XmlRpcRequest | JsonRpcRequest = (
            JsonRpcRequest(request_id=None, method_name="")
            if handler.protocol == Protocol.JSON_RPC
            else XmlRpcRequest(method_name="")
        )
        result = handler.build_error_result(request, exc.code, localized(exc.message))
        return HttpResponse(
            handler.serializer.dumps(result),
            status=status,
            content_type=handler.response_content_type,
        )


# Every procedure needs a caller (the procedure's ``ctx.auth_result``) but those of ``system``.
server = AstitrayRpcServer(register_system_procedures=False, error_handler=_on_error, auth=rpc_user)
server.register_namespace(system_namespace(), "system")
server.register_namespace(accounts, "accounts")
server.register_namespace(dialer, "dialer")
server.register_namespace(phonebook, "phonebook")
server.register_namespace(events, "events")
