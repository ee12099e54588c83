"""The test harness shared by ``tests/`` and ``bench/``.

Fake PBX servers replaying recorded wire bytes (``fake_asterisk``), a real
slapd (``slapd``), a live server in a subprocess (``liveserver``), RPC
helpers, the desktop harness of the tray client's tests (Xvfb, trayer,
xdotool), and the log scan for secrets. ``tests/`` and ``bench/`` import
from here and never from each other.
"""
