"""The ``originate`` of a click-to-dial call over ESL, every value checked, and what its job answers.

The command (``bgapi``: a synchronous ``api originate`` blocks the
connection until the phone answers)::

    bgapi originate {origination_uuid=U,origination_caller_id_name='A B',...}user/1001 0044207946095 XML ctx
    Job-UUID: J

rings the user's phone (their Extension's dial string), and once it is
answered sends that leg to the dialed number in the configured context.
The phone's channel carries ``U`` (its ``Unique-ID``) and the job's answer
arrives as a ``BACKGROUND_JOB`` event with ``Job-UUID: J`` whose body is
``+OK <uuid>`` (answered) or ``-ERR <CAUSE>``.

What FreeSWITCH does with unchecked values (recorded, FINDINGS-esl.txt):
a line break ends the command or starts a header line (a ``\\n\\n`` in a
number ran a shell command), a ``,`` inside ``{...}`` starts another
channel variable (``execute_on_answer=hangup``), a ``}`` would end the
block, a space splits the arguments unless the value is in single
quotes, and ``${...}`` in a value is expanded (it can call any API). So:

- the number: only ``0-9 + * #``; the context, the call id and variable
  names: letters, digits and ``_ . -``; the dial string: a technology, a
  ``/`` and letters, digits and ``_ . - @ : + * # % /`` (no space, comma,
  brace, bracket, quote, ``|`` or ``$``);
- every ``{...}`` value: no control character, ``'``, ``,``, ``{``,
  ``}``, ``[``, ``]``, ``$``, ``\\``, ``^``, ``|`` or ``=`` (FreeSWITCH's
  splitting gives a meaning to ``'`` and ``\\`` only, ``"`` is plain text); a
  value with a space is sent in single quotes;
- the caller-ID name is display text from the phonebook (``Dupont, Jean``,
  ``O'Brien``), as is ``ASTITRAY_CALLERID`` (the Extension's caller ID, typed
  by an admin): their risky characters are replaced (``,`` by a space,
  ``'`` by a typographic apostrophe, ...) rather than the call refused.

Any other refusal raises :class:`~drivers.base.UnsafeValue` naming the
field, never the value, before anything is sent.
"""

from __future__ import annotations

import re
import uuid

from drivers.base import CallStatus, OriginateRequest, UnsafeValue, ensure_safe

# Variables the dial service sets that hold text shown to people (the Extension's caller ID, typed by
# an admin: "Martin, Alice" <1001>): made harmless as the caller-ID name is, never refused.
DISPLAY_VARIABLES = frozenset({"ASTITRAY_CALLERID"})
# The channel variable holding Astitray's call id (for the dialplan, CDRs and the event stream).
CALL_ID_VARIABLE = "astitray_call_id"
# FreeSWITCH's own way to ask a SIP phone to answer by itself (Call-Info: answer-after=0).
AUTO_ANSWER_VARIABLES = (("sip_auto_answer", "true"),)

_NUMBER_RE = re.compile(r"[0-9+*#]+\Z")
_WORD_RE = re.compile(r"[A-Za-z0-9_.-]+\Z")
_VARIABLE_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_DIAL_STRING_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]*/[A-Za-z0-9_.@:+*#%/-]+\Z")
_CALLER_ID_RE = re.compile(r'\s*(?:"(?P<quoted>[^"]*)"|(?P<plain>[^<]*?))\s*(?:<(?P<number>[^>]*)>)?\s*')
_UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
# What a {var=value} value may never hold (besides control characters).
_VALUE_FORBIDDEN = frozenset(",'{}[]$\\^|=")
# The caller-ID name's risky characters, replaced (it is display text).
_NAME_REPLACEMENTS = str.maketrans(
    {",": " ", "'": "\u2019", "{": "(", "}": ")", "[": "(", "]": ")", "$": "S"}
    | {"\\": " ", "^": " ", "|": "/", "=": "-"}
)


def check_number(name: str, value: str) -> str:
    """``value`` if it is only ``0-9 + * #``; else :class:`UnsafeValue`."""
    ensure_safe(name, value)
    if not _NUMBER_RE.match(value):
        raise UnsafeValue(f"{name} may only hold the digits 0-9, '+', '*' and '#'")
    return value


def check_word(name: str, value: str) -> str:
    """``value`` if it is letters, digits, ``_``, ``.`` and ``-`` (contexts, ids)."""
    ensure_safe(name, value)
    if not _WORD_RE.match(value):
        raise UnsafeValue(f"{name} may only hold letters, digits, '_', '.' and '-'")
    return value


def check_dial_string(value: str) -> str:
    """An Extension's FreeSWITCH dial string (``user/1001``, ``sofia/internal/1001@domain``)."""
    ensure_safe("channel", value)
    if not _DIAL_STRING_RE.match(value):
        raise UnsafeValue(
            "channel must be a FreeSWITCH dial string such as user/1001 or sofia/internal/1001@domain"
        )
    return value


def check_value(name: str, value: str) -> str:
    """A ``{var=value}`` value as sent: checked, and in single quotes when it holds a space."""
    ensure_safe(name, value)
    if any(char in _VALUE_FORBIDDEN for char in value):
        raise UnsafeValue(f"{name} holds a character FreeSWITCH would read as syntax")
    return f"'{value}'" if " " in value else value


def display_text(field: str, text: str) -> str:
    """Text shown to people, as sent: risky characters replaced, spaces collapsed, quoted if needed."""
    ensure_safe(field, text)
    cleaned = " ".join(text.translate(_NAME_REPLACEMENTS).split())
    return check_value(field, cleaned) if cleaned else ""


def display_name(name: str) -> str:
    """The caller-ID name as sent (:func:`display_text`)."""
    return display_text("caller_id", name)


def split_caller_id(caller_id: str) -> tuple[str, str]:
    """``"Name" <number>`` (or ``<number>``, or ``Name``) -> (name, number)."""
    ensure_safe("caller_id", caller_id)
    match = _CALLER_ID_RE.fullmatch(caller_id)
    if match is None:
        return caller_id.strip(), ""
    name = match["quoted"] if match["quoted"] is not None else match["plain"] or ""
    return name.strip(), (match["number"] or "").strip()


def origination_uuid(reference: str) -> str:
    """The phone channel's ``Unique-ID``: the call's reference when it is a UUID (the dialer's are)."""
    lowered = reference.lower()
    return lowered if _UUID_RE.match(lowered) else str(uuid.uuid4())


def channel_variables(request: OriginateRequest, reference: str, channel_uuid: str) -> list[tuple[str, str]]:
    """The ``{...}`` variables of the call, values checked and quoted (raises :class:`UnsafeValue`)."""
    name, number = split_caller_id(request.caller_id)
    variables: list[tuple[str, str]] = [("origination_uuid", channel_uuid)]
    shown = display_name(name)
    if shown:
        variables.append(("origination_caller_id_name", shown))
    shown_number = number or request.number
    variables.append(("origination_caller_id_number", check_number("caller_id", shown_number)))
    variables += [
        ("ignore_early_media", "true"),
        ("originate_timeout", str(int(request.ring_timeout_s))),
        (CALL_ID_VARIABLE, check_word("call_id", reference)),
    ]
    if request.account_code:
        variables.append(("accountcode", check_value("account_code", request.account_code)))
    if request.auto_answer:
        variables += AUTO_ANSWER_VARIABLES
    for key, value in request.variables.items():
        if not _VARIABLE_NAME_RE.match(key):
            raise UnsafeValue("a variable name must be letters, digits and '_'")
        if key in DISPLAY_VARIABLES:
            shown = display_text(f"variable {key}", value)
            if shown:
                variables.append((key, shown))
        else:
            variables.append((key, check_value(f"variable {key}", value)))
    return variables


def originate_command(request: OriginateRequest, context: str, reference: str, channel_uuid: str) -> str:
    """The ``bgapi originate ...`` line of ``request`` (the ``Job-UUID`` header is added by the sender).

    :raises UnsafeValue: a value that could change the command; nothing was sent.
    """
    check_dial_string(request.channel)
    check_number("number", request.number)
    check_word("context", context)
    block = ",".join(f"{key}={value}" for key, value in channel_variables(request, reference, channel_uuid))
    return f"bgapi originate {{{block}}}{request.channel} {request.number} XML {context}"


# --- The job's answer ------------------------------------------------------------------

# BACKGROUND_JOB's "-ERR <CAUSE>" -> the call's status (FreeSWITCH hangup causes).
BUSY_CAUSES = frozenset({"USER_BUSY", "CALL_REJECTED"})
NO_ANSWER_CAUSES = frozenset({"NO_ANSWER", "NO_USER_RESPONSE", "ALLOTTED_TIMEOUT", "PROGRESS_TIMEOUT"})
# The call's reason (stored on its row, in English as the Asterisk drivers' are) for the causes that
# mean "this phone cannot be called".
CAUSE_REASONS = {
    "USER_NOT_REGISTERED": "the phone is not registered",
    "SUBSCRIBER_ABSENT": "the PBX's directory has no such user",
    "NO_ROUTE_DESTINATION": "the PBX has no route for the dial string or the context",
    "DESTINATION_OUT_OF_ORDER": "the PBX could not read the dial string",
    "INCOMPATIBLE_DESTINATION": "the phone refused every codec offered",
}


def job_outcome(body: str) -> tuple[CallStatus, str]:
    """What a ``BACKGROUND_JOB`` body of an originate says: the call's final status and why."""
    text = body.strip()
    if text.startswith("+OK"):
        return CallStatus.ANSWERED, "answered"
    cause = text.removeprefix("-ERR").strip().split(" ", 1)[0] if text.startswith("-ERR") else ""
    if cause in BUSY_CAUSES:
        return CallStatus.BUSY, "busy"
    if cause in NO_ANSWER_CAUSES:
        return CallStatus.NO_ANSWER, "no answer"
    if cause in CAUSE_REASONS:
        return CallStatus.FAILED, f"{CAUSE_REASONS[cause]} ({cause})"
    return CallStatus.FAILED, cause or (text[:80] or "the PBX gave no answer")
