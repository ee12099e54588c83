"""The language of the sentences drivers write for people, without Django.

Drivers import nothing from Django, yet what "Test connection" says (and the
short reasons of their errors) is read by admins in their language. Drivers
mark those texts with :func:`gettext` (or :func:`gettext_noop` where the text
is kept for later, as an error class's default message); the Django app
installs Django's own ``gettext`` at start-up (``DriversConfig.ready``), so
that a text is translated into the language of the request, or of the
installation, that it is written for. Without Django (a driver used alone,
its tests), texts stay in English.
"""

from __future__ import annotations

from collections.abc import Callable

_translator: dict[str, Callable[[str], str]] = {}


def gettext(message: str) -> str:
    """``message`` in the current language (English until a translator is installed)."""
    translate = _translator.get("gettext")
    return translate(message) if translate is not None else message


def gettext_noop(message: str) -> str:
    """``message`` unchanged, marked for translation (it is translated where it is used)."""
    return message


def install(translate: Callable[[str], str]) -> None:
    """Translate with ``translate`` from now on (Django's ``gettext``, installed once at start-up)."""
    _translator["gettext"] = translate
