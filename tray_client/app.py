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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pystray

from tray_client import __version__, api, config, icons, menu, messages
from tray_client.clipboard import Clipboard, ClipboardReader, ClipboardWatcher
from tray_client.clipnumber import INVALID, NO_DIGITS, ClipboardNumber, has_digit
from tray_client.i18n import _
from tray_client.notify import Notifier, default_notifier
from tray_client.redial import RedialBook
from tray_client.windows.launcher import WindowLauncher

logger = logging.getLogger(__name__)

# Seconds between checks of the server, when it answers and when it does not.
STATUS_EVERY_S = 60.0
RETRY_EVERY_S = 15.0
HISTORY_EVERY_S = 120.0
# The clipboard poll when its changes are also notified (X11).
WATCHED_POLL_S = 5.0
SEARCH_DEBOUNCE_MS = 300


def default_client(profile: config.Profile) -> api.ApiClient:
    return profile.client()


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
        self.clip = ClipboardNumber(clipboard or ClipboardReader())
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

        self.profile = config.Profile()
        self.state = "checking"
        self.state_detail = ""
        self.who: api.WhoAmI | None = None
        self.history: list[api.CallInfo] | None = None
        self.history_error = ""
        self.calls_in_progress = 0
        self.last_notice = ""
        self._next_status = 0.0
        self._next_history = 0.0
        self._started = False

        self.icon = icon_class(
            "astitray", icons.image("checking"), messages.tooltip("checking"), menu=menu.build(self)
        )
        self.notifier = notifier or default_notifier(self.icon, self._notice_fallback)

    def recent_calls(self) -> tuple[list[api.CallInfo] | None, str]:
        """The calls of "Recent calls" (None until loaded) and why they are not there."""
        with self._lock:
            return self.history, self.history_error

    def quit(self) -> None:
        """Quit (from the menu: the stopping happens off the UI thread)."""
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
        self.clip.watched = watched
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
                self.clip.forget()
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
        self.clip.changed()
        self._wake.set()

    def poll_clipboard(self) -> None:
        """Read the clipboard; when it changed, find the number in it (once per text)."""
        self.show_clipboard(self.clip.read(fresh=True))

    def show_clipboard(self, content: Clipboard) -> None:
        changed, text = self.clip.take(content, can_check=self.state == "ok")
        if changed:
            self.icon.update_menu()
        if text:
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
        self.clip.found(text, number)
        self.icon.update_menu()

    def dial_clipboard(self) -> api.DialResult | None:
        """Dial the number in the clipboard (read again now: it may have changed)."""
        content = self.clip.read()
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
            info = self.client().outcome(
                result.call_id, self.follow_every_s, self.follow_for_s, self._stopping
            )
            if info is not None:
                logger.info("call %s: %s", result.call_id, info.status)
                outcome = messages.call_outcome(info.number or result.number, info.status, info.reason)
                self.notify(_("Astitray"), outcome, key=result.call_id)
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
            {**profile.connection(), "debounce_ms": SEARCH_DEBOUNCE_MS},
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
                unchecked = self.clip.unchecked()  # copied while the server could not be asked
                if unchecked:
                    self.submit(self.find_number, unchecked)
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
            if self.state == "error":  # no short name for it: the tooltip says what it is
                detail = self.state_detail
            # Applied under the lock (pystray only queues them for the UI loop): several threads
            # show the state, and the last one to look must be the last one to write.
            image = icons.image(self.icon_state())  # drawn once per state (cached)
            if self.icon.icon is not image:  # pystray redraws on every set (AppIndicator: a new file)
                self.icon.icon = image
            self.icon.title = messages.tooltip(self.state, self.who, detail)
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
