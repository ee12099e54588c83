"""An admin who edits a phone a source gave takes it over: it becomes manual, no source changes it again."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.checks import run_checks
from django.urls import reverse

from accounts.models import Extension
from tests.accounts.conftest import bcrypt_hash, whoami

pytestmark = pytest.mark.django_db


@pytest.fixture
def omar(password_files, client, console_pbx):
    """omar's phone 4002 comes from the password file's extensions file."""
    password_files.write({"omar": bcrypt_hash("omar-File-1")})
    password_files.write_extensions("omar:4002\n")
    assert whoami(client, "omar", "omar-File-1")["extension_source"] == "htpasswd"
    return get_user_model().objects.get(username="omar")


def extension_form(extension: Extension, **changes: str) -> dict:
    data = {
        "user": str(extension.user_id),
        "number": extension.number,
        "channel": extension.channel,
        "pbx": "",
        "caller_id": extension.caller_id,
        "account_code": extension.account_code,
        "enabled": "on",
    }
    data.update(changes)
    return data


def test_an_edited_extension_becomes_manual_and_stays(admin_client, client, omar, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    extension = omar.extension
    url = reverse("admin:accounts_extension_change", args=[extension.pk])
    assert b"becomes manual" in admin_client.get(url).content
    answer = admin_client.post(url, extension_form(extension, channel="SIP/omar-desk"))
    assert answer.status_code == 302, answer.content.decode()[:1500]
    extension.refresh_from_db()
    assert (extension.channel, extension.source) == ("SIP/omar-desk", "manual")
    assert whoami(client, "omar", "omar-File-1")["extension_source"] == "manual"
    extension.refresh_from_db()
    assert extension.channel == "SIP/omar-desk"


def test_saving_without_a_change_keeps_the_source(admin_client, omar):
    extension = omar.extension
    url = reverse("admin:accounts_extension_change", args=[extension.pk])
    assert admin_client.post(url, extension_form(extension)).status_code == 302
    extension.refresh_from_db()
    assert extension.source == "htpasswd"


def test_an_edit_in_the_user_page_inline_also_takes_over(admin_client, omar):
    extension = omar.extension
    answer = admin_client.post(
        reverse("admin:auth_user_change", args=[omar.pk]),
        {
            "username": "omar", "first_name": "", "last_name": "", "email": "", "is_active": "on",
            "date_joined_0": "2026-01-01", "date_joined_1": "00:00:00",
            "extension-TOTAL_FORMS": "1", "extension-INITIAL_FORMS": "1",
            "extension-MIN_NUM_FORMS": "0", "extension-MAX_NUM_FORMS": "1",
            "extension-0-id": str(extension.pk), "extension-0-user": str(omar.pk),
            "extension-0-number": "4099", "extension-0-channel": "PJSIP/4099", "extension-0-pbx": "",
            "extension-0-caller_id": "", "extension-0-account_code": "", "extension-0-enabled": "on",
        },
    )  # fmt: skip
    assert answer.status_code == 302, answer.content.decode()[:3000]
    extension.refresh_from_db()
    assert (extension.number, extension.source) == ("4099", "manual")


def test_a_deleted_extension_comes_back_from_the_source(client, omar, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    Extension.objects.filter(user=omar).delete()
    assert whoami(client, "omar", "omar-File-1")["extension"] == "4002"


def test_an_unreadable_password_file_is_a_system_check_warning(settings, tmp_path):
    settings.ASTITRAY_AUTH_BACKENDS = ["htpasswd"]
    settings.ASTITRAY_HTPASSWD_FILE = str(tmp_path / "missing")
    assert "accounts.W001" in [message.id for message in run_checks()]
