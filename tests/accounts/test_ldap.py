"""LDAP logins against a real slapd: the phone comes from the directory, never from the client."""

from __future__ import annotations

import os
import signal
import time

import ldap
import pytest
from django.contrib.auth import get_user_model
from django_auth_ldap.config import LDAPSearch

from accounts.models import Extension
from tests.accounts.conftest import (
    AUTH_CODE,
    LDAP_PASSWORDS,
    PEOPLE,
    search_then_bind,
    use_backends,
    whoami,
    whoami_fault,
)
from tests.conftest import ALICE_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.service]

User = get_user_model()


def login(client, uid: str) -> dict:
    return whoami(client, uid, LDAP_PASSWORDS[uid])


def test_a_user_only_in_ldap_gets_the_extension_of_their_telephone_number(client, ldap_settings, console_pbx):
    answer = login(client, "carol")
    assert answer["username"] == "carol"
    assert answer["full_name"] == "Carol Lopez"
    assert (answer["extension"], answer["extension_source"], answer["can_dial"]) == ("2001", "ldap", True)
    carol = User.objects.get(username="carol")
    assert not carol.has_usable_password()
    assert carol.email == "carol@example.org"
    assert carol.extension.channel == "PJSIP/2001"


def test_search_then_bind_finds_people_below_the_base(client, ldap_settings, directory, console_pbx):
    search_then_bind(ldap_settings, directory)
    answer = login(client, "hank")  # in ou=sales: no DN template would find him
    assert (answer["username"], answer["extension"]) == ("hank", "2002")


def test_direct_bind_does_not_find_people_elsewhere(client, ldap_settings):
    assert whoami_fault(client, "hank", LDAP_PASSWORDS["hank"]).faultCode == AUTH_CODE


@pytest.mark.parametrize(
    ("username", "password"),
    [
        pytest.param("carol", "not-her-password", id="wrong-password"),
        pytest.param("zoe", "any-Password-1", id="unknown-user"),
        pytest.param("carol)(uid=*", LDAP_PASSWORDS["carol"], id="filter-injection"),
    ],
)
def test_wrong_logins_are_the_usual_fault(client, ldap_settings, directory, username, password):
    search_then_bind(ldap_settings, directory)
    assert whoami_fault(client, username, password).faultCode == AUTH_CODE
    assert not User.objects.filter(username=username).exists()


def test_a_user_without_the_phone_attribute_logs_in_without_a_phone(client, ldap_settings, console_pbx):
    answer = login(client, "dave")
    assert (answer["username"], answer["extension"], answer["can_dial"]) == ("dave", "", False)
    assert not Extension.objects.filter(user__username="dave").exists()


def test_a_full_number_is_cut_to_its_internal_digits(client, ldap_settings, console_pbx):
    ldap_settings.ASTITRAY_LDAP_EXTENSION_REGEX = r"(\d{4})$"
    assert login(client, "erin")["extension"] == "6789"


def test_without_a_regex_the_full_number_is_kept_without_separators(client, ldap_settings, console_pbx):
    assert login(client, "erin")["extension"] == "+33123456789"


def test_a_full_number_the_regex_does_not_match_gives_no_phone(client, ldap_settings, console_pbx):
    ldap_settings.ASTITRAY_LDAP_EXTENSION_REGEX = r"^\+44(\d+)$"
    assert login(client, "erin")["extension"] == ""


def test_without_a_phone_attribute_phones_are_left_to_the_admin(client, ldap_settings, console_pbx):
    ldap_settings.ASTITRAY_LDAP_EXTENSION_ATTR = ""  # ASTITRAY_LDAP_EXTENSION_ATTR=none
    carol = User.objects.create_user("carol")
    Extension.objects.create(user=carol, number="2999", channel="PJSIP/2999", source="ldap")
    assert login(client, "carol")["extension"] == "2999"


def test_a_custom_attribute_and_channel_template(client, ldap_settings, console_pbx):
    ldap_settings.ASTITRAY_LDAP_EXTENSION_ATTR = "pager"
    ldap_settings.ASTITRAY_LDAP_CHANNEL_TEMPLATE = "Local/{extension}@from-internal"
    assert login(client, "gina")["extension"] == "2050"
    assert Extension.objects.get(user__username="gina").channel == "Local/2050@from-internal"


def test_an_extension_set_by_an_admin_is_never_overwritten(client, ldap_settings, console_pbx):
    carol = User.objects.create_user("carol")  # no usable password: the directory logs her in
    Extension.objects.create(user=carol, number="9999", channel="SIP/carol-desk")
    assert login(client, "carol")["extension"] == "9999"
    extension = Extension.objects.get(user=carol)
    assert (extension.number, extension.channel, extension.source) == ("9999", "SIP/carol-desk", "manual")


def test_the_extension_follows_the_directory(client, ldap_settings, directory, settings, console_pbx):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    assert login(client, "dave")["extension"] == ""
    directory.modify(
        f"dn: uid=dave,{PEOPLE}\nchangetype: modify\nadd: telephoneNumber\ntelephoneNumber: 2003\n"
    )
    try:
        assert login(client, "dave")["extension"] == "2003"
        directory.modify(
            f"dn: uid=dave,{PEOPLE}\nchangetype: modify\nreplace: telephoneNumber\ntelephoneNumber: 2004\n"
        )
        assert login(client, "dave")["extension"] == "2004"
        assert Extension.objects.get(user__username="dave").channel == "PJSIP/2004"
    finally:
        directory.modify(f"dn: uid=dave,{PEOPLE}\nchangetype: modify\ndelete: telephoneNumber\n")
    assert login(client, "dave")["extension"] == ""
    assert not Extension.objects.filter(user__username="dave").exists()


def test_group_membership_makes_staff(client, ldap_settings, directory):
    ldap_settings.AUTH_LDAP_GROUP_SEARCH = LDAPSearch("ou=groups,dc=example,dc=org", ldap.SCOPE_SUBTREE)
    ldap_settings.AUTH_LDAP_USER_FLAGS_BY_GROUP = {
        "is_staff": "cn=astitray-staff,ou=groups,dc=example,dc=org"
    }
    login(client, "carol")
    login(client, "dave")
    assert User.objects.get(username="carol").is_staff is True
    assert User.objects.get(username="dave").is_staff is False


def test_a_local_django_account_is_not_taken_over_by_the_directory(client, ldap_settings, directory, alice):
    directory.add(
        f"dn: uid=alice,{PEOPLE}\nobjectClass: inetOrgPerson\nuid: alice\ncn: Other Alice\nsn: Other\n"
        "userPassword: directory-Alice-1\ntelephoneNumber: 2666\n"
    )
    try:
        assert whoami_fault(client, "alice", "directory-Alice-1").faultCode == AUTH_CODE
        assert whoami(client, "alice", ALICE_PASSWORD)["extension"] == "1001"
        alice.refresh_from_db()
        assert (alice.first_name, alice.extension.number) == ("Alice", "1001")
    finally:
        directory.modify(f"dn: uid=alice,{PEOPLE}\nchangetype: delete\n")


def test_an_inactive_user_is_refused(client, ldap_settings, console_pbx):
    login(client, "carol")
    User.objects.filter(username="carol").update(is_active=False)
    assert whoami_fault(client, "carol", LDAP_PASSWORDS["carol"]).faultCode == AUTH_CODE


def test_a_cached_ldap_user_does_not_hit_the_directory(client, ldap_settings, directory, console_pbx):
    assert login(client, "carol")["extension"] == "2001"
    directory.stop()
    try:
        assert login(client, "carol")["extension"] == "2001"
    finally:
        directory.start()


@pytest.mark.usefixtures("console_pbx", "alice")
def test_the_directory_stopped_mid_run(client, ldap_settings, directory, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    assert login(client, "carol")["extension"] == "2001"
    directory.stop()
    try:
        fault = whoami_fault(client, "carol", LDAP_PASSWORDS["carol"])
        assert fault.faultCode == AUTH_CODE
        assert whoami(client, "alice", ALICE_PASSWORD)["extension"] == "1001"  # Django users still work
        assert Extension.objects.get(user__username="carol").number == "2001"  # nothing lost
    finally:
        directory.start()
    assert login(client, "carol")["extension"] == "2001"


def test_a_directory_that_hangs_refuses_within_the_timeout(client, ldap_settings, directory, alice, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    settings.AUTH_LDAP_CONNECTION_OPTIONS = {ldap.OPT_NETWORK_TIMEOUT: 1.0, ldap.OPT_TIMEOUT: 1.0}
    assert directory.process is not None
    os.kill(directory.process.pid, signal.SIGSTOP)  # accepts connections, never answers
    try:
        started = time.monotonic()
        assert whoami_fault(client, "carol", LDAP_PASSWORDS["carol"]).faultCode == AUTH_CODE
        assert time.monotonic() - started < 30  # generous: the point is that it returns at all
        # A Django user is not held up: the directory is not asked about local accounts.
        assert whoami(client, "alice", ALICE_PASSWORD)["username"] == "alice"
    finally:
        os.kill(directory.process.pid, signal.SIGCONT)


def test_ldap_and_the_password_file_side_by_side(
    client, ldap_settings, password_files, settings, console_pbx
):
    from tests.accounts.conftest import bcrypt_hash

    use_backends(settings, "htpasswd", "ldap", "django")
    password_files.write({"mia": bcrypt_hash("mia-File-1")})
    password_files.write_extensions("mia:3500\n")
    assert login(client, "carol")["extension_source"] == "ldap"
    assert whoami(client, "mia", "mia-File-1")["extension_source"] == "htpasswd"
