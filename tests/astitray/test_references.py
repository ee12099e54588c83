"""Code, comments and documents cite only what the repository holds.

The design notes and recordings the project started from lived outside the
repository (``../shared/``: DESIGN.md, API.md, FINDINGS.txt). What the code
relies on was brought in: the design is docs/architecture.md, the API
contract docs/api.md, the recordings testkit/fake_asterisk/recorded/. A
citation of a file must name one that exists here, and a citation of a
section ("docs/dialing.md, "The call log"") a heading of that file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUFFIXES = {".py", ".md", ".txt", ".toml", ".cfg", ".ini", ".conf", ".env", ".service", ".timer", ".sh"}
NAMES = {"Makefile", "astitray-manage", "bootstrap", "tray-messages", "run"}
SKIPPED = {".git", "__pycache__", "staticfiles", "node_modules"}
RECORDINGS = ROOT / "testkit" / "fake_asterisk" / "recorded"

_OUTSIDE = re.compile(r"\.\./shared\b|\bshared/(asterisk|freeswitch)\b")
_DESIGN_FILES = re.compile(r"(?<![\w/.-])(DESIGN|STYLE|API)\.md\b")
_FINDINGS = re.compile(r"\bFINDINGS[\w-]*\.txt\b")
_DOC_PATH = re.compile(r"(?<![\w/.-])((?:docs|bench|tray_client|testkit|deploy)/[\w./-]*\w\.md)\b")
_SECTION = re.compile(r"\b((?:[\w-]+/)*[\w-]+\.md|README)[,:]?\s+\(?\"([^\"\n]{2,80})\"")
INSTEAD = "docs/architecture.md, docs/api.md"
TOP = "astitray|accounts|dialer|phonebook|drivers|tray_client|testkit|tests|bench|deploy|docs|scripts"
# `dialer/rewrite.py`, `tests/drivers/test_base.py::test_it_...`, `::test_other` (same file) in a document.
KINDS = r"py|md|txt|conf|env|service|timer|png|toml|po|mo|pot|bin|sh"
# A path of the repository (a folder, a file without a suffix or of a kind the repository holds).
_CODE_PATH = re.compile(
    rf"`((?:{TOP})/(?:[\w./-]*/)?(?:[\w-]+(?:\.(?:{KINDS}))?)?)(?:::(\w+)[^`]*)?`|`::(\w+)[^`]*`"
)
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*$", re.MULTILINE)


def sources() -> list[Path]:
    """The repository's text files (code, documents, deploy files), virtualenvs and recordings left out."""
    found = []
    for path in ROOT.rglob("*"):
        parts = set(path.relative_to(ROOT).parts)
        if (
            parts & SKIPPED
            or any(part.startswith(".venv") for part in parts)
            or path.is_relative_to(RECORDINGS)
        ):
            continue
        if path == Path(__file__).resolve():  # it spells out what it looks for
            continue
        if path.is_file() and (path.suffix in SUFFIXES or path.name in NAMES):
            found.append(path)
    return sorted(found)


def headings(path: Path) -> set[str]:
    """The headings of a Markdown file, in lower case, without their backquotes."""
    return {match.replace("`", "").lower() for match in _HEADING.findall(path.read_text(encoding="utf-8"))}


def defines(path: Path, function: str) -> bool:
    """``path`` defines a function (a test) of that name."""
    return bool(re.search(rf"^\s*(async )?def {function}\b", path.read_text(encoding="utf-8"), re.M))


def missing_code(line: str, where: str) -> list[str]:
    """The files, folders and test functions a document's line names in code spans that do not exist."""
    found, current = [], None
    for match in _CODE_PATH.finditer(line):
        name, function, same_file_function = match.groups()
        if name:
            current = ROOT / name
            if not current.exists():
                found.append(f"{where}: {name} does not exist")
                current = None
        function = function or same_file_function
        if function and current is not None and current.is_file() and not defines(current, function):
            found.append(f"{where}: {current.relative_to(ROOT)} has no {function}")
    return found


def problems(path: Path, text: str) -> list[str]:
    """What ``text`` (the content of ``path``) cites that the repository does not hold."""
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{path.relative_to(ROOT)}:{number}"
        if _OUTSIDE.search(line):
            found.append(f"{where}: a path outside the repository")
        for match in _DESIGN_FILES.finditer(line):
            found.append(
                f"{where}: {match.group()} is not in the repository (docs/architecture.md, docs/api.md)"
            )
        for match in _FINDINGS.finditer(line):
            if not any((ROOT / "testkit").rglob(match.group())):
                found.append(f"{where}: {match.group()} is not in testkit/")
        for match in _DOC_PATH.finditer(line):
            if not (ROOT / match.group(1)).is_file():
                found.append(f"{where}: {match.group(1)} does not exist")
        if path.suffix == ".md":
            found.extend(missing_code(line, where))
        for name, section in _SECTION.findall(line):
            document = ROOT / ("README.md" if name == "README" else name)
            if not document.is_file():
                document = path.parent / name
            if document.is_file() and section.lower() not in headings(document):
                found.append(f'{where}: {name} has no heading "{section}"')
    return found


def test_it_finds_what_the_repository_does_not_hold(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "dialing.md").write_text("# Dialing\n\n## The `call` log\n", encoding="utf-8")
    (tmp_path / "README.md").write_text("# Astitray\n\n## Quick start\n", encoding="utf-8")
    code = tmp_path / "code.py"
    text = "\n".join(
        [
            '"""See ../shared/asterisk/FINDINGS.txt and DESIGN.md, "The dial pipeline"."""',
            "# API.md's faults; docs/api.md is fine, docs/gone.md is not",
            '# docs/dialing.md, "The call log"; docs/dialing.md ("Rules")',
            '# README, "Quick start"; README, "Deploying"',
        ]
    )
    assert problems(code, text) == [
        "code.py:1: a path outside the repository",
        f"code.py:1: DESIGN.md is not in the repository ({INSTEAD})",
        "code.py:1: FINDINGS.txt is not in testkit/",
        f"code.py:2: API.md is not in the repository ({INSTEAD})",
        "code.py:2: docs/api.md does not exist",
        "code.py:2: docs/gone.md does not exist",
        'code.py:3: docs/dialing.md has no heading "Rules"',
        'code.py:4: README has no heading "Deploying"',
    ]


def test_the_recordings_the_code_cites_are_in_the_repository():
    assert (RECORDINGS / "FINDINGS.txt").is_file()
    assert (RECORDINGS / "README.md").is_file()


@pytest.mark.parametrize("path", sources(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_citation_resolves(path):
    assert problems(path, path.read_text(encoding="utf-8", errors="replace")) == []


def test_it_finds_code_a_document_names_that_does_not_exist(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test_a():\n    pass\n", encoding="utf-8")
    line = "`tests/test_x.py::test_a[case]`, `::test_b`, `tests/test_y.py`, `tests/`, `docs/admin-*.png`"
    assert missing_code(line, "page.md:1") == [
        "page.md:1: tests/test_x.py has no test_b",
        "page.md:1: tests/test_y.py does not exist",
    ]
