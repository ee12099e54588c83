"""An RPC request's body as other clients send it, read within ``ASTITRAY_MAX_REQUEST_BYTES``.

- A declared ``Content-Length`` over the limit is refused before anything is
  read; a body is never read past the limit, whatever the client declared.
- ``Transfer-Encoding: chunked`` (curl, Node's streaming requests) is read
  where the WSGI server decodes it (gunicorn says so with
  ``wsgi.input_terminated``) and under ASGI (uvicorn decodes it); elsewhere
  (``runserver``) it is answered 411.
- ``Content-Encoding: gzip`` (Python's ``xmlrpc.client`` with
  ``encode_threshold``) is decompressed with the same limit applied to the
  decompressed size: a compression bomb stops at the limit.
- Text: the ``charset`` of the Content-Type; else, for XML, a byte-order mark
  or the document's own ``encoding="…"`` declaration; else UTF-8. A UTF-8
  byte-order mark before JSON is dropped.
"""

from __future__ import annotations

import codecs
import re
import zlib
from http import HTTPStatus

from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.utils.translation import gettext
from modernrpc import Protocol
from modernrpc.exceptions import RPCException, RPCInvalidRequest, RPCParseError

# The declaration a well-formed XML document may start with (XML 1.0 §2.8, §4.3.3).
_XML_DECLARATION = re.compile(rb"""\A<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]{0,39})["']""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_GZIP = ("gzip", "x-gzip")


class BodyRefused(Exception):
    """The body cannot be read: answered with ``error`` (a fault) and HTTP ``status``."""

    def __init__(self, error: RPCException, status: HTTPStatus = HTTPStatus.OK) -> None:
        super().__init__(error.message)
        self.error = error
        self.status = status


def _too_large(limit: int) -> BodyRefused:
    message = gettext("the request is larger than %(limit)d bytes") % {"limit": limit}
    return BodyRefused(RPCInvalidRequest(message), HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


def _is_chunked(request: HttpRequest) -> bool:
    return "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()


def read_raw(request: HttpRequest, limit: int) -> bytes:
    """The body's bytes as sent (at most ``limit``), or :class:`BodyRefused`."""
    if _is_chunked(request) and not request.META.get("CONTENT_LENGTH"):
        if isinstance(request, ASGIRequest):
            # An ASGI server hands the body decoded (astitray.long_poll passes at most limit + 1 bytes).
            raw = request.read(limit + 1)
        elif not request.META.get("wsgi.input_terminated"):
            message = gettext(
                "send the request with a Content-Length: this server cannot read chunked bodies"
            )
            raise BodyRefused(RPCInvalidRequest(message), HTTPStatus.LENGTH_REQUIRED)
        else:
            raw = request.META["wsgi.input"].read(limit + 1)
    else:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = -1
        if declared < 0:
            raise BodyRefused(RPCInvalidRequest(gettext("invalid Content-Length")), HTTPStatus.BAD_REQUEST)
        if declared > limit:
            raise _too_large(limit)  # on the declared size: the body is never read
        raw = request.read(limit + 1)
    if len(raw) > limit:
        raise _too_large(limit)
    return raw


def decompressed(request: HttpRequest, raw: bytes, limit: int) -> bytes:
    """``raw`` without its ``Content-Encoding`` (gzip or none), at most ``limit`` bytes once decompressed."""
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding not in _GZIP:
        message = gettext("the Content-Encoding %(encoding)s is not supported (gzip is)") % {
            "encoding": encoding[:40]
        }
        raise BodyRefused(RPCInvalidRequest(message), HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    inflater = zlib.decompressobj(wbits=zlib.MAX_WBITS | 16)
    try:
        data = inflater.decompress(raw, limit + 1)
    except zlib.error:
        raise BodyRefused(RPCParseError(gettext("the request is not valid gzip data"))) from None
    if len(data) > limit or inflater.unconsumed_tail:
        raise _too_large(limit)
    if not inflater.eof:
        raise BodyRefused(RPCParseError(gettext("the request is not valid gzip data")))
    return data


def _text_encoding(request: HttpRequest, raw: bytes, protocol: Protocol) -> str:
    if request.encoding:
        return request.encoding
    if protocol == Protocol.JSON_RPC:
        return "utf-8-sig"  # RFC 8259 §8.1: a byte-order mark may be ignored
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return encoding
    declared = _XML_DECLARATION.match(raw)
    return declared.group(1).decode("ascii") if declared else "utf-8"


def text(request: HttpRequest, raw: bytes, protocol: Protocol) -> str:
    """The body as text, in the encoding the request says (UTF-8 unless it says otherwise)."""
    encoding = _text_encoding(request, raw, protocol)
    try:
        decoded = raw.decode(encoding)
        # A byte-order mark left by a charset that keeps it ("charset=utf-8"): JSON may not start with one.
        return decoded.removeprefix("\ufeff") if protocol == Protocol.JSON_RPC else decoded
    except LookupError:
        message = gettext("the request's character encoding %(encoding)s is unknown") % {"encoding": encoding}
        raise BodyRefused(RPCParseError(message)) from None
    except UnicodeDecodeError:
        if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
            raise BodyRefused(RPCParseError(gettext("the request is not valid UTF-8"))) from None
        message = gettext("the request is not valid %(encoding)s text") % {"encoding": encoding}
        raise BodyRefused(RPCParseError(message)) from None


def request_text(request: HttpRequest, protocol: Protocol, limit: int) -> str:
    """The request's body as text, every step bounded by ``limit`` (or :class:`BodyRefused`)."""
    return text(request, decompressed(request, read_raw(request, limit), limit), protocol)
