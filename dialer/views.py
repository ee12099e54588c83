"""``GET /cid/?number=…``: the phonebook's name for an incoming call, for the PBX's dialplan (``CURL()``).

Plain text only: the name on one line, or an empty body. Every refusal
has an empty body too (a ``CURL()`` would show any text as the caller's
name) and a status code, and is logged. No authentication: only the
addresses of ``ASTITRAY_CID_ALLOWED`` may ask.
"""

from __future__ import annotations

import ipaddress
import logging

import phonenumbers
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from accounts.lockout import client_address
from dialer import callerid, rule_cache
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


def _country(request: HttpRequest) -> str | None:
    """The ``country`` parameter, else the default PBX's country, else the setting; None if invalid."""
    given = request.GET.get("country", "")
    if given:
        code = given.upper()
        return code if code in phonenumbers.SUPPORTED_REGIONS else None
    pbx = rule_cache.default_pbx()
    return pbx.country if pbx is not None else settings.ASTITRAY_DEFAULT_COUNTRY


def caller_id_name(request: HttpRequest) -> HttpResponse:
    """The name of the contact owning ``number`` (plain text), or an empty body."""
    if request.method not in ("GET", "HEAD"):
        response = _plain(status=405)
        response["Allow"] = "GET, HEAD"
        return response
    address = client_address(request)
    if not _allowed(address):
        logger.warning("cid: %s is not in ASTITRAY_CID_ALLOWED: refused", address)
        return _plain(status=403)
    number = request.GET.get("number", "")
    if number[:1] == " " and number.strip()[:1].isdigit():
        number = "+" + number.strip()  # "?number=+44..." not URL-encoded: the "+" arrived as a space
    number = number.strip()
    if not number or len(number) > MAX_NUMBER_LENGTH:
        return _plain(status=400)
    country = _country(request)
    if country is None:
        return _plain(status=400)
    return _plain(callerid.name_for(number, country))
