"""A GTK 3 top-level window that talks to the tray and hosts a window's logic.

GTK is only touched from the thread that runs its main loop: work done in
other threads (network calls, the tray's requests) comes back through
``GLib.idle_add``, which is safe from any thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("Gdk", "3.0")
gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GLib  # noqa: E402

# Named before GTK starts (importing Gtk starts it): the windows' class is "astitray"/"Astitray",
# for window managers (and the tests' xdotool), whatever the module run.
GLib.set_prgname("astitray")
GLib.set_application_name("Astitray")

from gi.repository import Gdk, GdkPixbuf, Gtk  # noqa: E402

Gdk.set_program_class("Astitray")

from tray_client import icons  # noqa: E402
from tray_client.windows import appearance  # noqa: E402
from tray_client.windows.host import Host, read_payload, run_in_thread, watch_tray  # noqa: E402

logger = logging.getLogger(__name__)

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)
MARGIN = 12


def start_gtk() -> None:
    """Follow the desktop's dark style (GTK 3 follows only the theme's name by itself)."""
    if appearance.prefers_dark():
        settings = Gtk.Settings.get_default()
        if settings is not None:
            settings.set_property("gtk-application-prefer-dark-theme", True)


def pixbuf(size: int) -> GdkPixbuf.Pixbuf:
    """The Astitray icon at ``size`` pixels, drawn by tray_client.icons."""
    image = icons.image("ok", size).convert("RGBA")
    data = GLib.Bytes.new(image.tobytes())
    return GdkPixbuf.Pixbuf.new_from_bytes(data, GdkPixbuf.Colorspace.RGB, True, 8, size, size, size * 4)


def set_icon(window: Gtk.Window) -> None:
    theme = Gtk.IconTheme.get_default()
    if theme is not None and theme.has_icon("astitray"):
        window.set_icon_name("astitray")  # installed with the package: the theme has every size
    else:
        window.set_icon_list([pixbuf(size) for size in ICON_SIZES])


def label(text: str = "", *, wrap: bool = True, dim: bool = False, markup: bool = False) -> Gtk.Label:
    widget = Gtk.Label()
    if markup:
        widget.set_markup(text)
    else:
        widget.set_text(text)
    widget.set_xalign(0.0)
    widget.set_line_wrap(wrap)
    widget.set_max_width_chars(70)
    if dim:
        widget.get_style_context().add_class("dim-label")
    return widget


def text_column(title: str, index: int, *, expand: bool, width: int) -> Gtk.TreeViewColumn:
    """A resizable column whose text ends in an ellipsis when it is too narrow."""
    renderer = Gtk.CellRendererText()
    renderer.set_property("ellipsize", 3)  # Pango.EllipsizeMode.END
    column = Gtk.TreeViewColumn(title, renderer, text=index)
    column.set_resizable(True)
    column.set_expand(expand)
    column.set_min_width(width)
    return column


class GtkWindow(Host):
    """A Gtk.Window with the tray's protocol; subclasses build their content in ``self.body``."""

    def __init__(
        self, title: str, payload: dict[str, Any] | None = None, *, width: int = 560, resizable: bool = True
    ) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        start_gtk()
        self.payload = read_payload() if payload is None else payload
        self.closed = False
        self._timers: set[int] = set()
        self.window = Gtk.Window(title=title)
        self.window.set_default_size(width, -1)
        # A form is as tall as its wrapped text needs at that width (GTK would size it for the narrowest).
        self.window.set_resizable(resizable)
        if not resizable:
            self.window.set_size_request(width, -1)
        self.window.set_position(Gtk.WindowPosition.CENTER)
        set_icon(self.window)
        self.window.connect("delete-event", self._deleted)
        self.window.connect("key-press-event", self._key)
        self.body = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=8)
        for side in ("top", "bottom", "start", "end"):
            getattr(self.body, f"set_margin_{side}")(MARGIN)
        self.window.add(self.body)
        watch_tray(
            lambda: GLib.idle_add(self._idle(self.bring_to_front)),
            lambda: GLib.idle_add(self._idle(self.close)),
        )

    @staticmethod
    def _idle(function: Callable[[], Any]) -> Callable[[], bool]:
        def once() -> bool:
            function()
            return False

        return once

    # -- Host ------------------------------------------------------------------------------------

    def after(self, milliseconds: int, function: Callable[[], None]) -> Any:
        handle: int = 0

        def fire() -> bool:
            self._timers.discard(handle)
            function()
            return False

        handle = GLib.timeout_add(max(0, milliseconds), fire)
        self._timers.add(handle)
        return handle

    def cancel(self, handle: Any) -> None:
        if handle in self._timers:
            self._timers.discard(handle)
            GLib.source_remove(handle)

    def in_background(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        def deliver(result: Any) -> None:
            GLib.idle_add(self._idle(lambda: None if self.closed else done(result)))

        run_in_thread(work, deliver)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.window.destroy()
        Gtk.main_quit()

    # -- window ----------------------------------------------------------------------------------

    def escape(self) -> None:
        """Escape, or the window's close button (subclasses may answer first)."""
        self.close()

    def _deleted(self, _window: Gtk.Window, _event: Gdk.Event) -> bool:
        self.escape()
        return True

    def _key(self, _window: Gtk.Window, event: Gdk.EventKey) -> bool:
        if event.keyval == Gdk.KEY_Escape:
            self.escape()
            return True
        return False

    def bring_to_front(self) -> None:
        self.window.present()

    def run(self, focus: Gtk.Widget | None = None) -> int:
        """Show the window, give ``focus`` the keyboard, and serve it until it closes."""
        self.body.show_all()
        if focus is not None:
            # grab_focus, not Window.set_focus: it also tells each container which child has the focus,
            # so that Tab then moves on from there (it went back to the first field).
            focus.grab_focus()
        self.window.show()
        self.window.present()
        Gtk.main()
        return 0


class ResultTable:
    """A scrolled list of rows of text with resizable, ellipsized columns; one row selected at a time."""

    def __init__(self, columns: tuple[tuple[str, bool, int], ...], height: int) -> None:
        self.store = Gtk.ListStore(*([str] * len(columns)))
        self.table = Gtk.TreeView(model=self.store)
        for index, (heading, expand, width) in enumerate(columns):
            self.table.append_column(text_column(heading, index, expand=expand, width=width))
        self.scroller = Gtk.ScrolledWindow()
        self.scroller.set_size_request(-1, height)
        self.scroller.set_shadow_type(Gtk.ShadowType.IN)
        self.scroller.add(self.table)

    def fill(self, rows: list[list[str]]) -> None:
        self.store.clear()
        for row in rows:
            self.store.append(row)
        if rows:
            self.select(0)

    def select(self, index: int) -> None:
        path = Gtk.TreePath.new_from_indices([index])
        self.table.get_selection().select_path(path)
        self.table.scroll_to_cell(path, None, False, 0, 0)

    def selected(self) -> int | None:
        model, found = self.table.get_selection().get_selected()
        return None if found is None else int(model.get_path(found)[0])

    def follow_arrows(self, entry: Gtk.Entry) -> None:
        """Up and Down in ``entry`` move the selection while the keyboard stays in the entry."""

        def key(_entry: Gtk.Entry, event: Gdk.EventKey) -> bool:
            step = {Gdk.KEY_Down: 1, Gdk.KEY_Up: -1}.get(event.keyval)
            count = len(self.store)
            if step is None or not count:
                return False
            current = self.selected()
            self.select(0 if current is None else max(0, min(count - 1, current + step)))
            return True

        entry.connect("key-press-event", key)

    def on_activate(self, action: Callable[[int], None]) -> None:
        """``action(index)`` on a double-click or Enter in the table."""
        self.table.connect("row-activated", lambda _table, path, _column: action(path.get_indices()[0]))


class ListWindow(GtkWindow):
    """A search box over a list of rows, the keyboard in the box (the search and history windows).

    Subclasses give the columns and :meth:`values`, then :meth:`follow` their logic (anything with
    ``rows``, ``typed(text)`` and ``dial_selected(index=None)``).
    """

    def __init__(
        self,
        title: str,
        payload: dict[str, Any] | None,
        *,
        width: int,
        caption: str,
        columns: tuple[tuple[str, bool, int], ...],
        height: int,
    ) -> None:
        super().__init__(title, payload, width=width)
        self.body.pack_start(label(caption, wrap=False), False, False, 0)
        self.entry = Gtk.SearchEntry()
        self.body.pack_start(self.entry, False, False, 0)
        self.results = ResultTable(columns, height=height)
        self.body.pack_start(self.results.scroller, True, True, 0)
        self.status = label()
        self.body.pack_start(self.status, False, False, 0)

    def follow(self, logic: Any) -> None:
        self.entry.connect("changed", lambda entry: logic.typed(entry.get_text()))
        self.entry.connect("activate", lambda _entry: logic.dial_selected())
        self.results.follow_arrows(self.entry)
        self.results.on_activate(logic.dial_selected)

    def values(self, row: Any) -> list[str]:
        """The texts of ``row``'s columns."""
        raise NotImplementedError

    # -- the logic's view ------------------------------------------------------------------------

    def show(self, rows: list[Any], status: str) -> None:
        self.results.fill([self.values(row) for row in rows])
        self.status.set_text(status)

    def set_status(self, status: str) -> None:
        self.status.set_text(status)

    def selected(self) -> int | None:
        return self.results.selected()
