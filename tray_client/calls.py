"""What the tray dials and how it tells: the clipboard, the selection, a chosen number, recent calls.

:class:`Calls` works for a :class:`tray_client.app.TrayApp` (its state,
lock, client and notifications: ``app.calls``). Every method runs on a
worker thread.

- The clipboard: its text goes to the server only when the local check
  (:mod:`tray_client.phonetext`) says it may hold a phone number, once per
  text; the menu shows whom it would call ("Dial clipboard: Hélène Dupont
  (Acme) — +33 1 42 68 53 00"), or a submenu when the text holds several
  numbers (a signature: office and mobile).
- The selection (the global shortcut): the same for the text last selected.
- A dial notifies whom it calls, as people read it, then the call's
  outcome. The same number again within the server's double-click window
  gets the call already placed (same call_id): "Already calling …".
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from tray_client import api, messages
from tray_client.callee import Callee
from tray_client.clipboard import Clipboard, copy_text
from tray_client.clipnumber import INVALID, NO_DIGITS
from tray_client.i18n import _
from tray_client.missed import missed_calls
from tray_client.phonetext import could_hold_number

if TYPE_CHECKING:
    from tray_client.app import TrayApp

logger = logging.getLogger(__name__)

# Recent calls whose name and number are looked up for the menu.
RECENT_RESOLVED = 10
# Seconds between loads of the recent calls.
HISTORY_EVERY_S = 120.0


class Calls:
    def __init__(self, app: TrayApp) -> None:
        self._missed_known: set[str] = set()
        self.app = app

    # -- the clipboard ---------------------------------------------------------------------------

    def poll_clipboard(self) -> None:
        """Read the clipboard; when it changed, find the numbers in it (once per text)."""
        self.show_clipboard(self.app.clip.read(fresh=True))

    def show_clipboard(self, content: Clipboard) -> None:
        changed, text = self.app.clip.take(content, can_check=self.app.state == "ok")
        if changed:
            self.app.icon.update_menu()
        if text:
            self.app.submit(self.find_number, text)

    def find_number(self, text: str) -> None:
        """The numbers of the clipboard's text (``dialer.normalize``, ``phonebook.lookup``), for the menu."""
        callees: tuple[Callee, ...] | str = ()
        try:
            callees = self.app.resolver.resolve(text) or INVALID
        except api.ApiFault as fault:
            if fault.code in (api.INVALID_NUMBER, api.INVALID_PARAMS):
                callees = INVALID
            else:
                logger.info("cannot check the clipboard's number: %s", fault)
        except api.ApiError as err:
            logger.info("cannot check the clipboard's number: %s", err)
            self.app.note_error(err)
        self.app.clip.found(text, callees)
        self.app.icon.update_menu()

    def dial_clipboard(self) -> api.DialResult | None:
        """Dial the clipboard's number (read again now: it may have changed); several: ask which."""
        content = self.app.clip.read()
        self.show_clipboard(content)
        if not content.has_text or not could_hold_number(content.text):
            self.app.notify(_("Nothing to dial"), messages.no_number(content.reason or NO_DIGITS))
            return None
        state = self.app.clip.state
        callees = state.callees if state.text == content.text else ()
        if len(callees) > 1:
            self.app.open_search(callees)
            return None
        return self.dial(content.text, callees[0] if callees else None)

    def dial_choice(self, callee: Callee) -> None:
        """One of several numbers of the clipboard, chosen in the menu."""
        self.dial(callee.text, callee)

    def dial_selection(self) -> None:
        """The global shortcut: dial the text last selected (X11 primary selection), else the clipboard."""
        content = self.app.selection.read()
        if not content.has_text:
            content = self.app.clip.read(fresh=True)
        if not content.has_text or not could_hold_number(content.text):
            reason = content.reason if content.reason == "secret" else NO_DIGITS
            self.app.notify(_("Nothing to dial"), messages.no_number(reason))
            return
        try:
            callees = self.app.resolver.resolve(content.text)
        except api.ApiFault as fault:
            if fault.code == api.INVALID_NUMBER:
                self.app.notify(_("Nothing to dial"), messages.describe(fault))
                return
            callees = ()  # the server's dial will say what it thinks of the text
        except api.ApiError as err:
            self.app.notify(_("Call not placed"), messages.describe(err), settings=self._about_settings(err))
            self.app.note_error(err)
            return
        if len(callees) > 1:
            self.app.open_search(callees)
        else:
            self.dial(content.text, callees[0] if callees else None)

    # -- a call ----------------------------------------------------------------------------------

    def dial(self, text: str, callee: Callee | None = None) -> api.DialResult | None:
        """Dial ``text`` (a number, or text holding one); notify whom, then follow the call."""
        with self.app.lock:
            self.app.calls_in_progress += 1
        self.app.show_state()
        try:
            result = self.app.client().dial(text)
        except api.ApiError as err:
            self.app.notify(_("Call not placed"), messages.describe(err), settings=self._about_settings(err))
            self.app.note_error(err)
            if isinstance(err, api.ApiFault) and err.code == api.PHONE_UNAVAILABLE:
                self.app.submit(self.app.refresh_status)  # the icon and menu say so until it is back
            self._call_done()
            return None
        logger.info("dialed: call %s to %s, status %s", result.call_id, result.number, result.status)
        callee = self._callee_of(text, result, callee)
        with self.app.lock:
            placed_already = result.call_id in self.app.following
            self.app.following.add(result.call_id)
            self.app.titles[result.call_id] = callee.title
        self.app.redials.remember(result.call_id, text, callee.title)
        if placed_already:
            self.app.notify(_("Astitray"), messages.already_calling(callee.title), key=result.call_id)
            self._call_done()
            return result
        self.app.notify(_("Astitray"), messages.calling(callee.title), key=result.call_id)
        self.app.submit(self.refresh_history)
        threading.Thread(
            target=self._follow, args=(result, callee), name="astitray-follow", daemon=True
        ).start()
        return result

    def _callee_of(self, text: str, result: api.DialResult, given: Callee | None) -> Callee:
        """Whom the call goes to: ``given`` when it is the number dialed, else what the server says."""
        if given is not None and (not given.number or given.number == result.number):
            return given
        known = self.app.resolver.known(text)
        if known is None:
            try:
                known = self.app.resolver.resolve(text)
            except api.ApiError as err:
                logger.info("no name for the call: %s", err)
                known = ()
        for callee in known:
            if callee.number == result.number:
                return callee
        return Callee(text=text, number=result.number)

    def _follow(self, result: api.DialResult, callee: Callee) -> None:
        """Ask ``dialer.call_status`` until the call's outcome is known; notify it."""
        try:
            info = self.app.client().outcome(
                result.call_id, self.app.follow_every_s, self.app.follow_for_s, self.app.stopping
            )
            if info is not None:
                logger.info("call %s: %s", result.call_id, info.status)
                outcome = messages.call_outcome(callee.title, info.status, info.reason)
                self.app.notify(_("Astitray"), outcome, key=result.call_id)
        finally:
            with self.app.lock:
                self.app.following.discard(result.call_id)
            self._call_done()
            self.app.submit(self.refresh_history)

    def _call_done(self) -> None:
        with self.app.lock:
            self.app.calls_in_progress = max(0, self.app.calls_in_progress - 1)
        self.app.show_state()

    @staticmethod
    def _about_settings(err: api.ApiError) -> bool:
        """Whether a click on the notification of ``err`` should open Settings."""
        return isinstance(err, api.AuthenticationRefused | api.NotAstitray | api.NotConfigured)

    # -- recent calls ----------------------------------------------------------------------------

    def refresh_history(self) -> None:
        """Load the recent calls for the menu, with whom each called."""
        try:
            history = self.app.client().history(20)
        except api.ApiError as err:
            with self.app.lock:
                self.app.history_error = messages.describe(err)
                self.app.next_history = time.monotonic() + HISTORY_EVERY_S
            self.app.note_error(err)
        else:
            self._name_calls(history)
            with self.app.lock:
                first = self.app.history is None
                self.app.history, self.app.history_error = history, ""
                self.app.next_history = time.monotonic() + HISTORY_EVERY_S
            self._notify_missed(missed_calls(history), first)
        self.app.show_state()  # the missed calls' count on the icon and in the tooltip; the menu

    def _name_calls(self, history: list[api.CallInfo]) -> None:
        """Find whom the calls shown in the menu went to (remembered; else asked, once per text)."""
        known = self.app.redials.titles()
        with self.app.lock:
            known.update(self.app.titles)
        for call in history[:RECENT_RESOLVED]:
            if call.call_id in known:
                continue
            text = self.app.redials.text_for(call)
            try:
                callees = self.app.resolver.resolve(text)
            except api.ApiError:
                continue
            match = next((c for c in callees if c.number == call.number), callees[0] if callees else None)
            if match is not None:
                known[call.call_id] = match.title
        with self.app.lock:
            self.app.titles.update(known)

    def recent_title(self, call: api.CallInfo) -> str:
        """Whom ``call`` went to, as the menu shows it."""
        with self.app.lock:
            title = self.app.titles.get(call.call_id, "")
        if title:
            return title
        return f"{call.name} — {call.number}" if call.name else call.number

    def call_back(self, call: api.CallInfo) -> Any:
        """A line of "Missed calls": call the caller back; that missed call is seen."""

        def action(_icon: Any, _item: Any) -> None:
            self.app.seen.mark([call.call_id])
            callee = Callee(text=call.number, name=call.name) if call.name else None
            self.app.submit(self.dial, call.number, callee)

        return action

    def _notify_missed(self, missed: list[api.CallInfo], first: bool) -> None:
        """A notification for each missed call that was not there before (none for those found at
        start: the menu and the icon count them), with "Call back" and "Copy number" where the
        notification service shows buttons."""
        with self.app.lock:
            new = [call for call in missed if call.call_id not in self._missed_known]
            self._missed_known.update(call.call_id for call in missed)
        if first:
            return
        for call in reversed(self.app.seen.unseen(new)):  # oldest first
            self.app.notify(
                _("Missed call"),
                messages.missed_call_label(self.recent_title(call), call.created),
                key=f"missed-{call.call_id}",
                actions=(("call_back", _("Call back")), ("copy", _("Copy number"))),
                on_action=functools.partial(self._missed_action, call=call),
                hint=_('To call back: "Missed calls" in the menu.'),
            )

    def notify_missed_event(self, event: api.Event, callee: Callee, key: str) -> None:
        """``events.wait`` says an incoming call was missed: it replaces its "is calling" notification,
        with the buttons of a missed call (and is not notified again when the history shows it)."""
        call = api.CallInfo(
            call_id=event.call_id, number=event.number, status="missed", reason="", created=event.at,
            updated=event.at, name=callee.who, direction="in",
        )  # fmt: skip
        with self.app.lock:
            self._missed_known.add(event.call_id)
        self.app.notify(
            _("Missed call"),
            messages.missed_call_label(callee.title, event.at),
            key=key,
            actions=(("call_back", _("Call back")), ("copy", _("Copy number"))),
            on_action=functools.partial(self._missed_action, call=call),
            hint=_('To call back: "Missed calls" in the menu.'),
        )

    def _missed_action(self, chosen: str, call: api.CallInfo) -> None:
        """A button of a missed call's notification (from the notifier's thread)."""
        if chosen == "call_back":
            self.call_back(call)(None, None)
        elif chosen == "copy":
            self.app.submit(self._copy_number, call.number)

    def _copy_number(self, number: str) -> None:
        if not copy_text(number):
            self.app.notify(
                _("Astitray"), _("The number could not be copied: install xclip or wl-clipboard.")
            )

    def recent_action(self, call: api.CallInfo) -> Any:
        def action(_icon: Any, _item: Any) -> None:
            self.app.submit(self.dial, self.app.redials.text_for(call))

        return action
