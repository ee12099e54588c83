"""Fixtures of the user page's tests: a browser-like client with CSRF checks on, logged in or not."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import ALICE_PASSWORD
from tests.dialer.calls.drivers import TEST_DRIVERS, driver, recording_pbx

__all__ = ["driver", "recording_pbx"]


@pytest.fixture(autouse=True)
def _test_drivers(settings):
    settings.ASTITRAY_DRIVERS = TEST_DRIVERS


def csrf_of(response: Any) -> str:
    """The CSRF token a page of the site carries (its <meta name="csrf-token"> or a form's field)."""
    text = response.content.decode()
    found = re.search(r'name="csrf-token" content="([^"]+)"', text) or re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', text
    )
    assert found is not None, text[:300]
    return found.group(1)


class Page:
    """A browser on the user page: Django's test client with CSRF checks ON, as a real browser is."""

    def __init__(self) -> None:
        self.client = Client(enforce_csrf_checks=True)
        self.csrf = ""

    def login(self, username: str, password: str, address: str = "127.0.0.1") -> Any:
        form = self.client.get("/me/login/")
        response = self.client.post(
            "/me/login/",
            {"username": username, "password": password, "csrfmiddlewaretoken": csrf_of(form)},
            REMOTE_ADDR=address,
        )
        if response.status_code == 302:
            self.csrf = csrf_of(self.client.get("/me/"))
        return response

    def rpc(self, method: str, *params: Any, csrf: bool = True) -> Any:
        """The JSON-RPC answer of /me/rpc/ ({"result"} or {"error"}), as the page's script sends it."""
        headers = {"HTTP_X_CSRFTOKEN": self.csrf} if csrf else {}
        response = self.client.post(
            "/me/rpc/",
            data=json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}),
            content_type="application/json",
            **headers,
        )
        if response.status_code != 200:
            return response
        return response.json()


@pytest.fixture
def page() -> Page:
    return Page()


@pytest.fixture
def alice_page(alice) -> Page:
    browser = Page()
    assert browser.login("alice", ALICE_PASSWORD).status_code == 302
    return browser
