"""The browser extension's source and its zip (make extension): what it asks for, what it lets in."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "browser_extension"
MANIFEST = json.loads((SOURCE / "manifest.json").read_text(encoding="utf-8"))
# The scripts without their comments (which may name what the code never does).
SCRIPTS = {
    path.name: re.sub(r"(?m)^\s*//.*$|\s//\s.*$", "", path.read_text(encoding="utf-8"))
    for path in SOURCE.glob("*.js")
}


def test_it_is_manifest_v3_for_chromium_and_firefox():
    assert MANIFEST["manifest_version"] == 3
    assert MANIFEST["background"]["service_worker"] == "background.js"  # Chromium
    assert MANIFEST["background"]["scripts"] == ["common.js", "background.js"]  # Firefox
    assert MANIFEST["browser_specific_settings"]["gecko"]["id"]


def test_it_asks_for_no_site_at_install_and_never_for_all_urls():
    """Per-site opt-in: sites (and the server) are asked for when the user enables them, never all at once."""
    assert "host_permissions" not in MANIFEST
    assert "content_scripts" not in MANIFEST
    assert MANIFEST["optional_host_permissions"] == ["https://*/*", "http://*/*"]
    assert "<all_urls>" not in json.dumps(MANIFEST)
    assert "tabs" not in MANIFEST["permissions"]


def test_pages_have_no_way_to_reach_it():
    assert "externally_connectable" not in MANIFEST
    assert "web_accessible_resources" not in MANIFEST
    every_script = "\n".join(SCRIPTS.values())
    assert "onMessageExternal" not in every_script and "onConnectExternal" not in every_script
    assert 'addEventListener("message"' not in every_script  # no window.postMessage listener
    assert "event.isTrusted" in SCRIPTS["content.js"]  # only a real click dials


def test_the_token_is_kept_locally_and_sent_only_as_bearer():
    every_script = "\n".join(SCRIPTS.values())
    assert "storage.sync" not in every_script
    assert "password" not in SCRIPTS["common.js"].lower()
    assert '"Authorization": "Bearer " + settings.token' in SCRIPTS["common.js"]
    assert 'credentials: "omit"' in SCRIPTS["common.js"]  # no cookie of the server's site


def test_every_file_the_manifest_names_exists_and_both_languages_say_everything():
    named = [
        MANIFEST["background"]["service_worker"],
        *MANIFEST["background"]["scripts"],
        MANIFEST["action"]["default_popup"],
        MANIFEST["options_ui"]["page"],
        MANIFEST["storage"]["managed_schema"],
        *MANIFEST["icons"].values(),
    ]
    assert all((SOURCE / name).is_file() for name in named), named
    english = json.loads((SOURCE / "_locales/en/messages.json").read_text(encoding="utf-8"))
    french = json.loads((SOURCE / "_locales/fr/messages.json").read_text(encoding="utf-8"))
    assert set(english) == set(french)
    used = set(re.findall(r'getMessage\("(\w+)"', "\n".join(SCRIPTS.values())))
    used |= set(re.findall(r'data-i18n="(\w+)"', "".join(p.read_text() for p in SOURCE.glob("*.html"))))
    used |= set(re.findall(r"__MSG_(\w+)__", json.dumps(MANIFEST)))
    assert used <= set(english), used - set(english)
    for key, entry in french.items():
        assert not re.search(r" [:;?!»]", entry["message"]), key  # French typography


def test_make_extension_zips_the_folder_as_it_is(tmp_path):
    output = subprocess.run(
        [sys.executable, str(ROOT / "scripts/extension-zip"), "--output", str(tmp_path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    archive = Path(output)
    assert archive.name == f"astitray-extension-{MANIFEST['version']}.zip"
    with zipfile.ZipFile(archive) as opened:
        names = opened.namelist()
        assert json.loads(opened.read("manifest.json")) == MANIFEST
    expected = sorted(path.relative_to(SOURCE).as_posix() for path in SOURCE.rglob("*") if path.is_file())
    assert names == expected
    again = subprocess.run(
        [sys.executable, str(ROOT / "scripts/extension-zip"), "--output", str(tmp_path / "again")],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(again).read_bytes() == archive.read_bytes()  # the same source, the same zip
