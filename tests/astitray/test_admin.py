"""The admin: every page loads, extensions inline on users, the PBX secret is write-only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import Extension
from drivers.models import PbxServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, db):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "root-pw")
    client.force_login(admin)
    return client


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:auth_user_changelist",
        "admin:auth_user_add",
        "admin:accounts_extension_changelist",
        "admin:drivers_pbxserver_changelist",
        "admin:drivers_pbxserver_add",
    ],
)
def test_every_page_loads(admin_client, alice, url_name):
    response = admin_client.get(reverse(url_name), {"q": "ali"} if "changelist" in url_name else None)
    assert response.status_code == 200


def test_changelists_filter_and_search(admin_client, alice, bob):
    response = admin_client.get(reverse("admin:auth_user_changelist"), {"q": "1001"})
    assert b"alice" in response.content
    assert b"bob" not in response.content
    response = admin_client.get(reverse("admin:accounts_extension_changelist"), {"source__exact": "manual"})
    assert b"PJSIP/1001" in response.content


def test_a_non_staff_user_cannot_enter(client, alice):
    client.force_login(alice)
    response = client.get(reverse("admin:drivers_pbxserver_changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def user_add_form(username: str, **extension: str) -> dict[str, str]:
    """The admin's "add user" form with one Extension inline."""
    data = {
        "username": username,
        "usable_password": "true",
        "password1": "A-pw-12345678",
        "password2": "A-pw-12345678",
        "extension-TOTAL_FORMS": "1",
        "extension-INITIAL_FORMS": "0",
        "extension-MIN_NUM_FORMS": "0",
        "extension-MAX_NUM_FORMS": "1",
        "extension-0-enabled": "on",
    }
    data.update({f"extension-0-{field}": value for field, value in extension.items()})
    return data


def test_an_admin_gives_a_new_user_a_phone(admin_client, console_pbx):
    response = admin_client.post(
        reverse("admin:auth_user_add"), user_add_form("carol", number="1003", channel="PJSIP/1003")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    extension = Extension.objects.get(user__username="carol")
    assert (extension.number, extension.channel, extension.source) == ("1003", "PJSIP/1003", "manual")


def test_the_inline_refuses_a_channel_with_a_line_break(admin_client, console_pbx):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        user_add_form("dave", number="1004", channel="PJSIP/1004\r\nApplication: System"),
    )
    assert response.status_code == 200
    assert b"Enter a dial string" in response.content
    assert not get_user_model().objects.filter(username="dave").exists()


def pbx_form(**changes) -> dict[str, str]:
    data = {
        "name": "Main PBX",
        "driver": "console",
        "enabled": "on",
        "host": "pbx.example.org",
        "port": "5038",
        "url_prefix": "",
        "username": "astitray",
        "secret": "",
        "timeout_s": "5",
        "context": "from-internal",
        "ring_timeout_s": "30",
        "country": "FR",
        "outside_prefix": "0",
        "international_prefix": "00",
        "national_prefix": "0",
        "internal_pattern": r"^\d{2,5}$",
    }
    data.update(changes)
    return data


def test_the_pbx_secret_is_write_only(admin_client):
    response = admin_client.post(reverse("admin:drivers_pbxserver_add"), pbx_form(secret="ami-S3cret"))
    assert response.status_code == 302
    pbx = PbxServer.objects.get(name="Main PBX")
    assert pbx.secret == "ami-S3cret"

    change_url = reverse("admin:drivers_pbxserver_change", args=[pbx.pk])
    page = admin_client.get(change_url)
    assert b"ami-S3cret" not in page.content
    assert b"A secret is stored" in page.content

    admin_client.post(change_url, pbx_form(context="outbound"))
    pbx.refresh_from_db()
    assert (pbx.secret, pbx.context) == ("ami-S3cret", "outbound")

    admin_client.post(change_url, pbx_form(secret="new-secret"))
    pbx.refresh_from_db()
    assert pbx.secret == "new-secret"

    admin_client.post(change_url, pbx_form(clear_secret="on"))
    pbx.refresh_from_db()
    assert pbx.secret == ""


def test_the_pbx_form_lists_the_installed_drivers(admin_client):
    page = admin_client.get(reverse("admin:drivers_pbxserver_add"))
    assert b'<option value="console"' in page.content


def test_test_connection_says_what_it_found(admin_client, console_pbx):
    response = admin_client.post(
        reverse("admin:drivers_pbxserver_changelist"),
        {"action": "test_connection", "_selected_action": [console_pbx.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "Test console: OK." in text
    assert "no PBX is contacted" in text
