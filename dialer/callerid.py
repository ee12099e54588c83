"""Caller-ID text: what the caller's phone shows while it rings, and the names ``/cid/`` answers.

Names come from the phonebook and may hold anything; what reaches a
phone or a PBX is one line of plain text, at most
``ASTITRAY_CID_MAX_LENGTH`` characters, without the characters that have a
meaning in an Asterisk caller ID (``"``, ``<``, ``>``, ``\\``).
"""

from __future__ import annotations

import unicodedata

from django.conf import settings

from phonebook.services import lookup_name

# Characters Asterisk's caller-ID parser gives a meaning to.
_CALLER_ID_SPECIALS = str.maketrans({'"': "'", "\\": " ", "<": "(", ">": ")"})


def clean_name(name: str, max_length: int | None = None) -> str:
    """``name`` on one line, without control characters, at most ``max_length`` characters.

    Line breaks, tabs and runs of spaces become one space; control and
    format characters (NUL, DEL, bidi overrides, ...) are dropped. The
    default length is ``ASTITRAY_CID_MAX_LENGTH``.
    """
    max_length = settings.ASTITRAY_CID_MAX_LENGTH if max_length is None else max_length
    kept = []
    for char in name:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Zl", "Zp"):
            kept.append(" ")
        elif category not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            kept.append(char)
    return " ".join("".join(kept).split())[:max_length].rstrip()


def caller_id(name: str, number: str) -> str:
    """The caller ID of the first leg: ``"Name" <number>``, or ``<number>`` without a name.

    ``number`` is the number being called, as dialed (digits, ``*``, ``#``,
    ``+``): the caller's phone shows whom it is about to call.
    """
    name = clean_name(name).translate(_CALLER_ID_SPECIALS).strip()
    return f'"{name}" <{number}>' if name else f"<{number}>"


def name_for(number: str, country: str) -> str:
    """The phonebook's name (else company) for ``number`` (``country`` for numbers without a
    country code), cleaned and capped, or ""."""
    return clean_name(lookup_name(number, country))
