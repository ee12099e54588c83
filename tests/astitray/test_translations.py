"""French on the server: every marked text has a translation, the committed .mo is the .po compiled,
French typography is kept, and each part speaks the language it should.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from astitray.locale import language_of_header
from drivers.base import CheckResult

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
# The server's packages (the tray client has its own catalogue, tested in tests/tray_client).
PACKAGES = ("accounts", "astitray", "dialer", "drivers", "events", "monitoring", "phonebook")
MARKERS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy", "pgettext"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[srdfi]")
NBSP = "\u00a0"


def python_texts() -> set[str]:
    """Every literal given to a translation function in the server's code (what xgettext extracts)."""
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in MARKERS
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    found.add(node.args[0].value)
    return found


def template_texts() -> set[str]:
    """Every text of the server's templates ({% translate %}, {% blocktranslate %}), as Django extracts it."""
    found: set[str] = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("templates/**/*.html"):
            code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            # The first argument: one string literal (quotes escaped inside, as templatize writes it).
            for literal in re.finditer(r"\b(?:gettext|ngettext)\(u?('(?:[^'\\]|\\.)*')", code, flags=re.S):
                found.add(ast.literal_eval(literal.group(1)))
    return found


def read_po(path: Path) -> dict[str, list[str]]:
    """msgid -> its translations (one, or one per plural form), fuzzy entries left out."""
    catalogue: dict[str, list[str]] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if "#, fuzzy" in block:
            continue
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            match = re.match(r"^(msgid|msgid_plural|msgstr(?:\[\d\])?) (\".*\")$", line)
            if match:
                key = match.group(1)
                fields[key] = ast.literal_eval(match.group(2))
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid"):
            catalogue[fields["msgid"]] = [
                value for name, value in sorted(fields.items()) if name.startswith("msgstr")
            ]
    return catalogue


def test_every_server_text_has_a_french_translation():
    catalogue = read_po(PO)
    texts = python_texts() | template_texts()
    assert len(texts) > 300, "the extraction found too little: is it still looking in the right places?"
    missing = sorted(text for text in texts if not all(catalogue.get(text, [""])))
    assert missing == [], "run scripts/server-messages and translate these (docs/development.md)"


def test_translations_keep_their_placeholders():
    for english, french in read_po(PO).items():
        for translated in french:
            assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(translated)), english


def test_the_committed_mo_is_the_po_compiled():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for english, french in read_po(PO).items():
        if len(french) == 1:
            assert compiled.gettext(english) == french[0], english
        else:
            assert [compiled.ngettext(english, english, n) for n in (1, 2)] == french, english


def test_french_typography():
    """A no-break space before : ; ? ! and inside « », as Django's own French admin does; no straight '."""
    for english, french in read_po(PO).items():
        for text in french:
            assert not re.search(r" [:;?!»]|« ", text), (english, text)
            assert not re.search(r"\w'\w", text), (english, text)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        ("fr-CA", "fr"),
        ("de-DE,fr;q=0.5", "fr"),
        ("en-GB", "en"),
        ("de", None),
    ],
)
def test_a_clients_language_is_read_from_its_header(header, language):
    assert language_of_header(header) == language


@pytest.mark.django_db
def test_the_admin_speaks_the_browsers_language(client):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.org", "root-pw")
    client.force_login(admin)
    french = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert "Administration d\u2019Astitray" in french
    assert "Serveurs PBX" in french and "Annuaire" in french and "Numérotation" in french
    english = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-GB").content.decode()
    assert "Astitray administration" in english


def test_a_pbx_check_speaks_the_language_of_its_request():
    result = CheckResult.logged_in(None, "x")
    with translation.override("fr"):
        assert result.headline() == (
            f"joignable{NBSP}: oui, connexion acceptée{NBSP}: oui, "
            f"peut lancer des appels{NBSP}: impossible à dire"
        )
    assert result.headline() == "reachable: yes, login accepted: yes, may originate calls: cannot tell"


@pytest.mark.django_db
def test_the_api_reads_accept_language_and_sets_no_cookie(alice_auth):
    from xmlrpc.client import dumps

    from testkit.rpc import basic, xmlrpc_fault, xmlrpc_post

    body = dumps(("Just words, no digits",), "dialer.normalize").encode()
    client = Client()
    french = xmlrpc_post(client, body, {**basic(*alice_auth), "HTTP_ACCEPT_LANGUAGE": "fr"})
    english = xmlrpc_post(client, body, basic(*alice_auth))
    assert xmlrpc_fault(french.content).faultCode == xmlrpc_fault(english.content).faultCode == -32088
    assert (
        xmlrpc_fault(french.content).faultString
        == "Aucun numéro de téléphone n\u2019a été trouvé dans ce texte."
    )
    assert xmlrpc_fault(english.content).faultString == "No phone number was found in that text."
    assert not french.cookies and "Set-Cookie" not in french
    assert "Accept-Language" in french["Vary"]
    # The language cookie the admin may have set is not read by the API.
    client.cookies["django_language"] = "fr"
    assert xmlrpc_fault(xmlrpc_post(client, body, basic(*alice_auth)).content).faultString.startswith(
        "No phone"
    )


def test_commands_speak_the_installations_language(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "astitray.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ASTITRAY_SECRET_KEY_PATH": str(tmp_path / "key"),
    }

    def manage(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert manage("migrate", "-v", "0").returncode == 0
    french = manage("purge_calls", "--older-than", "30", "--dry-run", LANGUAGE_CODE="fr")
    assert french.returncode == 0, french.stderr
    assert "0 appel passé avant le " in french.stdout and "serait supprimé" in french.stdout
    refused = manage("purge_calls", "--older-than", "0", LANGUAGE_CODE="fr")
    assert "--older-than doit valoir au moins 1 jour." in refused.stderr
    english = manage("purge_calls", "--older-than", "30", "--dry-run")
    assert "0 calls placed before " in english.stdout


@pytest.mark.parametrize(
    ("language", "refused"), [("de", True), ("fr-fr", False), ("fr", False), ("en-us", False)]
)
def test_a_language_without_a_catalogue_is_a_configuration_error(tmp_path, language, refused):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "astitray.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "ASTITRAY_SECRET_KEY_PATH": str(tmp_path / "key"),
        "LANGUAGE_CODE": language,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert (result.returncode != 0) is refused, result.stderr
    assert ("translation.E004" in result.stderr) is refused
