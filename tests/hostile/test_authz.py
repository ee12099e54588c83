"""Authorization: alice against bob's data, a phone the client cannot choose, accounts changed a second ago.

Alice and Bob each have a phone on the same recording PBX. Every procedure
is called as alice with bob's data (his call ids, his number, his phone's
channel and extension): none answers anything of bob's, none rings anything
but alice's phone. Accounts that changed a moment ago (deactivated, phone
disabled or deleted, password changed) are refused on the next call, even
with the authentication cache warm; for passwords checked by another source
(htpasswd, LDAP, SQL) the cache window is ``ASTITRAY_AUTH_CACHE_SECONDS``.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.models import Extension
from dialer.models import Call
from drivers.models import PbxServer
from testkit.known_secrets import HOSTILE_PASSWORDS
from testkit.rpc import basic
from tests.accounts.conftest import PasswordFiles, bcrypt_hash, use_password_files
from tests.conftest import ALICE_PASSWORD, BOB_PASSWORD
from tests.hostile.conftest import (
    AUTHENTICATION_FAILED,
    INTEGER,
    INVALID_PARAMS,
    JSON,
    NO_EXTENSION,
    NOT_FOUND,
    PARAMETER_TYPES,
    PBX_UNAVAILABLE,
    PROCEDURES,
    PROTOCOLS,
    STRING,
    VALID,
    XML,
    Answer,
    call,
    encode,
    post,
)

pytestmark = pytest.mark.django_db

ALICE = ("alice", ALICE_PASSWORD)
BOB = ("bob", BOB_PASSWORD)
BOBS_NUMBER = "0142685300"
# Procedures that need no credentials (docs/api.md): they hold nobody's data.
OPEN = {"system.listMethods", "system.methodHelp", "system.methodSignature", "system.multicall"}
USER_PROCEDURES = sorted(set(PROCEDURES) - OPEN)
# Procedures that take an id of something (a call, ...): derived from the parameters' names.
# Procedures taking the id of a call (API tokens' integer ids: test_bobs_token_ids_are_not_found_for_alice).
ID_PROCEDURES = sorted(
    method
    for method, parameters in PROCEDURES.items()
    if any(re.search(r"(^|_)id$", p) and PARAMETER_TYPES[p] == STRING for p in parameters)
)
TOKEN_ID_PROCEDURES = sorted(
    method
    for method, parameters in PROCEDURES.items()
    if any(re.search(r"(^|_)id$", p) and PARAMETER_TYPES[p] == INTEGER for p in parameters)
)


@pytest.fixture
def bobs_calls(bob, recording_pbx, driver, client) -> list[str]:
    """Bob (phone 2002 on the same PBX) placed two calls; the PBX saw them; alice's view starts empty."""
    Extension.objects.create(user=bob, number="2002", channel="PJSIP/2002", pbx=recording_pbx)
    ids = [
        call(client, JSON, "dialer.dial", [text], auth=BOB).result["call_id"]
        for text in (BOBS_NUMBER, "1003")
    ]
    assert [request.channel for request in driver.requests] == ["PJSIP/2002", "PJSIP/2002"]
    driver.requests.clear()
    return ids


def params_for(method: str, **given: object) -> list:
    return [given.get(name, VALID[name]) for name in PROCEDURES[method]]


def assert_nothing_of_bob(answer: Answer, bobs_calls: list[str]) -> None:
    text = answer.content.decode("utf-8", "replace")
    for secret in [*bobs_calls, BOBS_NUMBER, "2002", "PJSIP/2002", '"bob"']:
        assert secret not in text, f"{secret} in {text[:300]}"


def test_the_id_procedures_are_found(client):
    assert "dialer.call_status" in ID_PROCEDURES


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("method", ID_PROCEDURES)
def test_bobs_ids_are_not_found_for_alice(client, bobs_calls, driver, protocol, method):
    id_names = [name for name in PROCEDURES[method] if re.search(r"(^|_)id$", name)]
    for call_id in bobs_calls:
        answer = call(
            client, protocol, method, params_for(method, **dict.fromkeys(id_names, call_id)), auth=ALICE
        )
        answer.fault(NOT_FOUND)
        assert_nothing_of_bob(answer, bobs_calls)
        # Exactly the answer to an id that never existed: nothing tells them apart.
        never = call(
            client, protocol, method, params_for(method, **dict.fromkeys(id_names, str(uuid.uuid4())))
        )
        assert (never.code, never.message) == (answer.code, answer.message)
    # Bob himself still sees them.
    assert call(client, protocol, method, params_for(method, call_id=bobs_calls[0]), auth=BOB).code is None
    assert driver.requests == []


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("method", USER_PROCEDURES)
def test_no_procedure_shows_alice_anything_of_bob(client, bobs_calls, driver, protocol, method):
    calls_before = Call.objects.count()
    given = {
        "text": BOBS_NUMBER,
        "query": "bob",
        "number": BOBS_NUMBER,
        "call_id": bobs_calls[0],
        "limit": 200,
    }
    answer = call(client, protocol, method, params_for(method, **given), auth=ALICE)
    if method == "dialer.dial":
        # Alice may call bob's number: from her own phone, logged as her call.
        (request,) = driver.requests
        assert request.channel == "PJSIP/1001"
        assert Call.objects.get(call_id=answer.result["call_id"]).user.get_username() == "alice"
        assert Call.objects.count() == calls_before + 1
        return
    if method != "dialer.normalize":  # normalize repeats the text it was given (bob's number)
        assert_nothing_of_bob(answer, bobs_calls)
    assert driver.requests == []
    assert Call.objects.count() == calls_before


def test_alices_history_holds_only_her_calls(client, alice, bobs_calls, driver):
    mine = call(client, XML, "dialer.dial", ["1004"], auth=ALICE).result["call_id"]
    history = call(client, XML, "dialer.history", [200], auth=ALICE).result
    assert [entry["call_id"] for entry in history] == [mine]
    multicall = [{"methodName": "dialer.call_status", "params": [call_id]} for call_id in bobs_calls]
    answers = call(client, XML, "system.multicall", [multicall], auth=ALICE).result
    assert [answer["faultCode"] for answer in answers] == [NOT_FOUND, NOT_FOUND]


# --- The phone that rings is the caller's own ---------------------------------------------

# Keys a client might hope the server takes: none is a parameter of any procedure.
CLIENT_CHOSEN = {
    "channel": "PJSIP/2002",
    "context": "from-evil",
    "pbx": 1,
    "pbx_id": 1,
    "extension": "2002",
    "exten": "2002",
    "caller_id": '"Boss" <2002>',
    "account_code": "free",
    "variables": {"ASTITRAY_EXTENSION": "2002"},
    "user": "bob",
    "username": "bob",
    "auto_answer": True,
    "ctx": "forged",
    "_ctx": "forged",
}


@pytest.mark.parametrize("key", sorted(CLIENT_CHOSEN))
@pytest.mark.parametrize("method", USER_PROCEDURES)
def test_a_client_chosen_key_is_refused_or_ignored(client, bobs_calls, driver, method, key):
    named = {name: VALID[name] for name in PROCEDURES[method]}
    if method == "dialer.dial":
        named["text"] = "1005"
    named[key] = CLIENT_CHOSEN[key]
    answer = call(client, JSON, method, named, auth=ALICE)
    if answer.code is not None:
        answer.fault(INVALID_PARAMS)
        assert driver.requests == []
        return
    # Accepted only where the key is the server's own context argument, which the server overwrites.
    assert key in {"ctx", "_ctx"}
    for request in driver.requests:
        assert (request.channel, request.context) == ("PJSIP/1001", "outbound")
        assert request.variables["ASTITRAY_EXTENSION"] == "1001"
    if method == "accounts.whoami":
        assert answer.result["username"] == "alice"


# Texts naming another phone, channel or context: at most digits are dialed, from alice's phone.
CHANNEL_TEXTS = [
    "PJSIP/2002",
    "SIP/2002@from-internal",
    "Local/2002@from-evil/n",
    "2002@from-evil",
    "tel:2002;phone-context=from-evil",
    "sip:2002@pbx.example.org",
    "2002,Channel: PJSIP/2002",
    "Channel: PJSIP/2002\r\nContext: from-evil\r\nExten: 2002",
    "2002&PJSIP/2003",
    "${CHANNEL}",
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("text", CHANNEL_TEXTS)
def test_a_channel_in_the_text_never_chooses_the_phone(client, alice, driver, protocol, text):
    answer = call(client, protocol, "dialer.dial", [text], auth=ALICE)
    if answer.code is not None:
        assert driver.requests == []
        assert not Call.objects.exists()
        return
    (request,) = driver.requests
    assert (request.channel, request.context) == ("PJSIP/1001", "outbound")
    assert re.fullmatch(r"[0-9*#+]+", request.number), request.number


# --- Accounts that changed a moment ago ------------------------------------------------


def refused_everywhere(client, auth) -> None:
    for method in USER_PROCEDURES:
        for protocol in PROTOCOLS:
            answer = call(client, protocol, method, params_for(method), auth=auth)
            answer.fault(AUTHENTICATION_FAILED)


def test_an_inactive_user_is_refused_by_every_procedure(client, alice, driver):
    alice.is_active = False
    alice.save()
    refused_everywhere(client, ALICE)
    assert driver.requests == []


def test_a_user_deactivated_a_second_ago_is_refused_with_the_cache_warm(client, alice, driver):
    assert call(client, XML, "accounts.whoami", auth=ALICE).result["username"] == "alice"  # now cached
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    refused_everywhere(client, ALICE)
    assert driver.requests == []
    assert not Call.objects.exists()


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda alice: Extension.objects.filter(user=alice).update(enabled=False), id="disabled"),
        pytest.param(lambda alice: Extension.objects.filter(user=alice).delete(), id="deleted"),
    ],
)
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_phone_disabled_a_second_ago_is_no_extension_at_once(client, alice, driver, protocol, change):
    first = call(client, protocol, "dialer.dial", ["1002"], auth=ALICE)  # cache warm, one call placed
    assert first.result["extension"] == "1001"
    driver.requests.clear()
    change(alice)
    answer = call(client, protocol, "dialer.dial", ["1003"], auth=ALICE)
    answer.fault(NO_EXTENSION)
    assert driver.requests == []
    assert Call.objects.count() == 1
    whoami = call(client, protocol, "accounts.whoami", auth=ALICE).result
    assert (whoami["extension"], whoami["can_dial"]) == ("", False)


def test_a_phone_disabled_in_the_admin_is_no_extension_at_once(client, alice, driver, admin_user):
    assert call(client, XML, "dialer.dial", ["1002"], auth=ALICE).code is None
    driver.requests.clear()
    extension = Extension.objects.get(user=alice)
    admin = type(client)()
    admin.force_login(admin_user)
    form = {
        "user": alice.pk,
        "number": "1001",
        "channel": "PJSIP/1001",
        "pbx": extension.pbx_id or "",
        "caller_id": "",
        "account_code": "",
    }  # "enabled" unticked
    response = admin.post(reverse("admin:accounts_extension_change", args=[extension.pk]), form)
    assert response.status_code == 302, response.content[:2000]
    assert Extension.objects.get(pk=extension.pk).enabled is False
    call(client, XML, "dialer.dial", ["1003"], auth=ALICE).fault(NO_EXTENSION)
    assert driver.requests == []


def test_a_phone_moved_a_second_ago_rings_where_it_is_now(client, alice, driver):
    call(client, XML, "dialer.dial", ["1002"], auth=ALICE)
    Extension.objects.filter(user=alice).update(channel="PJSIP/1001-desk")
    call(client, XML, "dialer.dial", ["1003"], auth=ALICE)
    assert [request.channel for request in driver.requests] == ["PJSIP/1001", "PJSIP/1001-desk"]


def test_a_pbx_disabled_a_second_ago_rings_nothing(client, alice, driver, recording_pbx):
    call(client, XML, "dialer.dial", ["1002"], auth=ALICE)
    driver.requests.clear()
    PbxServer.objects.filter(pk=recording_pbx.pk).update(enabled=False)
    call(client, XML, "dialer.dial", ["1003"], auth=ALICE).fault(PBX_UNAVAILABLE)
    assert driver.requests == []


# --- A cached credential after the password changed -----------------------------------------


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_a_password_changed_in_the_admin_ends_the_cached_credential_at_once(
    client, alice, admin_user, protocol
):
    assert call(client, protocol, "accounts.whoami", auth=ALICE).result["username"] == "alice"  # cached
    admin = type(client)()
    admin.force_login(admin_user)
    new = HOSTILE_PASSWORDS["changed"]
    response = admin.post(
        reverse("admin:auth_user_password_change", args=[alice.pk]),
        {"password1": new, "password2": new, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content[:2000]
    call(client, protocol, "accounts.whoami", auth=ALICE).fault(AUTHENTICATION_FAILED)
    assert call(client, protocol, "accounts.whoami", auth=("alice", new)).result["username"] == "alice"


OLD, NEW = HOSTILE_PASSWORDS["htpasswd-old"], HOSTILE_PASSWORDS["htpasswd-new"]


@pytest.fixture
def omar(tmp_path, settings) -> PasswordFiles:
    """Omar is in the htpasswd file (another source than Django's users), with phone 1010."""
    files = use_password_files(tmp_path, settings)
    files.write({"omar": bcrypt_hash(OLD)})
    files.write_extensions("omar:1010\n")
    return files


def whoami_of(client, username: str, password: str) -> Answer:
    return post(client, XML, encode(XML, "accounts.whoami", []), basic(username, password))


def test_a_password_changed_in_another_source_is_trusted_until_the_cache_window_ends(client, omar, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 1
    assert whoami_of(client, "omar", OLD).result["extension"] == "1010"  # checked, then cached
    omar.write({"omar": bcrypt_hash(NEW)})
    # The cache does not ask the file again within the window: the old password still works ...
    assert whoami_of(client, "omar", OLD).result["username"] == "omar"
    # ... the new one works at once (another cache key, checked against the file) ...
    assert whoami_of(client, "omar", NEW).result["username"] == "omar"
    time.sleep(1.1)
    # ... and once the window is over, the old one is refused.
    whoami_of(client, "omar", OLD).fault(AUTHENTICATION_FAILED)
    assert whoami_of(client, "omar", NEW).result["username"] == "omar"


def test_without_the_cache_a_changed_password_is_refused_at_once(client, omar, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    assert whoami_of(client, "omar", OLD).result["username"] == "omar"
    omar.write({"omar": bcrypt_hash(NEW)})
    whoami_of(client, "omar", OLD).fault(AUTHENTICATION_FAILED)


def test_a_source_user_deactivated_in_django_is_refused_within_the_window(client, omar, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 3600
    assert whoami_of(client, "omar", OLD).result["username"] == "omar"
    get_user_model().objects.filter(username="omar").update(is_active=False)
    whoami_of(client, "omar", OLD).fault(AUTHENTICATION_FAILED)


def test_a_source_user_removed_from_the_file_keeps_the_window_too(client, omar, settings):
    """Documented: removing someone from the source ends their access when the cache window ends."""
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 1
    assert whoami_of(client, "omar", OLD).result["username"] == "omar"
    omar.write({})
    assert whoami_of(client, "omar", OLD).result["username"] == "omar"
    time.sleep(1.1)
    whoami_of(client, "omar", OLD).fault(AUTHENTICATION_FAILED)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_an_admin_session_cookie_is_no_credential_for_the_api(client, alice, admin_user, driver, protocol):
    """A hostile page posting to /rpc/ with the admin's browser session: refused, nothing dialed."""
    client.force_login(admin_user)
    assert client.get(reverse("admin:index")).status_code == 200
    for method, params in (("accounts.whoami", []), ("dialer.dial", ["0142685300"])):
        answer = post(client, protocol, encode(protocol, method, params))
        answer.fault(AUTHENTICATION_FAILED)
    assert driver.requests == []
    assert not Call.objects.exists()


def test_the_token_id_procedures_are_found():
    assert TOKEN_ID_PROCEDURES == ["accounts.revoke_token"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("method", TOKEN_ID_PROCEDURES)
def test_bobs_token_ids_are_not_found_for_alice(client, alice, bob, protocol, method):
    bobs = call(client, protocol, "accounts.create_token", ["bob's laptop"], auth=BOB).result
    answer = call(client, protocol, method, [bobs["id"]], auth=ALICE)
    answer.fault(NOT_FOUND)
    assert "bob" not in answer.content.decode()
    never = call(client, protocol, method, [bobs["id"] + 1000], auth=ALICE)
    assert (never.code, never.message) == (answer.code, answer.message)
    assert call(client, protocol, "accounts.list_tokens", auth=ALICE).result == []
    assert call(client, protocol, "accounts.list_tokens", auth=BOB).result[0]["id"] == bobs["id"]
