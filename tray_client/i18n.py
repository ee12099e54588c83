"""English and French (gettext), chosen from the desktop's locale.

Every module takes its texts through :func:`_` at the moment it shows them,
so that :func:`set_language` (called once at start-up) applies everywhere.
The catalogues live in ``tray_client/locale/<lang>/LC_MESSAGES/astitray.po``;
their compiled ``.mo`` files are committed beside them (see docs/tray.md, "Languages").
"""

from __future__ import annotations

import gettext
import locale
import os
from pathlib import Path

DOMAIN = "astitray"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
# Languages with a catalogue; English is the source language.
LANGUAGES = ("en", "fr")

# The catalogue in use (one per process, chosen at start-up by set_language).
_current: dict[str, gettext.NullTranslations] = {"translation": gettext.NullTranslations()}


def desktop_languages() -> list[str]:
    """The languages the desktop asks for, most wanted first.

    The POSIX variables in gettext's order (``LANGUAGE``, ``LC_ALL``,
    ``LC_MESSAGES``, ``LANG``); without them (Windows, macOS), the system's
    locale.
    """
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return [part for part in value.split(":") if part]
    try:
        system = locale.getlocale()[0] or ""
    except ValueError:
        system = ""
    # Windows names locales "French_France": keep what gettext understands.
    if system.lower().startswith("french"):
        return ["fr"]
    return [system] if system else []


def set_language(languages: list[str] | None = None) -> str:
    """Use the first of ``languages`` (default: the desktop's) that has a catalogue.

    Returns the language code in use (``"fr"`` or ``"en"``).
    """
    wanted = desktop_languages() if languages is None else languages
    translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=wanted or ["en"], fallback=True)
    _current["translation"] = translation
    if isinstance(translation, gettext.GNUTranslations):
        return translation.info().get("language", "en")
    return "en"


def _(message: str) -> str:
    """``message`` in the chosen language."""
    return _current["translation"].gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """``singular`` or ``plural`` for ``count``, as the chosen language says it."""
    return _current["translation"].ngettext(singular, plural, count)
