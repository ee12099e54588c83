"""The tray icon's menu. Its texts are worked out each time the menu is drawn, on the UI thread:
they only read the tray's state, never wait.

With AppIndicator (GNOME's extension, KDE, Unity, XFCE's indicator plugin)
a left click opens this menu; with an XEmbed tray (``PYSTRAY_BACKEND=gtk``)
a left click runs its default item, "Dial clipboard".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pystray

from tray_client import api, messages
from tray_client.callee import Callee
from tray_client.clipnumber import ClipState
from tray_client.i18n import _
from tray_client.windows.search import label_name

if TYPE_CHECKING:
    from tray_client.app import TrayApp

RECENT_CALLS_SHOWN = 10
Action = Callable[[Any, Any], None]


def dial_label(clip: ClipState) -> str:
    if clip.callees:
        return _("Dial clipboard: %(number)s") % {"number": clip.callees[0].title}
    if clip.checking:
        return _("Dial clipboard (checking…)")
    if clip.text or clip.reason == "unread":
        return _("Dial clipboard")
    return _("No number in clipboard")


def dial_enabled(clip: ClipState) -> bool:
    return bool(clip.callees or clip.text or clip.reason == "unread")


def choice_label(callee: Callee) -> str:
    """A line of the "Dial clipboard" submenu: "Mobile: Hélène Dupont (Acme) — +33 6 12 34 56 78"."""
    if callee.label:
        return f"{label_name(callee.label).capitalize()}: {callee.title}"
    return callee.title


def choice_items(clip: ClipState, dial: Callable[[Callee], Action]) -> tuple[pystray.MenuItem, ...]:
    return tuple(pystray.MenuItem(choice_label(callee), dial(callee)) for callee in clip.callees)


def recent_items(
    history: list[api.CallInfo] | None,
    error: str,
    redial: Callable[[api.CallInfo], Action],
    title: Callable[[api.CallInfo], str],
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
        label = messages.recent_call_label(title(call), call.status, call.created)
        items.append(pystray.MenuItem(label, redial(call)))
        if len(items) == RECENT_CALLS_SHOWN:
            break
    return tuple(items) or (pystray.MenuItem(_("No recent calls"), None, enabled=False),)


def missed_items(
    missed: list[api.CallInfo],
    title: Callable[[api.CallInfo], str],
    call_back: Callable[[api.CallInfo], Action],
    mark_seen: Action,
) -> tuple[pystray.MenuItem, ...]:
    """The "Missed calls" submenu: who called and when, newest first (a click calls back), then
    "Mark all as seen"."""
    items = [
        pystray.MenuItem(messages.missed_call_label(title(call), call.created), call_back(call))
        for call in missed[:RECENT_CALLS_SHOWN]
    ]
    return (*items, pystray.Menu.SEPARATOR, pystray.MenuItem(_("Mark all as seen"), mark_seen))


def build(app: TrayApp) -> pystray.Menu:
    """The menu of ``app``; every action hands its work to the app's workers."""
    item = pystray.MenuItem

    def later(work: Callable[[], Any]) -> Action:
        def action(_icon: Any, _item: Any) -> None:
            app.submit(work)

        return action

    def choose(callee: Callee) -> Action:
        def action(_icon: Any, _item: Any) -> None:
            app.submit(app.calls.dial_choice, callee)

        return action

    def several() -> bool:
        return len(app.clip.state.callees) > 1

    return pystray.Menu(
        # Said before anyone dials: the server would refuse the call.
        item(
            lambda _item: messages.phone_not_registered(),
            None,
            enabled=False,
            visible=lambda _item: app.phone_unavailable(),
        ),
        # One number (or none yet): the item dials it; a left click runs it (XEmbed trays).
        item(
            lambda _item: dial_label(app.clip.state),
            later(app.calls.dial_clipboard),
            default=True,
            enabled=lambda _item: dial_enabled(app.clip.state),
            visible=lambda _item: not several(),
        ),
        # Several numbers (a signature): a submenu to choose from.
        item(
            _("Dial clipboard"),
            pystray.Menu(lambda: choice_items(app.clip.state, choose)),
            visible=lambda _item: several(),
        ),
        item(_("Search phonebook…"), later(app.open_search)),
        item(
            _("Recent calls"),
            pystray.Menu(
                lambda: recent_items(*app.recent_calls(), app.calls.recent_action, app.calls.recent_title)
            ),
        ),
        # Incoming calls nobody answered (servers that list incoming calls), the new ones counted.
        item(
            lambda _item: messages.missed_menu(app.missed()[1]),
            pystray.Menu(
                lambda: missed_items(
                    app.missed()[0],
                    app.calls.recent_title,
                    app.calls.call_back,
                    lambda _icon, _item: app.submit(app.mark_missed_seen),
                )
            ),
            visible=lambda _item: bool(app.missed()[0]),
        ),
        item(_("Call history…"), later(app.open_history)),
        pystray.Menu.SEPARATOR,
        item(_("Settings…"), later(app.open_settings)),
        item(_("About"), later(app.open_about)),
        item(_("Quit"), lambda _icon, _item: app.quit()),
    )
