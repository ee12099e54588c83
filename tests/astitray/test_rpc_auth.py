"""HTTP Basic authentication of the RPC server, and its cache."""

from __future__ import annotations

import base64
import xmlrpc.client
from unittest import mock

import pytest
from django.contrib.auth import authenticate

from accounts import rpc_auth
from astitray.faults import AuthenticationFailed
from testkit.rpc import jsonrpc_call, xmlrpc_call, xmlrpc_fault, xmlrpc_post
from tests.conftest import ALICE_PASSWORD

pytestmark = pytest.mark.django_db

AUTH_CODE = -32098


def whoami_fault(client, headers, status: int = 200) -> xmlrpc.client.Fault:
    response = xmlrpc_post(client, xmlrpc.client.dumps((), "accounts.whoami"), headers)
    assert response.status_code == status
    assert ("WWW-Authenticate" in response) is (status == 401)
    return xmlrpc_fault(response.content)


def test_it_answers_whoami_with_the_extension(client, alice_auth):
    answer = xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    assert answer["username"] == "alice"
    assert answer["full_name"] == "Alice Martin"
    assert answer["extension"] == "1001"
    assert answer["extension_source"] == "manual"
    assert answer["can_dial"] is True
    assert answer["api_version"] == 1
    assert answer["server_version"]


def test_it_answers_whoami_over_jsonrpc(client, alice_auth):
    answer = jsonrpc_call(client, "accounts.whoami", auth=alice_auth)
    assert answer["result"]["extension"] == "1001"
    assert answer["id"] == 1


def test_it_says_who_cannot_dial(client, bob_auth):
    answer = xmlrpc_call(client, "accounts.whoami", auth=bob_auth)
    assert answer == {
        "username": "bob",
        "full_name": "Bob",
        "extension": "",
        "extension_source": "",
        "can_dial": False,
        "phone": "unknown",
        "server_version": answer["server_version"],
        "api_version": 1,
    }


def test_a_disabled_extension_is_no_extension(client, alice, alice_auth):
    alice.extension.enabled = False
    alice.extension.save()
    answer = xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    assert answer["extension"] == ""
    assert answer["can_dial"] is False


def basic_header(raw: bytes) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(raw).decode()}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"HTTP_AUTHORIZATION": "Bearer abc"}, id="not-basic"),
        pytest.param({"HTTP_AUTHORIZATION": "Basic"}, id="basic-without-token"),
        pytest.param({"HTTP_AUTHORIZATION": "Basic !!!not-base64"}, id="bad-base64"),
        pytest.param(basic_header(b"alice"), id="no-colon"),
        pytest.param(basic_header(b"alice:"), id="empty-password"),
        pytest.param(basic_header(b"\xff\xfe:\xff"), id="not-utf8"),
        pytest.param(basic_header(b"alice:wrong"), id="wrong-password"),
        pytest.param(basic_header(b"mallory:" + ALICE_PASSWORD.encode()), id="unknown-user"),
    ],
)
def test_every_authentication_failure_is_the_same_fault(client, alice, headers):
    fault = whoami_fault(client, headers)
    assert fault.faultCode == AUTH_CODE
    assert fault.faultString == AuthenticationFailed.default_message


def test_no_credentials_at_all_is_challenged_with_a_401(client, alice):
    # Clients such as Perl's LWP, Java's Authenticator or .NET send credentials only when challenged.
    response = xmlrpc_post(client, xmlrpc.client.dumps((), "accounts.whoami"), {})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Basic realm="Astitray", charset="UTF-8"'
    fault = xmlrpc_fault(response.content)  # the body is still the fault, for clients that read it
    assert (fault.faultCode, fault.faultString) == (AUTH_CODE, AuthenticationFailed.default_message)


def test_the_open_system_procedures_are_never_challenged(client):
    response = xmlrpc_post(client, xmlrpc.client.dumps((), "system.listMethods"), {})
    assert response.status_code == 200
    assert "WWW-Authenticate" not in response


def test_an_inactive_user_gets_the_same_fault(client, alice, alice_auth):
    alice.is_active = False
    alice.save()
    fault = whoami_fault(client, basic_header(f"alice:{ALICE_PASSWORD}".encode()))
    assert (fault.faultCode, fault.faultString) == (AUTH_CODE, AuthenticationFailed.default_message)


def test_the_authentication_fault_over_jsonrpc(client, alice):
    answer = jsonrpc_call(client, "accounts.whoami", auth=("alice", "wrong"))
    assert answer["error"]["code"] == AUTH_CODE
    assert answer["error"]["message"] == AuthenticationFailed.default_message
    assert "data" not in answer["error"] or answer["error"]["data"] is None


def test_a_password_with_colons_and_accents_works(client, alice):
    alice.set_password("pa:ss:wörd")
    alice.save()
    assert xmlrpc_call(client, "accounts.whoami", auth=("alice", "pa:ss:wörd"))["username"] == "alice"


def test_system_procedures_need_no_credentials(client, alice):
    methods = xmlrpc_call(client, "system.listMethods")
    assert {"accounts.whoami", "system.multicall", "system.methodHelp"} <= set(methods)
    assert "Who you are" in xmlrpc_call(client, "system.methodHelp", "accounts.whoami")


@pytest.fixture
def count_authentications():
    with mock.patch.object(rpc_auth, "authenticate", wraps=authenticate) as spy:
        yield spy


def test_a_verified_credential_is_cached(client, alice_auth, count_authentications):
    for _ in range(3):
        xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    assert count_authentications.call_count == 1


def test_multicall_authenticates_once(client, alice_auth, count_authentications, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    calls = [{"methodName": "accounts.whoami", "params": []}] * 4
    results = xmlrpc_call(client, "system.multicall", calls, auth=alice_auth)
    assert [r[0]["extension"] for r in results] == ["1001"] * 4
    assert count_authentications.call_count == 1


def test_multicall_inner_calls_use_the_request_credentials(client, alice):
    calls = [{"methodName": "accounts.whoami", "params": []}]
    results = xmlrpc_call(client, "system.multicall", calls, auth=("alice", "wrong"))
    assert results == [{"faultCode": AUTH_CODE, "faultString": AuthenticationFailed.default_message}]


def test_the_cache_can_be_turned_off(client, alice_auth, count_authentications, settings):
    settings.ASTITRAY_AUTH_CACHE_SECONDS = 0
    for _ in range(3):
        xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    assert count_authentications.call_count == 3


def test_a_cached_credential_of_a_deactivated_user_is_refused(client, alice, alice_auth):
    xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    alice.is_active = False
    alice.save()
    fault = whoami_fault(client, basic_header(f"alice:{ALICE_PASSWORD}".encode()))
    assert fault.faultCode == AUTH_CODE


def test_a_cached_credential_of_a_deleted_user_is_refused(client, alice, alice_auth):
    xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    alice.delete()
    fault = whoami_fault(client, basic_header(f"alice:{ALICE_PASSWORD}".encode()))
    assert fault.faultCode == AUTH_CODE


def test_a_password_change_ends_the_cached_credential(client, alice, alice_auth):
    xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    alice.set_password("a-new-password")
    alice.save()
    assert whoami_fault(client, basic_header(f"alice:{ALICE_PASSWORD}".encode())).faultCode == AUTH_CODE
    assert xmlrpc_call(client, "accounts.whoami", auth=("alice", "a-new-password"))["username"] == "alice"


def test_the_cache_never_holds_the_password(client, alice_auth):
    from django.core.cache import cache

    xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    stored = repr(dict(cache._cache)) if hasattr(cache, "_cache") else ""
    assert stored, "the test expects the local-memory cache"
    assert ALICE_PASSWORD not in stored
    assert "alice" not in stored
