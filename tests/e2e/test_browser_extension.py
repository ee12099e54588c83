"""The browser extension (browser_extension/) loaded unpacked into a real Chromium, against a live server.

The settings page takes the server's address and an API token and tests the
connection; the popup enables one site; on that site's test page numbers in
several formats become clickable and a click places a call for the token's
user (the console PBX answers it); a tel: link dials too; a site not
enabled has no clickable numbers; the page's own scripts cannot make the
extension dial (a synthetic click, no way to message it). The context menu's
"Call with Astitray" on selected text: headless Chromium cannot open the
browser's menu, so the test hands the extension's own listener (in its
service worker, through the DevTools protocol) what the browser hands it on a
click: the selection and the tab.

Headless Chromium cannot answer the browser's own "Allow this site?" question:
the test's copy of the extension has the test's origins (127.0.0.1 and
localhost, any port) granted at install, which is what answering "Allow"
does; the extension's code asks exactly as it does for a person.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import logging
import os
import shutil
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from accounts import tokens
from accounts.models import ApiToken
from dialer.models import Call
from testkit.known_secrets import API_TOKENS
from tests.e2e.browser import WAIT_S, chromium

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

SOURCE = Path(__file__).resolve().parents[2] / "browser_extension"
NUMBERS = ["+44 20 7946 0958", "01 42 68 53 00", "(555) 010-0199", "0142685300", "+33 (0)1 23 45 67 89"]
TEST_PAGE = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>CRM</title></head><body>
<h1>Customers</h1>
<ul>{"".join(f'<li id="n{i}">Call us on {number} today.</li>' for i, number in enumerate(NUMBERS))}</ul>
<p id="date">Meeting on 2026-12-07 about invoice 20261207.</p>
<p><a id="tel" href="tel:+442079460958">Helpdesk</a></p>
<p><input id="field" value="01 42 68 53 00"></p>
</body></html>"""


def extension_id(path: Path) -> str:
    """The id Chromium gives an unpacked extension: from the SHA-256 of its absolute path."""
    return "".join(
        chr(ord("a") + int(char, 16)) for char in hashlib.sha256(str(path).encode()).hexdigest()[:32]
    )


@pytest.fixture
def extension(tmp_path: Path) -> Path:
    """A copy of browser_extension/ with the test's origins granted at install (see the module's doc)."""
    copy = tmp_path / "extension"
    shutil.copytree(SOURCE, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["host_permissions"] = ["http://127.0.0.1/*", "http://localhost/*"]
    (copy / "manifest.json").write_text(json.dumps(manifest))
    return copy


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[list[str]]:
    """The same test page on two local origins (two ports): one to enable, one left alone."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "index.html").write_text(TEST_PAGE)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    yield [f"http://127.0.0.1:{server.server_address[1]}" for server in servers]
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser_with_extension(tmp_path: Path, extension: Path) -> Iterator[Any]:
    yield from chromium(tmp_path, extension=extension)


class Browser:
    def __init__(self, driver: Any, extension: Path) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.by = driver, By
        self.base = f"chrome-extension://{extension_id(extension)}"
        self.wait = WebDriverWait(driver, WAIT_S)

    def find(self, css: str) -> Any:
        return self.wait.until(lambda driver: driver.find_element(self.by.CSS_SELECTOR, css))

    def all(self, css: str) -> list[Any]:
        return self.driver.find_elements(self.by.CSS_SELECTOR, css)

    def text_becomes(self, css: str, wanted: str) -> str:
        self.wait.until(lambda driver: wanted in driver.find_element(self.by.CSS_SELECTOR, css).text, wanted)
        return self.find(css).text

    def tab_id(self, url_prefix: str) -> int:
        """The browser's id of the tab showing ``url_prefix`` (asked from an extension page)."""
        return self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "chrome.tabs.query({}).then(tabs => done(tabs.find(t => t.url.startsWith(arguments[0])).id));",
            url_prefix,
        )

    def select(self, css: str) -> str:
        """Select the text of ``css`` in the page, as a person's mouse does; the selected text."""
        self.find(css)
        return self.driver.execute_script(
            "const range = document.createRange();"
            "range.selectNodeContents(document.querySelector(arguments[0]));"
            "const selection = window.getSelection();"
            "selection.removeAllRanges(); selection.addRange(range);"
            "return selection.toString();",
            css,
        )


class ServiceWorker:
    """The extension's service worker, reached through the browser's DevTools protocol.

    Asked from an extension page (the driver's current one), which wakes the
    worker when the browser has stopped it; the attached DevTools session
    then keeps it running.
    """

    def __init__(self, browser: Browser) -> None:
        import websocket

        address = browser.driver.capabilities["goog:chromeOptions"]["debuggerAddress"]
        script = browser.base + "/background.js"

        def target(driver: Any) -> Any:
            driver.execute_async_script(  # a message wakes the worker (which answers nothing to a page)
                "const done = arguments[arguments.length - 1];"
                "chrome.runtime.sendMessage({type: 'wake'}).then(done, done);"
            )
            with urllib.request.urlopen(f"http://{address}/json/list", timeout=WAIT_S) as answer:
                targets = json.load(answer)
            return next((t for t in targets if t["type"] == "service_worker" and t["url"] == script), None)

        found = browser.wait.until(target, "the extension's service worker did not start")
        self.socket = websocket.create_connection(
            found["webSocketDebuggerUrl"], timeout=WAIT_S, suppress_origin=True
        )
        self.sent = 0

    def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` in the worker (awaited when it is a promise)."""
        self.sent += 1
        self.socket.send(
            json.dumps(
                {
                    "id": self.sent,
                    "method": "Runtime.evaluate",
                    "params": {"expression": expression, "awaitPromise": True, "returnByValue": True},
                }
            )
        )
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.sent:
                break
        assert "exceptionDetails" not in message["result"], message["result"]
        return message["result"]["result"].get("value")

    def click_menu(self, info: dict[str, Any], tab: dict[str, Any]) -> Any:
        """The browser's call on a click of the extension's menu item: its listener with (info, tab)."""
        assert self.evaluate("chrome.contextMenus.onClicked.hasListener(onMenuClicked)") is True
        return self.evaluate(f"onMenuClicked({json.dumps(info)}, {json.dumps(tab)})")

    def close(self) -> None:
        self.socket.close()


@pytest.mark.usefixtures("alice")
def test_numbers_on_an_enabled_site_dial_for_the_tokens_user(
    live_server, browser_with_extension, extension, sites, *, tmp_path, caplog
):
    alice = get_user_model().objects.get(username="alice")
    ApiToken.objects.create(user=alice, label="extension", key_hash=tokens.digest(API_TOKENS["alice"]))
    screenshots = Path(os.environ.get("ASTITRAY_SCREENSHOT_DIR") or tmp_path)
    browser = Browser(browser_with_extension, extension)
    driver = browser.driver
    enabled, other = sites

    # Settings: the server and the token (never a password), then "test connection".
    driver.get(browser.base + "/options.html")
    browser.find("#server").send_keys(live_server.url)
    browser.find("#token").send_keys(API_TOKENS["alice"])
    browser.find("#save").click()
    assert "Connected as Alice Martin, phone 1001." in browser.text_becomes("#result", "Connected as")
    assert browser.find("#token").get_attribute("type") == "password"

    # The context menu's "Call with Astitray" (on selected text) exists: updating an item that was
    # never created fails. (The menu itself is the browser's: no driver can open it headless.)
    assert (
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "chrome.contextMenus.update('astitray-call', {contexts: ['selection']})"
            ".then(() => done('ok'), error => done(String(error)));"
        )
        == "ok"
    )
    assert (
        driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "chrome.contextMenus.update('no-such-item', {}).then(() => done('ok'), () => done('missing'));"
        )
        == "missing"
    )

    # The test page, then the popup about its tab: enable that site (and only it).
    driver.get(enabled + "/index.html")
    page = driver.current_window_handle
    assert browser.all("a.astitray-number") == []  # nothing before the user enables the site
    driver.switch_to.new_window("tab")
    driver.set_window_size(360, 420)
    driver.get(browser.base + "/options.html")
    tab = browser.tab_id(enabled)
    driver.get(f"{browser.base}/popup.html?tab={tab}")
    assert browser.text_becomes("#site", enabled) == enabled
    browser.text_becomes("#who", "Connected as Alice Martin")
    button = browser.find("#toggle")
    assert button.text == "Make numbers clickable on this site"
    button.click()
    browser.text_becomes("#message", "Numbers on this site are now clickable.")
    driver.save_screenshot(str(screenshots / "extension-popup.png"))
    driver.close()
    driver.switch_to.window(page)
    driver.set_window_size(1280, 900)

    # Every number of the page is clickable, the date, the reference and the form field are not.
    driver.refresh()
    browser.wait.until(lambda _driver: len(browser.all("a.astitray-number")) == len(NUMBERS))
    assert [link.text for link in browser.all("a.astitray-number")] == NUMBERS
    assert browser.all("#date a, #field a") == []

    # The page's own scripts cannot dial: a synthetic click, and no way to reach the extension.
    assert driver.execute_script(
        "document.querySelector('#n0 a').click();"
        "return typeof chrome === 'undefined' || !chrome.runtime || typeof chrome.runtime.sendMessage;"
    ) in (True, "undefined")
    driver.execute_script("window.postMessage({type: 'dial', text: '0142685300'}, '*');")

    # A real click on a number: a call for the token's user, from her phone.
    browser.find("#n1 a").click()
    status = browser.text_becomes(".astitray-toast", "Calling")
    (call,) = Call.objects.all()
    assert (call.username, call.channel) == ("alice", "PJSIP/1001")
    assert call.number in status
    driver.save_screenshot(str(screenshots / "extension-page.png"))

    # A tel: link dials too.
    browser.find("#tel").click()
    browser.wait.until(lambda _driver: Call.objects.count() == 2)
    assert Call.objects.order_by("-created").first().text == "+442079460958"

    # The same page on a site not enabled: no clickable number, tel: links left to the browser.
    driver.get(other + "/index.html")
    browser.find("#n0")
    assert browser.all("a.astitray-number") == []
    # "Call with Astitray" on selected text, on any site (the browser hands over only the selection):
    # the extension's listener, called as the browser calls it, dials through the API with the token.
    caplog.set_level(logging.INFO, logger="drivers.console")
    page_url = other + "/index.html"
    selected = browser.select("#n4")  # a number not dialed yet (the same one again within seconds is not)
    assert selected == "Call us on +33 (0)1 23 45 67 89 today."
    no_number = browser.select("h1")
    driver.switch_to.new_window("tab")
    driver.get(browser.base + "/options.html")
    page_tab = {"id": browser.tab_id(other), "url": page_url}
    worker = ServiceWorker(browser)
    try:
        called = worker.click_menu(
            {"menuItemId": "astitray-call", "selectionText": selected, "pageUrl": page_url}, page_tab
        )
        assert Call.objects.count() == 3
        call = Call.objects.order_by("-created").first()
        assert call is not None
        assert (call.username, call.channel, call.text) == ("alice", "PJSIP/1001", selected)
        originated = [r.getMessage() for r in caplog.records if "would originate" in r.getMessage()]
        assert f"channel=PJSIP/1001 number={call.number} " in originated[-1]
        assert call.number.endswith("123456789")
        calling = f"Calling {call.number} — pick up your phone"
        assert (called["title"], called["message"]) == ("Astitray", calling)

        # A selection without a number: nothing dialed, and the notification says why.
        shown = worker.click_menu(
            {"menuItemId": "astitray-call", "selectionText": no_number, "pageUrl": page_url}, page_tab
        )
        assert (shown["title"], shown["message"]) == (
            "Not called.",
            "No phone number was found in that text.",
        )
        assert Call.objects.count() == 3
        assert len([r for r in caplog.records if "would originate" in r.getMessage()]) == len(originated)
        # Both were shown as the browser's notifications.
        assert set(worker.evaluate("chrome.notifications.getAll()")) >= {called["id"], shown["id"]}
    finally:
        worker.close()
    driver.close()
    driver.switch_to.window(page)

    token_row = ApiToken.objects.get()
    assert token_row.last_used is not None and token_row.last_address == "127.0.0.1"
