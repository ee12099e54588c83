"""``GET /healthz`` (liveness) and ``GET /readyz`` (readiness), for probes, proxies and systemd.

- ``/healthz``: the process answers; nothing else is asked (never the
  database): ``{"status": "ok"}``.
- ``/readyz``: the database and the cache each answer a trivial request, and
  each enabled PBX's connection state as the PBX listener last recorded it
  (:func:`pbx_states`; the PBX itself is never contacted by a probe).
  HTTP 503 when the database or the cache is down; 200 otherwise, a PBX that
  is down included (dialing through the others still works).

Plain JSON, no authentication, nothing secret: no host name, address,
user name or error text, only the PBXs' ids and the names admins gave them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse

from drivers.models import PbxServer
from events.lease import live_states

logger = logging.getLogger(__name__)

UP, DOWN, UNKNOWN = "up", "down", "unknown"
_CACHE_KEY = "astitray:readyz:" + uuid.uuid4().hex  # one per process: probes never race each other


@dataclass(frozen=True)
class PbxState:
    """What ``/readyz`` and ``/metrics`` say of one enabled PBX."""

    pbx_id: int
    name: str
    state: str  # UP, DOWN or UNKNOWN

    def as_dict(self) -> dict:
        return {"id": self.pbx_id, "name": self.name, "state": self.state}


def pbx_states() -> list[PbxState]:
    """Each enabled PBX with the state of the listener's connection to it.

    ``unknown`` when no listener holds the PBX now (none runs, or it just
    died): a probe never connects to a PBX, and never guesses.
    """
    listened = _listener_states()
    return [
        PbxState(pbx_id, name, listened.get(pbx_id, UNKNOWN))
        for pbx_id, name in PbxServer.objects.filter(enabled=True).order_by("name").values_list("pk", "name")
    ]


def _listener_states() -> dict[int, str]:
    """UP or DOWN by PBX id, for the PBXs a live listener holds (its lease not expired)."""
    return {pbx_id: UP if connected else DOWN for pbx_id, connected in live_states().items()}


def database_up() -> bool:
    """Whether the database answers ``SELECT 1`` now."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # a probe's boundary: any failure is "down"
        logger.warning("readyz: the database does not answer: %s", type(exc).__name__)
        return False
    return True


def cache_up() -> bool:
    """Whether the cache stores and returns a value now."""
    try:
        cache.set(_CACHE_KEY, 1, timeout=10)
        return cache.get(_CACHE_KEY) == 1
    except Exception as exc:  # a probe's boundary: any failure is "down"
        logger.warning("readyz: the cache does not answer: %s", type(exc).__name__)
        return False


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers."""
    return _no_store(JsonResponse({"status": "ok"}))


def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: database, cache and PBX states; 503 when the database or the cache is down."""
    database = database_up()
    caching = cache_up()
    pbxs: list[dict] = []
    if database:
        try:
            pbxs = [state.as_dict() for state in pbx_states()]
        except Exception as exc:  # the database went away between the two requests
            logger.warning("readyz: the PBXs could not be read: %s", type(exc).__name__)
            database = False
    ready = database and caching
    body = {
        "status": "ok" if ready else "unavailable",
        "database": UP if database else DOWN,
        "cache": UP if caching else DOWN,
        "pbx": pbxs,
    }
    return _no_store(JsonResponse(body, status=200 if ready else 503))
