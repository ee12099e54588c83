"""The admin's "Call statistics": each figure of its charts is the call log's, counted here independently."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from defusedxml import ElementTree as ET
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from dialer import charts, stats
from dialer.models import Call
from drivers.models import PbxServer

pytestmark = pytest.mark.django_db

PAGE = "admin:dialer_call_stats"
PARIS = ZoneInfo("Europe/Paris")
SVG = "{http://www.w3.org/2000/svg}"
GROUP = {"queued": "other", "unknown": "other"}


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "root-pw")
    client.force_login(admin)
    return client


def call(user, pbx, status: str, created: datetime) -> Call:
    row = Call.objects.create(
        user=user, username=user.get_username(), extension="1001", pbx=pbx, text="x", number="0142685300",
        status=status,
    )  # fmt: skip
    Call.objects.filter(pk=row.pk).update(created=created)
    return row


@pytest.fixture
def log(settings, alice, bob, console_pbx):
    """Calls over 40 days in Paris time: every status, two PBXs, three callers, and days' edges."""
    settings.TIME_ZONE = "Europe/Paris"
    lyon = PbxServer.objects.create(name="Lyon <office>", driver="console")
    carol = get_user_model().objects.create_user("carol", first_name="Carol", last_name="Dupré")
    now = timezone.now()
    today = timezone.localtime(now, PARIS).replace(hour=12, minute=0, second=0, microsecond=0)
    statuses = ["answered", "answered", "busy", "no_answer", "failed", "denied", "unknown", "answered"]
    users = [alice, alice, alice, bob, carol]
    for day in range(40):
        noon = today - timedelta(days=day)
        for index in range(day % 7):
            status = statuses[(day + index) % len(statuses)]
            pbx = lyon if index % 3 == 0 else console_pbx
            call(users[(day + index) % len(users)], pbx, status, noon + timedelta(minutes=index))
    # Edges of the local day: 23:59 and 00:00 Paris time are two days (22:59 and 23:00 UTC).
    yesterday_late = (today - timedelta(days=1)).replace(hour=23, minute=59)
    call(carol, lyon, "failed", yesterday_late)
    call(carol, lyon, "failed", yesterday_late + timedelta(minutes=1))
    return now


def expected_days(now: datetime) -> dict[str, Counter]:
    """Each local day of the last 30 with its calls by group, from every row of the log."""
    first = timezone.localtime(now, PARIS).date() - timedelta(days=29)
    found: dict[str, Counter] = {}
    for created, status in Call.objects.values_list("created", "status"):
        day = timezone.localtime(created, PARIS).date()
        if day >= first:
            found.setdefault(day.isoformat(), Counter())[GROUP.get(status, status)] += 1
    return found


def drawn(svg: ET.Element) -> dict[str, Counter]:
    found: dict[str, Counter] = {}
    for rect in svg.iter(f"{SVG}rect"):
        if "data-column" in rect.attrib:
            found.setdefault(rect.attrib["data-column"], Counter())[rect.attrib["data-series"]] += int(
                rect.attrib["data-count"]
            )
    return found


def charts_of(response) -> dict[str, ET.Element]:
    """The page's SVGs by the id of the module holding them (the page must be well-formed there)."""
    html = response.content.decode()
    found = {}
    for module in ("calls_per_day", "top_callers", "failing_per_pbx"):
        start = html.index(f'id="{module}"')
        svg = html[html.index("<svg", start) : html.index("</svg>", start) + len("</svg>")]
        found[module] = ET.fromstring(svg)
    return found


def test_it_draws_each_days_calls_by_status(admin_client, log):
    response = admin_client.get(reverse(PAGE))
    assert response.status_code == 200
    svg = charts_of(response)["calls_per_day"]
    assert drawn(svg) == expected_days(log)
    columns = {rect.attrib["data-column"] for rect in svg.iter(f"{SVG}rect") if "data-column" in rect.attrib}
    assert len(columns) <= 30
    total = sum(sum(day.values()) for day in expected_days(log).values())
    assert f"{total} outgoing calls" in response.content.decode()


def test_a_day_is_the_installations_local_day(log):
    days = {day.day.isoformat(): day for day in stats.calls_per_day(30, log)}
    yesterday = (timezone.localtime(log, PARIS) - timedelta(days=1)).date().isoformat()
    today = timezone.localtime(log, PARIS).date().isoformat()
    # The 23:59 call is yesterday's, the 00:00 one today's (in UTC both are the same day).
    assert days[yesterday].counts["failed"] - expected_without_edges(log, yesterday) == 1
    assert days[today].counts["failed"] - expected_without_edges(log, today) == 1


def expected_without_edges(now: datetime, day: str) -> int:
    return sum(
        1
        for created, status, username in Call.objects.values_list("created", "status", "username")
        if status == "failed"
        and timezone.localtime(created, PARIS).date().isoformat() == day
        and not (username == "carol" and timezone.localtime(created, PARIS).hour in (23, 0))
    )


def test_it_ranks_the_top_callers(admin_client, log):
    first = timezone.localtime(log, PARIS).date() - timedelta(days=29)
    counts = Counter(
        username
        for created, username in Call.objects.values_list("created", "username")
        if timezone.localtime(created, PARIS).date() >= first
    )
    svg = charts_of(admin_client.get(reverse(PAGE)))["top_callers"]
    bars = [(rect.attrib["data-label"], float(rect.attrib["data-value"])) for rect in svg.iter(f"{SVG}rect")]
    expected = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    names = {"alice": "Alice Martin (alice)", "bob": "Bob (bob)", "carol": "Carol Dupré (carol)"}
    assert bars == [(names[user], float(count)) for user, count in expected]


def test_it_gives_each_pbxs_share_of_failed_calls(admin_client, log):
    first = timezone.localtime(log, PARIS).date() - timedelta(days=29)
    sent: Counter = Counter()
    failed: Counter = Counter()
    for created, status, pbx in Call.objects.values_list("created", "status", "pbx__name"):
        if timezone.localtime(created, PARIS).date() >= first and status != "denied":
            sent[pbx] += 1
            failed[pbx] += status == "failed"
    response = admin_client.get(reverse(PAGE))
    svg = charts_of(response)["failing_per_pbx"]
    bars = {rect.attrib["data-label"]: float(rect.attrib["data-value"]) for rect in svg.iter(f"{SVG}rect")}
    assert bars == pytest.approx({name: failed[name] / sent[name] for name in sent}, rel=1e-4)
    assert "Lyon &lt;office&gt;" in response.content.decode()  # the admin's text, escaped


def test_incoming_calls_are_nobodys_dial(alice, console_pbx):
    for status in ("missed", "answered"):
        row = call(alice, console_pbx, status, timezone.now())
        Call.objects.filter(pk=row.pk).update(direction="in")
    assert stats.top_callers() == [] and stats.failing_per_pbx() == []
    assert sum(sum(day.counts.values()) for day in stats.calls_per_day()) == 0


def test_it_shows_an_empty_log_plainly(admin_client):
    response = admin_client.get(reverse(PAGE))
    assert response.status_code == 200
    assert "0 outgoing calls" in response.content.decode()
    assert drawn(charts_of_daily(response)) == {}


def charts_of_daily(response) -> ET.Element:
    html = response.content.decode()
    start = html.index('id="calls_per_day"')
    return ET.fromstring(html[html.index("<svg", start) : html.index("</svg>", start) + 6])


def test_only_who_may_view_the_call_log_sees_it(client, alice):
    staff = get_user_model().objects.create_user("staff", password="staff-pw", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse(PAGE)).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_call"))
    assert client.get(reverse(PAGE)).status_code == 200


def test_the_call_log_links_to_it(admin_client):
    assert reverse(PAGE) in admin_client.get(reverse("admin:dialer_call_changelist")).content.decode()


@pytest.mark.parametrize(
    ("value", "ceiling"), [(0, 1), (1, 1), (3, 5), (7, 10), (10, 10), (11, 20), (420, 500)]
)
def test_the_axis_ends_on_a_round_figure(value, ceiling):
    assert charts.nice_ceiling(value) == ceiling
