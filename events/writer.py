"""What the tracker decided, written down: Call rows, the users' events, the phones' states.

:class:`Writer` is the Django side of one PBX's listener. For each effect
of :class:`events.tracker.CallTracker`:

- :class:`~events.tracker.Incoming`: one incoming Call row per user whose
  phone it is (``direction`` ``in``, ``missed`` with reason
  :data:`RINGING` while it rings) and an ``incoming`` event for them;
- :class:`~events.tracker.Settled`: that row becomes ``answered`` or
  keeps ``missed`` with why, and the user gets ``answered`` (``by_me``)
  or ``missed``;
- :class:`~events.tracker.Outcome`: our outgoing call's row of this PBX
  moves to its final status (the ``call`` event follows from
  :data:`dialer.signals.call_status_changed`);
- :class:`~events.tracker.Presence`: the phone's state in the shared cache.

Every write is conditional on the row's state, so a repeat, a second
listener or a resynchronisation after a reconnection never gives an event
twice. A user gets rows and events only for their own phone's legs.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from dialer import outcomes
from dialer.callerid import clean_name
from dialer.models import Call, CallDirection, CallLogStatus
from drivers.base import CallStatus
from drivers.events import LegState, PhoneState, ProblemLog, Snapshot, endpoints_of, match_keys
from drivers.models import PbxServer
from events import presence
from events.models import EventType, ListenerLease
from events.owners import Owner, Owners
from events.publish import event_payload, publish
from events.tracker import ANSWERED_ELSEWHERE, ENDED_UNSEEN, Effect, Incoming, Outcome, Presence, Settled
from phonebook.services import lookup

logger = logging.getLogger(__name__)

# The reason of an incoming row while its phone rings (its status is already "missed": the API
# knows only answered and missed for incoming calls; a ring nobody answers leaves it so).
RINGING = "ringing"
ENDED_AWAY = "the call ended while the listener was not connected"
# A queued outgoing call this much older than the snapshot, absent from it, has ended unseen.
_RESYNC_MARGIN_S = 10.0
_NAME_LENGTH = Call._meta.get_field("name").max_length or 120
_NUMBER_LENGTH = Call._meta.get_field("number").max_length or 40
_KEY_LENGTH = Call._meta.get_field("call_key").max_length or 128
_CALLERS_KEPT = 2000
_SWEEP_AT_MOST = 500


@dataclass(frozen=True)
class Caller:
    """Who calls, as the user is told: the phonebook's contact, else the caller-ID name."""

    number: str
    name: str = ""
    company: str = ""
    contact_id: int = 0


class Writer:
    """Writes one PBX's effects (one thread: the PBX's listener)."""

    def __init__(self, pbx: PbxServer, owners: Owners | None = None, holder: str = "") -> None:
        self.pbx = pbx
        self.owners = owners or Owners(pbx.pk)
        # With a holder, a new incoming row is written only while its lease is still the holder's
        # (checked in the row's transaction, the lease row locked): a listener that lost its lease
        # without knowing yet writes nothing twice.
        self.holder = holder
        self.problems = ProblemLog(logger)
        self._callers: dict[tuple[str, str], Caller] = {}

    def apply(self, effects: Iterable[Effect]) -> None:
        """Write each effect, in order."""
        for effect in effects:
            if isinstance(effect, Incoming):
                self.incoming(effect)
            elif isinstance(effect, Settled):
                self.settled(effect)
            elif isinstance(effect, Outcome):
                self.outcome(effect)
            elif isinstance(effect, Presence):
                presence.set_phone_state(self.pbx.pk, effect.endpoint, effect.state, effect.settle_until)

    # --- Incoming calls ----------------------------------------------------------------

    def incoming(self, effect: Incoming) -> None:
        """A row and an ``incoming`` event for each user of the phone (once per call)."""
        owners = self.owners.of(effect.endpoint)
        if not owners:
            return  # a trunk, a phone nobody has: nobody to tell
        caller = self.caller(effect.caller_number, effect.caller_name)
        for owner in owners:
            with transaction.atomic():
                self._ring(owner, effect.call_key[:_KEY_LENGTH], caller)

    def _ring(self, owner: Owner, call_key: str, caller: Caller) -> None:
        if self.holder and not self._still_holding():
            self.problems.report("lease lost", "PBX %s: the lease is another listener's now", self.pbx.pk)
            return
        row = self._rows(call_key, owner.user_id).select_for_update().first()
        if row is None:
            row = Call.objects.create(
                user_id=owner.user_id, username=owner.username, extension=owner.extension,
                channel=owner.channel, pbx=self.pbx, direction=CallDirection.IN,
                number=caller.number[:_NUMBER_LENGTH], name=caller.name[:_NAME_LENGTH],
                status=CallLogStatus.MISSED, reason=RINGING, call_key=call_key,
            )  # fmt: skip
        elif row.status == CallLogStatus.MISSED and row.reason != RINGING:
            # Rung again after it stopped (a queue's next round): it rings again.
            Call.objects.filter(pk=row.pk).update(reason=RINGING, updated=timezone.now())
        else:
            return  # rings already, or answered: a repeat, or a second phone of the same user
        self._tell(row, EventType.INCOMING, caller)

    def _still_holding(self) -> bool:
        held = ListenerLease.objects.select_for_update().filter(pbx=self.pbx, holder=self.holder)
        return held.filter(expires_at__gte=timezone.now()).exists()

    def settled(self, effect: Settled) -> None:
        """The ringing row of each user of the phone: answered or missed, and the user told."""
        for owner in self.owners.of(effect.endpoint):
            row = self._rows(effect.call_key[:_KEY_LENGTH], owner.user_id).filter(reason=RINGING).first()
            if row is not None:
                self._settle(row, effect.answered, effect.by_me, effect.reason)

    def _settle(self, row: Call, answered: bool, by_me: bool, reason: str) -> None:
        status = CallLogStatus.ANSWERED if answered else CallLogStatus.MISSED
        moved = Call.objects.filter(pk=row.pk, reason=RINGING, status=CallLogStatus.MISSED).update(
            status=status, reason=reason, updated=timezone.now()
        )
        if moved:
            kind = EventType.ANSWERED if answered else EventType.MISSED
            self._tell(row, kind, self.caller(row.number, row.name), status=status, by_me=by_me)

    def _rows(self, call_key: str, user_id: int):  # -> QuerySet[Call]
        return Call.objects.filter(
            pbx=self.pbx, call_key=call_key, user_id=user_id, direction=CallDirection.IN
        ).order_by("pk")

    def _tell(self, row: Call, kind: str, caller: Caller, status: str = "", by_me: bool = False) -> None:
        assert row.user_id is not None
        payload = event_payload(
            kind, call_id=str(row.call_id), number=caller.number, name=caller.name,
            company=caller.company, contact_id=caller.contact_id, status=status, by_me=by_me,
        )  # fmt: skip
        publish(row.user_id, kind, payload)

    def caller(self, number: str, pbx_name: str) -> Caller:
        """Who ``number`` is: the phonebook's contact, else the PBX's caller-ID name (kept a while)."""
        key = (number, pbx_name)
        found = self._callers.get(key)
        if found is None:
            if len(self._callers) >= _CALLERS_KEPT:
                self._callers.clear()
            found = self._callers[key] = self._look_up(number, pbx_name)
        return found

    def _look_up(self, number: str, pbx_name: str) -> Caller:
        number = clean_name(number, _NUMBER_LENGTH)
        contact = lookup(number, self.pbx.country) if number else None
        if contact is not None:
            return Caller(number, clean_name(contact.name or contact.company), contact.company, contact.pk)
        name = clean_name(pbx_name, _NAME_LENGTH)
        if name.lower() in ("<unknown>", "unknown", "anonymous") or name == number:
            name = ""
        return Caller(number, name)

    def forget_callers(self) -> None:
        """Look names up afresh (the phonebook may have changed)."""
        self._callers.clear()

    # --- Our outgoing calls ------------------------------------------------------------

    def outcome(self, effect: Outcome) -> None:
        """Our call's row of this PBX moves to its final status (unless it has one)."""
        try:
            call_id = uuid.UUID(effect.call_id)
            status = CallLogStatus(CallStatus(effect.status).value)
        except ValueError:
            self.problems.report(
                "bad outcome", "PBX %s: an outcome for %r ignored", self.pbx.pk, effect.call_id
            )
            return
        calls = Call.objects.filter(pbx=self.pbx, call_id=call_id, direction=CallDirection.OUT)
        outcomes.move(calls, status, effect.reason or str(status))

    # --- Resynchronisation and sweep ------------------------------------------------------

    def resync(self, snapshot: Snapshot) -> None:
        """Settle what ended while nobody listened, from what the PBX says exists now."""
        live = snapshot.live_calls()
        at = timezone.now()
        if snapshot.others != PhoneState.UNKNOWN:  # the PBX says what the phones it did not list are
            listed = {key for phone in snapshot.phones for key in match_keys(phone)}
            for endpoint in self.owners.endpoints():
                if not listed & set(match_keys(endpoint)):
                    presence.set_phone_state(self.pbx.pk, endpoint, snapshot.others)
        for row in Call.objects.filter(pbx=self.pbx, direction=CallDirection.IN, reason=RINGING):
            if row.call_key not in live:
                self._settle(row, False, False, ENDED_AWAY)
                continue
            legs = [leg for leg in snapshot.legs if leg.call_key == row.call_key]
            mine = _phone_keys(row.channel)
            if any(mine & set(match_keys(leg.endpoint)) for leg in legs):
                continue  # its phone still has its leg: the tracker's effects decide
            answered = any(leg.state == LegState.UP for leg in legs)
            self._settle(row, answered, False, ANSWERED_ELSEWHERE if answered else ENDED_UNSEEN)
        known = {*live, *snapshot.call_ids()}
        limit = at - timedelta(seconds=self.pbx.timeout_s + _RESYNC_MARGIN_S)
        queued = Call.objects.filter(
            pbx=self.pbx, direction=CallDirection.OUT, status=CallLogStatus.QUEUED, created__lt=limit
        ).values_list("pk", "call_id")
        gone = [pk for pk, call_id in queued if str(call_id) not in known]
        if gone:
            outcomes.move(Call.objects.filter(pk__in=gone), CallLogStatus.UNKNOWN, ENDED_AWAY)

    def sweep(self, held: frozenset[str], stale_after_s: float = 120.0) -> None:
        """Queued calls past any outcome become unknown; rows ringing for calls nobody holds, missed."""
        now = timezone.now()
        calls = Call.objects.filter(pbx=self.pbx, direction=CallDirection.OUT)
        outcomes.expire_queued(calls, self.pbx.ring_timeout_s, self.pbx.timeout_s, now)
        ringing = Call.objects.filter(
            pbx=self.pbx, direction=CallDirection.IN, reason=RINGING,
            updated__lt=now - timedelta(seconds=stale_after_s),
        )  # fmt: skip
        for row in ringing[:_SWEEP_AT_MOST]:
            if row.call_key not in held:
                self._settle(row, False, False, ENDED_UNSEEN)


def _phone_keys(channel: str) -> set[str]:
    """The match keys of the phones a channel rings (as :mod:`events.owners` files them)."""
    return {keys[0] for keys in map(match_keys, endpoints_of(channel)) if keys}
