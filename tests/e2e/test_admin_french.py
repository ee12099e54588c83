"""The admin in French in a real browser (Chromium set to French), and the call statistics page.

An admin whose browser asks for French (Accept-Language: fr-FR) sees the
admin in French: the index, a PBX's "Tester la connexion" and its messages,
"Essayer un numéro" and its steps; Django's own texts and Astitray's alike.
The statistics page is shot in English for docs/ (``ASTITRAY_SCREENSHOT_DIR``,
see docs/development.md).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from accounts.models import Extension
from dialer.models import Call
from drivers.models import PbxServer
from testkit.known_secrets import BROWSER_ADMIN_PASSWORD
from tests.e2e.browser import Admin

pytestmark = [pytest.mark.service, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def log_in(admin: Admin, welcome: str) -> None:
    admin.open("/admin/", ready="#login-form")
    admin.type("#id_username", "root")
    admin.type("#id_password", BROWSER_ADMIN_PASSWORD)
    admin.submit("#login-form [type=submit]", ready="#user-tools")
    assert welcome in admin.driver.title


def test_an_admin_whose_browser_speaks_french_gets_the_admin_in_french(live_server, french_browser, tmp_path):
    get_user_model().objects.create_superuser("root", "root@example.org", BROWSER_ADMIN_PASSWORD)
    admin = Admin(french_browser, live_server.url, tmp_path)
    log_in(admin, "Site d\u2019administration")  # Django's own catalogue
    index = admin.text("#content").lower()  # app names are shown in capitals (CSS)
    for french in ("serveurs pbx", "numérotation", "annuaire", "comptes et postes", "règles de réécriture"):
        assert french in index, french
    assert "Administration d\u2019Astitray" in admin.text("#site-name")

    # A console PBX, then "Tester la connexion" from the list.
    admin.open("/admin/drivers/pbxserver/add/", ready="#pbxserver_form")
    assert "Plan de numérotation" in admin.text("#pbxserver_form")
    admin.type("#id_name", "Standard")
    admin.choose("#id_driver", "console")
    admin.find("#id_is_default").click()
    admin.submit("[name=_save]", ready=".messagelist .success")
    pbx = PbxServer.objects.get(name="Standard")
    admin.find(f"#result_list input.action-select[value='{pbx.pk}']").click()
    admin.choose("select[name=action]", "Tester la connexion")
    admin.submit("button[name=index]", ready=".messagelist")
    # textContent: the no-break spaces as sent (WebDriver's text turns them into spaces).
    message = admin.find(".messagelist").get_attribute("textContent")
    assert f"Standard{NBSP}: OK. joignable{NBSP}: oui, connexion acceptée{NBSP}: oui" in message, message
    assert "Pilote console" in message and "aucun PBX n\u2019est contacté" in message
    admin.shoot("admin-fr-pbx-servers")

    # "Essayer un numéro": the page, its form and each step's explanation in French.
    admin.open(f"/admin/dialer/rewriterule/try/?pbx={pbx.pk}", ready="#try_number_form")
    assert "Essayer un numéro" in admin.text("#content")
    admin.type("#id_text", "Appelez-moi au +44 20 7946 0958")
    admin.submit("[name=_try]", ready="#try_number_result")
    assert "000442079460958" in admin.text("#try_number_answer")
    steps = admin.text("#try_number_steps")
    assert "Lu dans le texte" in steps and "Le numéro sous sa forme internationale." in steps, steps
    assert "Autre pays (GB)" in steps and "Préfixe de sortie 0." in steps, steps
    assert "autorisé" in admin.text("#try_number_answer")
    admin.shoot("admin-fr-try-number")

    # A text without a number: the refusal in French, its code unchanged.
    admin.type("#id_text", "Rien à composer")
    admin.submit("[name=_try]", ready="#try_number_result")
    assert admin.text("#try_number_error") == (
        "INVALID_NUMBER: Aucun numéro de téléphone n\u2019a été trouvé dans ce texte."
    )


def test_the_call_statistics_page(live_server, browser, tmp_path):
    """The page as an admin sees it, with a month of calls (its picture goes to docs/)."""
    get_user_model().objects.create_superuser("root", "root@example.org", BROWSER_ADMIN_PASSWORD)
    office = PbxServer.objects.create(name="Office PBX", driver="console", is_default=True)
    branch = PbxServer.objects.create(name="Lyon branch", driver="console")
    users = []
    for index, (login, first, last) in enumerate(
        [("hdupont", "Hélène", "Dupont"), ("jmartin", "Jean", "Martin"), ("cbernard", "Claire", "Bernard")]
    ):
        user = get_user_model().objects.create_user(login, first_name=first, last_name=last)
        Extension.objects.create(user=user, number=f"100{index}", channel=f"PJSIP/100{index}")
        users.append(user)
    now = timezone.now()
    statuses = ["answered"] * 6 + ["no_answer", "busy", "answered", "failed", "denied"]
    made = 0
    # The page counts 30 calendar days (today and the 29 before). Days 0 to 28 back, less up to an
    # hour, all fall in them whatever the time: day 29 back lost its calls made before midnight when
    # the test ran just after midnight (a CI run at 00:20 counted 159 of 165).
    for day in range(29):
        for slot in range(3 + (day * 7) % 6):
            status = statuses[(day + slot) % len(statuses)]
            pbx = branch if (status == "failed" and day % 2) or slot % 4 == 3 else office
            user = users[(day + slot) % 3 if slot % 2 else 0]
            call = Call.objects.create(
                user=user, username=user.get_username(), extension="1000", pbx=pbx, text="x",
                number="0142685300", status=status,
            )  # fmt: skip
            Call.objects.filter(pk=call.pk).update(created=now - timedelta(days=day, minutes=slot * 7))
            made += 1
    screenshots = Path(os.environ.get("ASTITRAY_SCREENSHOT_DIR") or tmp_path)
    admin = Admin(browser, live_server.url, screenshots)
    log_in(admin, "Site administration")
    admin.open("/admin/dialer/call/", ready="#result_list")
    admin.submit(".object-tools a[href$='/stats/']", ready="#call_stats")
    assert f"{made} outgoing calls" in admin.text("#call_stats_period")
    assert "Hélène Dupont (hdupont)" in admin.text("#top_callers")
    assert "Lyon branch" in admin.text("#failing_per_pbx")
    shot = admin.shoot("admin-call-stats")
    assert shot.stat().st_size > 10_000
