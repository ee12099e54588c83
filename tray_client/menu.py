"""The tray icon's menu. Its texts are worked out each time the menu is drawn, on the UI thread:
they only read the tray's state, never wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pystray

from tray_client import api, messages
from tray_client.clipnumber import ClipState
from tray_client.i18n import _

if TYPE_CHECKING:
    from tray_client.app import TrayApp

RECENT_CALLS_SHOWN = 10
Action = Callable[[Any, Any], None]


def dial_label(clip: ClipState) -> str:
    if clip.number:
        return _("Dial clipboard: %(number)s") % {"number": clip.number}
    if clip.checking:
        return _("Dial clipboard (checking…)")
    if clip.text or clip.reason == "unread":
        return _("Dial clipboard")
    return _("No number in clipboard")


def dial_enabled(clip: ClipState) -> bool:
    return bool(clip.number or clip.text or clip.reason == "unread")


def recent_items(
    history: list[api.CallInfo] | None, error: str, redial: Callable[[api.CallInfo], Action]
) -> tuple[pystray.MenuItem, ...]:
    """The "Recent calls" submenu: one line per number, newest first."""
    if error:
        return (pystray.MenuItem(_("Recent calls unavailable"), None, enabled=False),)
    if history is None:
        return (pystray.MenuItem(_("Loading…"), None, enabled=False),)
    items = []
    seen: set[str] = set()
    for call in history:
        if not call.number or call.number in seen:
            continue
        seen.add(call.number)
        label = messages.recent_call_label(call.number, call.status, call.created)
        items.append(pystray.MenuItem(label, redial(call)))
        if len(items) == RECENT_CALLS_SHOWN:
            break
    return tuple(items) or (pystray.MenuItem(_("No recent calls"), None, enabled=False),)


def build(app: TrayApp) -> pystray.Menu:
    """The menu of ``app``; every action hands its work to the app's workers."""
    item = pystray.MenuItem

    def later(work: Callable[[], Any]) -> Action:
        def action(_icon: Any, _item: Any) -> None:
            app.submit(work)

        return action

    def redial(call: api.CallInfo) -> Action:
        def action(_icon: Any, _item: Any) -> None:
            app.submit(app.dial, app.redials.text_for(call))

        return action

    return pystray.Menu(
        item(
            lambda _item: dial_label(app.clip.state),
            later(app.dial_clipboard),
            default=True,
            enabled=lambda _item: dial_enabled(app.clip.state),
        ),
        item(_("Search phonebook…"), later(app.open_search)),
        item(_("Recent calls"), pystray.Menu(lambda: recent_items(*app.recent_calls(), redial))),
        pystray.Menu.SEPARATOR,
        item(_("Settings…"), later(app.open_settings)),
        item(_("About"), later(app.open_about)),
        item(_("Quit"), lambda _icon, _item: app.quit()),
    )
