"""A Tk root window that talks to the tray, hosts a window's logic and follows the desktop's look.

Tk is only ever touched from the thread that runs its main loop: work done
in other threads (network calls, the tray's requests) comes back through a
queue that the main loop drains every few milliseconds.

Tk lacks some of what people expect of a window, added here: a ttk theme in
the desktop's light or dark style, Ctrl+A selecting all of an entry, Enter
activating the button that has the keyboard (else the window's default
action), Escape closing, an icon at every size, and the keyboard in the
first field when the window opens (the window manager gives the keyboard to
the window; Tk then hands it to the widget chosen here, never to the bare
window).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sys
import tkinter as tk
import tkinter.font as tkfont
from collections.abc import Callable
from tkinter import ttk
from typing import Any

from tray_client.windows import appearance
from tray_client.windows.host import Host, read_payload, run_in_thread, watch_tray

logger = logging.getLogger(__name__)

POLL_MS = 50
ICON_SIZES = (16, 32, 48, 64, 128, 256)
# Colours of the clam theme in the light and dark styles: background, field, text, dim text, selection.
PALETTES = {
    False: ("#eff0f1", "#ffffff", "#232629", "#5c6166", "#3daee9"),
    True: ("#2a2e32", "#1b1e20", "#eff0f1", "#a1a9b1", "#3daee9"),
}


def fit(text: str, font: tkfont.Font, width: int) -> str:
    """``text``, ending in an ellipsis when it is wider than ``width`` pixels in ``font``."""
    if width <= 0 or font.measure(text) <= width:
        return text
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if font.measure(text[:middle] + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return text[:low] + "…"


class TkWindow(Host):
    """A themed Tk root with the tray's protocol; subclasses build their content in ``self.frame``."""

    def __init__(self, title: str, payload: dict[str, Any] | None = None) -> None:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
        _dpi_aware()
        self.payload = read_payload() if payload is None else payload
        self.closed = False
        self._inbox: queue.Queue[Callable[[], None]] = queue.Queue()
        self.root = tk.Tk(className="astitray")
        self.root.title(title)
        self.root.protocol("WM_DELETE_WINDOW", self.escape)
        self.root.bind("<Escape>", lambda _event: self.escape())
        self.root.bind("<Return>", self._enter)
        self.root.bind("<KP_Enter>", self._enter)
        self.dark = appearance.prefers_dark()
        self._theme()
        self._set_icon()
        self.frame = ttk.Frame(self.root, padding=12)
        self.frame.pack(fill=tk.BOTH, expand=True)
        self.first: tk.Widget | None = None  # gets the keyboard when the window shows
        watch_tray(lambda: self._inbox.put(self.bring_to_front), lambda: self._inbox.put(self.close))
        self.root.after(POLL_MS, self._drain)

    def _theme(self) -> None:
        background, field, text, dim, selection = PALETTES[self.dark]
        style = ttk.Style(self.root)
        style.theme_use("clam")
        style.configure(".", background=background, foreground=text, fieldbackground=field)
        style.configure("TEntry", fieldbackground=field, foreground=text, insertcolor=text)
        style.configure("Treeview", background=field, fieldbackground=field, foreground=text)
        style.map("Treeview", background=[("selected", selection)], foreground=[("selected", "#ffffff")])
        style.configure("Dim.TLabel", foreground=dim)
        style.configure("Warning.TLabel", foreground="#f67400" if self.dark else "#b35c00")
        self.root.configure(background=background)
        # Ctrl+A selects all of an entry, as everywhere but in Tk (where it goes to the line's start).
        self.root.bind_class("TEntry", "<Control-a>", _select_all)
        self.root.bind_class("TEntry", "<Control-A>", _select_all)

    def _set_icon(self) -> None:
        try:
            from PIL import ImageTk

            from tray_client import icons

            self._icons = [ImageTk.PhotoImage(icons.image("ok", size)) for size in ICON_SIZES]
            self.root.iconphoto(True, *self._icons)  # type: ignore[arg-type]
        except (ImportError, tk.TclError):
            pass

    # -- Host ------------------------------------------------------------------------------------

    def after(self, milliseconds: int, function: Callable[[], None]) -> Any:
        return self.root.after(max(0, milliseconds), function)

    def cancel(self, handle: Any) -> None:
        with contextlib.suppress(tk.TclError):
            self.root.after_cancel(handle)

    def in_background(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        run_in_thread(work, lambda result: self._inbox.put(lambda: done(result)))

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(tk.TclError):
            self.root.destroy()

    # -- window ----------------------------------------------------------------------------------

    def escape(self) -> None:
        """Escape, or the window's close button (subclasses may answer first)."""
        self.close()

    def default_action(self) -> None:
        """What Enter does when no button has the keyboard."""

    def _enter(self, _event: tk.Event) -> str:
        focused = self.root.focus_get()
        if isinstance(focused, ttk.Button):
            focused.invoke()  # Enter on a button is that button, as on every desktop
        else:
            self.default_action()
        return "break"

    def _drain(self) -> None:
        while not self.closed:
            try:
                work = self._inbox.get_nowait()
            except queue.Empty:
                break
            work()
        if not self.closed:
            self.root.after(POLL_MS, self._drain)

    def bring_to_front(self) -> None:
        self.root.deiconify()
        self.root.lift()
        (self.first or self.root).focus_force()

    def _mapped(self, event: tk.Event) -> None:
        # Once mapped, the keyboard to the first field (never to the bare window: typing would go nowhere).
        if event.widget is self.root and self.first is not None:
            self.first.focus_set()

    def center(self, width: int, height: int) -> None:
        x = max(0, (self.root.winfo_screenwidth() - width) // 2)
        y = max(0, (self.root.winfo_screenheight() - height) // 3)
        self.root.geometry(f"{width}x{height}+{x}+{y}")

    def run(self) -> int:
        if self.first is not None:
            self.first.focus_set()
        self.root.bind("<Map>", self._mapped, add="+")
        self.root.deiconify()
        self.root.lift()
        self.root.mainloop()
        return 0

    def table(
        self, parent: tk.Misc, columns: tuple[tuple[str, str, int, bool], ...], height: int
    ) -> ttk.Treeview:
        """A one-selection table whose columns end their text in an ellipsis when too narrow."""
        view = ttk.Treeview(parent, columns=[c[0] for c in columns], show="headings", height=height)
        view.configure(selectmode="browse")
        for name, heading, width, stretch in columns:
            view.heading(name, text=heading)
            view.column(name, width=width, stretch=stretch)
        view.rows = []  # type: ignore[attr-defined]
        view.bind("<Configure>", lambda _event: self._refit(view))
        return view

    def fill(self, view: ttk.Treeview, rows: list[list[str]]) -> None:
        view.rows = rows  # type: ignore[attr-defined]
        view.delete(*view.get_children())
        for index in range(len(rows)):
            view.insert("", tk.END, iid=str(index), values=[""] * len(rows[index]))
        self._refit(view)
        if rows:
            view.selection_set("0")

    def _refit(self, view: ttk.Treeview) -> None:
        font = tkfont.nametofont("TkDefaultFont")
        widths = [int(view.column(name, "width")) - 12 for name in view["columns"]]
        for index, row in enumerate(view.rows):  # type: ignore[attr-defined]
            view.item(
                str(index), values=[fit(text, font, width) for text, width in zip(row, widths, strict=False)]
            )


class ListWindow(TkWindow):
    """A search box over a list of rows, the keyboard in the box (the search and history windows).

    Subclasses give the columns and :meth:`values`, then :meth:`follow` their logic (anything with
    ``rows``, ``typed(text)`` and ``dial_selected(index=None)``).
    """

    def __init__(
        self,
        title: str,
        payload: dict[str, Any] | None,
        *,
        caption: str,
        columns: tuple[tuple[str, str, int, bool], ...],
        size: tuple[int, int],
    ) -> None:
        super().__init__(title, payload)
        ttk.Label(self.frame, text=caption).pack(anchor=tk.W)
        self.query = tk.StringVar()
        self.entry = ttk.Entry(self.frame, textvariable=self.query, width=50)
        self.entry.pack(fill=tk.X, pady=(2, 8))
        self.results = self.table(self.frame, columns, height=12)
        self.results.pack(fill=tk.BOTH, expand=True)
        self.status = tk.StringVar()
        ttk.Label(self.frame, textvariable=self.status, wraplength=size[0] - 40).pack(
            anchor=tk.W, pady=(6, 0)
        )
        self.entry.bind("<Down>", lambda _event: move(self.results, 1))
        self.entry.bind("<Up>", lambda _event: move(self.results, -1))
        self.center(*size)
        self.first = self.entry
        self._logic: Any = None

    def follow(self, logic: Any) -> None:
        self._logic = logic
        self.query.trace_add("write", lambda *_args: logic.typed(self.query.get()))
        self.results.bind("<Double-1>", lambda _event: logic.dial_selected())

    def default_action(self) -> None:
        if self._logic is not None:
            self._logic.dial_selected()

    def values(self, row: Any) -> list[str]:
        """The texts of ``row``'s columns."""
        raise NotImplementedError

    # -- the logic's view ------------------------------------------------------------------------

    def show(self, rows: list[Any], status: str) -> None:
        self.fill(self.results, [self.values(row) for row in rows])
        self.status.set(status)

    def set_status(self, status: str) -> None:
        self.status.set(status)

    def selected(self) -> int | None:
        return selected_index(self.results)


def _select_all(event: tk.Event) -> str:
    widget: Any = event.widget
    widget.select_range(0, tk.END)
    widget.icursor(tk.END)
    return "break"


def _dpi_aware() -> None:
    """On Windows, draw at the screen's real resolution (else Windows blurs a stretched window)."""
    if sys.platform == "win32":
        with contextlib.suppress(AttributeError, OSError):
            import ctypes

            ctypes.windll.shcore.SetProcessDpiAwareness(1)  # type: ignore[attr-defined]


def selected_index(view: ttk.Treeview) -> int | None:
    chosen = view.selection()
    return int(chosen[0]) if chosen else None


def move(view: ttk.Treeview, step: int) -> str:
    """Move the selection of ``view`` by ``step`` rows (Up/Down in the search box)."""
    count = len(view.get_children())
    if count:
        current = selected_index(view)
        index = 0 if current is None else max(0, min(count - 1, current + step))
        view.selection_set(str(index))
        view.see(str(index))
    return "break"
