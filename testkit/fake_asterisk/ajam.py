"""The AJAM half of the fake Asterisk HTTP server: ``/rawman``, sessions, WaitEvent.

Mixed into :class:`testkit.fake_asterisk.http.FakeAsteriskHttp`.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from testkit.fake_asterisk.dialplan import FakeDialplan
from testkit.fake_asterisk.pbx import (
    Header,
    ManagerUser,
    Reason,
    RecordedAction,
    Scheduler,
    core_show_channels,
    first,
    render,
    response,
    wants,
)

KNOWN_AJAM_ACTIONS = ("login", "logoff", "ping", "originate", "waitevent", "coreshowchannels")


@dataclass
class AjamSession:
    """A manager session over HTTP, named by its ``mansession_id`` cookie."""

    id: str
    last_seen: float
    user: ManagerUser | None = None
    username: str = ""
    events: list[list[Header]] = field(default_factory=list)


class AjamMixin:
    """AJAM sessions and actions (the server provides the attributes declared here)."""

    users: dict[str, ManagerUser]
    dialplan: FakeDialplan
    auth_fail_delay: float
    session_timeout: float
    drop_on_originate: str | None
    _cond: threading.Condition
    _stop: threading.Event
    _actions: list[RecordedAction]
    _sessions: dict[str, AjamSession]
    _scheduler: Scheduler | None

    @property
    def sessions(self) -> int:
        """Logged-in AJAM sessions."""
        with self._cond:
            return sum(1 for s in self._sessions.values() if s.user is not None)

    def expire_sessions(self) -> None:
        """Forget every AJAM session now, as Asterisk does after ``httptimeout`` idle seconds."""
        with self._cond:
            self._sessions.clear()
            self._cond.notify_all()

    def session_for(self, cookie_header: list[str]) -> AjamSession:
        """The session named by the LAST mansession_id cookie, or a new one (not logged in)."""
        wanted = ""
        for header in cookie_header:
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name == "mansession_id":
                    wanted = value.strip('"')
        now = time.monotonic()
        with self._cond:
            for sid, session in list(self._sessions.items()):
                if now - session.last_seen > self.session_timeout:
                    del self._sessions[sid]
            found = self._sessions.get(wanted)
            if found is None:
                found = AjamSession(secrets.token_hex(4), now)
                self._sessions[found.id] = found
            found.last_seen = now
            return found

    def ajam(self, session: AjamSession, params: list[Header]) -> tuple[bytes, bool]:
        """The body answering ``params`` in ``session``; True when the connection must drop instead."""
        name = first(params, "action")
        action_id = first(params, "actionid")
        with self._cond:
            self._actions.append(RecordedAction(name, tuple(params), 0, "ajam", session.username))
            self._cond.notify_all()
        lowered = name.lower()
        if not name:
            return render(response("Error", action_id, ("Message", "Missing action in request"))), False
        if lowered == "login":
            return self._login(session, params, action_id), False
        if session.user is None:
            return render(response("Error", action_id, ("Message", "Permission denied"))), False
        if lowered not in KNOWN_AJAM_ACTIONS:
            text = f"Invalid/unknown command: {name}. Use Action: ListCommands to show available commands."
            return render(response("Error", action_id, ("Message", text))), False
        if lowered == "logoff":
            self._forget(session)
            return render(response("Goodbye", action_id, ("Message", "Thanks for all the fish."))), False
        if lowered == "ping":
            return render(
                response("Success", action_id, ("Ping", "Pong"), ("Timestamp", f"{time.time():.6f}"))
            ), False
        if lowered == "waitevent":
            return self._waitevent(session, params, action_id), False
        if lowered == "coreshowchannels":
            return core_show_channels(session.user, action_id), False
        return self._originate(session, params, action_id)

    def _forget(self, session: AjamSession) -> None:
        with self._cond:
            self._sessions.pop(session.id, None)
            self._cond.notify_all()

    def _login(self, session: AjamSession, params: list[Header], action_id: str) -> bytes:
        user = self.users.get(first(params, "username"))
        if user is None or first(params, "secret") != user.secret:
            time.sleep(self.auth_fail_delay)
            self._forget(session)
            return render(response("Error", action_id, ("Message", "Authentication failed")))
        with self._cond:
            session.user, session.username = user, first(params, "username")
            session.events = []
        return render(response("Success", action_id, ("Message", "Authentication accepted")))

    def _originate(self, session: AjamSession, params: list[Header], action_id: str) -> tuple[bytes, bool]:
        assert session.user is not None
        if not session.user.may_originate:
            return render(response("Error", action_id, ("Message", "Permission denied"))), False
        if self.drop_on_originate == "before_answer":
            return b"", True
        sync = first(params, "async").lower() not in ("true", "yes", "1", "on")
        error = self.dialplan.originate_error(params, sync=sync)
        if error:
            return render(response("Error", action_id, ("Message", error))), False
        early, late = self.dialplan.call(params, action_id)
        if sync:
            time.sleep(self.dialplan.outcome_delay)
            self._queue_events(early + late)
            if self.dialplan.reason_for(params) != Reason.ANSWERED:
                return render(response("Error", action_id, ("Message", "Originate failed"))), False
        else:
            self._queue_events(early)
            assert self._scheduler is not None
            self._scheduler.call_later(self.dialplan.outcome_delay, lambda: self._queue_events(late))
        if self.drop_on_originate == "before_outcome":
            self._forget(session)  # the session (and its queued events) is lost
        return render(response("Success", action_id, ("Message", "Originate successfully queued"))), False

    def _queue_events(self, events: Iterable[list[Header]]) -> None:
        with self._cond:
            for session in self._sessions.values():
                if session.user is not None:
                    session.events += [e for e in events if wants(None, session.user.read, e)]
            self._cond.notify_all()

    def _waitevent(self, session: AjamSession, params: list[Header], action_id: str) -> bytes:
        raw = first(params, "timeout")
        timeout = float(raw) if raw.isdigit() else 30.0
        deadline = time.monotonic() + min(timeout, self.session_timeout)
        with self._cond:
            while (
                not session.events and not self._stop.is_set() and self._sessions.get(session.id) is session
            ):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            events, session.events = session.events, []
            session.last_seen = time.monotonic()
        body = render(response("Success", action_id, ("Message", "Waiting for Event completed.")))
        body += b"".join(render(event) for event in events)
        complete: list[Header] = [("Event", "WaitEventComplete")]
        if action_id:
            complete.append(("ActionID", action_id))
        return body + render(complete)
