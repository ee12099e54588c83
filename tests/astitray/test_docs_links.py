"""Every relative link of the documentation resolves: the file exists, and so does the anchor.

Anchors are GitHub's: the heading in lower case, without punctuation, spaces
made hyphens, ``-1``, ``-2``... for repeated headings. Links to web sites are
not fetched.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "docs/**/*.md", "bench/README.md", "tray_client/README.md", "testkit/**/README.md")

_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) and ![alt](target); the text may hold one level of brackets or a code span.
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def documents() -> list[Path]:
    """The Markdown files whose links are checked."""
    found = {path for pattern in DOCUMENTS for path in ROOT.glob(pattern) if ".venv" not in path.parts}
    return sorted(found)


def prose_lines(text: str) -> list[str]:
    """The lines of ``text`` outside fenced code blocks."""
    lines, fenced = [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def slug(heading: str) -> str:
    """GitHub's anchor for a heading's text."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every anchor GitHub makes for the headings of ``path``."""
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(path.read_text(encoding="utf-8")):
        match = _HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(path: Path) -> list[str]:
    """The link targets of ``path``'s prose (code blocks and code spans left out)."""
    targets = []
    for line in prose_lines(path.read_text(encoding="utf-8")):
        targets.extend(_LINK.findall(_CODE_SPAN.sub("", line)))
    return targets


def broken_links(path: Path) -> list[str]:
    """What is wrong with each relative link of ``path``; empty when every one resolves."""
    problems = []
    for target in links(path):
        if _EXTERNAL.match(target):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{target}: outside the repository")
        elif not resolved.exists():
            problems.append(f"{target}: no such file")
        elif anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
            problems.append(f"{target}: no heading makes #{anchor}")
    return problems


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("Quick start", "quick-start"),
        ("Caller-ID lookup for the PBX: `/cid/`", "caller-id-lookup-for-the-pbx-cid"),
        ("The tray client's tests", "the-tray-clients-tests"),
        ("Load and faults: `bench.dial_load`", "load-and-faults-benchdial_load"),
        ("Start at login, and the handler of tel: links", "start-at-login-and-the-handler-of-tel-links"),
        ("Proof: [the test](x.py) — in short", "proof-the-test--in-short"),
    ],
)
def test_it_makes_githubs_anchors(heading, anchor):
    assert slug(heading) == anchor


def test_it_numbers_repeated_headings(tmp_path):
    page = tmp_path / "page.md"
    text = "# Notes\n\n## Variables\n\n```sh\n# not a heading\n```\n\n## Variables\n"
    page.write_text(text, encoding="utf-8")
    assert anchors(page) == {"notes", "variables", "variables-1"}


def test_it_reports_a_missing_file_a_missing_anchor_and_a_path_outside(tmp_path, monkeypatch):
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    (tmp_path / "other.md").write_text("# Other\n\n## Here\n", encoding="utf-8")
    page = tmp_path / "page.md"
    page.write_text(
        "[fine](other.md#here), [self](#page), [web](https://example.org/#x), `[code](nowhere.md)`\n"
        "[gone](missing.md), [no anchor](other.md#there), [out](../../etc/passwd)\n\n# Page\n",
        encoding="utf-8",
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#there: no heading makes #there",
        "../../etc/passwd: outside the repository",
    ]


def test_the_documents_are_found():
    names = {str(path.relative_to(ROOT)) for path in documents()}
    assert {"README.md", "docs/architecture.md", "bench/README.md", "tray_client/README.md"} <= names
    assert "testkit/fake_asterisk/recorded/README.md" in names


@pytest.mark.parametrize("path", documents(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_resolves(path):
    assert broken_links(path) == []
