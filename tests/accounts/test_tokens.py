"""API tokens over real XML-RPC and JSON-RPC: made with a password, used as Bearer, revoked, refused."""

from __future__ import annotations

import json
import xmlrpc.client
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts import tokens
from accounts.models import ApiToken
from testkit.known_secrets import API_TOKENS
from testkit.rpc import basic, jsonrpc_post, xmlrpc_call, xmlrpc_post, xmlrpc_result
from tests.conftest import ALICE_PASSWORD, BOB_PASSWORD

pytestmark = pytest.mark.django_db

AUTH_CODE = -32098
NOT_FOUND = -32083
INVALID_PARAMS = -32602
LIMIT = 5  # ASTITRAY_LOCKOUT_FAILURES' default


def bearer(token: str, address: str = "127.0.0.1") -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}", "REMOTE_ADDR": address}


def rpc(client, method: str, *params, headers: dict[str, str]):
    """The result of ``method`` over XML-RPC with ``headers``, or its ``xmlrpc.client.Fault``."""
    response = xmlrpc_post(client, xmlrpc.client.dumps(params, method), headers)
    assert response.status_code == 200, response.content[:300]
    try:
        return xmlrpc_result(response.content)
    except xmlrpc.client.Fault as fault:
        return fault


def given_token(user, name: str, label: str = "laptop") -> ApiToken:
    """A token of ``user`` whose value is the known test secret API_TOKENS[name]."""
    return ApiToken.objects.create(user=user, label=label, key_hash=tokens.digest(API_TOKENS[name]))


def test_a_token_made_with_a_password_works_on_every_procedure(client, alice, monkeypatch):
    # The made token is a known secret: the run's log check proves it is never logged.
    monkeypatch.setattr(tokens.secrets, "token_urlsafe", lambda _n: API_TOKENS["alice-2"][5:])
    made = xmlrpc_call(client, "accounts.create_token", "  laptop   tray ", auth=("alice", ALICE_PASSWORD))
    assert set(made) == {"id", "token", "label", "created"}
    assert (made["token"], made["label"]) == (API_TOKENS["alice-2"], "laptop tray")
    assert made["created"].endswith("Z")
    row = ApiToken.objects.get()
    assert row.key_hash == tokens.digest(made["token"])
    assert made["token"] not in json.dumps(list(ApiToken.objects.values()), default=str)

    headers = bearer(made["token"], "10.1.2.3")
    assert rpc(client, "accounts.whoami", headers=headers)["username"] == "alice"
    assert rpc(client, "dialer.normalize", "1002", headers=headers)["number"] == "1002"
    assert rpc(client, "dialer.history", 5, headers=headers) == []
    assert rpc(client, "phonebook.search", "dup", headers=headers) == []
    answer = jsonrpc_post(
        client, {"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami", "params": []}, headers
    ).json()
    assert answer["result"]["username"] == "alice"

    (listed,) = rpc(client, "accounts.list_tokens", headers=headers)
    assert listed["id"] == made["id"]
    assert (listed["label"], listed["last_address"]) == ("laptop tray", "10.1.2.3")
    assert listed["last_used"].endswith("Z")
    assert "token" not in listed


def test_a_token_cannot_make_tokens(client, alice):
    given_token(alice, "alice")
    fault = rpc(client, "accounts.create_token", "more", headers=bearer(API_TOKENS["alice"]))
    assert fault.faultCode == AUTH_CODE
    assert ApiToken.objects.count() == 1


@pytest.mark.parametrize("label", ["", "   ", "a\nb", "tab\there", "x" * 101, "del\x7f"])
def test_a_bad_label_is_refused_and_nothing_is_made(client, alice, label):
    fault = rpc(client, "accounts.create_token", label, headers=basic("alice", ALICE_PASSWORD))
    assert fault.faultCode == INVALID_PARAMS
    assert "label" in fault.faultString
    assert not ApiToken.objects.exists()


def test_a_revoked_token_is_refused_at_the_next_call(client, alice):
    kept = given_token(alice, "alice-2", "phone")
    revoked = given_token(alice, "alice")
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"]))["username"] == "alice"
    assert rpc(client, "accounts.revoke_token", revoked.pk, headers=bearer(API_TOKENS["alice-2"])) is True
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"])).faultCode == AUTH_CODE
    assert [row.pk for row in ApiToken.objects.all()] == [kept.pk]


def test_someone_elses_token_cannot_be_revoked_or_seen(client, alice, bob):
    bobs = given_token(bob, "bob")
    given_token(alice, "alice")
    fault = rpc(client, "accounts.revoke_token", bobs.pk, headers=bearer(API_TOKENS["alice"]))
    assert fault.faultCode == NOT_FOUND
    assert rpc(client, "accounts.revoke_token", 999_999, headers=bearer(API_TOKENS["alice"])).faultCode == (
        NOT_FOUND
    )
    assert [t["label"] for t in rpc(client, "accounts.list_tokens", headers=basic("bob", BOB_PASSWORD))] == [
        "laptop"
    ]
    assert ApiToken.objects.filter(pk=bobs.pk).exists()
    assert len(rpc(client, "accounts.list_tokens", headers=bearer(API_TOKENS["alice"]))) == 1


def test_a_deactivated_or_deleted_user_is_refused_at_once(client, alice):
    given_token(alice, "alice")
    headers = bearer(API_TOKENS["alice"])
    assert rpc(client, "accounts.whoami", headers=headers)["username"] == "alice"
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    assert rpc(client, "accounts.whoami", headers=headers).faultCode == AUTH_CODE
    get_user_model().objects.filter(pk=alice.pk).update(is_active=True)
    assert rpc(client, "accounts.whoami", headers=headers)["username"] == "alice"
    alice.delete()
    assert rpc(client, "accounts.whoami", headers=headers).faultCode == AUTH_CODE
    assert not ApiToken.objects.exists()


def test_a_password_change_does_not_break_a_token(client, alice):
    given_token(alice, "alice")
    alice.set_password("a-New-password-77")
    alice.save()
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"]))["username"] == "alice"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer astk_short",
        "Bearer " + API_TOKENS["other"],
        "Bearer " + API_TOKENS["other"] + "x",
        "Bearer " + API_TOKENS["other"].replace("_", "\u00e9", 1),
        "bearer " + API_TOKENS["other"],
        "Bearer " + API_TOKENS["other"] + "\r\nX-Evil: 1",
    ],
)
def test_a_wrong_token_gets_the_usual_fault(client, alice, header):
    fault = rpc(client, "accounts.whoami", headers={"HTTP_AUTHORIZATION": header})
    assert fault.faultCode == AUTH_CODE


def test_unknown_tokens_lock_out_an_address_as_many_guessed_usernames_do(client, alice, bob, settings):
    settings.ASTITRAY_LOCKOUT_ADDRESS_FAILURES = LIMIT + 2
    given_token(alice, "alice")
    for _ in range(LIMIT):
        assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["other"], "10.0.0.9")).faultCode == (
            AUTH_CODE
        )
    # Unknown tokens name nobody: no real user's name was counted, alice's token still works there.
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {tokens.UNKNOWN_TOKEN_USER}
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.0.9"))["username"] == (
        "alice"
    )
    # Further unknown tokens there are refused without being counted (as during any lockout) ...
    rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["other"], "10.0.0.9"))
    # ... and two guessed usernames more take the address as a whole over its limit:
    for guess in ("guess1", "guess2"):
        rpc(client, "accounts.whoami", headers={**basic(guess, "password"), "REMOTE_ADDR": "10.0.0.9"})
    # The address as a whole is over its limit: refused there, for tokens and passwords alike.
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.0.9")).faultCode == (
        AUTH_CODE
    )
    bob_there = {**basic("bob", BOB_PASSWORD), "REMOTE_ADDR": "10.0.0.9"}
    assert rpc(client, "accounts.whoami", headers=bob_there).faultCode == AUTH_CODE
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.0.10"))["username"] == (
        "alice"
    )


def test_one_users_refused_token_never_locks_out_another(client, alice, bob):
    given_token(alice, "alice")
    given_token(bob, "bob")
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    for _ in range(LIMIT * 2):
        rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.1.1"))
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["bob"], "10.0.1.1"))["username"] == "bob"
    get_user_model().objects.filter(pk=alice.pk).update(is_active=True)
    # Alice is locked out at that address (as after five wrong passwords there), not elsewhere.
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.1.1")).faultCode == (
        AUTH_CODE
    )
    alice_there = {**basic("alice", ALICE_PASSWORD), "REMOTE_ADDR": "10.0.1.1"}
    assert rpc(client, "accounts.whoami", headers=alice_there).faultCode == AUTH_CODE
    assert rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.1.2"))["username"] == (
        "alice"
    )


def test_last_use_is_written_at_most_once_a_minute_per_address(client, alice):
    row = given_token(alice, "alice")
    rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.0.1"))
    first = ApiToken.objects.get(pk=row.pk).last_used
    rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.0.1"))
    assert ApiToken.objects.get(pk=row.pk).last_used == first
    rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.0.2"))
    assert ApiToken.objects.get(pk=row.pk).last_address == "10.0.0.2"
    ApiToken.objects.filter(pk=row.pk).update(last_used=timezone.now() - timedelta(minutes=2))
    rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"], "10.0.0.2"))
    assert ApiToken.objects.get(pk=row.pk).last_used > timezone.now() - timedelta(seconds=30)


def test_the_token_check_is_one_query(client, alice, django_assert_max_num_queries):
    given_token(alice, "alice")
    rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"]))  # last_used written
    request_queries = 5  # the lockout's check, whoami's extension and PBX: the token adds one
    with django_assert_max_num_queries(request_queries):
        rpc(client, "accounts.whoami", headers=bearer(API_TOKENS["alice"]))
