"""Benchmark: the tray client on a real X desktop against a live Astitray server.

Measures (1) the time from starting ``astitray-tray`` to its icon being
docked in the tray (Xvfb + trayer, pystray's GTK backend), and (2) the time
from the click on "Dial clipboard" in its menu to the server's answer
reaching the client (the tray logs it with a millisecond time stamp; the
click's time is taken just before xdotool sends it). The server is gunicorn
with the console driver and a throwaway SQLite database. Prints its figures
on the last line.

    .venv/bin/python -m bench.tray [--starts 3] [--dials 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from testkit.desktop import Desktop, missing_programs, tray_command, tray_environment, wait_for
from testkit.file_keyring import FileKeyring
from testkit.liveserver import LiveServer
from tray_client import config

PASSWORD = "bench-Password-1"
SETUP = f"""
from django.contrib.auth import get_user_model
from accounts.models import Extension
user = get_user_model().objects.create_user("alice", password="{PASSWORD}", first_name="Alice")
Extension.objects.create(user=user, number="1001", channel="PJSIP/1001")
"""
# A line of the tray's log once the server answered a dial (or refused it).
ANSWERED = re.compile(
    r"^(\S+ \S+) \S+ \S+ (dialed: call .*|notification: Call not placed: .*)$", re.MULTILINE
)


def start_tray(desktop: Desktop, home: Path, url: str, log: str, installed: bool) -> tuple[float, object]:
    """Start a tray; the seconds until its icon is docked, and the process."""
    keyring_file = home / "keyring.json"
    env = tray_environment(desktop, home, keyring_file, installed=installed)
    settings = config.Settings(config.normalize_server_url(url), "alice", clipboard_poll_s=1)
    config.save(settings, Path(env["XDG_CONFIG_HOME"]) / "astitray" / "tray.ini")
    FileKeyring(keyring_file).set_password(f"Astitray {settings.server_url}", "alice", PASSWORD)
    started = time.perf_counter()
    process = desktop.start(tray_command(installed=installed), log=log, env=env)
    wait_for(desktop.tray_icon, 60, "the icon")
    return time.perf_counter() - started, process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="tray starts to time")
    parser.add_argument("--dials", type=int, default=5, help="'Dial clipboard' clicks to time")
    parser.add_argument(
        "--installed",
        action="store_true",
        help="time the installed /usr/bin/astitray-tray (Debian's python3) instead of this checkout",
    )
    args = parser.parse_args()
    missing = missing_programs()
    if missing:
        raise SystemExit(f"bench.tray needs {', '.join(missing)}")

    with (
        tempfile.TemporaryDirectory(prefix="astitray-bench-tray-") as folder,
        LiveServer(env={"ASTITRAY_RATE_LIMIT": "1000"}) as server,
    ):
        server.manage("shell", "-c", SETUP)
        work = Path(folder)
        desktop = Desktop(work)
        try:
            starts = []
            for index in range(args.starts):
                seconds, process = start_tray(
                    desktop, work / f"home{index}", server.url, f"start{index}", args.installed
                )
                starts.append(seconds)
                desktop.stop(process)  # type: ignore[arg-type]
                wait_for(lambda: desktop.tray_icon() is None, 30, "the icon to go")

            _seconds, process = start_tray(desktop, work / "home-dial", server.url, "dial", args.installed)
            wait_for(
                lambda: "extension 1001" in getattr(desktop.tray_icon(), "name", ""), 60, "alice's tooltip"
            )
            answers: list[float] = []
            outcome = ""
            for index in range(args.dials):
                checked = desktop.log("dial").count("clipboard number:")
                desktop.copy_text(f"+44 20 7946 {1000 + index}")
                # The menu shows what the clipboard holds once the tray has looked (at once on X11).
                wait_for(lambda: desktop.log("dial").count("clipboard number:") > checked, 30)  # noqa: B023
                menu = desktop.open_menu()
                seen = len(ANSWERED.findall(desktop.log("dial")))
                clicked = time.time()
                desktop.click_first_menu_item(menu)
                found = wait_for(lambda: ANSWERED.findall(desktop.log("dial"))[seen:], 60, "the answer")  # noqa: B023
                stamp, outcome = found[0]
                answered = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
                answers.append(answered - clicked)
            desktop.stop(process)  # type: ignore[arg-type]
        except AssertionError:
            print(desktop.log("dial")[-3000:])
            raise
        finally:
            desktop.close()

    what = "answered" if outcome.startswith("dialed") else f"REFUSED ({outcome.split(': ', 2)[-1]})"
    start_ms, answer_ms = statistics.median(starts) * 1000, statistics.median(answers) * 1000
    which = "installed package" if args.installed else "checkout"
    print(
        f"tray ({which}): start to icon visible median {start_ms:.0f} ms"
        f" (min {min(starts) * 1000:.0f}, n={len(starts)})"
        f" | 'Dial clipboard' click to server answer median {answer_ms:.0f} ms"
        f" (max {max(answers) * 1000:.0f}, n={len(answers)}, {what})"
    )


if __name__ == "__main__":
    main()
