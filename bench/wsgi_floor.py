"""The floor of an API call: a bare WSGI app answering one fixed XML-RPC response (no Django).

``gunicorn bench.wsgi_floor:application``: what gunicorn, the socket and the
client cost on their own; ``bench.api_cost`` compares every procedure with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

BODY = (
    b"<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
    b"<value><array><data>\n<value><string>system.listMethods</string></value>\n"
    b"</data></array></value>\n</param>\n</params>\n</methodResponse>\n"
)


def application(environ: dict, start_response: Callable[..., object]) -> Iterable[bytes]:
    """Read the request body, answer :data:`BODY`."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "text/xml"), ("Content-Length", str(len(BODY)))])
    return [BODY]
