"""Phone presence: the state of each phone, as the PBX event listener last saw it, in the shared cache.

The listener (``manage.py pbx_events``) calls :func:`set_phone_state` for
every ``PhoneChanged`` of a PBX and for every phone of a resynchronisation's
snapshot; the API reads it back: ``accounts.whoami``'s ``phone``, the
refusal of ``dialer.dial`` when the caller's phone is unavailable, the
``presence`` of colleagues in ``phonebook.search``/``lookup``.

States live in Django's cache (Redis when ``CACHE_URL`` names one, so
every process and host shares them), under the PBX and the phone's name as
the PBX compares it (``pjsip/1001``), and also under ``exten:1001`` so that an
Extension dialed through ``Local/1001@context`` finds the phone that number
rings (:func:`drivers.events.match_keys`). A phone never seen reads
``unknown``, as does everything when the cache is cold or per-process.

Right after a PBX boots every phone reads unavailable until it is
qualified again (about 6 s on Asterisk): the listener passes
``settle_until`` (epoch seconds), and until then an ``unavailable`` state
reads ``unknown`` (the PBX's state is not known yet), so that no dial is
refused on it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from django.core.cache import cache

from drivers.events import PhoneState, endpoints_of, match_keys

if TYPE_CHECKING:
    from drivers.models import PbxServer

_PREFIX = "astitray:presence:"
# A state is kept until the listener says otherwise (it says everything again after each reconnection).
_TIMEOUT = None
# When a phone has several endpoints (PJSIP/1001&PJSIP/1002), the first state of this order found.
_PRECEDENCE = (
    PhoneState.IN_USE,
    PhoneState.RINGING,
    PhoneState.IDLE,
    PhoneState.UNKNOWN,
    PhoneState.UNAVAILABLE,
)


class Phone(Protocol):
    """What presence needs of an Extension (``accounts.models.Extension``)."""

    channel: str

    def pbx_of_phone(self) -> object | None: ...


def _key(pbx_id: int, match_key: str) -> str:
    return f"{_PREFIX}{pbx_id}:{match_key}"


def set_phone_state(pbx_id: int, endpoint: str, state: PhoneState, settle_until: float = 0.0) -> None:
    """Record that the phone ``endpoint`` (``PJSIP/1001``) of PBX ``pbx_id`` is now ``state``.

    ``settle_until``: the epoch time until which an ``unavailable`` state is
    not to be trusted (the PBX has just booted); 0 when it is.
    """
    value = f"{PhoneState(state).value}|{settle_until:.3f}"
    keys = match_keys(endpoint)
    if keys:
        cache.set_many({_key(pbx_id, key): value for key in keys}, timeout=_TIMEOUT)


def decode(value: object, now: float) -> PhoneState:
    """A stored state as the API reports it at ``now`` (an unsettled ``unavailable`` reads ``unknown``)."""
    if not isinstance(value, str):
        return PhoneState.UNKNOWN
    raw, _, settle = value.partition("|")
    try:
        state = PhoneState(raw)
        settle_until = float(settle or 0)
    except ValueError:
        return PhoneState.UNKNOWN
    if state is PhoneState.UNAVAILABLE and now < settle_until:
        return PhoneState.UNKNOWN
    return state


def combine(states: Iterable[PhoneState]) -> PhoneState:
    """One state for a phone that rings several endpoints: the busiest; unknown when nothing is known."""
    found = set(states)
    return next((state for state in _PRECEDENCE if state in found), PhoneState.UNKNOWN)


def phone_keys_on(pbx_id: int | None, channel: str) -> list[str]:
    """The cache keys of the endpoints ``channel`` rings on PBX ``pbx_id`` (empty: no PBX, no endpoint)."""
    if pbx_id is None:
        return []
    keys = []
    for endpoint in endpoints_of(channel):
        match = match_keys(endpoint)
        if match:
            keys.append(_key(pbx_id, match[0]))  # the most precise: the endpoint itself, else exten:N
    return keys


def phone_keys(phone: Phone) -> list[str]:
    """The cache keys of the endpoints ``phone``'s channel rings, on the PBX it is on."""
    return phone_keys_on(getattr(phone.pbx_of_phone(), "pk", None), phone.channel)


def states_of(keys_by_phone: dict[str, list[str]]) -> dict[str, PhoneState]:
    """The state of each phone named in ``keys_by_phone`` (from :func:`phone_keys`), in one cache read."""
    wanted = sorted({key for keys in keys_by_phone.values() for key in keys})
    found = cache.get_many(wanted) if wanted else {}
    now = time.time()
    return {
        name: combine(decode(found.get(key), now) for key in keys) if keys else PhoneState.UNKNOWN
        for name, keys in keys_by_phone.items()
    }


def phone_state_for(extension: Phone) -> PhoneState:
    """The state of ``extension``'s phone; ``unknown`` when its PBX never said (or it has no PBX)."""
    return states_of({"phone": phone_keys(extension)})["phone"]


def phone_state_on(pbx: PbxServer | None, extension: Phone) -> PhoneState:
    """:func:`phone_state_for`, when the caller already has ``extension.pbx_of_phone()`` (``pbx``)."""
    keys = phone_keys_on(pbx.pk if pbx is not None else None, extension.channel)
    return states_of({"phone": keys})["phone"]
