"""Chromium (Debian's chromium and chromium-driver, headless, driven by Selenium) for the admin's tests.

:func:`chromium` starts a browser in a given language; :class:`Admin` waits
for each page of the admin and takes screenshots by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from testkit.services import require

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
WAIT_S = 60  # explicit waits, generous on a loaded machine
WIDTH = 1440


def chromium(tmp_path: Path, language: str = "en-US", extension: Path | None = None) -> Iterator[Any]:
    """A headless Chromium whose user interface and Accept-Language are ``language``; quit afterwards.

    With ``extension``, that unpacked extension is loaded (and no other).
    """
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
        *(
            (f"--disable-extensions-except={extension}", f"--load-extension={extension}")
            if extension is not None
            else ("--disable-extensions",)
        ),
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
        f"--window-size={WIDTH},900",
        f"--user-data-dir={tmp_path / f'chromium-profile-{language}'}",
        f"--lang={language}",
    ):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs", {"intl.accept_languages": f"{language},{language.split('-', maxsplit=1)[0]}"}
    )
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
        from selenium.common.exceptions import WebDriverException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions
        from selenium.webdriver.support.ui import Select, WebDriverWait

        self.driver, self.base_url, self.screenshots = driver, base_url, screenshots
        self.by, self.conditions, self.select_class = By, expected_conditions, Select
        self.wait = WebDriverWait(driver, WAIT_S)
        # While one document replaces another, the browser may answer a script with an error: not yet.
        self.wait_for_next_page = WebDriverWait(driver, WAIT_S, ignored_exceptions=(WebDriverException,))

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
        """Click ``css`` and wait for the next page to be loaded.

        The page being left is marked (a property of its window, which the next
        page's window does not have) rather than watched through one of its
        elements: reading an element of a page while the browser replaces it can
        fail with "Node with given id does not belong to the document".
        """
        self.driver.execute_script("window.astitrayPageLeft = true;")
        self.find(css).click()
        self.wait_for_next_page.until(
            lambda driver: driver.execute_script(
                "return !window.astitrayPageLeft && document.readyState === 'complete';"
            ),
            "the next page did not load",
        )
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
