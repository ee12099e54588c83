"""The README's quick start stays true: its own commands, run as written, give the answers it shows.

Step 2's shell code runs as it is in the README; step 3's calls go through
the API as ``xmlrpc.client`` sends them; what they answer, and the console
PBX's log line of step 4, must be what the README prints (the call id and
times aside). The demo PBX is the one the first migration creates.
"""

from __future__ import annotations

import ast
import logging
import re
import textwrap
from pathlib import Path

import pytest

from testkit.rpc import xmlrpc_call

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
CHANGING = {"call_id", "created", "updated"}  # new for every dial


def quick_start() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Quick start")
    return text[start : text.index("\n## ", start + 1)]


def code_blocks(section: str) -> list[str]:
    """Each fenced block's text (the blocks of a list item lose their indent)."""
    return [
        textwrap.dedent(block) for block in re.findall(r"```[a-z]*\n(.*?)^ *```", section, re.DOTALL | re.M)
    ]


def shown(section: str) -> tuple[dict, dict, list[dict]]:
    """Step 3's printed answers: whoami, dial, history."""
    block = next(b for b in code_blocks(section) if b.lstrip().startswith("{'username'"))
    whoami, dialed, history = (ast.literal_eval(line.strip()) for line in block.strip().splitlines())
    return whoami, dialed, history


def steady(answer: dict) -> dict:
    return {key: value for key, value in answer.items() if key not in CHANGING}


def test_the_quick_start_answers_what_the_readme_shows(client, caplog):
    section = quick_start()
    setup = next(b for b in code_blocks(section) if "manage.py shell -c" in b)
    exec(textwrap.dedent(setup.split('-c "', 1)[1].rsplit('"', 1)[0]), {})  # noqa: S102  (the README's own code)
    calls = next(b for b in code_blocks(section) if "xmlrpc.client.ServerProxy" in b)
    credentials = re.search(r"http://(\w+):([^@]+)@", calls)
    assert credentials is not None, "step 3 names no user and password"
    user, password = credentials.groups()
    asked = re.findall(r"print\(server\.([\w.]+)\((.*?)\)\)", calls)
    assert [name for name, _ in asked] == ["accounts.whoami", "dialer.dial", "dialer.history"]

    auth = (user, password)
    with caplog.at_level(logging.INFO, logger="drivers.console"):
        answers = [
            xmlrpc_call(client, name, *ast.literal_eval(f"({args},)") if args else (), auth=auth)
            for name, args in asked
        ]
    whoami, dialed, history = shown(section)
    assert answers[0] == whoami
    assert steady(answers[1]) == steady(dialed)
    assert [steady(row) for row in answers[2]] == [steady(row) for row in history]
    assert set(answers[2][0]) == set(history[0])

    # Step 4: the log line, as shown up to the call id.
    line = next(b for b in code_blocks(section) if "would originate" in b).strip()
    expected = line.split(" INFO drivers.console: ", 1)[1].split(" call_id=", 1)[0]
    logged = [r.getMessage() for r in caplog.records if r.name == "drivers.console"]
    assert [message.split(" call_id=", 1)[0] for message in logged] == [expected]
