"""Protocol handlers of the RPC server, hardened against hostile input.

django-modern-rpc's stock handlers trust the shape of what they parsed; these
subclasses refuse, with a standard fault, what would otherwise end as an HTTP
500 or an internal error: JSON nested too deep, a batch that is not a list of
objects, a method name that is not a string, batches larger than
``ASTITRAY_MAX_BATCH``; XML with a document type declaration (of any kind),
XML-RPC values that do not parse (``<int>abc</int>``, a bad date, a struct
member without a value).
"""

from __future__ import annotations

import functools
import json
import xml.parsers.expat
import xmlrpc.client
from collections.abc import Callable
from typing import Any

import defusedxml
from defusedxml.xmlrpc import DefusedExpatParser
from django.conf import settings
from modernrpc import RpcRequestContext
from modernrpc.exceptions import (
    RPCException,
    RPCInsecureRequest,
    RPCInvalidParams,
    RPCInvalidRequest,
    RPCParseError,
)
from modernrpc.jsonrpc import handler as jsonrpc_handler
from modernrpc.jsonrpc.backends.json import PythonJsonDeserializer
from modernrpc.types import RpcErrorResult, RpcRequest, RpcResult
from modernrpc.xmlrpc import handler as xmlrpc_handler
from modernrpc.xmlrpc.handler import XmlRpcRequest

from monitoring import metrics

# No procedure takes values nested deeper than system.multicall's calls; a
# deeper value is refused before anything logs or walks it (a repr of
# thousands of levels exhausts Python's stack).
MAX_PARAMS_DEPTH = 32
_CONTAINERS = (list, tuple, dict)


def check_depth(params: Any) -> None:
    """Refuse ``params`` nested deeper than :data:`MAX_PARAMS_DEPTH` (iteratively: no recursion)."""
    # Only containers are stacked: a request of many scalars (any client may send one before it is
    # authenticated) costs one isinstance() each, not a stack entry each.
    stack: list[tuple[Any, int]] = [(params, 0)] if isinstance(params, _CONTAINERS) else []
    while stack:
        value, depth = stack.pop()
        if depth >= MAX_PARAMS_DEPTH:
            raise RPCInvalidParams(f"parameters may be nested at most {MAX_PARAMS_DEPTH} levels deep")
        children = value.values() if isinstance(value, dict) else value
        stack.extend((child, depth + 1) for child in children if isinstance(child, _CONTAINERS))


def counted_refusals(loads: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    """A deserializer's ``loads`` whose refusals are counted (procedure ``none``): no call is made."""

    @functools.wraps(loads)
    def counted(self: Any, data: str) -> Any:
        try:
            return loads(self, data)
        except RPCException as exc:
            metrics.count_rpc(metrics.NO_PROCEDURE, exc.code)
            raise

    return counted


class SafeJsonDeserializer(PythonJsonDeserializer):
    """JSON-RPC requests from text, with every malformed shape turned into a fault."""

    @counted_refusals
    def loads(self, data: str) -> Any:
        try:
            structured = json.loads(data)
        except RecursionError:
            raise RPCParseError("the JSON document is nested too deeply") from None
        except ValueError as exc:
            raise RPCParseError(getattr(exc, "msg", "invalid JSON")) from None

        if isinstance(structured, list):
            if not structured:
                raise RPCInvalidRequest("an empty batch is not a request")
            if len(structured) > settings.ASTITRAY_MAX_BATCH:
                raise RPCInvalidRequest(f"a batch may hold at most {settings.ASTITRAY_MAX_BATCH} requests")
            items = structured
        else:
            items = [structured]
        for item in items:
            if not isinstance(item, dict):
                raise RPCInvalidRequest("a request must be a JSON object")
            if not isinstance(item.get("method"), str):
                raise RPCInvalidRequest("the method name must be a string")
            if isinstance(item.get("id"), list | dict):
                # Not the library's message, which quotes Python ("Found: <class 'dict'>").
                raise RPCInvalidRequest("the id must be a string, a number or null")
            params = item.get("params", [])
            if not isinstance(params, list | dict):
                raise RPCInvalidRequest("params must be an array or an object")
            check_depth(params)
        return self.unmarshaller.dict_to_request(structured)


def count_call(rpc_request: RpcRequest, result: RpcResult, context: RpcRequestContext) -> None:
    """Count one call (``astitray_rpc_calls``): its procedure (if registered) and its fault code."""
    name = rpc_request.method_name
    procedure = name if isinstance(name, str) and name in context.server.procedures else "unknown"
    metrics.count_rpc(procedure, result.code if isinstance(result, RpcErrorResult) else None)


class CountedCalls:
    """Each call of a request (each one of a JSON-RPC batch too) counted once it is answered."""

    def process_single_request(self, rpc_request: Any, context: RpcRequestContext) -> Any:
        result = super().process_single_request(rpc_request, context)  # type: ignore[misc]
        count_call(rpc_request, result, context)
        return result

    async def aprocess_single_request(self, rpc_request: Any, context: RpcRequestContext) -> Any:
        result = await super().aprocess_single_request(rpc_request, context)  # type: ignore[misc]
        count_call(rpc_request, result, context)
        return result


class XmlRpcHandler(CountedCalls, xmlrpc_handler.XmlRpcHandler):
    """The stock XML-RPC handler, answering ``text/xml`` as XML-RPC clients expect; calls counted."""

    response_content_type = "text/xml"


class JsonRpcHandler(CountedCalls, jsonrpc_handler.JsonRpcHandler):
    """The stock JSON-RPC handler; calls counted."""


class SafeXmlDeserializer:
    """XML-RPC requests from text: no DTD, no entities, every malformed value a fault.

    The stock deserializer lets a bare ``<!DOCTYPE>`` through and turns a
    value that does not parse (``<int>abc</int>``) into an internal error.
    """

    @counted_refusals
    def loads(self, data: str) -> XmlRpcRequest:
        unmarshaller = xmlrpc.client.Unmarshaller(use_datetime=True, use_builtin_types=True)
        parser = DefusedExpatParser(unmarshaller, forbid_dtd=True)
        try:
            parser.feed(data)
            parser.close()
            params, method_name = unmarshaller.close(), unmarshaller.getmethodname()
        except xml.parsers.expat.ExpatError as exc:
            raise RPCParseError(str(exc)) from None
        except defusedxml.DefusedXmlException:
            raise RPCInsecureRequest("document type declaration") from None
        except xmlrpc.client.ResponseError:
            # The unmarshaller's own complaint: an unknown element, or no value at all.
            raise RPCInvalidRequest("not an XML-RPC method call") from None
        except (ValueError, TypeError, IndexError, KeyError, OverflowError):
            raise RPCInvalidRequest("a value of the request is malformed") from None
        if not isinstance(method_name, str) or not method_name.strip():
            raise RPCInvalidRequest("the request names no method")
        check_depth(params)
        return XmlRpcRequest(method_name.strip(), list(params))
