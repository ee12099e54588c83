"""``GET /cid/?number=…``: the phonebook's name for an incoming call, for the PBX's dialplan (``CURL()``).

``CURL(url,number=…)`` (a second argument) sends a POST with the number in
a form body: answered alike (no CSRF token: nothing is changed, and only
allowed addresses may ask). Plain text only: the name on one line, or an empty body. Every refusal
has an empty body too (a ``CURL()`` would show any text as the caller's
name) and a status code, and is logged. No authentication: only the
addresses of ``ASTITRAY_CID_ALLOWED`` may ask.
"""

from __future__ import annotations

import ipaddress
import logging

import phonenumbers
from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.views.decorators.csrf import csrf_exempt

from accounts.lockout import client_address
from dialer import callerid
from drivers.default_pbx import default_pbx
from phonebook.services import MAX_NUMBER_LENGTH

logger = logging.getLogger(__name__)


def _plain(body: str = "", status: int = 200) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def _allowed(address: str | None) -> bool:
    if address is None:
        return False
    ip = ipaddress.ip_address(address)
    return any(ip in network for network in settings.ASTITRAY_CID_NETWORKS)


_METHODS = ("GET", "HEAD", "POST")


def _param(request: HttpRequest, name: str) -> str:
    """A parameter of the query string, or of a POST's form body (``CURL(url,number=…)``)."""
    value = request.GET.get(name, "")
    if not value and request.method == "POST":
        try:
            value = request.POST.get(name, "")
        except (SuspiciousOperation, MultiPartParserError):
            return ""  # a body too large or malformed: no number (400, never Django's HTML page)
    return value


def _country(request: HttpRequest) -> str | None:
    """The ``country`` parameter, else the default PBX's country, else the setting; None if invalid."""
    given = _param(request, "country")
    if given:
        code = given.upper()
        return code if code in phonenumbers.SUPPORTED_REGIONS else None
    pbx = default_pbx()
    return pbx.country if pbx is not None else settings.ASTITRAY_DEFAULT_COUNTRY


@csrf_exempt
def caller_id_name(request: HttpRequest) -> HttpResponse:
    """The name of the contact owning ``number`` (plain text), or an empty body."""
    if request.method not in _METHODS:
        response = _plain(status=405)
        response["Allow"] = ", ".join(_METHODS)
        return response
    address = client_address(request)
    if not _allowed(address):
        logger.warning("cid: %s is not in ASTITRAY_CID_ALLOWED: refused", address)
        return _plain(status=403)
    number = _param(request, "number")
    if number[:1] == " " and number.strip()[:1].isdigit():
        number = "+" + number.strip()  # "?number=+44..." not URL-encoded: the "+" arrived as a space
    number = number.strip()
    if not number or len(number) > MAX_NUMBER_LENGTH:
        return _plain(status=400)
    country = _country(request)
    if country is None:
        return _plain(status=400)
    return _plain(callerid.name_for(number, country))
