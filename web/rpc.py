"""The API's procedures for the user page: ``POST /me/rpc/``, JSON-RPC, a Django session, CSRF checked.

The page's script calls the very procedures of ``/rpc/`` (``phonebook.search``,
``dialer.normalize``, ``dialer.dial``, ...; the same checks, the same faults)
through this second server, whose caller is the session's user instead of
Basic credentials or a token. Unlike ``/rpc/`` it is not CSRF-exempt: a
request without the page's CSRF token (``X-CSRFToken``) is refused with 403
before any procedure runs, so another site cannot make a logged-in browser
dial. ``system.*`` is not served here.
"""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_protect
from modernrpc import Protocol

from accounts import sources
from astitray import rpc as api


def session_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The session's active user, still allowed by their source (else logged out); None without one.

    Raises SourceUnavailable while their source cannot be asked (the session is kept).
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if not sources.still_allowed(user):
        logout(request)
        return None
    return user


class PageRpcServer(api.AstitrayRpcServer):
    """The API's guarded server, for POSTs of the page only, with CSRF protection."""

    @property
    def view(self):
        return csrf_protect(self.post_only)

    def post_only(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return self.for_the_page(self.handle(request))

    @staticmethod
    def for_the_page(response: HttpResponse) -> HttpResponse:
        """The server's answer, without a Basic challenge (also on the ASGI long-poll path)."""
        if "WWW-Authenticate" in response:
            # No Basic challenge for a browser (it would ask for a password in its own dialog): the
            # fault alone, and the page's script goes to the login page.
            del response["WWW-Authenticate"]
            response.status_code, response.reason_phrase = 200, "OK"
        return response


def _page_server() -> PageRpcServer:
    page = PageRpcServer(
        register_system_procedures=False,
        supported_protocol=Protocol.JSON_RPC,
        error_handler=api._on_error,
        auth=session_user,
    )
    for name, wrapper in api.server.procedures.items():
        if not name.startswith("system."):
            page.register_procedure(
                wrapper.func_or_coro,
                name=name,
                protocol=wrapper.protocol,
                context_target=wrapper.context_target,
            )
    return page


server = _page_server()
