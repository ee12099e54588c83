"""The counters and histograms of Astitray, and one small function per thing counted.

Every process counts in its own memory; under gunicorn (and beside it, the
PBX listener and the phonebook import) ``PROMETHEUS_MULTIPROC_DIR`` makes
``prometheus_client`` keep each process's figures in a file of that
directory, which ``GET /metrics`` adds up (docs/deploying.md, "Metrics").
Counting costs a few microseconds: it is done on the request path.

Label values are bounded: procedure names are the registered ones (else
``unknown``), statuses and fault codes come from fixed lists, PBX names are
what admins typed (cut to :data:`MAX_LABEL`).
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Histogram

MAX_LABEL = 80
# What a PBX label reads for calls that no PBX served (no enabled PBX for the caller).
NO_PBX = "none"
# The fault label of RPC calls that succeeded; the procedure label of requests refused whole.
NO_FAULT = "none"
NO_PROCEDURE = "none"

CALLS = Counter(
    "astitray_calls",
    "Outgoing calls by the status they reached (answered, busy, no_answer, failed, denied, unknown) and PBX.",
    ["pbx", "status"],
)
DIAL_SECONDS = Histogram(
    "astitray_dial_seconds",
    "Time dialer.dial took for calls sent to a PBX, from the request to the PBX's acceptance.",
    ["pbx"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
RPC_CALLS = Counter(
    "astitray_rpc_calls",
    "RPC calls by procedure and fault code ('none': answered without a fault).",
    ["procedure", "fault"],
)
AUTH_FAILURES = Counter(
    "astitray_auth_failures",
    "Refused logins, by the authentication source that refused them ('lockout': refused by the "
    "lockout before any source was asked); a login every source refused counts once per source.",
    ["backend"],
)
LOCKOUTS = Counter(
    "astitray_auth_lockouts",
    "Lockouts started (too many failed logins), by where the last attempt came from (rpc, admin).",
    ["via"],
)
RATE_LIMITED = Counter(
    "astitray_rate_limited",
    "Requests refused by a rate limit, by limit (dial: ASTITRAY_RATE_LIMIT).",
    ["limit"],
)
PHONEBOOK_IMPORTS = Counter(
    "astitray_phonebook_imports",
    "Phonebook imports by source (ldap, sql, file) and result (ok, dry_run, failed).",
    ["source", "result"],
)
PHONEBOOK_IMPORT_SECONDS = Histogram(
    "astitray_phonebook_import_seconds",
    "How long phonebook imports took, by source.",
    ["source"],
    buckets=(0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0),
)
PHONEBOOK_CONTACTS = Counter(
    "astitray_phonebook_import_contacts",
    "Contacts changed by phonebook imports (not dry runs), by source and change "
    "(created, updated, removed, unchanged, skipped).",
    ["source", "change"],
)
PBX_CONNECTIONS = Counter(
    "astitray_pbx_connection_changes",
    "The PBX listener's connection to a PBX went up or down (a reconnection is a down then an up).",
    ["pbx", "change"],
)


def _label(value: str) -> str:
    return (value or NO_PBX)[:MAX_LABEL]


def count_call(pbx: str, status: str) -> None:
    """A call reached ``status`` (``pbx``: the PBX's name, "" when none)."""
    CALLS.labels(_label(pbx), status).inc()


def observe_dial(pbx: str, seconds: float) -> None:
    """A dial sent to ``pbx`` was accepted (or refused by it) after ``seconds``."""
    DIAL_SECONDS.labels(_label(pbx)).observe(seconds)


def count_rpc(procedure: str, fault: int | None) -> None:
    """One RPC call of ``procedure`` (a registered name, else "unknown") answered with ``fault``."""
    RPC_CALLS.labels(procedure, NO_FAULT if fault is None else str(fault)).inc()


def count_auth_failure(backends: list[str]) -> None:
    """A login refused by each of ``backends`` (or ``["lockout"]``)."""
    for backend in backends:
        AUTH_FAILURES.labels(backend[:MAX_LABEL]).inc()


def count_lockout(via: str) -> None:
    LOCKOUTS.labels(via).inc()


def count_rate_limited(limit: str) -> None:
    RATE_LIMITED.labels(limit).inc()


def count_import(source: str, result: str, seconds: float, changes: Mapping[str, int]) -> None:
    """A phonebook import of ``source`` ended with ``result`` after ``seconds``; ``changes`` by kind."""
    PHONEBOOK_IMPORTS.labels(source, result).inc()
    PHONEBOOK_IMPORT_SECONDS.labels(source).observe(seconds)
    for change, count in changes.items():
        if count:
            PHONEBOOK_CONTACTS.labels(source, change).inc(count)


def count_pbx_connection(pbx: str, up: bool) -> None:
    """The listener's connection to ``pbx`` went up (``up``) or down."""
    PBX_CONNECTIONS.labels(_label(pbx), "up" if up else "down").inc()
