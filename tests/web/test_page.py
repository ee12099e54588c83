"""The user page (/me/) through Django's test client with CSRF checks on: login, search, dial, tokens."""

from __future__ import annotations

from unittest import mock

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model

from accounts.errors import SourceUnavailable
from accounts.models import ApiToken, Extension
from dialer.models import Call
from testkit.rpc import jsonrpc_call
from tests.conftest import ALICE_PASSWORD, BOB_PASSWORD
from tests.phonebook.helpers import add
from tests.web.conftest import Page, csrf_of

pytestmark = pytest.mark.django_db

AUTH_FAILED = -32098
INTERNAL_ERROR = -32603


def test_the_page_asks_for_a_login_first(page):
    response = page.client.get("/me/")
    assert response.status_code == 302
    assert response["Location"].startswith("/me/login/?next=/me/")


def test_a_login_opens_the_page_with_who_and_which_phone(alice_page):
    response = alice_page.client.get("/me/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Alice Martin" in text and "phone 1001" in text
    assert 'name="viewport"' in text
    assert "/static/web/me.js" in text


def test_a_wrong_password_is_refused_and_counted_like_the_apis(page, alice):
    response = page.login("alice", "wrong-Password", address="10.0.0.7")
    assert response.status_code == 200
    assert "Wrong username or password" in response.content.decode()
    assert AccessAttempt.objects.get().username == "alice"


def test_the_lockout_of_the_api_covers_the_page(page, alice, client):
    for attempt in range(5):
        page.login("alice", f"wrong-{attempt}", address="10.0.0.7")
    response = page.login("alice", ALICE_PASSWORD, address="10.0.0.7")
    assert response.status_code != 302  # locked out: axes' page, no session
    assert page.client.get("/me/").status_code == 302
    # ... and the API refuses her at that address too.
    fault = client.post(
        "/rpc/",
        data='{"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami", "params": []}',
        content_type="application/json",
        HTTP_AUTHORIZATION="Basic "
        + __import__("base64").b64encode(f"alice:{ALICE_PASSWORD}".encode()).decode(),
        REMOTE_ADDR="10.0.0.7",
    ).json()
    assert fault["error"]["code"] == AUTH_FAILED


def test_the_login_form_refuses_a_post_without_its_csrf_token(page, alice):
    response = page.client.post("/me/login/", {"username": "alice", "password": ALICE_PASSWORD})
    assert response.status_code == 403


@pytest.mark.django_db(transaction=True)  # MariaDB's FULLTEXT index only sees committed rows
def test_the_page_searches_as_the_api_does(alice_page, client, alice):
    add("Hélène Dupont", "+44 20 7946 0958", company="ACME Corp")
    add("Paul Martin", "01 42 68 53 00")
    mine = alice_page.rpc("phonebook.search", "hel dup", 10)["result"]
    api = jsonrpc_call(client, "phonebook.search", ["hel dup", 10], auth=("alice", ALICE_PASSWORD))["result"]
    assert mine == api
    assert [contact["name"] for contact in mine] == ["Hélène Dupont"]
    assert [c["name"] for c in alice_page.rpc("phonebook.search", "0958")["result"]] == ["Hélène Dupont"]


def test_the_page_says_what_will_be_dialed_then_dials_it(alice_page, alice, recording_pbx, driver):
    Extension.objects.filter(user=alice).update(pbx=recording_pbx)
    preview = alice_page.rpc("dialer.normalize", "tel:+44 20 7946 0958")["result"]
    assert preview["number"]
    call = alice_page.rpc("dialer.dial", "tel:+44 20 7946 0958")["result"]
    assert call["number"] == preview["number"]
    (request,) = driver.requests
    assert (request.channel, request.number) == ("PJSIP/1001", preview["number"])
    status = alice_page.rpc("dialer.call_status", call["call_id"])["result"]
    assert status["status"] == "queued"
    assert alice_page.rpc("dialer.history", 10)["result"][0]["call_id"] == call["call_id"]


def test_without_the_csrf_token_nothing_is_dialed(alice_page, alice, recording_pbx, driver):
    Extension.objects.filter(user=alice).update(pbx=recording_pbx)
    response = alice_page.rpc("dialer.dial", "1002", csrf=False)
    assert response.status_code == 403
    assert driver.requests == [] and not Call.objects.exists()


def test_without_a_session_every_procedure_is_refused_without_a_basic_challenge(page, alice):
    page.csrf = csrf_of(page.client.get("/me/login/"))
    response = page.client.post(
        "/me/rpc/",
        data='{"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami", "params": []}',
        content_type="application/json",
        HTTP_X_CSRFTOKEN=page.csrf,
    )
    assert response.status_code == 200 and "WWW-Authenticate" not in response
    assert response.json()["error"]["code"] == AUTH_FAILED
    assert page.rpc("dialer.dial", "1002")["error"]["code"] == AUTH_FAILED


def test_the_page_server_serves_no_system_procedures_and_only_posts(alice_page):
    assert alice_page.rpc("system.listMethods")["error"]["code"] == -32601
    assert alice_page.client.get("/me/rpc/").status_code == 405


def test_a_deactivated_user_is_logged_out_at_the_next_request(alice_page, alice):
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    assert alice_page.rpc("accounts.whoami")["error"]["code"] == AUTH_FAILED
    assert alice_page.client.get("/me/").status_code == 302


def test_logging_out_needs_a_post_with_the_csrf_token(alice_page):
    assert alice_page.client.get("/me/logout/").status_code == 405
    assert alice_page.client.post("/me/logout/").status_code == 403
    assert alice_page.client.post("/me/logout/", {"csrfmiddlewaretoken": alice_page.csrf}).status_code == 302
    assert alice_page.client.get("/me/").status_code == 302


def test_a_clicked_phone_link_is_shown_and_asked_about_not_dialed(alice_page, alice, recording_pbx, driver):
    Extension.objects.filter(user=alice).update(pbx=recording_pbx)
    response = alice_page.client.get("/me/call/", {"uri": "tel:%2B44%2020%207946%200958"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "tel:+44 20 7946 0958" in text
    assert "Call this number with your desk phone?" in text
    assert driver.requests == []


def test_a_hostile_link_is_only_text(alice_page):
    response = alice_page.client.get("/me/call/", {"uri": 'tel:1"><script>alert(1)</script>\x00\u202e'})
    text = response.content.decode()
    assert "<script>alert" not in text
    assert "&lt;script&gt;" in text


def test_the_page_in_french(alice, settings):
    browser = Page()
    browser.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    assert "Se connecter" in browser.client.get("/me/login/").content.decode()
    browser.login("alice", ALICE_PASSWORD)
    text = browser.client.get("/me/").content.decode()
    assert '<html lang="fr">' in text
    assert "Appels récents" in text
    assert "Appel vers %(number)s" in text  # the script's sentences too


# --- API tokens on the page ------------------------------------------------------------------


def test_a_token_made_on_the_page_is_shown_once_and_works_on_the_api(alice_page, client):
    form = alice_page.client.get("/me/tokens/")
    made = alice_page.client.post(
        "/me/tokens/", {"label": "browser extension", "csrfmiddlewaretoken": csrf_of(form)}
    )
    assert made.status_code == 200
    assert made["Cache-Control"] == "no-store"
    token = made.context["made"]["token"]
    assert token in made.content.decode()
    again = alice_page.client.get("/me/tokens/").content.decode()
    assert token not in again and "browser extension" in again
    answer = client.post(
        "/rpc/",
        data='{"jsonrpc": "2.0", "id": 1, "method": "accounts.whoami", "params": []}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()
    assert answer["result"]["username"] == "alice"
    row = ApiToken.objects.get()
    revoked = alice_page.client.post(
        "/me/tokens/", {"revoke": str(row.pk), "csrfmiddlewaretoken": csrf_of(form)}
    )
    assert revoked.status_code == 302
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("label", ["", "a\nb", "x" * 101])
def test_a_bad_label_makes_nothing(alice_page, label):
    form = alice_page.client.get("/me/tokens/")
    response = alice_page.client.post("/me/tokens/", {"label": label, "csrfmiddlewaretoken": csrf_of(form)})
    assert response.status_code == 400
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize("value", ["999", "abc", "", "1; DROP TABLE x"])
def test_someone_elses_or_no_token_cannot_be_revoked(alice_page, bob, value):
    bobs = ApiToken.objects.create(user=bob, label="bob's", key_hash="0" * 64)
    form = alice_page.client.get("/me/tokens/")
    for target in (value, str(bobs.pk)):
        response = alice_page.client.post(
            "/me/tokens/", {"revoke": target, "csrfmiddlewaretoken": csrf_of(form)}
        )
        assert response.status_code == 400
    assert ApiToken.objects.filter(pk=bobs.pk).exists()
    assert "bob's" not in alice_page.client.get("/me/tokens/").content.decode()


def test_tokens_cannot_be_made_without_the_csrf_token(alice_page):
    assert alice_page.client.post("/me/tokens/", {"label": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_bob_without_a_phone_is_told_so(bob):
    browser = Page()
    browser.login("bob", BOB_PASSWORD)
    assert "You have no phone" in browser.client.get("/me/").content.decode()


def test_while_the_user_s_source_cannot_be_asked_the_session_is_kept(alice_page, alice):
    """A directory outage is no logout: the page's calls fail as the server's, then work again."""
    down = mock.patch(
        "accounts.sources.still_allowed", side_effect=SourceUnavailable("ldap could not be asked")
    )
    with down:
        assert alice_page.rpc("accounts.whoami")["error"]["code"] == INTERNAL_ERROR
        assert alice_page.client.get("/me/").status_code == 302
    assert alice_page.rpc("accounts.whoami")["result"]["username"] == "alice"
    assert alice_page.client.get("/me/").status_code == 200
