"""The user page (``/me/``): click to dial from any browser, with no tray and no Python."""
