"""The one RPC server of Astitray: ``POST /rpc/``, XML-RPC and JSON-RPC.

Each app's ``rpc.py`` holds an ``RpcNamespace`` of thin procedures; this
module puts them together, adds the ``system.*`` procedures (open to all, as
API.md says), and wraps django-modern-rpc's view with the checks every
request goes through before any procedure runs: a bounded body, read without
trusting the client's size; strict UTF-8; any unexpected error answered as a
fault of the request's protocol, never as an HTML error page.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from modernrpc import Protocol, RpcNamespace, RpcRequestContext, RpcServer
from modernrpc.exceptions import (
    AuthenticationError,
    RPCException,
    RPCInsecureRequest,
    RPCInternalError,
    RPCInvalidParams,
    RPCInvalidRequest,
    RPCParseError,
)
from modernrpc.handler import RpcHandler
from modernrpc.jsonrpc.handler import JsonRpcRequest
from modernrpc.system_procedures import system as stock_system
from modernrpc.xmlrpc.handler import XmlRpcRequest

from accounts.rpc import accounts
from astitray.faults import AuthenticationFailed, require_str
from dialer.rpc import dialer
from phonebook.rpc import phonebook

logger = logging.getLogger(__name__)

_MAX_FAULT_LENGTH = 200
# Control characters, line separators and lone surrogates: never in a fault's message.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]+")


def _on_error(exc: BaseException, context: RpcRequestContext) -> None:
    """Turn any exception into the fault a client may see (raised to replace ``exc``).

    Faults carry no ``data`` (it may hold the request) and a bounded message;
    a failed authentication always reads the same; anything unexpected is
    logged here and answered as a bare internal error.
    """
    if isinstance(exc, AuthenticationError):
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, AuthenticationError):
            # The check itself failed (Redis or the database is down): refused, and said in the log.
            logger.error("RPC authentication could not be checked", exc_info=cause)
        raise AuthenticationFailed()
    if isinstance(exc, RPCInsecureRequest):
        raise RPCParseError("XML entities and document type declarations are not accepted")
    if isinstance(exc, RPCInvalidParams) and isinstance(exc.__context__, TypeError):
        # django-modern-rpc turns any TypeError of the call into -32602 with Python's own message
        # ("dial() got multiple values for argument 'ctx'"): internal names, or a bug's message.
        if _raised_by_the_call_itself(exc.__context__):
            raise RPCInvalidParams("wrong number or names of parameters; see system.methodHelp")
        logger.error("RPC procedure failed", exc_info=exc.__context__)
        raise RPCInternalError("the server could not complete the request")
    if isinstance(exc, RPCException):
        # Messages may quote the client (an unknown method's name): one line, valid text, bounded.
        raise RPCException(exc.code, _UNPRINTABLE.sub(" ", exc.message)[:_MAX_FAULT_LENGTH])
    logger.error("RPC procedure failed", exc_info=exc)
    raise RPCInternalError("the server could not complete the request")


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


def _multicall(calls: Any, _ctx: RpcRequestContext) -> list:
    """
    Call several procedures in one request (XML-RPC).

    Each inner call runs with the request's credentials.

    :param calls: an array of structs {"methodName": string, "params": array}
    :return: an array holding, for each call, [result] or a fault struct
    """
    if not isinstance(calls, list):
        raise RPCInvalidParams("system.multicall takes an array of calls")
    if len(calls) > settings.ASTITRAY_MAX_BATCH:
        raise RPCInvalidParams(f"system.multicall takes at most {settings.ASTITRAY_MAX_BATCH} calls")
    for call in calls:
        if (
            not isinstance(call, dict)
            or not isinstance(call.get("methodName"), str)
            or not isinstance(call.get("params", []), list)
        ):
            raise RPCInvalidParams('each call must be a struct {"methodName": string, "params": array}')
        if call["methodName"] == "system.multicall":
            raise RPCInvalidParams("system.multicall cannot be nested")
    return stock_system.procedures["multicall"].func_or_coro(calls, _ctx)


def _method_name_checked(stock: Callable[..., Any]) -> Callable[..., Any]:
    """A stock ``system.method*`` procedure that refuses a method name that is not a string.

    The stock ones look the name up in a dict: a list or a struct ended as an internal error.
    """

    @functools.wraps(stock)
    def checked(method_name: Any, _ctx: RpcRequestContext) -> Any:
        return stock(require_str(method_name, "method_name", 200), _ctx)

    return checked


def _system_namespace() -> RpcNamespace:
    """The stock system procedures, with a bounded, validated ``multicall`` and checked method names."""
    namespace = RpcNamespace()
    for name, wrapper in stock_system.procedures.items():
        if name != "multicall":
            function = wrapper.func_or_coro
            if name in ("methodHelp", "methodSignature"):
                function = _method_name_checked(function)
            namespace.register_procedure(
                function,
                name=name,
                protocol=wrapper.protocol,
                context_target=wrapper.context_target,
            )
    multicall = stock_system.procedures["multicall"]
    namespace.register_procedure(
        _multicall, name="multicall", protocol=multicall.protocol, context_target="_ctx"
    )
    return namespace


class AstitrayRpcServer(RpcServer):
    """django-modern-rpc's server behind a guarded view."""

    @property
    def view(self):
        return csrf_exempt(self.handle)

    def handle(self, request: HttpRequest) -> HttpResponse:
        refused = self.check_request(request)
        if refused:
            return refused
        handler = self.get_request_handler(request)
        if handler is None:
            return HttpResponse(
                "Unsupported Content-Type: send XML-RPC as text/xml or JSON-RPC as application/json.",
                status=HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                content_type="text/plain",
            )
        context = RpcRequestContext(request, self, handler, handler.protocol)

        limit = settings.ASTITRAY_MAX_REQUEST_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = -1
        if declared < 0:
            return self.fault_response(
                handler, RPCInvalidRequest("invalid Content-Length"), HTTPStatus.BAD_REQUEST
            )
        if declared > limit:
            # Refused on the declared size: the body is never read.
            return self.fault_response(
                handler,
                RPCInvalidRequest(f"the request is larger than {limit} bytes"),
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        raw = request.read(limit + 1)
        if len(raw) > limit:
            return self.fault_response(
                handler,
                RPCInvalidRequest(f"the request is larger than {limit} bytes"),
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            )
        try:
            body = raw.decode(request.encoding or self.default_encoding)
        except (UnicodeDecodeError, LookupError):
            return self.fault_response(handler, RPCParseError("the request is not valid UTF-8"))

        try:
            result = handler.process_request(body, context)
        except Exception as exc:  # the top boundary: never an HTML 500 for an RPC client
            logger.error("RPC request failed", exc_info=exc)
            return self.fault_response(handler, RPCInternalError("the server could not complete the request"))
        return self.build_response(handler, result)

    @staticmethod
    def fault_response(
        handler: RpcHandler, exc: RPCException, status: HTTPStatus = HTTPStatus.OK
    ) -> HttpResponse:
        """A fault in the protocol of ``handler``, for errors found before any procedure runs."""
        request: XmlRpcRequest | JsonRpcRequest = (
            JsonRpcRequest(request_id=None, method_name="")
            if handler.protocol == Protocol.JSON_RPC
            else XmlRpcRequest(method_name="")
        )
        result = handler.build_error_result(request, exc.code, exc.message)
        return HttpResponse(
            handler.serializer.dumps(result),
            status=status,
            content_type=handler.response_content_type,
        )


server = AstitrayRpcServer(register_system_procedures=False, error_handler=_on_error)
server.register_namespace(_system_namespace(), "system")
server.register_namespace(accounts, "accounts")
server.register_namespace(dialer, "dialer")
server.register_namespace(phonebook, "phonebook")
