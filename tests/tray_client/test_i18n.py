"""English and French: every text of the client is translated, and the committed .mo matches the .po."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path

import pytest

from tray_client import i18n

PACKAGE = Path(i18n.__file__).parent
PO = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "astitray.po"
MO = PO.with_suffix(".mo")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def texts_in_the_code() -> set[str]:
    """Every literal given to _() or ngettext() in tray_client (what xgettext extracts)."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            texts = {"_": node.args[:1], "ngettext": node.args[:2]}.get(node.func.id, [])
            found.update(
                arg.value for arg in texts if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
            )
    return found


def read_po(path: Path) -> dict[str, str]:
    """The translations of a .po file (msgid -> msgstr), fuzzy ones left out."""
    catalogue: dict[str, str] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if "#, fuzzy" in block and 'msgid ""\nmsgstr ""' not in block:
            continue
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            if line.startswith(("msgid ", "msgstr ", "msgid_plural ", "msgstr[0] ", "msgstr[1] ")):
                key, _space, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        if fields.get("msgid_plural"):  # singular and plural, each with its translation
            catalogue[fields["msgid"]] = fields.get("msgstr[0]", "")
            catalogue[fields["msgid_plural"]] = fields.get("msgstr[1]", "")
        elif fields.get("msgid"):
            catalogue[fields["msgid"]] = fields.get("msgstr", "")
    return catalogue


def plurals(path: Path) -> dict[str, str]:
    """The .po's plural entries: singular -> plural."""
    pattern = re.compile(r'^msgid (".+")\nmsgid_plural (".+")$', re.MULTILINE)
    return {
        ast.literal_eval(singular): ast.literal_eval(plural)
        for singular, plural in pattern.findall(path.read_text(encoding="utf-8"))
    }


def test_every_text_has_a_french_translation():
    catalogue = read_po(PO)
    missing = sorted(text for text in texts_in_the_code() if not catalogue.get(text))
    assert missing == [], "run scripts/tray-messages and translate these"


def test_translations_keep_their_placeholders():
    for english, french in read_po(PO).items():
        assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(french)), english


def test_the_committed_mo_is_the_po_compiled():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    catalogue = read_po(PO)
    singulars = plurals(PO)
    of_plural = {plural: singular for singular, plural in singulars.items()}

    def translated(text: str) -> str:
        if text in singulars:
            return compiled.ngettext(text, singulars[text], 1)
        if text in of_plural:
            return compiled.ngettext(of_plural[text], text, 2)
        return compiled.gettext(text)

    assert {text: translated(text) for text in catalogue} == catalogue


@pytest.mark.parametrize(
    ("wanted", "language", "quit_label"),
    [
        (["fr_FR.UTF-8"], "fr", "Quitter"),
        (["fr_CA"], "fr", "Quitter"),
        (["de_DE", "fr"], "fr", "Quitter"),
        (["en_GB.UTF-8"], "en", "Quit"),
        (["C"], "en", "Quit"),
        (["de_DE"], "en", "Quit"),
        ([], "en", "Quit"),
    ],
)
def test_the_language_follows_the_desktop(wanted, language, quit_label):
    assert i18n.set_language(wanted) == language
    assert i18n._("Quit") == quit_label


def test_the_desktop_language_variables(monkeypatch):
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    assert i18n.desktop_languages() == ["fr_FR.UTF-8"]
    monkeypatch.setenv("LANGUAGE", "de:fr")
    assert i18n.desktop_languages() == ["de", "fr"]
    assert i18n.set_language() == "fr"
