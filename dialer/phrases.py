"""Sentences of the rewriting code that people read, said again in the reader's language.

The rewriting code is pure and caches what it computes, for any caller in
any language: so it writes its sentences in English, as :class:`Phrase`
objects (``_("Outside-line prefix %(prefix)s.", prefix="0")``): a ``str``
holding the English sentence, which also keeps its template and values.
Where a sentence leaves for a person (the API's step details and fault
messages, the admin's "Try a number"), :func:`translated` says it in the
language of the request.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext


class Phrase(str):
    """An English sentence (the ``str`` itself) with its template and values, to translate later."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Phrase:
        phrase = super().__new__(cls, template % values if values else template)
        phrase.template = template
        phrase.values = values
        return phrase

    def __reduce__(self) -> tuple:
        return (_rebuild, (self.template, self.values))


def _rebuild(template: str, values: dict[str, Any]) -> Phrase:
    return Phrase(template, **values)


def _(template: str, **values: Any) -> Phrase:
    """Mark ``template`` for translation (what extraction looks for) and fill in ``values``."""
    return Phrase(template, **values)


def translated(text: str) -> str:
    """``text`` in the current language: a :class:`Phrase` translated then filled in; other text as is."""
    if isinstance(text, Phrase):
        template = gettext(text.template)
        if not text.values:
            return template
        return template % {
            name: translated(value) if isinstance(value, str) else value
            for name, value in text.values.items()
        }
    return text
