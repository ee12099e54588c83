"""The tray icon, its menu and everything it does.

Threads: the platform's UI loop runs pystray (menu callbacks, drawing);
callbacks only hand work to a small pool of worker threads and return at
once. A ticker thread reads the clipboard and checks the server now and
then. Every network call, keyring access and clipboard read happens off the
UI thread, with a timeout; the UI thread only reads the state under a lock.

Every call to the server goes through one :class:`tray_client.gate.LoginGate`:
once the server refused the credentials, nothing asks it again until they
change (or an hour passed), and the user is told once, with a notification
whose click opens Settings. What is dialed and how (the clipboard, the
selection, recent calls) is in :mod:`tray_client.calls`.
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

from tray_client import __version__, api, config, hotkey, icons, menu, messages
from tray_client.callee import Callee, Resolver
from tray_client.calls import Calls
from tray_client.clipboard import ClipboardReader, ClipboardWatcher
from tray_client.clipnumber import ClipboardNumber
from tray_client.gate import GuardedClient, LoginGate
from tray_client.i18n import _
from tray_client.incoming import EventsPoller, IncomingCalls
from tray_client.missed import SeenCalls, missed_calls
from tray_client.notify import Notifier, default_notifier
from tray_client.redial import RedialBook
from tray_client.windows import toolkit
from tray_client.windows.launcher import WindowFailed, WindowLauncher

logger = logging.getLogger(__name__)

# Seconds between checks of the server, when it answers and when it does not.
STATUS_EVERY_S = 60.0
RETRY_EVERY_S = 15.0
# The clipboard poll when its changes are also notified (X11).
WATCHED_POLL_S = 5.0
SEARCH_DEBOUNCE_MS = 300
PROBLEM_STATES = ("unreachable", "refused", "not_astitray", "error")


class TrayApp:
    """The Astitray tray icon. Build it, then :meth:`run` it on the main thread."""

    def __init__(
        self,
        *,
        icon_class: type = pystray.Icon,
        load_profile: Callable[[], config.Profile] = config.load_profile,
        clipboard: ClipboardReader | None = None,
        selection: ClipboardReader | None = None,
        watch_clipboard: bool = True,
        notifier: Notifier | None = None,
        windows: WindowLauncher | None = None,
        redials: RedialBook | None = None,
        gate: LoginGate | None = None,
        seen: SeenCalls | None = None,
        follow_every_s: float = 1.0,
        follow_for_s: float = 90.0,
    ) -> None:
        self.load_profile = load_profile
        self.clip = ClipboardNumber(clipboard or ClipboardReader())
        self.selection = selection or ClipboardReader(selection="primary")
        self.windows = windows or WindowLauncher()
        self.redials = redials or RedialBook()
        self.gate = gate or LoginGate()
        self.seen = seen or SeenCalls()
        self.resolver = Resolver(self.client)
        self.follow_every_s = follow_every_s
        self.follow_for_s = follow_for_s
        self.watch_clipboard = watch_clipboard

        self.lock = threading.RLock()
        self.stopping = threading.Event()
        self._wake = threading.Event()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="astitray-worker")
        self._ticker: threading.Thread | None = None
        self._shortcut: hotkey.GlobalShortcut | None = None

        self.profile = config.Profile()
        self.state = "checking"
        self.state_detail = ""
        self.who: api.WhoAmI | None = None
        self.history: list[api.CallInfo] | None = None
        self.history_error = ""
        self.titles: dict[str, str] = {}  # call_id -> whom it called, for Recent calls
        self.following: set[str] = set()  # calls whose outcome is being followed
        self.calls_in_progress = 0
        self.last_notice = ""
        self._next_status = 0.0
        self.next_history = 0.0
        self._started = False

        self.calls = Calls(self)
        self.incoming = IncomingCalls(self)
        self.events = EventsPoller(self)
        self.icon = icon_class(
            "astitray", icons.image("checking"), messages.tooltip("checking"), menu=menu.build(self)
        )
        self.notifier = notifier or default_notifier(self.icon, self._notice_fallback)

    def recent_calls(self) -> tuple[list[api.CallInfo] | None, str]:
        """The calls of "Recent calls" (None until loaded) and why they are not there."""
        with self.lock:
            return self.history, self.history_error

    def missed(self) -> tuple[list[api.CallInfo], int]:
        """The missed calls of the loaded history (newest first), and how many of them are new."""
        with self.lock:
            missed = missed_calls(self.history)
        return missed, len(self.seen.unseen(missed))

    def mark_missed_seen(self) -> None:
        """ "Mark all as seen": the count leaves the menu, the icon and the tooltip."""
        self.seen.mark(call.call_id for call in self.missed()[0])
        self.show_state()

    def phone_unavailable(self) -> bool:
        """The server says the user's phone is not registered (the menu's first line says so)."""
        with self.lock:
            return self.state == "ok" and self.who is not None and self.who.phone_unavailable

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
        with self.lock:
            if self._started:
                return
            self._started = True
        problem = toolkit.problem()
        if problem:  # said at once: every window of the menu would fail
            logger.warning("%s", problem)
            self.notify(_("Astitray"), problem)
        self._ticker = threading.Thread(target=self._tick, name="astitray-ticker", daemon=True)
        self._ticker.start()
        self.events.start()

    def stop(self) -> None:
        """Quit: close the windows, stop the threads and the icon."""
        logger.info("quitting")
        self.stopping.set()
        self._wake.set()
        self.events.reset()  # wakes its thread, which sees the stop
        if self._shortcut is not None:
            self._shortcut.stop()
        self.windows.close_all()
        self.notifier.close(0)
        self._executor.shutdown(wait=False, cancel_futures=True)
        self.icon.stop()

    def submit(self, function: Callable[..., Any], *args: Any) -> None:
        """Run ``function(*args)`` on a worker thread; its errors are logged, never raised."""
        if self.stopping.is_set():
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
        while not self.stopping.is_set():
            now = time.monotonic()
            with self.lock:
                poll_s = self.profile.settings.clipboard_poll_s
                if watched and poll_s > 0:
                    poll_s = max(poll_s, WATCHED_POLL_S)
                status_due = 0 < self._next_status <= now
                history_due = self.state == "ok" and 0 < self.next_history <= now
            if status_due:
                with self.lock:
                    self._next_status = 0.0
                self.submit(self.refresh_status)
            if history_due:
                with self.lock:
                    self.next_history = 0.0
                self.submit(self.calls.refresh_history)
            if poll_s > 0:
                self.calls.poll_clipboard()
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
        with self.lock:
            changed = profile != self.profile
            shortcut_changed = profile.settings.shortcut != self.profile.settings.shortcut
            self.profile = profile
            if changed:
                self.events.reset()
                self.gate.reset()  # new credentials: the server may be asked again
                self.resolver.forget()
                self.clip.forget()
                self.history = None
                self.history_error = ""
                self.titles = {}
        if first or shortcut_changed:
            self._grab_shortcut(profile.settings.shortcut)
        self.refresh_status(first=first)
        if self.state == "ok":
            self.calls.refresh_history()
        self._wake.set()  # re-read the clipboard now
        if first and not profile.settings.configured:
            self.open_settings()

    def client(self) -> api.ApiClient:
        with self.lock:
            return GuardedClient(self.profile.credentials, self.profile.settings.timeout_s, self.gate)

    def events_client(self, wait_s: float) -> api.ApiClient | None:
        """A client for the ``events.wait`` long poll (its timeout: the wait's and the usual one), or
        None while there is nobody to ask (not set up, the password refused, the server down)."""
        with self.lock:
            if self.state != "ok" or not self.profile.complete or self.gate.refused:
                return None
            timeout_s = wait_s + self.profile.settings.timeout_s
            return GuardedClient(self.profile.credentials, timeout_s, self.gate)

    def refresh_status(self, first: bool = False) -> None:
        """Ask the server who we are; the icon, tooltip and menu follow."""
        with self.lock:
            profile = self.profile
        if not profile.complete:
            self._set_state("unconfigured", "", notify=first)
            return
        try:
            who = self.client().whoami()
        except api.ApiError as err:
            self._set_state(state_for(err), messages.describe(err), notify=True)
            return
        with self.lock:
            self.who = who
        self._set_state("ok", "", notify=True)

    def _grab_shortcut(self, keys: str) -> None:
        if self._shortcut is not None:
            self._shortcut.stop()
            self._shortcut = None
        if not keys:
            return
        shortcut = hotkey.GlobalShortcut(hotkey.parse(keys), lambda: self.submit(self.calls.dial_selection))
        if shortcut.start():
            self._shortcut = shortcut
        else:
            logger.warning("the shortcut %s is not available: %s", keys, shortcut.problem)

    def _clipboard_changed(self) -> None:
        self.clip.changed()
        self._wake.set()

    # -- windows ---------------------------------------------------------------------------------

    def open_window(self, name: str, payload: dict[str, Any]) -> None:
        """Show window ``name``; when it cannot open, say why (what to install) in a notification."""
        try:
            self.windows.open(name, payload, self.on_window_message)
        except WindowFailed as err:
            logger.warning("window %s cannot open: %s", name, err)
            self.notify(_("Astitray"), str(err))

    def _usable(self) -> bool:
        """Whether windows that call the server may open; if not, say why (and offer Settings)."""
        with self.lock:
            profile = self.profile
        if not profile.complete:
            self.notify(_("Astitray"), messages.describe(api.NotConfigured()))
            self.open_settings()
            return False
        if self.gate.refused:
            self.notify_refused()
            return False
        return True

    def open_search(self, choices: tuple[Callee, ...] = ()) -> None:
        if not self._usable():
            return
        with self.lock:
            connection = self.profile.connection()
        rows = [
            {"text": c.text, "number": c.shown_number, "name": c.name, "company": c.company, "label": c.label}
            for c in choices
        ]
        self.open_window("search", {**connection, "debounce_ms": SEARCH_DEBOUNCE_MS, "choices": rows})

    def open_history(self) -> None:
        if not self._usable():
            return
        with self.lock:
            connection, titles = self.profile.connection(), dict(self.titles)
        known = {call_id: {"title": title} for call_id, title in {**self.redials.titles(), **titles}.items()}
        self.open_window("history", {**connection, "known": known})

    def open_settings(self, focus: str = "") -> None:
        """The Settings window; ``focus`` ("password") says which field takes the keyboard first."""
        with self.lock:
            password, token = self.profile.password, self.profile.token
        payload = {"password": password, "token": token, **({"focus": focus} if focus else {})}
        self.open_window("settings", payload)

    def open_about(self) -> None:
        with self.lock:
            who, state, profile = self.who, self.state, self.profile
        shortcut = self._shortcut.shortcut.label if self._shortcut is not None else ""
        self.open_window(
            "about",
            {
                "version": __version__,
                "server_url": profile.settings.server_url,
                "status": messages.tooltip(state, who if state == "ok" else None),
                "server_version": who.server_version if who and state == "ok" else "",
                "shortcut": shortcut,
            },
        )

    def on_window_message(self, window: str, message: dict[str, Any]) -> None:
        """A window's request: the search and history windows dial, the settings window saved."""
        if window in ("search", "history") and isinstance(message.get("dial"), str):
            callee = Callee(
                text=message["dial"],
                display=str(message.get("number", "")),
                name=str(message.get("name", "")),
                company=str(message.get("company", "")),
            )
            self.submit(self.calls.dial, message["dial"], callee)
        elif window == "settings" and message.get("saved") is True:
            self.submit(self.reload)
        elif isinstance(message.get("failed"), int):
            self.notify(_("Astitray"), _("The window could not open (see the log for why)."))

    # -- state, icon, notifications ----------------------------------------------------------------

    def notify(
        self,
        title: str,
        body: str,
        key: str = "",
        settings: bool = False,
        *,
        actions: tuple[tuple[str, str], ...] = (),
        on_action: Callable[[str], None] | None = None,
        hint: str = "",
    ) -> None:
        """Show a notification; ``settings``: a click on it opens Settings. ``actions`` (buttons, with
        ``on_action``) where the notification service shows them, else ``hint`` in the text."""
        if settings:
            actions, on_action = (("default", _("Open Settings")),), self._notice_action
        if actions:
            self.notifier.show(title, body, key, actions=actions, on_action=on_action, hint=hint)
        else:
            self.notifier.show(title, body, key)

    def _notice_action(self, _action: str) -> None:
        # Most often a password that changed: the keyboard goes to it.
        self.submit(self.open_settings, "password" if self.gate.refused else "")

    def notify_refused(self) -> None:
        with self.lock:
            token = bool(self.profile.token)
        self.notify(_("Astitray"), messages.refused_notice(token=token), key="refused", settings=True)

    def _notice_fallback(self, _title: str, body: str) -> None:
        """No notification service: the latest message goes into the tooltip."""
        with self.lock:
            self.last_notice = body
        self.show_state()

    def note_error(self, err: api.ApiError) -> None:
        """A failed call says something about the server: follow it in the icon."""
        state = state_for(err)
        if state in ("unreachable", "refused", "not_astitray"):
            # A refusal is said once however it was found (a status check, the clipboard's number, the
            # events): the tray asks no more until the user acts on it.
            self._set_state(state, messages.describe(err), notify=state == "refused")

    def _set_state(self, state: str, detail: str, notify: bool = False) -> None:
        with self.lock:
            previous = self.state
            self.state, self.state_detail = state, detail
            self._next_status = time.monotonic() + (STATUS_EVERY_S if state == "ok" else RETRY_EVERY_S)
        if state != previous:
            logger.info("server state: %s -> %s", previous, state)
            if notify and state == "refused":
                self.notify_refused()
            elif notify and state not in ("ok", "checking"):
                self.notify(
                    _("Astitray"), detail or messages.tooltip(state), settings=state == "not_astitray"
                )
            elif notify and state == "ok" and previous in PROBLEM_STATES:
                self.notify(_("Astitray"), _("Connected to the Astitray server again."))
            if state == "ok":
                unchecked = self.clip.unchecked()  # copied while the server could not be asked
                if unchecked:
                    self.submit(self.calls.find_number, unchecked)
        self.show_state()

    def icon_state(self) -> str:
        with self.lock:
            if self.state == "ok":
                if self.calls_in_progress:
                    return "calling"
                if self.who is not None and (
                    not (self.who.extension and self.who.can_dial) or self.who.phone_unavailable
                ):
                    return "no_phone"
                return "ok"
            return self.state if self.state in icons.STATES else "not_astitray"

    def show_state(self) -> None:
        with self.lock:
            detail = self.last_notice if self.last_notice and not self.notifier.available else ""
            if self.state == "error":  # no short name for it: the tooltip says what it is
                detail = self.state_detail
            # Applied under the lock (pystray only queues them for the UI loop): several threads
            # show the state, and the last one to look must be the last one to write.
            unseen = self.missed()[1] if self.state == "ok" else 0
            image = icons.image(self.icon_state(), missed=unseen)  # drawn once per state (cached)
            if self.icon.icon is not image:  # pystray redraws on every set (AppIndicator: a new file)
                self.icon.icon = image
            self.icon.title = messages.tooltip(self.state, self.who, detail, missed=unseen)
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
