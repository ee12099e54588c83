"""Numbers of ``tel:``, ``callto:``, ``sip:``/``sips:`` links (RFC 3966): pure functions.

Percent-decoding, visual separators, ``;ext=``, ``;phone-context=``, and
post-dial digits after a pause or wait character (``tel:0142685300p12``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from dialer.cleaning import Refused, TextError, map_char
from dialer.phrases import _

MAX_EXTENSION_LENGTH = 10

URI = re.compile(r"(?<![a-z0-9+.-])(?P<scheme>tel|callto|sips?):(?P<body>[^\s<>\"'\]},]+)", re.IGNORECASE)
_VISUAL_SEPARATORS = re.compile(r"[ ()./-]")
_URI_NUMBER = re.compile(r"\+?[0-9*#]+")
_POST_DIAL = re.compile(r"(?P<number>\+?[0-9*#]+)(?P<post>(?:[pw,;]+[0-9*#]+)+)[pw,;]*", re.IGNORECASE)


@dataclass(frozen=True)
class Link:
    """The number of a link: ``number`` (digits, maybe a leading ``+``) and its ``extension``."""

    number: str
    extension: str
    raw: str


def post_dial(digits: str) -> str:
    """Post-dial digits as kept in ``extension_digits``: pauses as ``p``, waits as ``w``, none leading.

    "," and "p" are pauses, ";" and "w" are waits (the conventions of phones
    and of RFC 2806); "p1234p5678w9" gives "1234p5678w9".
    """
    unified = digits.lower().replace(",", "p").replace(";", "w")
    return unified.lstrip("pw").rstrip("pw")


def _decode(part: str) -> str:
    """Percent-decoded, then cleaned like any text; a decoded control character (%0D, %00) is refused."""
    decoded = unquote(part, errors="replace")
    try:
        if any(unicodedata.category(char) == "Cc" for char in decoded):
            raise Refused(decoded)
        return "".join(map_char(char) for char in decoded)
    except Refused:
        raise TextError(_("The link holds control characters; copy just the phone number.")) from None


def _subscriber(scheme: str, body: str) -> str:
    """The telephone-subscriber part of a URI body (number and its ``;`` parameters)."""
    if scheme == "callto":
        return body.lstrip("/").split("?", 1)[0]
    if scheme in ("sip", "sips"):
        if "@" not in body:
            return body.split(";", 1)[0].split("?", 1)[0]
        user = body.split("@", 1)[0]
        return user.split(":", 1)[0]  # drop a password
    return body.split("?", 1)[0]


def _split_post_dial(number: str) -> tuple[str, str]:
    """``number`` without its post-dial digits ("0142685300p12" -> "0142685300", "12")."""
    match = _POST_DIAL.fullmatch(number)
    if match is None:
        return number, ""
    return match.group("number"), post_dial(match.group("post"))


def _parameters(number: str, parameters: list[str]) -> tuple[str, str]:
    """The number with its ``phone-context``, and the ``ext`` of the link's parameters."""
    extension = ""
    for parameter in parameters:
        name, _sep, value = parameter.partition("=")
        name = name.strip().lower()
        value = _VISUAL_SEPARATORS.sub("", _decode(value))
        if name == "ext":
            if not value.isdigit() or len(value) > MAX_EXTENSION_LENGTH:
                raise TextError(_("The extension in the link is not a short number."))
            extension = value
        elif name == "phone-context" and value.startswith("+") and not number.startswith("+"):
            if not value[1:].isdigit():
                raise TextError(_("The phone-context of the link is not a number."))
            number = value + number
    return number, extension


def parse_uri(scheme: str, body: str) -> Link | None:
    """The number of one ``tel:``/``callto:``/``sip:`` URI, or None if it holds none.

    ``;ext=`` gives the extension, as do digits after a pause or wait
    character; a ``;phone-context=`` made of a global number ("+33") is put
    in front of a local number, as libphonenumber does; a domain context is
    ignored (the number is then local to the PBX). Raises :class:`TextError`
    for a link whose parameters are not numbers or that hides control
    characters.
    """
    scheme = scheme.lower()
    number_part, *parameters = _subscriber(scheme, body).split(";")
    number, extension = _split_post_dial(_VISUAL_SEPARATORS.sub("", _decode(number_part)))
    if not _URI_NUMBER.fullmatch(number):
        return None
    number = re.sub(r"^(\+\d{1,3})\(0\)", r"\1", number)
    number, ext_parameter = _parameters(number, parameters)
    return Link(number=number, extension=ext_parameter or extension, raw=f"{scheme}:{body}"[:200])
