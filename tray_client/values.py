"""What the API's answers become: small immutable values (docs/api.md's keys, checked by tray_client.api)."""

from __future__ import annotations

from dataclasses import dataclass

# Call statuses after which nothing more happens to a call.
FINAL_STATUSES = frozenset({"answered", "no_answer", "busy", "failed", "denied", "unknown"})


@dataclass(frozen=True)
class WhoAmI:
    username: str
    full_name: str
    extension: str
    can_dial: bool
    server_version: str
    api_version: int
    # The caller's phone as the PBX sees it (docs/api.md): idle, ringing, in_use, unavailable, unknown;
    # "" from servers that do not say.
    phone: str = ""

    @property
    def phone_unavailable(self) -> bool:
        """The PBX says the phone is not registered or unreachable: a dial would be refused."""
        return self.phone == "unavailable"


@dataclass(frozen=True)
class Choice:
    """One dialable number found in a text (``dialer.normalize``'s ``choices``)."""

    number: str  # what would be dialed (the PBX's dial string)
    e164: str = ""
    display: str = ""  # the number as people write it ("" when the server does not say)
    extension_digits: str = ""
    label: str = ""  # work, mobile, home, fax, other, or ""
    text: str = ""  # what to send to dialer.dial to call this one

    @property
    def shown(self) -> str:
        """The number for people: the server's display form, else E.164, else the dial string."""
        return self.display or self.e164 or self.number


@dataclass(frozen=True)
class Normalized:
    input: str
    number: str
    e164: str
    internal: bool
    display: str = ""
    extension_digits: str = ""
    # Every dialable number of the text, the chosen one first (older servers: none).
    choices: tuple[Choice, ...] = ()

    @property
    def shown(self) -> str:
        return self.display or self.e164 or self.number

    def all_choices(self) -> tuple[Choice, ...]:
        """The numbers to choose from: the server's list, else the one number it found."""
        if self.choices:
            return self.choices
        return (
            Choice(
                number=self.number,
                e164=self.e164,
                display=self.display,
                extension_digits=self.extension_digits,
                text=self.input,
            ),
        )


@dataclass(frozen=True)
class DialResult:
    call_id: str
    number: str
    extension: str
    status: str


@dataclass(frozen=True)
class CallInfo:
    call_id: str
    number: str
    status: str
    reason: str
    created: str
    updated: str
    # What was given to dialer.dial, when the server says (a later addition to the API).
    input: str = ""
    # Additions of version 1 (docs/api.md): the phonebook's name, and "out" or "in".
    name: str = ""
    direction: str = "out"

    @property
    def final(self) -> bool:
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class Event:
    """One of ``events.wait``'s events (docs/api.md): an incoming call rang, was answered or missed;
    one of the user's own calls changed status."""

    id: str
    type: str  # incoming, answered, missed, call
    at: str
    call_id: str
    number: str
    name: str = ""
    company: str = ""
    status: str = ""
    by_me: bool = False


@dataclass(frozen=True)
class ContactNumber:
    label: str
    number: str
    e164: str


@dataclass(frozen=True)
class Contact:
    id: int | str
    name: str
    company: str
    department: str
    title: str
    email: str
    numbers: tuple[ContactNumber, ...]
    # A colleague's phone (whoami's ``phone`` values: idle, ringing, in_use, unavailable, unknown);
    # "" for other contacts and from servers that do not say.
    presence: str = ""

    @property
    def organisation(self) -> str:
        """Company and department, as one line ("" when neither is known)."""
        return " — ".join(part for part in (self.company, self.department) if part)
