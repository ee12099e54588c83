"""What admins type is validated before it can reach a PBX."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Extension
from drivers.models import PbxServer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "channel",
    [
        "PJSIP/1001",
        "SIP/alice",
        "Local/1001@from-internal",
        "Local/1001@originate-skipvm/n",
        "IAX2/peer/1001",
    ],
)
def test_it_accepts_dial_strings(bob, console_pbx, channel):
    Extension(user=bob, number="1001", channel=channel).full_clean()


@pytest.mark.parametrize(
    "channel",
    [
        "PJSIP/10 01",
        "PJSIP/1001\r\nApplication: System",
        "PJSIP/1001\n",
        "PJSIP/1001\x00",
        "PJSIP/\t1001",
        "1001",
        "PJSIP/",
        "/1001",
        "PJSIP/1001\u2028",
    ],
)
def test_it_refuses_bad_channels(bob, channel):
    with pytest.raises(ValidationError) as caught:
        Extension(user=bob, number="1001", channel=channel).full_clean()
    assert "channel" in caught.value.message_dict


@pytest.mark.parametrize("field", ["caller_id", "account_code"])
def test_it_refuses_control_characters_in_what_reaches_the_pbx(bob, field):
    extension = Extension(
        user=bob, number="1001", channel="PJSIP/1001", **{field: "x\r\nApplication: System"}
    )
    with pytest.raises(ValidationError) as caught:
        extension.full_clean()
    assert field in caught.value.message_dict


def test_it_refuses_letters_in_the_number(bob):
    with pytest.raises(ValidationError):
        Extension(user=bob, number="10a1", channel="PJSIP/1001").full_clean()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("driver", "no-such-driver"),
        ("country", "XX"),
        ("outside_prefix", "0a"),
        ("internal_pattern", "^(\\d{2,5}$"),
        ("context", "from internal"),
        ("secret", "abc\r\nAction: Originate"),
        ("username", "astitray\n"),
        ("host", "pbx example"),
        ("ring_timeout_s", 1),
        ("port", 70000),
    ],
)
def test_it_refuses_bad_pbx_settings(field, value):
    pbx = PbxServer(name="pbx", **{field: value})
    with pytest.raises(ValidationError) as caught:
        pbx.full_clean()
    assert field in caught.value.message_dict


def test_only_one_pbx_is_the_default(console_pbx):
    other = PbxServer.objects.create(name="Other", is_default=True)
    console_pbx.refresh_from_db()
    assert not console_pbx.is_default
    assert PbxServer.objects.default() == other


def test_the_only_enabled_pbx_is_the_default(db):
    PbxServer.objects.all().delete()
    assert PbxServer.objects.default() is None
    only = PbxServer.objects.create(name="Only")
    assert PbxServer.objects.default() == only
    PbxServer.objects.create(name="Second")
    assert PbxServer.objects.default() is None


def test_an_extension_without_pbx_uses_the_default(alice, console_pbx):
    assert alice.extension.effective_pbx() == console_pbx
    console_pbx.enabled = False
    console_pbx.save()
    PbxServer.objects.exclude(pk=console_pbx.pk).update(enabled=False)
    assert alice.extension.effective_pbx() is None


def test_an_extension_on_a_disabled_pbx_has_no_pbx(alice):
    pbx = PbxServer.objects.create(name="Branch office", enabled=False)
    alice.extension.pbx = pbx
    alice.extension.save()
    assert alice.extension.effective_pbx() is None
    assert alice.extension.pbx_of_phone() == pbx  # its dial plan still says how the phone dials


def test_it_answers_which_pbx_serves_a_phone_in_one_place(alice, bob, console_pbx):
    from dialer.policy import pbx_of

    assert alice.extension.pbx_of_phone() == console_pbx == pbx_of(alice)
    assert pbx_of(bob) == console_pbx  # no phone: the default PBX's dial plan
    branch = PbxServer.objects.create(name="Branch office", enabled=False)
    alice.extension.pbx = branch
    alice.extension.save()
    assert pbx_of(alice) == branch
    assert alice.extension.effective_pbx() is None


def test_the_first_migration_gives_a_console_pbx_to_start_with():
    demo = PbxServer.objects.get(name="Console (demo)")
    assert demo.driver == "console"
