"""The Astitray tray client: a desktop program that speaks only the public API (docs/api.md).

It never imports Django or any server code: it installs on a desktop with
``pip install .`` (see tray_client/README.md and docs/tray.md).
"""

from __future__ import annotations

__version__ = "0.1.0"
