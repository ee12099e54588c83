"""Protocol handlers of the RPC server, hardened against hostile input.

django-modern-rpc's stock handlers trust the shape of what they parsed; these
subclasses refuse, with a standard fault, what would otherwise end as an HTTP
500: JSON nested too deep, a batch that is not a list of objects, a method
name that is not a string, batches larger than ``ASTITRAY_MAX_BATCH``.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from modernrpc.exceptions import RPCInvalidRequest, RPCParseError
from modernrpc.jsonrpc.backends.json import PythonJsonDeserializer
from modernrpc.xmlrpc import handler as xmlrpc_handler


class SafeJsonDeserializer(PythonJsonDeserializer):
    """JSON-RPC requests from text, with every malformed shape turned into a fault."""

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
            params = item.get("params", [])
            if not isinstance(params, list | dict):
                raise RPCInvalidRequest("params must be an array or an object")
        return self.unmarshaller.dict_to_request(structured)


class XmlRpcHandler(xmlrpc_handler.XmlRpcHandler):
    """The stock XML-RPC handler, answering ``text/xml`` as XML-RPC clients expect."""

    response_content_type = "text/xml"
