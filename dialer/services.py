"""The dial service: one call from a caller's text to the PBX, and the call log it keeps.

:func:`dial` is the dial pipeline of docs/architecture.md: the caller's enabled phone,
the number rewritten for that phone's PBX, the number rules, the
double-click guard and the rate limit, then a ``Call`` row (``queued``)
written *before* the driver is asked, and updated after. Outcomes the
drivers learn later reach :func:`dialer.outcomes.record_outcome`
(registered at start-up), from whichever process and thread hears them:
the row is the one place where a call's status lives.

The API procedures (``dialer.dial``, ``dialer.call_status``,
``dialer.history``) call these functions; they raise the dialer's own
errors (``dialer/errors.py``), never a fault: the RPC server answers each
with its fault code. Driver errors end here: recorded on the row, raised as
:class:`~dialer.errors.PbxUnreachable` or :class:`~dialer.errors.PbxRefused`.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from accounts.models import Extension
from accounts.services import extension_of
from dialer import callerid, limits, outcomes, policy
from dialer.errors import (
    CallNotFound,
    NoExtension,
    NumberNotAllowed,
    PbxRefused,
    PbxUnreachable,
    PhoneUnavailable,
    RateLimited,
)
from dialer.models import Call, CallLogStatus
from dialer.rewrite import RewriteResult
from drivers import registry
from drivers import services as drivers
from drivers.base import (
    DriverError,
    OriginateOutcomeUnknown,
    OriginateRequest,
    OriginateResult,
    PbxUnavailable,
)
from drivers.events import PhoneState
from drivers.models import PbxServer
from events.presence import phone_state_for
from monitoring import metrics

logger = logging.getLogger(__name__)

# How long a double click waits for the first click's row to be written.
_CLAIM_WAIT_S = 2.0
_REASON_LENGTH = Call._meta.get_field("reason").max_length or 200
_NAME_LENGTH = Call._meta.get_field("name").max_length or 120


# --- Answers ---------------------------------------------------------------------


def iso_utc(moment: datetime) -> str:
    """``2026-11-26T13:10:00Z``: the API's dates (UTC, seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def call_as_dict(call: Call) -> dict:
    """A call as ``dialer.call_status`` and ``dialer.history`` answer it (docs/api.md); no None anywhere."""
    return {
        "call_id": str(call.call_id),
        "input": call.text,
        "number": call.number,
        "status": str(call.status),
        "reason": call.reason,
        "direction": str(call.direction),
        "name": call.name,
        "created": iso_utc(call.created),
        "updated": iso_utc(call.updated),
    }


def _dial_answer(call_id: str, number: str, extension: str, status: str, reason: str) -> dict:
    # str(): a plain string, never the enum (XML-RPC marshals only exact types).
    return {
        "call_id": call_id,
        "number": number,
        "extension": extension,
        "status": str(status),
        "reason": reason,
    }


# --- Dialing -----------------------------------------------------------------------


def dial(user: AbstractBaseUser, text: str) -> dict:
    """Ring the caller's own phone, then have the PBX call the number found in ``text``.

    :returns: ``{"call_id", "number", "extension", "status", "reason"}``:
        ``queued`` once the PBX took the call (``answered`` at once for the
        console driver), ``unknown`` when the PBX got the request but never
        confirmed it (it may ring: it is not sent again). Within
        ``ASTITRAY_DIAL_GUARD_SECONDS``, dialing the same number again
        answers the call already placed.
    :raises NoExtension: the caller has no enabled phone.
    :raises InvalidNumber: no number that can be dialed in ``text``
        (:class:`~dialer.rewrite.RewriteError`, with the steps done).
    :raises NumberNotAllowed: a number rule denies it (recorded as ``denied``).
    :raises PhoneUnavailable: the PBX says the caller's phone is unavailable
        (nothing is sent; a phone whose state is not known is dialed).
    :raises RateLimited: over ``ASTITRAY_RATE_LIMIT`` calls in 60 seconds.
    :raises PbxUnreachable, PbxRefused: the PBX could not be reached or refused
        the call (recorded as ``failed``).
    """
    started = time.perf_counter()
    extension = extension_of(user)
    if extension is None or not extension.enabled:
        raise NoExtension()
    pbx = extension.effective_pbx()
    # Without a usable PBX, the phone's (disabled) PBX's dial plan still says what would be dialed.
    result = policy.rewrite_for_pbx(pbx or extension.pbx_of_phone(), text)

    decision = policy.check_number(user, result.number)
    if not decision.allowed:
        _record(user, extension, pbx, text, result, status=CallLogStatus.DENIED, reason=decision.reason)
        logger.info("dial: %s may not call %s: %s", user.get_username(), result.number, decision.reason)
        raise NumberNotAllowed()
    if pbx is not None and phone_state_for(extension) is PhoneState.UNAVAILABLE:
        logger.info("dial: %s's phone %s is unavailable: not dialed", user.get_username(), extension.number)
        raise PhoneUnavailable()

    call_id = str(uuid.uuid4())
    existing = _claim(user, result.number, call_id)
    if existing is not None:
        logger.info("dial: %s dialed %s again: call %s", user.get_username(), result.number, existing.call_id)
        return _dial_answer(
            str(existing.call_id), existing.number, existing.extension, existing.status, existing.reason
        )
    if not limits.take_rate_slot(user.pk):
        limits.release_number(user.pk, result.number, call_id)
        logger.warning("dial: %s is over the rate limit", user.get_username())
        metrics.count_rate_limited("dial")
        raise RateLimited()

    name = _callee_name(result, pbx)
    shown = callerid.caller_id(name, result.number)
    call = _record(user, extension, pbx, text, result, call_id=call_id, caller_id=shown, name=name)
    try:
        with _timed(pbx, started):
            outcome = _originate(call, extension, pbx, shown)
    except OriginateOutcomeUnknown as exc:
        # Sent, perhaps executed: never sent again, and the guard stays so a retry gets this call.
        reason = f"{exc}; the phone may still ring"
        outcomes.finish(call, CallLogStatus.UNKNOWN, reason)
        return _dial_answer(call_id, call.number, call.extension, CallLogStatus.UNKNOWN, reason)
    except (PbxUnreachable, PbxRefused):
        limits.release_number(user.pk, result.number, call_id)  # nothing rang: a retry may dial
        raise

    status = _after_originate(call, outcome)
    return _dial_answer(call_id, call.number, call.extension, status, outcome.reason)


@contextlib.contextmanager
def _timed(pbx: PbxServer | None, started: float) -> Iterator[None]:
    """Observe the dial's time (``astitray_dial_seconds``) once ``pbx`` answered, accepting or not."""
    try:
        yield
    finally:
        if pbx is not None:
            metrics.observe_dial(pbx.name, time.perf_counter() - started)


def _after_originate(call: Call, outcome: OriginateResult) -> str:
    """Update the row with what ``originate()`` answered; the status to answer.

    For the built-in drivers the reference is the call id and the status
    ``queued``: nothing to write (the outcome may even be on the row already).
    A final status (the console driver's) is written with the driver's
    reference and the ``call`` event in one transaction.
    """
    reference = outcome.reference[:128] if outcome.reference != str(call.call_id) else ""
    if outcome.status.is_final:
        status = CallLogStatus(outcome.status.value)
        with transaction.atomic():
            moved = outcomes.finish(
                call, status, outcome.reason, **({"reference": reference} if reference else {})
            )
            if reference and not moved:  # final already (a driver's thread was quicker): the reference still
                Call.objects.filter(pk=call.pk).update(reference=reference)
        return status
    if reference:
        Call.objects.filter(pk=call.pk).update(reference=reference)
        outcomes.apply_pending_outcome(reference)
    return CallLogStatus.QUEUED


def _record(
    user: AbstractBaseUser,
    extension: Extension,
    pbx: PbxServer | None,
    text: str,
    result: RewriteResult,
    *,
    status: str = CallLogStatus.QUEUED,
    reason: str = "",
    call_id: str | None = None,
    caller_id: str = "",
    name: str = "",
) -> Call:
    if status == CallLogStatus.DENIED:
        metrics.count_call(pbx.name if pbx is not None else "", status)
    return Call.objects.create(
        call_id=uuid.UUID(call_id) if call_id else uuid.uuid4(),
        user=user,
        username=user.get_username(),
        extension=extension.number,
        channel=extension.channel,
        pbx=pbx,
        text=text,
        number=result.number,
        caller_id=caller_id,
        name=name[:_NAME_LENGTH],
        status=status,
        reason=reason[:_REASON_LENGTH],
    )


def _callee_name(result: RewriteResult, pbx: PbxServer | None) -> str:
    """The phonebook's name for the number being called (its international form when it has one)."""
    country = pbx.country if pbx is not None else settings.ASTITRAY_DEFAULT_COUNTRY
    return callerid.name_for(result.e164 or result.number, country)


def _claim(user: AbstractBaseUser, number: str, call_id: str) -> Call | None:
    """None once ``number`` is claimed for the new call ``call_id``; else the user's call holding it."""
    for _attempt in range(2):
        holder = limits.claim_number(user.pk, number, call_id)
        if holder is None:
            return None
        existing = _wait_for_call(user, holder)
        if existing is not None:
            return existing
        # The first click's row never appeared: it failed before writing it. This click dials.
        limits.release_number(user.pk, number, holder)
    return None


def _originate(call: Call, extension: Extension, pbx: PbxServer | None, shown: str) -> OriginateResult:
    """Ask the PBX for ``call``; driver errors are recorded on the row and raised as the dialer's.

    :raises PbxUnreachable: no PBX, an unusable driver, or the PBX cannot be reached or refused our login.
    :raises PbxRefused: the PBX refused the call, or the driver failed.
    :raises OriginateOutcomeUnknown: sent, but never confirmed (the row is left to the caller).
    """
    if pbx is None:
        _fail(call, "no enabled PBX for this phone")
        raise PbxUnreachable()
    try:
        driver = drivers.get_driver(pbx)
    except (registry.UnknownDriver, ValueError) as exc:  # the PBX's driver or its options are unusable
        logger.error("dial: PBX %s cannot be used: %s", pbx.name, exc)
        _fail(call, "the PBX's driver is not usable; see the server log")
        raise PbxUnreachable() from None
    try:
        request = OriginateRequest(
            channel=extension.channel,
            number=call.number,
            context=pbx.context,
            caller_id=shown,
            ring_timeout_s=pbx.ring_timeout_s,
            account_code=extension.account_code,
            variables=_variables(extension),
            auto_answer=extension.auto_answer,
            call_id=str(call.call_id),
        )
        return driver.originate(request)
    except OriginateOutcomeUnknown:
        logger.warning("dial: call %s was sent to PBX %s but not confirmed", call.call_id, pbx.name)
        raise
    except PbxUnavailable as exc:  # also PbxAuthFailed
        _fail(call, str(exc))
        raise PbxUnreachable() from None
    except DriverError as exc:  # PbxPermissionDenied, OriginateRejected and its kinds, UnsafeValue
        _fail(call, str(exc))
        raise PbxRefused() from None
    except Exception:
        # A third-party driver's bug: the row must not stay "queued" and the caller gets an error.
        logger.exception("dial: the %s driver failed on call %s", pbx.driver, call.call_id)
        _fail(call, "the PBX driver failed; see the server log")
        raise PbxRefused() from None


def _variables(extension: Extension) -> dict[str, str]:
    """Channel variables for the dialplan: who is calling, what the called party should see."""
    return {
        "ASTITRAY_EXTENSION": extension.number,
        "ASTITRAY_CALLERID": extension.caller_id or f"<{extension.number}>",
    }


def _fail(call: Call, reason: str) -> None:
    logger.warning("dial: call %s failed: %s", call.call_id, reason)
    outcomes.finish(call, CallLogStatus.FAILED, reason)


def _wait_for_call(user: AbstractBaseUser, call_id: str) -> Call | None:
    """The user's call ``call_id``, waiting briefly: a concurrent first click may still be writing it."""
    deadline = time.monotonic() + _CLAIM_WAIT_S
    while True:
        call = Call.objects.filter(call_id=call_id, user=user).first()
        if call is not None or time.monotonic() >= deadline:
            return call
        time.sleep(0.05)


# --- The caller's own calls --------------------------------------------------------


def call_status(user: AbstractBaseUser, call_id: uuid.UUID) -> dict:
    """The user's call ``call_id`` (see :func:`call_as_dict`).

    :raises CallNotFound: no such call, or another user's (the same error: nothing tells them apart).
    """
    call = Call.objects.select_related("pbx").filter(call_id=call_id, user=user).first()
    if call is None:
        raise CallNotFound()
    outcomes.expire(call, timezone.now())
    return call_as_dict(call)


def history(user: AbstractBaseUser, limit: int = 20) -> list[dict]:
    """The user's last ``limit`` calls, newest first (see :func:`call_as_dict`)."""
    calls = list(Call.objects.select_related("pbx").filter(user=user).order_by("-created", "-pk")[:limit])
    now = timezone.now()
    for call in calls:
        outcomes.expire(call, now)
    return [call_as_dict(call) for call in calls]
