"""Phone presence in the shared cache (events/presence.py): what the listener sets, what the API reads."""

from __future__ import annotations

import time

import pytest

from accounts.models import Extension
from drivers.events import PhoneState
from drivers.models import PbxServer
from events.presence import combine, phone_state_for, set_phone_state


@pytest.fixture
def phone(alice) -> Extension:
    return Extension.objects.get(user=alice)


def test_a_phone_never_seen_is_unknown(phone):
    assert phone_state_for(phone) is PhoneState.UNKNOWN


@pytest.mark.parametrize("state", list(PhoneState))
def test_each_state_reads_back(phone, console_pbx, state):
    set_phone_state(console_pbx.pk, "PJSIP/1001", state)
    assert phone_state_for(phone) is state


def test_the_technology_case_is_ignored_and_the_pbx_matters(phone, console_pbx, db):
    other = PbxServer.objects.create(name="Other", driver="console", context="x")
    set_phone_state(other.pk, "PJSIP/1001", PhoneState.UNAVAILABLE)
    assert phone_state_for(phone) is PhoneState.UNKNOWN  # another PBX's phone 1001
    set_phone_state(console_pbx.pk, "pjsip/1001", PhoneState.RINGING)
    assert phone_state_for(phone) is PhoneState.RINGING


def test_a_phone_dialed_through_a_local_channel_reads_the_phone_of_its_number(phone, console_pbx):
    phone.channel = "Local/1001@phones"
    phone.save()
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.IN_USE)
    assert phone_state_for(phone) is PhoneState.IN_USE


def test_unavailable_reads_unknown_while_the_pbx_settles_after_a_boot(phone, console_pbx):
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.UNAVAILABLE, settle_until=time.time() + 60)
    assert phone_state_for(phone) is PhoneState.UNKNOWN
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.IDLE, settle_until=time.time() + 60)
    assert phone_state_for(phone) is PhoneState.IDLE  # only "unavailable" is doubted
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.UNAVAILABLE, settle_until=time.time() - 1)
    assert phone_state_for(phone) is PhoneState.UNAVAILABLE


def test_a_phone_ringing_several_endpoints_reads_the_busiest(phone, console_pbx):
    phone.channel = "PJSIP/1001&PJSIP/1002"
    phone.save()
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.UNAVAILABLE)
    assert phone_state_for(phone) is PhoneState.UNKNOWN  # 1002 not known: never refuse on half a phone
    set_phone_state(console_pbx.pk, "PJSIP/1002", PhoneState.UNAVAILABLE)
    assert phone_state_for(phone) is PhoneState.UNAVAILABLE
    set_phone_state(console_pbx.pk, "PJSIP/1002", PhoneState.IDLE)
    assert phone_state_for(phone) is PhoneState.IDLE


def test_combine():
    assert combine([]) is PhoneState.UNKNOWN
    assert combine([PhoneState.IDLE, PhoneState.IN_USE]) is PhoneState.IN_USE
    assert combine([PhoneState.UNAVAILABLE, PhoneState.RINGING]) is PhoneState.RINGING


def test_a_phone_without_any_pbx_is_unknown(phone, console_pbx):
    set_phone_state(console_pbx.pk, "PJSIP/1001", PhoneState.IDLE)
    PbxServer.objects.all().delete()
    phone.refresh_from_db()
    assert phone_state_for(phone) is PhoneState.UNKNOWN
