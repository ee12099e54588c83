"""Replay a recorded AJAM event session (ajam-2x..4x) byte for byte: the listener's fake AJAM.

:class:`EventsAjam` answers ``POST /rawman`` forms:

- ``Login``: the recording's first answer, byte for byte (its ``mansession_id`` cookie included);
- ``WaitEvent``: after :meth:`EventsAjam.play`, each recorded answer that
  carried events, in order and byte for byte; with none queued, it waits
  up to its ``Timeout`` (at most ``cap_s``, as Asterisk caps it) and gives the
  recorded empty answer. A newer ``WaitEvent`` ends a waiting one at once with an
  empty HTTP 200 (no body), as Asterisk does;
- the list actions of the snapshot: the recorded AMI answer (``lists``, or
  the recorded idle ones) in the recorded AJAM envelope (the same text, FINDINGS-events.txt);
- after :meth:`EventsAjam.expire`: "Permission denied" until the next login (the session was forgotten);
  after :meth:`EventsAjam.shut_down`: the recorded HTTP 503 of a restarting Asterisk.
"""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from testkit.fake_asterisk.events_replay import IDLE_LISTS, LIST_ACTIONS, recorded_answer, with_ids
from testkit.fake_asterisk.replay import http_responses, transcript

_ACTION_ID = re.compile(rb"^ActionID: (.*)\r$", re.MULTILINE)


def _body(response: bytes) -> bytes:
    return response.partition(b"\r\n\r\n")[2]


def with_body(envelope: bytes, body: bytes) -> bytes:
    """A recorded response's head with another body (its Content-Length set to match)."""
    head = envelope.partition(b"\r\n\r\n")[0]
    head = re.sub(rb"Content-Length: *\d+", b"Content-Length: %d" % len(body), head, flags=re.IGNORECASE)
    return head + b"\r\n\r\n" + body


class EventsAjam:
    """The AJAM of a recorded scenario (see the module docstring): ``with EventsAjam(name) as pbx: ...``."""

    def __init__(
        self,
        name: str,
        *,
        lists: dict[str, bytes] | None = None,
        ids: dict[bytes, bytes] | None = None,
        cap_s: float = 50.0,
    ) -> None:
        self.load(name, ids)
        self.lists = {key.lower(): value for key, value in (lists or {}).items()}
        self.cap_s = cap_s
        self.actions: list[dict[str, str]] = []
        self._queued: list[bytes] = []
        self._cond = threading.Condition()
        self._waiter = 0  # the number of the WaitEvent that may wait; older ones end
        self._expired = False
        self._down = False
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    def __enter__(self) -> EventsAjam:
        threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._cond:
            self._down = True
            self._cond.notify_all()
        self._httpd.shutdown()
        self._httpd.server_close()

    # --- what the test does

    def load(self, name: str, ids: dict[bytes, bytes] | None = None) -> None:
        """Replay the recording ``name`` from now on (sessions stay)."""
        # ``ids``: recorded ids -> ours (a click-to-dial placed with ChannelId = ActionID = our call id).
        responses = [
            with_body(r, with_ids(_body(r), ids)) if ids else r for r in http_responses(transcript(name))
        ]
        self.login = responses[0]
        waits = [r for r in responses[1:] if b"Message: Waiting for Event completed." in _body(r)[:200]]
        self.empty = next(
            r for r in waits if b"\r\nEvent: " not in _body(r).replace(b"Event: WaitEventComplete", b"")
        )
        self.batches = [r for r in waits if r is not self.empty and b"Privilege: " in _body(r)]
        self.shutdown_answer = next((r for r in responses if r.startswith(b"HTTP/1.1 503")), b"")

    def play(self) -> None:
        with self._cond:
            self._queued += self.batches
            self._cond.notify_all()

    def expire(self) -> None:
        with self._cond:
            self._expired = True
            self._cond.notify_all()

    def shut_down(self) -> None:
        with self._cond:
            self._down = True
            self._cond.notify_all()

    def waits(self) -> int:
        return sum(1 for a in self.actions if a.get("action", "").lower() == "waitevent")

    # --- answers (raw HTTP responses)

    def answer(self, params: dict[str, str]) -> bytes:
        with self._cond:
            self.actions.append(params)
        action = params.get("action", "").lower()
        if self._down and self.shutdown_answer:
            return self.shutdown_answer
        if action == "login":  # a new session: the old one (expired or not) is forgotten
            with self._cond:
                self._expired = False
            return self.login
        if self._expired:
            return with_body(self.login, b"Response: Error\r\nMessage: Permission denied\r\n\r\n")
        if action == "waitevent":
            return self._wait(float(params.get("timeout", "30") or 30))
        if action in LIST_ACTIONS:
            recorded = self.lists.get(action) or recorded_answer(*IDLE_LISTS[action])
            found = _ACTION_ID.search(recorded)
            body = with_ids(recorded, {found.group(1): b""}) if found else recorded
            return with_body(self.login, body.replace(b"ActionID: \r\n", b""))
        if action == "originate":
            return self._originate(params)
        if action == "logoff":
            return with_body(self.login, b"Response: Goodbye\r\nMessage: Thanks for all the fish.\r\n\r\n")
        return with_body(self.login, b"Response: Error\r\nMessage: Invalid/unknown command\r\n\r\n")

    def _originate(self, params: dict[str, str]) -> bytes:
        """ "Queued", then the recording's events queued with the client's ActionID and ChannelId in them."""
        action_id, channel_id = params.get("actionid", ""), params.get("channelid", "")
        bodies = b"".join(_body(batch) for batch in self.batches)
        ids: dict[bytes, bytes] = {}
        recorded = re.search(
            rb"Event: OriginateResponse\r\nPrivilege: [^\r]*\r\nActionID: ([^\r]*)\r", bodies
        )
        if recorded and action_id:
            ids[recorded[1]] = action_id.encode()
        dialed = re.search(
            rb"Event: DialBegin\r\nPrivilege: [^\r]*\r\nDestChannel:.*?DestUniqueid: ([^\r]*)\r", bodies, re.S
        )
        if dialed and channel_id:
            ids[dialed[1]] = channel_id.encode()
        with self._cond:
            self._queued += [with_body(b, with_ids(_body(b), ids)) for b in self.batches]
            self._cond.notify_all()
        queued = b"Response: Success\r\nActionID: %s\r\nMessage: Originate successfully queued\r\n\r\n"
        return with_body(self.login, queued % action_id.encode())

    def _wait(self, timeout: float) -> bytes:
        deadline = time.monotonic() + min(timeout, self.cap_s)
        with self._cond:
            self._waiter += 1
            mine = self._waiter
            self._cond.notify_all()
            while not self._queued and not self._down and not self._expired:
                if self._waiter != mine:
                    return with_body(self.empty, b"")  # a newer WaitEvent on the session ends this one
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return self.empty
                self._cond.wait(remaining)
            if self._queued:
                return self._queued.pop(0)
        return (
            self.shutdown_answer
            if self._down
            else with_body(self.login, b"Response: Error\r\nMessage: Permission denied\r\n\r\n")
        )


class _Handler(BaseHTTPRequestHandler):
    server_fake: EventsAjam
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        params = {
            k.lower(): v for k, v in parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True)
        }
        answer = self.server_fake.answer(params)
        self.wfile.write(answer)
        if answer.startswith(b"HTTP/1.1 503"):
            self.close_connection = True
