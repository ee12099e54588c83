"""Which language each request is answered in.

- The admin: Django's ``LocaleMiddleware`` (the browser's ``Accept-Language``,
  or the language cookie an admin page set), else ``LANGUAGE_CODE``.
- The API (``/rpc/``) and ``/cid/``: the request's ``Accept-Language`` only,
  else ``LANGUAGE_CODE``. No cookie is read and none is set: a client's
  language is what it sends with each call. Fault *codes* never change;
  their messages, and ``dialer.normalize``'s step details, follow it.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

_HEADER_LIMIT = 200  # longer Accept-Language headers are read up to here


@lru_cache(maxsize=256)
def language_of_header(header: str) -> str | None:
    """The supported language an ``Accept-Language`` header asks for first, or None."""
    for code, _quality in parse_accept_lang_header(header[:_HEADER_LIMIT].lower()):
        if code == "*":
            return None
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


@lru_cache(maxsize=1)
def _header_only_paths() -> frozenset[str]:
    """The API's path, and /cid/'s with and without its slash (a dialplan's CURL() asks either)."""
    return frozenset((reverse("rpc"), "/cid", "/cid/"))


class AdminLocaleMiddleware(LocaleMiddleware):
    """``LocaleMiddleware`` for the admin; the header alone (no cookie) for the API and ``/cid/``."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path_info not in _header_only_paths():
            super().process_request(request)
            return
        header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        language = (language_of_header(header) if header else None) or settings.LANGUAGE_CODE
        # Always set: a worker's thread keeps the language of the request it served before.
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path_info not in _header_only_paths():
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
