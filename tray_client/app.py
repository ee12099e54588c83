"""The tray icon, its menu and everything it does.

Threads: the platform's UI loop runs pystray (menu callbacks, drawing);
callbacks only hand work to a small pool of worker threads and return at
once. A ticker thread reads the clipboard and checks the server now and
then. Every network call, keyring access and clipboard read happens off the
UI thread, with a timeout; the UI thread only reads the state under a lock.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import pystray

from tray_client import __version__, api, config, icons, messages
from tray_client.clipboard import Clipboard, ClipboardReader, ClipboardWatcher
from tray_client.i18n import _
from tray_client.notify import Notifier, default_notifier
from tray_client.redial import RedialBook
from tray_client.windows.launcher import WindowLauncher

logger = logging.getLogger(__name__)

# Seconds between checks of the server, when it answers and when it does not.
STATUS_EVERY_S = 60.0
RETRY_EVERY_S = 15.0
HISTORY_EVERY_S = 120.0
RECENT_CALLS_SHOWN = 10
# The clipboard poll when its changes are also notified (X11).
WATCHED_POLL_S = 5.0
NUMBER_CACHE_SIZE = 64
SEARCH_DEBOUNCE_MS = 300
# Why the clipboard holds nothing to dial, beyond clipboard.Clipboard's reasons.
NO_DIGITS = "no_digits"
INVALID = "invalid"


@dataclass(frozen=True)
class ClipState:
    """What "Dial clipboard" shows: the clipboard's candidate text and the number found in it."""

    text: str = ""
    reason: str = "unread"  # "" when ``text`` is a candidate
    number: str = ""  # what would be dialed, once the server said
    checking: bool = False


def has_digit(text: str) -> bool:
    return any(char.isdigit() for char in text)


def default_client(profile: config.Profile) -> api.ApiClient:
    return api.ApiClient(profile.credentials, timeout_s=profile.settings.timeout_s)


class TrayApp:
    """The Astitray tray icon. Build it, then :meth:`run` it on the main thread."""

    def __init__(
        self,
        *,
        icon_class: type = pystray.Icon,
        load_profile: Callable[[], config.Profile] = config.load_profile,
        client_factory: Callable[[config.Profile], api.ApiClient] = default_client,
        clipboard: ClipboardReader | None = None,
        watch_clipboard: bool = True,
        notifier: Notifier | None = None,
        windows: WindowLauncher | None = None,
        redials: RedialBook | None = None,
        follow_every_s: float = 1.0,
        follow_for_s: float = 90.0,
    ) -> None:
        self.load_profile = load_profile
        self.client_factory = client_factory
        self.clipboard = clipboard or ClipboardReader()
        self.windows = windows or WindowLauncher()
        self.redials = redials or RedialBook()
        self.follow_every_s = follow_every_s
        self.follow_for_s = follow_for_s
        self.watch_clipboard = watch_clipboard

        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="astitray-worker")
        self._ticker: threading.Thread | None = None
        self._numbers: OrderedDict[str, str] = OrderedDict()  # clipboard text -> number, or INVALID

        self.profile = config.Profile()
        self.state = "checking"
        self.state_detail = ""
        self.who: api.WhoAmI | None = None
        self.clip = ClipState()
        self.history: list[api.CallInfo] | None = None
        self.history_error = ""
        self.calls_in_progress = 0
        self.last_notice = ""
        self._next_status = 0.0
        self._next_history = 0.0
        self._started = False
        # Clipboard changes told by the watcher (X11), and the last read with the count it saw.
        self._watched = False
        self._changes = 0
        self._last_read: tuple[int, Clipboard] | None = None

        self.icon = icon_class(
            "astitray", icons.image("checking"), messages.tooltip("checking"), menu=self.build_menu()
        )
        self.notifier = notifier or default_notifier(self.icon, self._notice_fallback)

    # -- the menu (called on the UI thread: reads state, never waits) ---------------------------

    def build_menu(self) -> pystray.Menu:
        item = pystray.MenuItem
        return pystray.Menu(
            item(self._dial_label, self._on_dial_clipboard, default=True, enabled=self._dial_enabled),
            item(_("Search phonebook…"), self._on_search),
            item(_("Recent calls"), pystray.Menu(self._recent_items)),
            pystray.Menu.SEPARATOR,
            item(_("Settings…"), self._on_settings),
            item(_("About"), self._on_about),
            item(_("Quit"), self._on_quit),
        )

    def _dial_label(self, _item: Any) -> str:
        with self._lock:
            clip = self.clip
        if clip.number:
            return _("Dial clipboard: %(number)s") % {"number": clip.number}
        if clip.checking:
            return _("Dial clipboard (checking…)")
        if clip.text or clip.reason == "unread":
            return _("Dial clipboard")
        return _("No number in clipboard")

    def _dial_enabled(self, _item: Any) -> bool:
        with self._lock:
            clip = self.clip
        return bool(clip.number or clip.text or clip.reason == "unread")

    def _recent_items(self) -> tuple[pystray.MenuItem, ...]:
        with self._lock:
            history, error = self.history, self.history_error
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
            items.append(pystray.MenuItem(label, self._redial_action(call)))
            if len(items) == RECENT_CALLS_SHOWN:
                break
        return tuple(items) or (pystray.MenuItem(_("No recent calls"), None, enabled=False),)

    def _redial_action(self, call: api.CallInfo) -> Callable[[Any, Any], None]:
        def redial(_icon: Any, _item: Any) -> None:
            self.submit(self.dial, self.redials.text_for(call))

        return redial

    def _on_dial_clipboard(self, _icon: Any, _item: Any) -> None:
        self.submit(self.dial_clipboard)

    def _on_search(self, _icon: Any, _item: Any) -> None:
        self.submit(self.open_search)

    def _on_settings(self, _icon: Any, _item: Any) -> None:
        self.submit(self.open_settings)

    def _on_about(self, _icon: Any, _item: Any) -> None:
        self.submit(self.open_about)

    def _on_quit(self, _icon: Any, _item: Any) -> None:
        threading.Thread(target=self.stop, name="astitray-quit").start()

    # -- running ---------------------------------------------------------------------------------

    def run(self) -> None:
        """Show the icon and serve it until Quit (blocks; call it on the main thread)."""
        self.icon.run(setup=self._setup)

    def _setup(self, icon: Any) -> None:
        icon.visible = True
        logger.info("icon visible")
        self.start()

    def start(self) -> None:
        """Load the settings and start checking the server and the clipboard (in the background)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        self._ticker = threading.Thread(target=self._tick, name="astitray-ticker", daemon=True)
        self._ticker.start()

    def stop(self) -> None:
        """Quit: close the windows, stop the threads and the icon."""
        logger.info("quitting")
        self._stopping.set()
        self._wake.set()
        self.windows.close_all()
        self.notifier.close(0)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.icon.stop()

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on a worker thread; its errors are logged, never raised."""
        if self._stopping.is_set():
            return

        def guarded() -> None:
            try:
                function(*args)
            except Exception:  # the top of a worker thread: log and keep the tray alive
                logger.exception("%s failed", getattr(function, "__name__", function))

        with contextlib.suppress(RuntimeError):  # shut down meanwhile
            self._executor.submit(guarded)

    def _tick(self) -> None:
        self.submit(self.reload, True)
        # Told at once of each copy (X11), the clipboard is polled only as a safety net.
        watched = self.watch_clipboard and ClipboardWatcher(self._clipboard_changed).start()
        with self._lock:
            self._watched = watched
        while not self._stopping.is_set():
            now = time.monotonic()
            with self._lock:
                poll_s = self.profile.settings.clipboard_poll_s
                if watched and poll_s > 0:
                    poll_s = max(poll_s, WATCHED_POLL_S)
                status_due = 0 < self._next_status <= now
                history_due = self.state == "ok" and 0 < self._next_history <= now
            if status_due:
                with self._lock:
                    self._next_status = 0.0
                self.submit(self.refresh_status)
            if history_due:
                with self._lock:
                    self._next_history = 0.0
                self.submit(self.refresh_history)
            if poll_s > 0:
                self.poll_clipboard()
            self._wake.wait(poll_s if poll_s > 0 else 1.0)
            self._wake.clear()

    # -- work (worker threads) -------------------------------------------------------------------

    def reload(self, first: bool = False) -> None:
        """Read the settings and the password again, then check the server."""
        try:
            profile = self.load_profile()
        except config.KeyringProblem as err:
            self._set_state("error", messages.describe(err))
            return
        with self._lock:
            changed = profile != self.profile
            self.profile = profile
            if changed:
                self._numbers.clear()
                self.clip = ClipState()
                self.history = None
                self.history_error = ""
        self.refresh_status(first=first)
        if self.state == "ok":
            self.refresh_history()
        self._wake.set()  # re-read the clipboard now
        if first and not profile.settings.configured:
            self.open_settings()

    def client(self) -> api.ApiClient:
        with self._lock:
            return self.client_factory(self.profile)

    def refresh_status(self, first: bool = False) -> None:
        """Ask the server who we are; the icon, tooltip and menu follow."""
        with self._lock:
            profile = self.profile
        if not profile.settings.configured or not profile.password:
            self._set_state("unconfigured", "", notify=first)
            return
        try:
            who = self.client().whoami()
        except api.ApiError as err:
            self._set_state(state_for(err), messages.describe(err), notify=True)
            return
        with self._lock:
            self.who = who
        self._set_state("ok", "", notify=True)

    def refresh_history(self) -> None:
        """Load the recent calls for the menu."""
        try:
            history = self.client().history(20)
        except api.ApiError as err:
            with self._lock:
                self.history_error = messages.describe(err)
                self._next_history = time.monotonic() + HISTORY_EVERY_S
            self._note_error(err)
        else:
            with self._lock:
                self.history, self.history_error = history, ""
                self._next_history = time.monotonic() + HISTORY_EVERY_S
        self.icon.update_menu()

    def _clipboard_changed(self) -> None:
        with self._lock:
            self._changes += 1
        self._wake.set()

    def read_clipboard(self, fresh: bool = False) -> Clipboard:
        """The clipboard; read again unless the watcher says it has not changed since the last read.

        (A clipboard owner is asked as little as possible: some serve one
        reader at a time, slowly for a large text.)
        """
        with self._lock:
            changes, last = self._changes, self._last_read
            if not fresh and self._watched and last is not None and last[0] == changes:
                return last[1]
        content = self.clipboard.read()
        with self._lock:
            self._last_read = (changes, content)
        return content

    def poll_clipboard(self) -> None:
        """Read the clipboard; when it changed, find the number in it (cached per text)."""
        self.show_clipboard(self.read_clipboard(fresh=True))

    def show_clipboard(self, content: Clipboard) -> None:
        text = content.text if content.has_text and has_digit(content.text) else ""
        reason = "" if text else (content.reason or NO_DIGITS)
        with self._lock:
            if text == self.clip.text and reason == self.clip.reason:
                return
            logger.debug("clipboard: %s", "text" if text else reason)
            known = self._numbers.get(text, "") if text else ""
            if known == INVALID:
                self.clip = ClipState("", INVALID)
            else:
                checking = bool(text) and not known and self.state == "ok"
                self.clip = ClipState(text, reason, known, checking)
        self.icon.update_menu()
        if self.clip.checking:
            self.submit(self.find_number, text)

    def find_number(self, text: str) -> None:
        """``dialer.normalize`` the clipboard's text, for the menu."""
        number = ""
        try:
            number = self.client().normalize(text).number or INVALID
        except api.ApiFault as fault:
            if fault.code in (api.INVALID_NUMBER, api.INVALID_PARAMS):
                number = INVALID
            else:
                logger.info("cannot check the clipboard's number: %s", fault)
        except api.ApiError as err:
            logger.info("cannot check the clipboard's number: %s", err)
            self._note_error(err)
        logger.debug("clipboard number: %s", number or "(unknown)")
        with self._lock:
            if number:
                self._numbers[text] = number
                self._numbers.move_to_end(text)
                while len(self._numbers) > NUMBER_CACHE_SIZE:
                    self._numbers.popitem(last=False)
            if self.clip.text == text:
                if number == INVALID:
                    self.clip = ClipState("", INVALID)
                else:
                    self.clip = replace(self.clip, number=number, checking=False)
        self.icon.update_menu()

    def dial_clipboard(self) -> api.DialResult | None:
        """Dial the number in the clipboard (read again now: it may have changed)."""
        content = self.read_clipboard()
        self.show_clipboard(content)
        if not content.has_text or not has_digit(content.text):
            self.notify(_("Nothing to dial"), messages.no_number(content.reason or NO_DIGITS))
            return None
        return self.dial(content.text)

    def dial(self, text: str) -> api.DialResult | None:
        """Dial ``text`` (a number, or text holding one); notify, then follow the call."""
        with self._lock:
            self.calls_in_progress += 1
        self._show_state()
        try:
            result = self.client().dial(text)
        except api.ApiError as err:
            self.notify(_("Call not placed"), messages.describe(err))
            self._note_error(err)
            self._call_done()
            return None
        self.redials.remember(result.call_id, text)
        self.notify(_("Astitray"), messages.calling(result.number), key=result.call_id)
        logger.info("dialed: call %s to %s, status %s", result.call_id, result.number, result.status)
        self.submit(self.refresh_history)
        threading.Thread(target=self._follow, args=(result,), name="astitray-follow", daemon=True).start()
        return result

    def _follow(self, result: api.DialResult) -> None:
        """Ask ``dialer.call_status`` until the call's outcome is known; notify it."""
        try:
            deadline = time.monotonic() + self.follow_for_s
            client = self.client()
            while not self._stopping.wait(self.follow_every_s):
                try:
                    info = client.call_status(result.call_id)
                except api.ApiFault as fault:
                    if fault.code == api.NOT_FOUND:
                        return
                    info = None
                except api.ApiError:
                    info = None
                if info is not None and info.final:
                    logger.info("call %s: %s", result.call_id, info.status)
                    self.notify(
                        _("Astitray"),
                        messages.call_outcome(info.number or result.number, info.status, info.reason),
                        key=result.call_id,
                    )
                    return
                if time.monotonic() > deadline:
                    logger.info("call %s: no outcome after %.0f s", result.call_id, self.follow_for_s)
                    return
        finally:
            self._call_done()
            self.submit(self.refresh_history)

    def _call_done(self) -> None:
        with self._lock:
            self.calls_in_progress = max(0, self.calls_in_progress - 1)
        self._show_state()

    def open_search(self) -> None:
        with self._lock:
            profile = self.profile
        if not profile.complete:
            self.notify(_("Astitray"), messages.describe(api.NotConfigured()))
            self.open_settings()
            return
        self.windows.open(
            "search",
            {
                "url": profile.settings.server_url,
                "username": profile.settings.username,
                "password": profile.password,
                "timeout": profile.settings.timeout_s,
                "debounce_ms": SEARCH_DEBOUNCE_MS,
            },
            self.on_window_message,
        )

    def open_settings(self) -> None:
        with self._lock:
            password = self.profile.password
        self.windows.open("settings", {"password": password}, self.on_window_message)

    def open_about(self) -> None:
        with self._lock:
            who, state, profile = self.who, self.state, self.profile
        self.windows.open(
            "about",
            {
                "version": __version__,
                "server_url": profile.settings.server_url,
                "status": messages.tooltip(state, who if state == "ok" else None),
                "server_version": who.server_version if who and state == "ok" else "",
            },
            self.on_window_message,
        )

    def on_window_message(self, window: str, message: dict[str, Any]) -> None:
        """A window's request: the search window dials, the settings window saved."""
        if window == "search" and isinstance(message.get("dial"), str):
            self.submit(self.dial, message["dial"])
        elif window == "settings" and message.get("saved") is True:
            self.submit(self.reload)

    # -- state, icon, notifications ----------------------------------------------------------------

    def notify(self, title: str, body: str, key: str = "") -> None:
        self.notifier.show(title, body, key)

    def _notice_fallback(self, _title: str, body: str) -> None:
        """No notification service: the latest message goes into the tooltip."""
        with self._lock:
            self.last_notice = body
        self._show_state()

    def _note_error(self, err: api.ApiError) -> None:
        """A failed call says something about the server: follow it in the icon."""
        state = state_for(err)
        if state in ("unreachable", "refused", "not_astitray"):
            self._set_state(state, messages.describe(err), notify=False)

    def _set_state(self, state: str, detail: str, notify: bool = False) -> None:
        with self._lock:
            previous = self.state
            self.state, self.state_detail = state, detail
            self._next_status = time.monotonic() + (STATUS_EVERY_S if state == "ok" else RETRY_EVERY_S)
        if state != previous:
            logger.info("server state: %s -> %s", previous, state)
            if notify and state not in ("ok", "checking"):
                self.notify(_("Astitray"), detail or messages.tooltip(state))
            elif notify and state == "ok" and previous in ("unreachable", "refused", "not_astitray", "error"):
                self.notify(_("Astitray"), _("Connected to the Astitray server again."))
            if state == "ok":
                self._wake.set()
        self._show_state()

    def icon_state(self) -> str:
        with self._lock:
            if self.state == "ok":
                if self.calls_in_progress:
                    return "calling"
                if self.who is not None and not (self.who.extension and self.who.can_dial):
                    return "no_phone"
                return "ok"
            return self.state if self.state in icons.STATES else "not_astitray"

    def _show_state(self) -> None:
        with self._lock:
            detail = self.last_notice if self.last_notice and not self.notifier.available else ""
            title = messages.tooltip(self.state, self.who, detail)
        self.icon.icon = icons.image(self.icon_state())
        self.icon.title = title
        self.icon.update_menu()


def state_for(err: api.ApiError) -> str:
    """The icon state a failed call puts the client in."""
    if isinstance(err, api.ServerUnreachable | api.ServerTimeout):
        return "unreachable"
    if isinstance(err, api.AuthenticationRefused):
        return "refused"
    if isinstance(err, api.NotConfigured):
        return "unconfigured"
    if isinstance(err, api.NotAstitray | api.HttpError):
        return "not_astitray"
    return "error"


def labels(menu: Iterable[Any]) -> list[str]:
    """The visible labels of a pystray menu (for logs and tests)."""
    return [item.text for item in menu]
