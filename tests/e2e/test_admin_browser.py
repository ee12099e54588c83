"""The admin in a real browser (Debian's Chromium, headless, driven by Selenium) against a live server.

An admin logs in, creates a user with a phone, adds a PBX with the console
driver and tests its connection, adds a rewrite rule and tries a number;
the user dials over XML-RPC and the admin sees the call in the call log.
Screenshots of those pages go to the test's folder, or to
``ASTITRAY_SCREENSHOT_DIR`` (``docs`` makes the README's ``docs/admin-*.png``).
"""

from __future__ import annotations

import os
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Extension
from dialer.models import Call, RewriteRule
from drivers.models import PbxServer
from tests.known_secrets import BROWSER_ADMIN_PASSWORD, BROWSER_CAROL_PASSWORD
from tests.services import require

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ADMIN_PASSWORD = BROWSER_ADMIN_PASSWORD
CAROL_PASSWORD = BROWSER_CAROL_PASSWORD
WAIT_S = 60  # explicit waits, generous on a loaded machine
WIDTH = 1440


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    require(
        Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(),
        "Chromium is not installed (Debian packages chromium and chromium-driver)",
    )
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        require(False, "selenium is not installed (requirements-dev.txt)")
        raise
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
        f"--window-size={WIDTH},900",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(argument)
    service = Service(executable_path=CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


class Admin:
    """The admin site in the browser: explicit waits for every page, screenshots by name."""

    def __init__(self, driver: Any, base_url: str, screenshots: Path) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import Select, WebDriverWait

        self.driver, self.base_url, self.screenshots = driver, base_url, screenshots
        self.by, self.conditions, self.select_class = By, expected_conditions, Select
        self.wait = WebDriverWait(driver, WAIT_S)

    def open(self, path: str, ready: str = "#content") -> None:
        self.driver.get(self.base_url + path)
        self.find(ready)

    def find(self, css: str) -> Any:
        return self.wait.until(self.conditions.presence_of_element_located((self.by.CSS_SELECTOR, css)))

    def type(self, css: str, text: str) -> None:
        field = self.find(css)
        field.clear()
        field.send_keys(text)

    def choose(self, css: str, label: str) -> None:
        self.select_class(self.find(css)).select_by_visible_text(label)

    def submit(self, css: str, ready: str = "#content") -> None:
        """Click ``css`` and wait for the next page."""
        page = self.driver.find_element(self.by.TAG_NAME, "html")
        self.find(css).click()
        self.wait.until(self.conditions.staleness_of(page))
        self.find(ready)

    def text(self, css: str) -> str:
        return self.find(css).text

    def shoot(self, name: str) -> Path:
        """The page down to the end of its content (at most 1800 pixels high) as ``<name>.png``."""
        bottom = self.driver.execute_script(
            "const boxes = Array.from(document.querySelectorAll('#content, #content *'));"
            "const bottom = Math.max(0, ...boxes.map(e => e.getBoundingClientRect().bottom));"
            "return Math.ceil(bottom + window.scrollY);"
        )
        frame = self.driver.execute_script("return window.outerHeight - window.innerHeight")
        self.driver.set_window_size(WIDTH, int(frame) + max(600, min(int(bottom) + 24, 1800)))
        path = self.screenshots / f"{name}.png"
        assert self.driver.save_screenshot(str(path)), path
        self.driver.set_window_size(WIDTH, 900)
        return path


def test_an_admin_sets_up_a_phone_and_sees_its_call_in_the_call_log(live_server, browser, tmp_path):
    get_user_model().objects.create_superuser("root", "root@example.org", ADMIN_PASSWORD)
    screenshots = Path(os.environ.get("ASTITRAY_SCREENSHOT_DIR") or tmp_path)
    admin = Admin(browser, live_server.url, screenshots)

    # Log in.
    admin.open("/admin/", ready="#login-form")
    admin.type("#id_username", "root")
    admin.type("#id_password", ADMIN_PASSWORD)
    admin.submit("#login-form [type=submit]", ready="#user-tools")
    assert "Site administration" in browser.title
    shots = [admin.shoot("admin-index")]

    # A user with a phone, on the user's page (the Extension inline).
    admin.open("/admin/auth/user/add/", ready="#user_form")
    admin.type("#id_username", "carol")
    admin.type("#id_password1", CAROL_PASSWORD)
    admin.type("#id_password2", CAROL_PASSWORD)
    admin.find("#extension-group .add-row a").click()
    admin.type("#id_extension-0-number", "1003")
    admin.type("#id_extension-0-channel", "PJSIP/1003")
    shots.append(admin.shoot("admin-user"))
    admin.submit("[name=_save]", ready=".messagelist .success")
    assert "was added successfully" in admin.text(".messagelist")
    extension = Extension.objects.get(user__username="carol")
    assert (extension.number, extension.channel, extension.pbx) == ("1003", "PJSIP/1003", None)

    # A PBX with the console driver, the default one; then "Test connection" from the list.
    admin.open("/admin/drivers/pbxserver/add/", ready="#pbxserver_form")
    admin.type("#id_name", "Office PBX")
    admin.choose("#id_driver", "console")
    admin.find("#id_is_default").click()
    admin.submit("[name=_save]", ready=".messagelist .success")
    pbx = PbxServer.objects.get(name="Office PBX")
    assert (pbx.driver, pbx.is_default, PbxServer.objects.default()) == ("console", True, pbx)
    admin.find(f"#result_list input.action-select[value='{pbx.pk}']").click()
    admin.choose("select[name=action]", "Test connection")
    admin.submit("button[name=index]", ready=".messagelist")
    assert "Office PBX: OK." in admin.text(".messagelist")
    shots.append(admin.shoot("admin-pbx-servers"))

    # A rewrite rule of that PBX, then "Try a number" shows it at work.
    admin.open("/admin/dialer/rewriterule/add/", ready="#rewriterule_form")
    admin.type("#id_name", "Service numbers")
    admin.choose("#id_pbx", "Office PBX")
    admin.type("#id_pattern", r"^(3\d{3})$")
    admin.type("#id_replacement", r"0\1")
    admin.find("#id_final").click()
    admin.submit("[name=_save]", ready=".messagelist .success")
    assert RewriteRule.objects.filter(name="Service numbers", pbx=pbx, final=True).exists()
    admin.submit(".object-tools a[href$='/try/']", ready="#try_number_form")
    admin.type("#id_text", "Please call 3949 today")
    admin.choose("#id_pbx", "Office PBX")
    admin.type("#id_username", "carol")
    admin.submit("[name=_try]", ready="#try_number_result")
    assert "03949" in admin.text("#try_number_answer")
    assert "Service numbers" in admin.text("#try_number_steps")
    shots.append(admin.shoot("admin-try-number"))

    # Carol dials, as her tray icon would.
    netloc = urlsplit(live_server.url).netloc
    carol: Any = xmlrpc.client.ServerProxy(f"http://carol:{CAROL_PASSWORD}@{netloc}/rpc/")
    placed = [carol.dialer.dial("3949"), carol.dialer.dial("+44 20 7946 0958")]
    assert [(call["number"], call["status"]) for call in placed] == [
        ("03949", "answered"),
        ("000442079460958", "answered"),
    ]

    # The admin sees both calls in the call log, and one call's page.
    admin.open("/admin/dialer/call/", ready="#result_list")
    rows = admin.text("#result_list")
    assert "03949" in rows and "000442079460958" in rows and "carol" in rows and "answered" in rows.lower()
    assert Call.objects.filter(username="carol", pbx=pbx).count() == 2
    shots.append(admin.shoot("admin-calls"))

    assert all(path.stat().st_size > 10_000 for path in shots), shots
