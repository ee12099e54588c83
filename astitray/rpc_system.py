"""The ``system.*`` procedures of the RPC server, open to all (docs/api.md).

django-modern-rpc's stock ones, with: XML-RPC's type names in
``system.methodSignature`` (``struct``, ``array``, ``string``, … as the
introspection convention says, never Python's ``dict`` or ``str``); a
``system.listMethods`` that lists only what the request's protocol can call
(``system.multicall`` is XML-RPC's); checked method names; and a bounded
``system.multicall`` where a malformed entry gets a fault of its own while
the others run, as the multicall convention says.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from modernrpc import RpcNamespace, RpcRequestContext
from modernrpc.exceptions import RPCInvalidParams, RPCInvalidRequest
from modernrpc.helpers import check_flags_compatibility
from modernrpc.system_procedures import system as stock_system

from astitray.faults import require_str

# Python's type names (as django-modern-rpc reads them from annotations) in XML-RPC's words.
XMLRPC_TYPES = {
    "dict": "struct",
    "list": "array",
    "tuple": "array",
    "str": "string",
    "int": "int",
    "bool": "boolean",
    "float": "double",
    "bytes": "base64",
    "bytearray": "base64",
    "datetime": "dateTime.iso8601",
    "datetime.datetime": "dateTime.iso8601",
}
UNDEFINED = "undef"  # the introspection convention's word for "any type"


def _list_methods(_ctx: RpcRequestContext) -> list[str]:
    """
    The procedures this server offers over the protocol of this request.

    :return: an array of procedure names
    """
    procedures = _ctx.server.procedures
    return [
        name
        for name, wrapper in procedures.items()
        if check_flags_compatibility(wrapper.protocol, _ctx.protocol)
    ]


def _method_signature(method_name: Any, _ctx: RpcRequestContext) -> list[list[str]]:
    """
    The signature of a procedure: its answer's type, then each parameter's.

    :param method_name: the procedure's name
    :return: an array of one array of XML-RPC type names ("undef": any type)
    """
    name = require_str(method_name, "method_name", 200)
    wrapper = _ctx.server.get_procedure_wrapper(name, _ctx.protocol)
    types = [wrapper.returns.documented_type, *(arg.documented_type for arg in wrapper.arguments.values())]
    return [[XMLRPC_TYPES.get(str(documented or "").strip(), UNDEFINED) for documented in types]]


def _malformed(call: Any) -> str:
    """Why one entry of a multicall cannot be called ("" when it can)."""
    if (
        not isinstance(call, dict)
        or not isinstance(call.get("methodName"), str)
        or not isinstance(call.get("params", []), list)
    ):
        return 'each call must be a struct {"methodName": string, "params": array}'
    if call["methodName"] == "system.multicall":
        return "system.multicall cannot be nested"
    return ""


def _multicall(calls: Any, _ctx: RpcRequestContext) -> list:
    """
    Call several procedures in one request (XML-RPC).

    Each inner call runs with the request's credentials. A malformed entry
    gets a fault of its own; the others run.

    :param calls: an array of structs {"methodName": string, "params": array}
    :return: an array holding, for each call, [result] or a fault struct
    """
    if not isinstance(calls, list):
        raise RPCInvalidParams("system.multicall takes an array of calls")
    if len(calls) > settings.ASTITRAY_MAX_BATCH:
        raise RPCInvalidParams(f"system.multicall takes at most {settings.ASTITRAY_MAX_BATCH} calls")
    stock = stock_system.procedures["multicall"].func_or_coro
    answers: list = []
    for call in calls:
        reason = _malformed(call)
        if reason:
            refusal = RPCInvalidRequest(reason)
            answers.append({"faultCode": refusal.code, "faultString": refusal.message})
        else:
            answers.extend(stock([call], _ctx))
    return answers


def _method_name_checked(stock: Callable[..., Any]) -> Callable[..., Any]:
    """A stock ``system.method*`` procedure that refuses a method name that is not a string.

    The stock ones look the name up in a dict: a list or a struct ended as an internal error.
    """

    @functools.wraps(stock)
    def checked(method_name: Any, _ctx: RpcRequestContext) -> Any:
        return stock(require_str(method_name, "method_name", 200), _ctx)

    return checked


_OURS: dict[str, Callable[..., Any]] = {
    "listMethods": _list_methods,
    "methodSignature": _method_signature,
    "multicall": _multicall,
}


def system_namespace() -> RpcNamespace:
    """The system procedures, open to all (``auth=None``): the server's authentication is for the others."""
    namespace = RpcNamespace()
    for name, wrapper in stock_system.procedures.items():
        function = _OURS.get(name, wrapper.func_or_coro)
        if name == "methodHelp":
            function = _method_name_checked(function)
        namespace.register_procedure(
            function,
            name=name,
            protocol=wrapper.protocol,
            context_target=wrapper.context_target,
            auth=None,
        )
    return namespace
