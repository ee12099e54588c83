"""Asking before dialing a clicked link: the setting, the window's texts, the answer, without a display.

The window itself, on a real X server, is in tests/tray_client/test_confirm_desktop.py.
"""

from __future__ import annotations

import pytest

from tray_client import api, config, dial
from tray_client.callee import Callee
from tray_client.windows import confirm
from tray_client.windows.settings import read_form

from .conftest import USER

NORMALIZED = api.Normalized(
    input="+44-20-7946-0958", number="00442079460958", e164="+442079460958", internal=False
)


def test_it_asks_by_default_and_the_choice_is_kept_in_the_file(tmp_path):
    path = tmp_path / "tray.ini"
    assert config.Settings().confirm_links is True
    assert config.load(path).confirm_links is True  # no file at all
    config.save(config.Settings("https://a.example.org/rpc/", USER, confirm_links=False), path)
    assert "[links]\nask_before_calling = false\n" in path.read_text()
    assert config.load(path).confirm_links is False
    config.save(config.Settings("https://a.example.org/rpc/", USER), path)
    assert config.load(path).confirm_links is True


@pytest.mark.parametrize("value", ["no", "0", "off", "False!", "maybe"])
def test_a_value_other_than_true_or_false_keeps_asking(tmp_path, value, caplog):
    path = tmp_path / "tray.ini"
    path.write_text(f"[links]\nask_before_calling = {value}\n")
    assert config.load(path).confirm_links is True
    assert "not true or false" in caplog.text


def test_the_settings_form_carries_the_choice():
    current = config.Settings()
    settings, _password = read_form("astitray.example.org", USER, "pw", current, confirm_links=False)
    assert settings.confirm_links is False
    settings, _password = read_form("astitray.example.org", USER, "pw", current)
    assert settings.confirm_links is True


@pytest.mark.parametrize(
    ("answers", "answer"),
    [
        ([{"call": True}], "call"),
        ([{"call": False, "reason": "cancel"}], "cancel"),
        ([{"call": False, "reason": "expired"}], "expired"),
        ([], "cancel"),  # the window closed without a word
        ([{"call": "yes"}], "cancel"),  # only a real true calls
        ([{"call": 1}], "cancel"),
        ([{"raise": True}, {"call": True}], "call"),
        ([{"call": False}, {"call": True}], "cancel"),  # the first answer counts
    ],
)
def test_only_an_explicit_call_answer_dials(answers, answer):
    assert dial.answer_of(answers) == answer


def test_the_refusals_say_that_nothing_was_dialed():
    assert dial.refusal_message("cancel") == "Not called: you cancelled the call."
    assert dial.refusal_message("expired", 60) == (
        "Not called: nobody answered the question within 60 seconds."
    )
    cannot = dial.refusal_message("cannot ask", reason="Astitray's windows cannot open: GTK 3 is missing.")
    assert "set ask_before_calling = false in the [links] section of" in cannot
    assert "in Settings" not in cannot  # a window that cannot open either
    assert cannot.endswith("\nAstitray's windows cannot open: GTK 3 is missing.")


def test_the_question_shows_the_link_then_whom_the_server_will_call_as_people_write_it():
    assert confirm.question("+44-20-7946-0958", None) == "Call +44-20-7946-0958 with your desk phone?"
    helene = Callee("+44-20-7946-0958", "00442079460958", "+44 20 7946 0958", "Hélène Dupont", "ACME")
    assert confirm.question("+44-20-7946-0958", helene) == (
        "Call Hélène Dupont (ACME) — +44 20 7946 0958 with your desk phone?"
    )
    nobody = Callee("+44-20-7946-0958", "00442079460958", "+44 20 7946 0958")
    assert confirm.question("x", nobody) == "Call +44 20 7946 0958 with your desk phone?"
    # An older server (no display): the E.164 form, never the PBX's dial string.
    older = Callee("+44-20-7946-0958", "00442079460958", e164="+442079460958")
    assert confirm.question("x", older) == "Call +442079460958 with your desk phone?"
    assert confirm.question("1" * 300, None) == f"Call {'1' * 79}… with your desk phone?"


def test_the_check_line_says_what_the_server_said():
    assert confirm.check_line(None) == "Checking the number with the server…"
    assert confirm.check_line((Callee("1002", "1002"),)) == ""
    assert confirm.check_line(api.ServerTimeout("slow")) == (
        "The server could not check the number: The Astitray server did not answer in time. "
        "Try again in a moment."
    )


def test_the_contact_line():
    helene = api.Contact(1, "Hélène Dupont", "ACME", "Sales", "", "", ())
    assert confirm.contact_line(helene) == "Hélène Dupont (ACME — Sales)"
    assert confirm.contact_line(api.Contact(2, "Jean Martin", "", "", "", "", ())) == "Jean Martin"
    assert confirm.contact_line(None) == ""


def test_lookup_through_the_public_api(stand_in):
    owners = {
        "+442079460958": {
            "id": 1, "name": "Hélène Dupont", "company": "ACME", "department": "", "title": "", "email": "",
            "numbers": [{"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"}],
        }
    }  # fmt: skip
    stand_in.procedures["phonebook.lookup"] = lambda number: owners.get(number, {})
    from .conftest import PASSWORD

    client = api.ApiClient(api.Credentials(stand_in.url, USER, PASSWORD), timeout_s=5)
    contact = client.lookup("+442079460958")
    assert contact is not None and contact.name == "Hélène Dupont"
    assert client.lookup("+33123456789") is None


def test_a_search_row_per_number_with_the_contact_s_organisation():
    from tray_client.windows import search

    numbers = (
        api.ContactNumber("work", "020 7946 0958", "+442079460958"),
        api.ContactNumber("mobile", "1001", ""),
    )
    helene = api.Contact(1, "Hélène Dupont", "", "Sales", "", "", numbers)
    assert helene.organisation == "Sales"
    assert search.rows_for([helene]) == [
        search.Row("Hélène Dupont", "Sales", "work", "020 7946 0958", "+442079460958"),
        search.Row("Hélène Dupont", "Sales", "mobile", "1001", "1001"),
    ]
    assert api.Contact(2, "Jean Martin", "ACME", "Sales", "", "", ()).organisation == "ACME — Sales"
