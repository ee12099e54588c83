"""What to dial for a command-line argument: a number, or a ``tel:``, ``callto:`` or ``sip:`` link.

Desktops hand a clicked link to its scheme's handler whole
(``tel:+44-20-7946-0958;ext=12``, ``callto://+442079460958``,
``sip:+33123456789@pbx.example.org;user=phone``). The server finds the
number in free text itself (API ``dialer.dial``); this module only turns a
link into that text (percent-escapes decoded, parameters other than the
extension dropped) and refuses what is no phone link at all.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from tray_client.i18n import _

PHONE_SCHEMES = ("tel", "callto", "sip", "sips")
# Links a browser may hand over by mistake: never sent to the server.
OTHER_SCHEMES = ("http", "https", "mailto", "file", "ftp", "javascript", "data")
MAX_LENGTH = 500

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(.*)$", re.DOTALL)
_EXTENSION = re.compile(r"^(?:ext|extension)=(.+)$", re.IGNORECASE)


class NotAPhoneLink(ValueError):
    """The argument holds nothing to dial; the message says why, in plain words."""


def dial_text(argument: str) -> str:
    """The text to send to ``dialer.dial`` for ``argument``. Raises :class:`NotAPhoneLink`."""
    text = argument.strip()
    if not text:
        raise NotAPhoneLink(_("Nothing to dial: give a phone number or a tel: link."))
    if len(text) > MAX_LENGTH:
        raise NotAPhoneLink(_("That is too long to be a phone number."))
    if any(not char.isprintable() for char in text):
        raise NotAPhoneLink(_("That contains characters that cannot be in a phone number."))
    match = _SCHEME.match(text)
    if match:
        scheme, rest = match.group(1).lower(), match.group(2)
        if scheme in PHONE_SCHEMES:
            text = _link_text(scheme, rest)
        elif scheme in OTHER_SCHEMES or rest.startswith("//"):
            raise NotAPhoneLink(
                _("%(scheme)s: links cannot be dialed; give a phone number or a tel: link.")
                % {"scheme": scheme}
            )
        # Otherwise a label such as "Mobile: 06 12 34 56 78": free text for the server.
    if not any(char.isdigit() for char in text):
        raise NotAPhoneLink(_("There is no phone number in that."))
    return text


def _link_text(scheme: str, rest: str) -> str:
    rest = unquote(rest).strip()
    if scheme == "callto":
        rest = rest.removeprefix("//")
    if scheme in ("sip", "sips"):
        # sip:user@host;params: the number is the user part (RFC 3261, telephone-subscriber).
        user, _at, _host = rest.partition("@")
        rest = user if _at else rest
    number, *parameters = rest.split(";")
    extension = ""
    for parameter in parameters:
        found = _EXTENSION.match(parameter.strip())
        if found:
            extension = found.group(1).strip()
    number = number.strip()
    if not any(char.isdigit() for char in number):
        raise NotAPhoneLink(_("That link holds no phone number."))
    return f"{number} ext. {extension}" if extension else number
