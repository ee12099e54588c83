"""The call log in the admin: read-only, search, filters, CSV export."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.urls import reverse

from dialer.admin_calls import csv_cell
from dialer.models import Call
from drivers.models import PbxServer

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:dialer_call_changelist"
EXPORT = "admin:dialer_call_export"


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "root-pw")
    client.force_login(admin)
    return client


@pytest.fixture
def calls(alice, console_pbx) -> list[Call]:
    other = PbxServer.objects.create(name="Lyon", driver="console")
    made = [
        Call.objects.create(
            user=alice, username="alice", extension="1001", pbx=console_pbx, text="+44 20 7946 0958",
            number="000442079460958", status="answered", reason="answered",
        ),
        Call.objects.create(
            user=alice, username="alice", extension="1001", pbx=other, text="=HYPERLINK(\"http://x\")",
            number="00123456789", status="busy", reason="busy",
        ),
        Call.objects.create(
            user=None, username="gone", extension="1009", pbx=None, text="0899123456",
            number="00899123456", status="denied", reason="deny by number rule ^0089",
        ),
    ]  # fmt: skip
    Call.objects.filter(pk=made[2].pk).update(
        created=datetime.datetime(2026, 1, 5, 9, 0, tzinfo=datetime.UTC)
    )
    return made


def listed(response) -> set[str]:
    return {call.number for call in response.context["cl"].result_list}


def test_the_list_searches_by_user_and_number(admin_client, calls):
    url = reverse(CHANGELIST)
    assert listed(admin_client.get(url)) == {"000442079460958", "00123456789", "00899123456"}
    assert listed(admin_client.get(url, {"q": "alice"})) == {"000442079460958", "00123456789"}
    assert listed(admin_client.get(url, {"q": "Martin"})) == {"000442079460958", "00123456789"}
    assert listed(admin_client.get(url, {"q": "4567"})) == {"00123456789"}
    assert listed(admin_client.get(url, {"q": "gone"})) == {"00899123456"}


def test_the_list_filters_by_status_pbx_and_date(admin_client, calls):
    url = reverse(CHANGELIST)
    assert listed(admin_client.get(url, {"status__exact": "busy"})) == {"00123456789"}
    lyon = PbxServer.objects.get(name="Lyon")
    assert listed(admin_client.get(url, {"pbx__id__exact": lyon.pk})) == {"00123456789"}
    january = {"created__year": "2026", "created__month": "1"}
    assert listed(admin_client.get(url, january)) == {"00899123456"}
    page = admin_client.get(url).content.decode()
    assert "By status" in page and "By PBX" in page and "By created" in page


def test_the_list_shows_incoming_and_missed_calls(admin_client, calls, alice, console_pbx):
    Call.objects.create(
        user=alice, username="alice", extension="1001", pbx=console_pbx, direction="in",
        number="0142685300", name="Marie Dubois", status="missed", reason="the caller hung up",
    )  # fmt: skip
    url = reverse(CHANGELIST)
    assert listed(admin_client.get(url, {"direction__exact": "in"})) == {"0142685300"}
    assert listed(admin_client.get(url, {"status__exact": "missed"})) == {"0142685300"}
    assert listed(admin_client.get(url, {"q": "Dubois"})) == {"0142685300"}
    page = admin_client.get(url).content.decode()
    assert "By direction" in page and "incoming" in page and "Marie Dubois" in page


def test_calls_are_read_only(admin_client, calls):
    call = calls[0]
    assert admin_client.get(reverse("admin:dialer_call_add")).status_code == 403
    page = admin_client.get(reverse("admin:dialer_call_change", args=[call.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    response = admin_client.post(reverse("admin:dialer_call_change", args=[call.pk]), {"status": "busy"})
    assert response.status_code == 403
    assert (
        admin_client.post(reverse("admin:dialer_call_delete", args=[call.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert Call.objects.get(pk=call.pk).status == "answered"


def test_the_csv_export_follows_the_search_and_filters(admin_client, calls):
    response = admin_client.get(reverse(EXPORT), {"status__exact": "busy"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["created (UTC)", "updated (UTC)", "call id", "user"]
    [row] = rows[1:]
    record = dict(zip(rows[0], row, strict=True))
    assert record["number dialed"] == "00123456789"
    assert record["PBX"] == "Lyon"
    assert record["status"] == "busy"
    assert record["text as given"] == '\'=HYPERLINK("http://x")'  # a spreadsheet will not run it


def test_the_whole_log_exports(admin_client, calls):
    response = admin_client.get(reverse(EXPORT))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {row[2] for row in rows[1:]} == {str(call.call_id) for call in calls}


def test_the_export_button_keeps_the_filters(admin_client, calls):
    page = admin_client.get(reverse(CHANGELIST), {"status__exact": "busy"}).content.decode()
    assert reverse(EXPORT) + "?status__exact=busy" in page


def test_the_export_needs_the_view_permission(client, calls):
    staff = get_user_model().objects.create_user("staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse(EXPORT)).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_call"))
    assert client.get(reverse(EXPORT)).status_code == 200


def test_an_unknown_filter_is_a_plain_error(admin_client, calls):
    response = admin_client.get(reverse(EXPORT), {"nonsense__exact": "1"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("+442079460958", "+442079460958"),
        ("-1", "'-1"),
        ("=1+2", "'=1+2"),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("alice", "alice"),
        (None, ""),
    ],
)
def test_csv_cells_never_hold_a_formula(value, cell):
    assert csv_cell(value) == cell
