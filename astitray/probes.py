"""The middleware that answers ``/healthz``, ``/readyz`` and ``/metrics`` before anything else runs.

First in ``MIDDLEWARE``: probes and Prometheus reach an app server directly
(``http://10.0.0.11:8000/readyz``), by an address that is not one of
``ALLOWED_HOSTS``, over plain HTTP that ``ASTITRAY_HTTPS`` would redirect;
these answers build no URL from the Host header, set no cookie and open no
session, so none of that applies to them. A probe also costs nothing of the
rest of the chain. Usable in Django's synchronous and asynchronous modes
alike (under ASGI it never turns the chain synchronous).
"""

from __future__ import annotations

from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from astitray import health, metrics_view

View = Callable[[HttpRequest], HttpResponse]

ROUTES: dict[str, View] = {
    "/healthz": health.healthz,
    "/readyz": health.readyz,
    "/metrics": metrics_view.metrics,
}
_METHODS = ("GET", "HEAD")


def _answer(view: View, request: HttpRequest) -> HttpResponse:
    if request.method not in _METHODS:
        response = HttpResponse(status=405, content_type="text/plain; charset=utf-8")
        response["Allow"] = ", ".join(_METHODS)
        return response
    return view(request)


class ProbesMiddleware:
    """Answers the probe paths itself; hands every other request on untouched."""

    async_capable = True
    sync_capable = True

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        view = ROUTES.get(request.path_info)
        if view is None:
            return self.get_response(request)
        return _answer(view, request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        view = ROUTES.get(request.path_info)
        if view is None:
            return await self.get_response(request)
        if view is health.healthz:
            return _answer(view, request)
        return await sync_to_async(_answer)(view, request)
