"""dunst, a real notification daemon, on a test desktop's session bus: what it showed, and clicks on it.

dunst runs a small script for each notification it shows (its "script"
rule); the script here appends the notification's id, application, summary
and body to a JSON-lines file, which :meth:`Dunst.shown` reads. A left click
on a notification is dunst's "do_action": the notification's default action
(``ActionInvoked(id, "default")`` to the program that sent it), as on any
desktop.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from testkit.desktop import Desktop, Window, wait_for

RECORDER = """#!{python}
import json, os
fields = ("DUNST_ID", "DUNST_APP_NAME", "DUNST_SUMMARY", "DUNST_BODY")
with open({path!r}, "a", encoding="utf-8") as handle:
    handle.write(json.dumps({{name[6:].lower(): os.environ.get(name, "") for name in fields}}) + "\\n")
"""
CONFIG = """[global]
    follow = none
    width = 360
    height = 150
    origin = top-right
    offset = 10x40
    font = DejaVu Sans 9
    mouse_left_click = do_action, close_current
    mouse_right_click = close_all
    idle_threshold = 0
    show_indicators = false

[urgency_normal]
    timeout = 0

[record]
    appname = "*"
    script = {script}
"""


class Dunst:
    """dunst on ``desktop``'s bus until :meth:`stop`."""

    def __init__(self, desktop: Desktop, name: str = "dunst") -> None:
        self.desktop = desktop
        self.record = desktop.workdir / f"{name}-shown.jsonl"
        self.record.write_text("", encoding="utf-8")
        script = desktop.workdir / f"{name}-record"
        script.write_text(RECORDER.format(python=sys.executable, path=str(self.record)), encoding="utf-8")
        script.chmod(0o755)
        config = desktop.workdir / f"{name}rc"
        config.write_text(CONFIG.format(script=script), encoding="utf-8")
        self.process = desktop.start(["dunst", "-config", str(config)], log=name)
        wait_for(self._owns_the_name, what="dunst on the session bus")

    def _owns_the_name(self) -> bool:
        result = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
             "string:org.freedesktop.Notifications"],
            env=self.desktop.env, capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        return "boolean true" in result.stdout

    def shown(self) -> list[dict[str, Any]]:
        """Every notification shown so far (a replaced one shows again, with the same id)."""
        text = self.record.read_text(encoding="utf-8")
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def bodies(self) -> list[str]:
        return [item["body"] for item in self.shown()]

    def wait_for_body(self, fragment: str, what: str = "") -> dict[str, Any]:
        return wait_for(
            lambda: next((item for item in self.shown() if fragment in item["body"]), None),
            what=what or f"a notification saying {fragment!r}",
        )

    def windows(self) -> list[Window]:
        return self.desktop.windows("dunst")

    def click(self) -> None:
        """A left click on the notification shown (its default action), as a person does it."""
        (window,) = wait_for(self.windows, what="dunst's notification window")
        self.desktop.click(window.x + 30, window.y + 12)

    def stop(self) -> None:
        self.desktop.stop(self.process)
