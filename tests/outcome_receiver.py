"""Tests hear call outcomes in place of the dial service: ``with outcomes_to(handler): ...``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

from dialer.outcomes import OUTCOME_RECEIVER, on_call_outcome
from drivers.base import CallStatus
from drivers.signals import call_outcome


@contextlib.contextmanager
def outcomes_to(handler: Callable[[str, CallStatus, str], None]) -> Iterator[None]:
    """Within the block, :data:`~drivers.signals.call_outcome` goes to ``handler`` instead of dialer's."""

    def receiver(
        sender: object, *, reference: str, status: CallStatus, reason: str, **kwargs: object
    ) -> None:
        handler(reference, status, reason)

    call_outcome.disconnect(dispatch_uid=OUTCOME_RECEIVER)
    call_outcome.connect(receiver, dispatch_uid=OUTCOME_RECEIVER, weak=False)
    try:
        yield
    finally:
        call_outcome.disconnect(dispatch_uid=OUTCOME_RECEIVER)
        call_outcome.connect(on_call_outcome, dispatch_uid=OUTCOME_RECEIVER)
