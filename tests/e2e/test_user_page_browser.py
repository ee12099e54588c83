"""The user page in a real browser (Debian's Chromium, headless, Selenium) against a live server.

An LDAP user (a real slapd) logs in with the keyboard only, searches the
phonebook, dials with Enter and sees the call's status change, sees a missed
call in the recent calls and calls it back; the page also works 360 px wide.
Screenshots go to the test's folder, or to ``ASTITRAY_SCREENSHOT_DIR``
(``docs`` makes docs/web-*.png).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from dialer.models import Call, CallDirection, CallLogStatus
from drivers.models import PbxServer
from events.bus import _hubs
from testkit.known_secrets import LDAP_PASSWORDS
from tests.accounts.conftest import directory, ldap_settings, search_then_bind
from tests.e2e.browser import WAIT_S
from tests.phonebook.helpers import add

__all__ = ["directory", "ldap_settings"]  # fixtures

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(browser: Any) -> Iterator[Any]:
    """The conftest's Chromium; afterwards, the page's last long poll (events.wait) has ended.

    The live server answers the page's ``events.wait`` in one of its threads, which may wait up to
    25 s more after the test: once the browser has left the page, the test waits for it, so that
    no wait reads a database the test is emptying.
    """
    yield browser
    browser.get("about:blank")
    deadline = time.monotonic() + 60
    while any(hub.count() for hub in list(_hubs.values())) and time.monotonic() < deadline:
        time.sleep(0.2)


class Page:
    """The user page in the browser, driven by the keyboard."""

    def __init__(self, driver: Any, base_url: str, screenshots: Path) -> None:
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.by import By
        from selenium.webdriver.common.keys import Keys
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.base_url, self.screenshots = driver, base_url, screenshots
        self.by, self.keys, self.actions = By, Keys, ActionChains
        self.wait = WebDriverWait(driver, WAIT_S)

    def open(self, path: str, ready: str) -> None:
        self.driver.get(self.base_url + path)
        self.find(ready)

    def find(self, css: str) -> Any:
        return self.wait.until(lambda driver: driver.find_element(self.by.CSS_SELECTOR, css))

    def keyboard(self, *keys: str) -> None:
        """Keys typed into whatever has the focus, as a person types them."""
        chain = self.actions(self.driver)
        for key in keys:
            chain.send_keys(key)
        chain.perform()

    def focused(self) -> str:
        return self.driver.execute_script("return document.activeElement.id || 'none';")

    def text_becomes(self, css: str, wanted: str) -> str:
        self.wait.until(lambda driver: wanted in driver.find_element(self.by.CSS_SELECTOR, css).text, wanted)
        return self.find(css).text

    def shoot(self, name: str, width: int, height: int = 760) -> Path:
        self.driver.set_window_size(width, height)
        path = self.screenshots / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), path
        return path


def test_an_ldap_user_logs_in_searches_and_dials_with_the_keyboard_only(
    live_server, browser, tmp_path, ldap_settings, directory
):
    PbxServer.objects.create(name="Console", driver="console", context="from-internal", is_default=True)
    search_then_bind(ldap_settings, directory)  # the service account: the page checks she is still there
    add("Hélène Dupont", "+44 20 7946 0958", company="ACME Corp")
    add("Hector Dubois", "01 42 68 53 00", company="Globex")
    screenshots = Path(os.environ.get("ASTITRAY_SCREENSHOT_DIR") or tmp_path)
    page = Page(browser, live_server.url, screenshots)

    # Log in: the login page focuses the username; Tab, then Enter submits.
    page.open("/me/", ready="#id_username")
    assert page.focused() == "id_username"
    page.keyboard("carol", page.keys.TAB, LDAP_PASSWORDS["carol"], page.keys.ENTER)
    page.find("#q")
    assert "phone 2001" in page.find(".me").text  # the phone the directory gives her
    carol = get_user_model().objects.get(username="carol")

    # A missed call shows among the recent calls (written as the PBX event listener writes them).
    Call.objects.create(
        user=carol,
        username="carol",
        extension="2001",
        channel="PJSIP/2001",
        number="0142685300",
        name="Hector Dubois",
        direction=CallDirection.IN,
        status=CallLogStatus.MISSED,
    )
    browser.refresh()
    page.text_becomes("#history", "Hector Dubois")
    assert page.find("#history li.missed").text.startswith("Hector Dubois")

    # "/" goes to the search box; typing searches; Enter dials the first result's number.
    page.keyboard("/")
    assert page.focused() == "q"
    page.keyboard("hel dup")
    page.text_becomes("#results", "Hélène Dupont")
    assert "Hector" not in page.find("#results").text
    assert "selected" in page.find("#results button.number").get_attribute("class")
    page.shoot("web-search", 360, 640)
    page.driver.set_window_size(1280, 900)
    page.keyboard(page.keys.ENTER)
    status = page.text_becomes("#status", "Answered")
    call = Call.objects.filter(user=carol, direction=CallDirection.OUT).get()
    assert call.number in status
    assert (call.channel, call.status) == ("PJSIP/2001", CallLogStatus.ANSWERED)

    # Escape clears; a typed number shows what will be dialed; the arrows reach a result.
    page.keyboard(page.keys.ESCAPE)
    assert page.find("#q").get_attribute("value") == ""
    assert page.find("#results").text == ""
    page.keyboard("0142685300")
    page.text_becomes("#preview", "Will dial")
    page.text_becomes("#results", "Hector Dubois")
    page.keyboard(page.keys.ENTER)
    page.wait.until(lambda _driver: Call.objects.filter(user=carol, direction=CallDirection.OUT).count() == 2)
    page.text_becomes("#history", "Answered")
    page.shoot("web-page", 360, 760)
    assert page.driver.execute_script("return document.documentElement.scrollWidth") <= 360


# The page's notifications, recorded: the browser's own Notification, its permission as granted.
SPY_NOTIFICATIONS = """
window.shownNotices = [];
var Real = window.Notification;
function Spy(title, options) {
  window.shownNotices.push([title, options.body, options.tag]);
  return new Real(title, options);
}
Spy.permission = Real.permission;
Spy.requestPermission = Real.requestPermission.bind(Real);
window.Notification = Spy;
return Real.permission;
"""


def test_an_incoming_call_shows_in_the_page_and_as_a_notification(live_server, browser, tmp_path, alice):
    from events.publish import event_payload, publish
    from testkit.known_secrets import ALICE_PASSWORD

    screenshots = Path(os.environ.get("ASTITRAY_SCREENSHOT_DIR") or tmp_path)
    page = Page(browser, live_server.url, screenshots)
    origin = live_server.url
    page.open("/me/", ready="#id_username")
    page.keyboard("alice", page.keys.TAB, ALICE_PASSWORD, page.keys.ENTER)
    page.find("#q")
    # Before any permission: the page offers to show notifications (the browser asks on that click).
    notify = page.find("#notify")
    assert notify.is_displayed() and notify.text == "Show incoming calls as notifications"
    browser.execute_cdp_cmd("Browser.grantPermissions", {"origin": origin, "permissions": ["notifications"]})
    browser.refresh()
    page.find("#q")
    assert browser.execute_script(SPY_NOTIFICATIONS) == "granted"
    assert not page.find("#notify").is_displayed()  # granted: nothing to ask

    # The listener writes an incoming call for alice: the page shows it while it rings.
    publish(
        alice.pk,
        "incoming",
        event_payload(
            "incoming", call_id="c1", number="+33 1 42 68 53 00", name="Marie Dubois", company="ACME Corp"
        ),
    )
    shown = page.text_becomes("#incoming", "Incoming call from Marie Dubois (ACME Corp)")
    assert "+33 1 42 68 53 00" in shown
    page.wait.until(lambda _driver: browser.execute_script("return window.shownNotices.length") == 1)
    assert browser.execute_script("return window.shownNotices[0]") == [
        "Incoming call from Marie Dubois (ACME Corp)",
        "+33 1 42 68 53 00",
        "astitray-c1",
    ]
    page.shoot("web-incoming", 360, 640)

    # Nobody answers: the page says it was missed, with a button to call back.
    publish(
        alice.pk,
        "missed",
        event_payload("missed", call_id="c1", number="+33 1 42 68 53 00", name="Marie Dubois"),
    )
    page.text_becomes("#incoming", "Missed call from Marie Dubois")
    assert page.find("#incoming button.number").text == "Call back"
    assert browser.execute_script("return window.shownNotices.length") == 1  # one notification per call

    # A caller-ID name is whatever the caller's network sent: shown as text, never as markup.
    hostile = '<img src=x onerror="window.pwned=1">Eve'
    publish(alice.pk, "incoming", event_payload("incoming", call_id="c2", number="0142685300", name=hostile))
    page.text_becomes("#incoming", f"Incoming call from {hostile}")
    assert browser.execute_script("return document.querySelectorAll('#incoming img').length") == 0
    assert browser.execute_script("return window.pwned === undefined")
    page.wait.until(lambda _driver: browser.execute_script("return window.shownNotices.length") == 2)
    assert browser.execute_script("return window.shownNotices[1][0]") == f"Incoming call from {hostile}"
