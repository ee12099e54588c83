"""The user page's views: the page itself, login, a phone link's confirmation, API tokens.

Everything the page does after loading goes through :mod:`web.rpc` (the API's
own procedures); these views only render pages and handle plain forms
(login, logout, tokens, the confirmation of a clicked ``tel:`` link), all with
Django's sessions and CSRF protection.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

import astitray
from accounts import services as account_services
from accounts import tokens
from accounts.errors import SourceUnavailable, TokenNotFound
from events import waiting
from web import phone_links
from web.rpc import session_user

LOGIN_URL = reverse_lazy("web:login")


def _page_user(request: HttpRequest) -> Any:
    """The page's user, or None (not logged in, deactivated, or gone from their source: logged out).

    While their source cannot be asked (directory down), None too, but the session is kept: the
    page works again once the source answers.
    """
    try:
        return session_user(request)
    except SourceUnavailable:
        return None


class LoginView(auth_views.LoginView):
    """Django's login form: the same sources (and lockout) as the API, then a session."""

    template_name = "web/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("web:home")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    return auth_views.LogoutView.as_view(next_page=LOGIN_URL)(request)


def _login_redirect(request: HttpRequest) -> HttpResponse:
    from django.contrib.auth.views import redirect_to_login

    return redirect_to_login(request.get_full_path(), LOGIN_URL)


@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    """The page: search, dial, the call's status, recent calls."""
    user = _page_user(request)
    if user is None:
        return _login_redirect(request)
    return render(
        request,
        "web/home.html",
        {
            "me": account_services.whoami(user),
            "version": astitray.__version__,
            "texts": phone_links.page_texts(),
            "initial": request.GET.get("q", "")[:200],
            # Where the script's first events.wait starts: no call ringing after the page was made is lost.
            "cursor": waiting.make_cursor(user.pk, waiting.newest_id(user.pk)),
        },
    )


@require_http_methods(["GET", "HEAD"])
def call_link(request: HttpRequest) -> HttpResponse:
    """A clicked ``tel:`` link (the browser's protocol handler): asks before dialing, as the tray does."""
    user = _page_user(request)
    if user is None:
        return _login_redirect(request)
    link = phone_links.link_text(request.GET.get("uri", ""))
    return render(request, "web/call.html", {"link": link, "texts": phone_links.page_texts()})


@require_http_methods(["GET", "HEAD", "POST"])
def token_page(request: HttpRequest) -> HttpResponse:
    """The user's API tokens: make one (shown once), list, revoke."""
    user = _page_user(request)
    if user is None:
        return _login_redirect(request)
    made = None
    error = ""
    if request.method == "POST":
        if "revoke" in request.POST:
            try:
                tokens.revoke(user, int(request.POST["revoke"]))
            except (ValueError, TokenNotFound):
                error = _("No such API token of yours.")
            else:
                return HttpResponseRedirect(reverse("web:tokens"))
        else:
            try:
                label = tokens.clean_label(request.POST.get("label", "")[: tokens.LABEL_MAX + 1])
            except ValueError:
                error = _("A label is 1 to 100 characters on one line.")
            else:
                row, token = tokens.create(user, label)
                made = {"token": token, "label": row.label}
    response = render(
        request,
        "web/tokens.html",
        {"tokens": [tokens.entry(row) for row in tokens.of_user(user)], "made": made, "error": error},
        status=400 if error else 200,
    )
    if made is not None:
        response["Cache-Control"] = "no-store"  # the token is shown once: never kept by a cache
    return response
