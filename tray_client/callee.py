"""Who a call goes to, as people read it: "Hélène Dupont (Acme) — +33 1 42 68 53 00".

The server knows the number to dial (``dialer.normalize``: the PBX's dial
string, the number as people write it, every number of a signature) and
whose number it is (``phonebook.lookup``). :class:`Resolver` asks both, once
per text and once per number (small caches), and degrades quietly with an
older server: no ``display`` gives the E.164 form or the dial string, no
``phonebook.lookup`` gives no name. Thread-safe; call it off the UI thread.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from tray_client import api

logger = logging.getLogger(__name__)

CACHE_SIZE = 256
# Numbers looked up in the phonebook for one text at most (a signature holds a few).
MAX_LOOKUPS = 5


@dataclass(frozen=True)
class Callee:
    """One number someone may call, with whose it is."""

    text: str  # what dialer.dial is given to call it
    number: str = ""  # the PBX's dial string ("" until the server said)
    display: str = ""  # the number as people write it
    name: str = ""
    company: str = ""
    label: str = ""  # work, mobile, home, fax, other, or ""
    e164: str = ""

    @property
    def shown_number(self) -> str:
        """The number for people: as written when the server says, else its dial string or the text."""
        return self.display or self.e164 or self.number or self.text

    @property
    def who(self) -> str:
        """ "Hélène Dupont (Acme)", "Hélène Dupont", or "" when the phonebook does not know the number."""
        if self.name and self.company:
            return f"{self.name} ({self.company})"
        return self.name

    @property
    def title(self) -> str:
        """ "Hélène Dupont (Acme) — +33 1 42 68 53 00", or the number alone."""
        return f"{self.who} — {self.shown_number}" if self.who else self.shown_number


def callee_for(choice: api.Choice, contact: api.Contact | None) -> Callee:
    return Callee(
        text=choice.text,
        number=choice.number,
        display=choice.display,
        name=contact.name if contact else "",
        company=contact.organisation if contact else "",
        label=choice.label,
        e164=choice.e164,
    )


class Resolver:
    """Finds the callees of a text through the server; remembers the answers."""

    def __init__(self, client: Callable[[], api.ApiClient]) -> None:
        self.client = client
        self._lock = threading.Lock()
        self._texts: OrderedDict[str, tuple[Callee, ...]] = OrderedDict()
        self._contacts: OrderedDict[str, api.Contact | None] = OrderedDict()
        self._no_lookup = False  # the server has no phonebook.lookup

    def forget(self) -> None:
        """Another server or user: nothing known holds any more."""
        with self._lock:
            self._texts.clear()
            self._contacts.clear()
            self._no_lookup = False

    def known(self, text: str) -> tuple[Callee, ...] | None:
        """The callees already found for ``text``, or None (nothing is asked)."""
        with self._lock:
            return self._texts.get(text)

    def resolve(self, text: str) -> tuple[Callee, ...]:
        """The numbers in ``text``, the server's choice first, with their owners' names.

        Raises :class:`api.ApiError` when the server cannot say (``INVALID_NUMBER``: there is none).
        """
        known = self.known(text)
        if known is not None:
            return known
        normalized = self.client().normalize(text)
        callees = tuple(
            callee_for(choice, self.contact(choice.e164 or choice.number) if index < MAX_LOOKUPS else None)
            for index, choice in enumerate(normalized.all_choices())
        )
        self.remember(text, callees)
        return callees

    def remember(self, text: str, callees: tuple[Callee, ...]) -> None:
        with self._lock:
            self._texts[text] = callees
            self._texts.move_to_end(text)
            while len(self._texts) > CACHE_SIZE:
                self._texts.popitem(last=False)

    def contact(self, number: str) -> api.Contact | None:
        """The phonebook's owner of ``number`` (E.164, or an extension); None: nobody, or no lookup."""
        if not number:
            return None
        e164 = number
        with self._lock:
            if self._no_lookup:
                return None
            if e164 in self._contacts:
                return self._contacts[e164]
        try:
            contact = self.client().lookup(e164)
        except api.ApiFault as fault:
            if fault.code == api.METHOD_NOT_FOUND:
                with self._lock:
                    self._no_lookup = True
            logger.info("no name for a number: %s", fault)
            return None
        except api.ApiError as err:
            logger.info("no name for a number: %s", err)
            return None  # not remembered: asked again next time
        with self._lock:
            self._contacts[e164] = contact
            while len(self._contacts) > CACHE_SIZE:
                self._contacts.popitem(last=False)
        return contact
