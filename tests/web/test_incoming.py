"""Incoming calls on the user page: the page's script waits in ``events.wait`` through /me/rpc/.

Through Django's test client (the sync view, CSRF checks on) and, for the
ASGI long-poll path that holds no thread, through the router itself and a
real uvicorn server (``tests/events/test_asgi_app.py`` has the API's side).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from events.publish import event_payload, publish
from tests.web.conftest import csrf_of

pytestmark = pytest.mark.django_db

AUTH_FAILED = -32098


@pytest.mark.django_db(transaction=True)  # events.wait reads in another thread: committed rows
def test_an_incoming_call_reaches_the_page_of_its_user_only(alice_page, alice, bob):
    cursor = alice_page.rpc("events.wait", "", 1)["result"]["cursor"]
    publish(bob.pk, "incoming", event_payload("incoming", number="0142685300", name="Not for Alice"))
    publish(alice.pk, "incoming", event_payload("incoming", number="0142685300", name="Marie Dubois"))
    answer = alice_page.rpc("events.wait", cursor, 1)["result"]
    assert [(event["type"], event["name"]) for event in answer["events"]] == [("incoming", "Marie Dubois")]
    assert alice_page.rpc("events.wait", answer["cursor"], 1)["result"]["events"] == []


@pytest.mark.django_db(transaction=True)
def test_a_call_ringing_after_the_page_was_made_is_not_lost(alice_page, alice):
    page = alice_page.client.get("/me/").content.decode()
    cursor = page.split('data-cursor="', maxsplit=1)[1].split('"', maxsplit=1)[0]
    publish(alice.pk, "incoming", event_payload("incoming", number="0142685300", name="Marie Dubois"))
    answer = alice_page.rpc("events.wait", cursor, 1)["result"]  # the script's first wait
    assert [event["name"] for event in answer["events"]] == ["Marie Dubois"]


@pytest.mark.django_db(transaction=True)
def test_the_page_cannot_wait_without_its_csrf_token_or_a_session(alice_page, page, alice):
    assert alice_page.rpc("events.wait", "", 1, csrf=False).status_code == 403
    page.csrf = csrf_of(page.client.get("/me/login/"))
    assert page.rpc("events.wait", "", 1)["error"]["code"] == AUTH_FAILED


def test_the_page_has_the_incoming_box_and_says_it_in_its_language(alice_page, settings):
    def texts(text: str) -> dict[str, str]:
        script = text.split('<script id="texts" type="application/json">', maxsplit=1)[1]
        return json.loads(script.split("</script>", maxsplit=1)[0])

    text = alice_page.client.get("/me/").content.decode()
    assert 'id="incoming"' in text and 'id="notify"' in text
    assert texts(text)["incoming_missed"] == "Missed call from %(name)s"
    french = texts(alice_page.client.get("/me/", HTTP_ACCEPT_LANGUAGE="fr").content.decode())
    assert french["incoming_missed"] == "Appel manqué de %(name)s"
    assert french["notify_ask"] == "Afficher les appels entrants en notifications"


# --- The ASGI path: the router answers the page's long polls itself (Django's handler never sees them).


class NotDjango:
    """Stands for Django's ASGI handler: fails the test if the router hands it the request."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError(f"{scope['path']} went to Django's handler")

    async def send_response(self, response: Any, send: Any) -> None:
        from django.core.handlers.asgi import ASGIHandler

        await ASGIHandler.send_response(ASGIHandler(), response, send)


def through_the_router(body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    from astitray.long_poll import LongPollRouter

    router = LongPollRouter(NotDjango())
    scope = {
        "type": "http",
        "method": "POST",
        "path": "/me/rpc/",
        "root_path": "",
        "query_string": b"",
        "scheme": "http",
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 50000),
        "headers": [(b"host", b"testserver"), (b"content-type", b"application/json")]
        + [(name.lower().encode(), value.encode()) for name, value in headers.items()],
    }
    sent: list[dict] = []
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive() -> dict:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(dict(message))

    asyncio.run(router(scope, receive, send))
    start = sent[0]
    answer_headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    return start["status"], answer_headers, b"".join(message.get("body", b"") for message in sent[1:])


WAIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "events.wait", "params": ["", 1]}).encode()


@pytest.mark.django_db(transaction=True)
def test_the_router_answers_the_pages_long_poll_with_the_pages_checks(alice):
    from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
    from django.test import Client

    secret = _get_new_csrf_string()
    # Without the CSRF token: refused before any procedure runs.
    status, _, _ = through_the_router(WAIT, {"cookie": f"csrftoken={secret}"})
    assert status == 403
    # With it but without a session: the fault, and no Basic challenge for a browser.
    status, headers, body = through_the_router(
        WAIT, {"cookie": f"csrftoken={secret}", "x-csrftoken": _mask_cipher_secret(secret)}
    )
    assert status == 200 and "www-authenticate" not in headers
    assert json.loads(body)["error"]["code"] == AUTH_FAILED
    # A logged-in session: the user's events.
    client = Client()
    client.force_login(alice)
    session = client.cookies["sessionid"].value
    publish(alice.pk, "incoming", event_payload("incoming", number="0142685300", name="Marie Dubois"))
    cookie = f"csrftoken={secret}; sessionid={session}"
    logged_in = {"cookie": cookie, "x-csrftoken": _mask_cipher_secret(secret)}
    status, _, body = through_the_router(WAIT, logged_in)
    assert status == 200
    cursor = json.loads(body)["result"]["cursor"]
    assert cursor
    again = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "events.wait", "params": [cursor, 1]}).encode()
    status, _, body = through_the_router(
        again, {"cookie": cookie, "x-csrftoken": _mask_cipher_secret(secret)}
    )
    assert json.loads(body)["result"]["events"] == []
    # Deactivated meanwhile: refused at the next wait.
    get_user_model().objects.filter(pk=alice.pk).update(is_active=False)
    status, _, body = through_the_router(
        again, {"cookie": cookie, "x-csrftoken": _mask_cipher_secret(secret)}
    )
    assert json.loads(body)["error"]["code"] == AUTH_FAILED


def test_the_page_middleware_lists_cover_settings(settings):
    from astitray.long_poll import NOT_FOR_PAGE, PAGE_MIDDLEWARE

    assert set(PAGE_MIDDLEWARE) | set(NOT_FOR_PAGE) == set(settings.MIDDLEWARE)
    assert not set(PAGE_MIDDLEWARE) & set(NOT_FOR_PAGE)
    order = [name for name in settings.MIDDLEWARE if name in PAGE_MIDDLEWARE]
    assert order == list(PAGE_MIDDLEWARE)  # the hooks run in the order Django runs them


# --- The same under a real ASGI server (gunicorn's uvicorn workers, as deployed), across processes.


class Browser:
    """A browser's cookies and the page's CSRF token, over plain HTTP to a live server."""

    def __init__(self, base: str) -> None:
        import http.cookiejar
        import urllib.request

        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.csrf = ""

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, body: bytes, headers: dict[str, str], timeout: float = 60) -> tuple[int, bytes]:
        import urllib.error
        import urllib.request

        request = urllib.request.Request(self.base + path, data=body, headers=headers, method="POST")
        try:
            with self.opener.open(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()

    def login(self, username: str, password: str) -> str:
        """Logs in through the login form; the page's text."""
        from urllib.parse import urlencode

        form = self.get("/me/login/")
        token = form.split('name="csrfmiddlewaretoken" value="', maxsplit=1)[1].split('"', maxsplit=1)[0]
        fields = {"username": username, "password": password, "csrfmiddlewaretoken": token}
        status, _ = self.post(
            "/me/login/", urlencode(fields).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
        )
        assert status == 200  # redirected to the page, which answered
        page = self.get("/me/")
        self.csrf = page.split('name="csrf-token" content="', maxsplit=1)[1].split('"', maxsplit=1)[0]
        return page

    def wait(self, cursor: str, timeout: int, csrf: bool = True) -> tuple[int, Any]:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "events.wait", "params": [cursor, timeout]})
        headers = {"Content-Type": "application/json", **({"X-CSRFToken": self.csrf} if csrf else {})}
        status, content = self.post("/me/rpc/", body.encode(), headers, timeout=timeout + 30)
        return status, json.loads(content) if status == 200 else content


def test_under_uvicorn_the_pages_wait_gets_the_event_another_process_wrote():
    import threading

    from testkit.known_secrets import ALICE_PASSWORD
    from testkit.liveserver import LiveServer
    from tests.events.test_events_wait import USERS, publish

    with LiveServer(asgi=True, workers=1) as server:
        server.manage("shell", "-c", USERS)
        browser = Browser(server.url)
        page = browser.login("alice", ALICE_PASSWORD)
        cursor = page.split('data-cursor="', maxsplit=1)[1].split('"', maxsplit=1)[0]
        assert browser.wait(cursor, 1, csrf=False)[0] == 403
        answer: dict = {}
        waiting = threading.Thread(target=lambda: answer.update(browser.wait(cursor, 55)[1]))
        waiting.start()
        publish(server, "alice")  # the listener's write, in another process
        waiting.join(timeout=90)
        assert not waiting.is_alive(), "the page's wait did not get the event"
        assert [event["name"] for event in answer["result"]["events"]] == ["Marie Dubois 0"]
