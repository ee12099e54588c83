"""One active listener per PBX: a lease row in the shared database, taken over once it expires.

Every ``manage.py pbx_events`` process (one per host, for failover) tries
:func:`acquire` for each PBX; one conditional UPDATE decides, so exactly
one holds a PBX at a time. The holder renews it every :data:`RENEW_S`;
when it dies, its lease expires :data:`LEASE_S` seconds after its last
renewal and a standby takes over at its next try (every
:data:`STANDBY_POLL_S`): within 10 seconds. A holder that finds it lost
the lease (it was too slow to renew) stops listening at once. A process
stopped cleanly releases its leases, so another takes over without waiting.
Hosts' clocks must agree (NTP), as for any lease.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from events.models import ListenerLease

LEASE_S = 6.0
RENEW_S = 2.0
STANDBY_POLL_S = 1.0
_ERROR_LENGTH = ListenerLease._meta.get_field("last_error").max_length or 200


def holder_name() -> str:
    """``host:pid``: who holds a lease, as the PBX's admin page shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(pbx_id: int, holder: str, lease_s: float = LEASE_S) -> bool:
    """Take (or keep) the lease of PBX ``pbx_id`` for ``holder`` unless another live holder has it."""
    now = timezone.now()
    try:
        with transaction.atomic():
            ListenerLease.objects.get_or_create(pbx_id=pbx_id, defaults={"expires_at": now})
    except IntegrityError:
        pass  # another process created it at the same moment: the UPDATE below decides
    free = Q(holder=holder) | Q(expires_at__lt=now) | Q(holder="")
    mine = ListenerLease.objects.filter(pbx_id=pbx_id, holder=holder).exists()
    changes: dict[str, object] = {"holder": holder, "expires_at": now + timedelta(seconds=lease_s)}
    if not mine:
        changes.update(connected=False, connected_since=None)  # the new holder has not connected yet
    return bool(ListenerLease.objects.filter(free, pbx_id=pbx_id).update(**changes))


def renew(pbx_id: int, holder: str, lease_s: float = LEASE_S) -> bool:
    """Extend ``holder``'s lease; False when it is no longer theirs (stop listening)."""
    until = timezone.now() + timedelta(seconds=lease_s)
    return bool(ListenerLease.objects.filter(pbx_id=pbx_id, holder=holder).update(expires_at=until))


def release(pbx_id: int, holder: str) -> None:
    """Give the lease up now (a clean stop): another listener takes over at its next try."""
    ListenerLease.objects.filter(pbx_id=pbx_id, holder=holder).update(
        holder="", expires_at=timezone.now(), connected=False, connected_since=None
    )


def record_connection(pbx_id: int, holder: str, connected: bool, error: str = "") -> None:
    """What the PBX's admin page and ``/readyz`` say: connected since now, or not (and why)."""
    changes: dict[str, object] = {"connected": connected, "last_error": error[:_ERROR_LENGTH]}
    changes["connected_since"] = timezone.now() if connected else None
    ListenerLease.objects.filter(pbx_id=pbx_id, holder=holder).update(**changes)


def live_states() -> dict[int, bool]:
    """Connected or not, by PBX id, for the PBXs a live listener holds now."""
    now = timezone.now()
    rows = ListenerLease.objects.filter(expires_at__gte=now).exclude(holder="")
    return dict(rows.values_list("pbx_id", "connected"))
