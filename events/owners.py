"""Whose phone is it: the users of a PBX's phones, from their Extensions (never from a client).

The listener asks :class:`Owners` for the users of the phone a PBX event
names (``PJSIP/1001``). An Extension belongs to the PBX it names, else to
the default PBX; its channel's endpoints are matched as the PBX compares
them (:func:`drivers.events.match_keys`): ``PJSIP/1001`` by itself, and a
``Local/1001@context`` channel by its number. Only enabled Extensions of
active users count. The table is read again every :data:`REFRESH_S`, and
at most once every :data:`MISS_REFRESH_S` when a phone is not in it (a
phone just given to someone rings at once).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.db.models import Q

from accounts.models import Extension
from drivers.events import endpoints_of, match_keys
from drivers.models import PbxServer

REFRESH_S = 30.0
MISS_REFRESH_S = 1.0


@dataclass(frozen=True)
class Owner:
    """A user whose phone rang: what a Call row needs of them."""

    user_id: int
    username: str
    extension: str
    channel: str


class Owners:
    """The users of one PBX's phones, by match key; re-read every :data:`REFRESH_S` seconds."""

    def __init__(self, pbx_id: int, refresh_s: float = REFRESH_S) -> None:
        self.pbx_id = pbx_id
        self.refresh_s = refresh_s
        self._by_key: dict[str, list[Owner]] = {}
        self._read_at: float | None = None

    def of(self, endpoint: str) -> list[Owner]:
        """The users whose phone ``endpoint`` is (each once), none for a phone nobody has."""
        if self._read_at is None or time.monotonic() - self._read_at >= self.refresh_s:
            self.reload()
        found = self._find(endpoint)
        if not found and time.monotonic() - (self._read_at or 0.0) >= MISS_REFRESH_S:
            self.reload()
            found = self._find(endpoint)
        return found

    def _find(self, endpoint: str) -> list[Owner]:
        found: dict[int, Owner] = {}
        for key in match_keys(endpoint):
            for owner in self._by_key.get(key, ()):
                found.setdefault(owner.user_id, owner)
        return list(found.values())

    def endpoints(self) -> list[str]:
        """The phones of this PBX that somebody has (as their channels name them)."""
        if self._read_at is None:
            self.reload()
        return sorted(
            {e for owners in self._by_key.values() for o in owners for e in endpoints_of(o.channel)}
        )

    def reload(self) -> None:
        """Read the Extensions again (now)."""
        self._by_key = _read(self.pbx_id)
        self._read_at = time.monotonic()


def _read(pbx_id: int) -> dict[str, list[Owner]]:
    default = PbxServer.objects.default()
    here = Q(pbx_id=pbx_id)
    if default is not None and default.pk == pbx_id:
        here |= Q(pbx__isnull=True)
    table: dict[str, list[Owner]] = {}
    rows = Extension.objects.filter(here, enabled=True, user__is_active=True).values_list(
        "user_id", "user__username", "number", "channel"
    )
    for user_id, username, number, channel in rows:
        owner = Owner(user_id, username, number, channel)
        for endpoint in endpoints_of(channel):
            keys = match_keys(endpoint)
            if keys:
                table.setdefault(keys[0], []).append(owner)  # the most precise: the phone, else exten:N
    return table
