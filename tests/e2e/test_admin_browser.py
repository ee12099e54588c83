"""The admin in a real browser (Debian's Chromium, headless, driven by Selenium) against a live server.

An admin logs in, creates a user with a phone, adds a PBX with the console
driver and tests its connection, adds a rewrite rule and tries a number;
the user dials over XML-RPC and the admin sees the call in the call log.
Screenshots of those pages go to the test's folder, or to
``ASTITRAY_SCREENSHOT_DIR`` (``docs`` makes the README's ``docs/admin-*.png``, see docs/development.md).
"""

from __future__ import annotations

import os
import xmlrpc.client
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Extension
from dialer.models import Call, RewriteRule
from drivers.models import PbxServer
from testkit.known_secrets import BROWSER_ADMIN_PASSWORD, BROWSER_CAROL_PASSWORD
from tests.e2e.browser import Admin

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

ADMIN_PASSWORD = BROWSER_ADMIN_PASSWORD
CAROL_PASSWORD = BROWSER_CAROL_PASSWORD


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
