"""The figures of the admin's "Call statistics" page, read from the call log in a few queries.

- :func:`calls_per_day`: the last ``days`` days (the installation's time
  zone, ``TIME_ZONE``), each day's calls by status group.
- :func:`top_callers`: who placed the most calls in that period.
- :func:`failing_per_pbx`: per PBX, the calls sent to it and how many failed.

Days are cut in Python (their bounds in the local time zone, daylight saving
time included) and counted by the database with one conditional count per
day: the same on SQLite, PostgreSQL and MariaDB, whatever time zone tables
the database has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dialer.models import Call, CallDirection, CallLogStatus

# The groups of the daily chart, in drawing order; "other": unknown, or still ringing.
GROUPS = ("answered", "no_answer", "busy", "failed", "denied", "other")
_GROUP_OF = {
    CallLogStatus.ANSWERED: "answered",
    CallLogStatus.NO_ANSWER: "no_answer",
    CallLogStatus.BUSY: "busy",
    CallLogStatus.FAILED: "failed",
    CallLogStatus.DENIED: "denied",
    CallLogStatus.UNKNOWN: "other",
    CallLogStatus.QUEUED: "other",
}


@dataclass
class Day:
    """One day's calls by group (:data:`GROUPS`)."""

    day: date
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(GROUPS, 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Caller:
    username: str
    name: str
    calls: int
    answered: int


@dataclass(frozen=True)
class PbxFailures:
    name: str
    sent: int  # calls sent to the PBX (denied ones never are)
    failed: int

    @property
    def share(self) -> float:
        return self.failed / self.sent if self.sent else 0.0


def day_bounds(days: int, now: datetime | None = None) -> list[tuple[date, datetime, datetime]]:
    """(day, start, end) of the last ``days`` local days, oldest first, today last."""
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now or timezone.now(), zone).date()
    bounds = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        start = datetime.combine(day, time.min, zone)
        end = datetime.combine(day + timedelta(days=1), time.min, zone)
        bounds.append((day, start, end))
    return bounds


def _outgoing() -> QuerySet:
    """The calls placed (incoming calls, written by the event listener, are no one's dial)."""
    return Call.objects.filter(direction=CallDirection.OUT)


def calls_per_day(days: int = 30, now: datetime | None = None) -> list[Day]:
    """Each of the last ``days`` days with its calls by status group (one query)."""
    bounds = day_bounds(days, now)
    counts = {
        f"d{index}": Count("pk", filter=Q(created__gte=start, created__lt=end))
        for index, (_day, start, end) in enumerate(bounds)
    }
    rows = (
        _outgoing()
        .filter(created__gte=bounds[0][1], created__lt=bounds[-1][2])
        .values("status")
        .annotate(**counts)
        .order_by()
    )
    result = [Day(day) for day, _start, _end in bounds]
    for row in rows:
        group = _GROUP_OF.get(row["status"], "other")
        for index, entry in enumerate(result):
            entry.counts[group] += row[f"d{index}"]
    return result


def _period(days: int, now: datetime | None) -> QuerySet:
    bounds = day_bounds(days, now)
    return _outgoing().filter(created__gte=bounds[0][1], created__lt=bounds[-1][2])


def top_callers(days: int = 30, limit: int = 10, now: datetime | None = None) -> list[Caller]:
    """The ``limit`` users who placed the most calls in the last ``days`` days, most first."""
    rows = (
        _period(days, now)
        .values("username", "user__first_name", "user__last_name")
        .annotate(calls=Count("pk"), answered=Count("pk", filter=Q(status=CallLogStatus.ANSWERED)))
        .order_by("-calls", "username")[:limit]
    )
    return [
        Caller(
            username=row["username"],
            name=f"{row['user__first_name'] or ''} {row['user__last_name'] or ''}".strip(),
            calls=row["calls"],
            answered=row["answered"],
        )
        for row in rows
    ]


def failing_per_pbx(days: int = 30, now: datetime | None = None) -> list[PbxFailures]:
    """Per PBX, the calls sent to it in the last ``days`` days and those that failed; worst share first."""
    rows = (
        _period(days, now)
        .exclude(status=CallLogStatus.DENIED)
        .filter(pbx__isnull=False)
        .values("pbx__name")
        .annotate(sent=Count("pk"), failed=Count("pk", filter=Q(status=CallLogStatus.FAILED)))
        .order_by("pbx__name")
    )
    found = [PbxFailures(row["pbx__name"], row["sent"], row["failed"]) for row in rows]
    return sorted(found, key=lambda pbx: (-pbx.share, pbx.name))
