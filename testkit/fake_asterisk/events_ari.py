"""Replay a recorded ARI events WebSocket (ari-2x..4x) byte for byte: the listener's fake ARI.

A recording's ``.raw.bin`` holds the WebSocket's server bytes (the ``101``
answer, then one unmasked text frame per message, then the close), then
the REST answers. :class:`EventsAri` serves:

- ``GET /ari/events?...``: the recorded ``101`` answer (its
  ``Sec-WebSocket-Accept`` computed for the client's key, as any server
  must), then on :meth:`EventsAri.play` every recorded text frame byte for
  byte, in ``chunk``-byte writes; pings are answered, a close is echoed;
  :meth:`EventsAri.drop` closes the connection WITHOUT a close frame, as a
  restarting Asterisk does, and ``refuse_upgrades = n`` answers the next
  ``n`` upgrades with the recorded 404 of an Asterisk still starting (ari-46);
- ``GET /ari/channels``, ``/ari/endpoints``, ``/ari/asterisk/info``: the
  answers given in ``rest`` (raw recorded responses), else the recorded idle
  ones (ari-38);
- ``POST /ari/channels``: the recording's own answer (ari-39..42), then the
  frames are played; without one, the recorded ``500 Allocation failed`` (ari-47).

``ids`` (recorded -> ours) rewrites the frames' JSON (each frame rebuilt with its new length).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import socket

from testkit.fake_asterisk.replay import EOF_NOTE, LoopbackServer, http_responses, transcript

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def split_frames(raw: bytes) -> tuple[bytes, list[bytes], bytes]:
    """(the 101 answer, the frames, the REST answers after them) of an ARI events recording."""
    raw = raw.removesuffix(EOF_NOTE)
    end = raw.index(b"\r\n\r\n") + 4
    head, rest = raw[:end], raw[end:]
    frames = []
    while (
        rest
        and rest[0] & 0x70 == 0
        and rest[0] & 0x0F in (0, 1, 2, 8, 9, 10)
        and not rest.startswith(b"HTTP/")
    ):
        length, offset = rest[1] & 0x7F, 2
        if length == 126:
            length, offset = int.from_bytes(rest[2:4], "big"), 4
        elif length == 127:
            length, offset = int.from_bytes(rest[2:10], "big"), 10
        frames.append(rest[: offset + length])
        rest = rest[offset + length :]
    return head, frames, rest


def json_ids(data: bytes, ids: dict[bytes, bytes] | None) -> bytes:
    """``data`` (JSON) with each recorded id string replaced by ours."""
    for old, new in (ids or {}).items():
        data = data.replace(b'"' + old + b'"', b'"' + new + b'"')
    return data


def payload(frame: bytes) -> bytes:
    length, offset = frame[1] & 0x7F, 2
    if length == 126:
        offset = 4
    elif length == 127:
        offset = 10
    return frame[offset:]


def text_frame(data: bytes) -> bytes:
    """An unmasked final text frame, as Asterisk writes them (126 + 2 bytes for 126..65535)."""
    if len(data) < 126:
        return bytes([0x81, len(data)]) + data
    if len(data) < 65536:
        return bytes([0x81, 126]) + len(data).to_bytes(2, "big") + data
    return bytes([0x81, 127]) + len(data).to_bytes(8, "big") + data


def _idle_rest() -> dict[str, bytes]:
    answers = http_responses(transcript("ari-38-rest-state"))
    # ari-38 asks, idle: /endpoints, /endpoints/PJSIP/1001, /deviceStates, /channels, ..., /asterisk/info
    return {"/ari/endpoints": answers[0], "/ari/channels": answers[3], "/ari/asterisk/info": answers[8]}


class EventsAri(LoopbackServer):
    """The ARI of a recorded scenario (see the module docstring): ``with EventsAri(name) as pbx: ...``."""

    def __init__(
        self,
        name: str,
        *,
        rest: dict[str, bytes] | None = None,
        ids: dict[bytes, bytes] | None = None,
        chunk: int = 65536,
    ) -> None:
        super().__init__()
        self.ids = ids
        self.load(name)
        self.rest = {**_idle_rest(), **(rest or {})}
        self.chunk = chunk
        self.requests: list[bytes] = []
        self._sockets: list[socket.socket] = []  # the connections that became WebSockets

    # --- what the test does

    def load(self, name: str) -> None:
        """Replay the recording ``name`` from now on (the WebSockets stay open)."""
        ids = self.ids
        raw = transcript(name)
        # A restart (ari-46): the WebSocket dropped, an upgrade refused (404) while ARI loads, then a new one.
        not_loaded = re.search(rb"HTTP/1\.1 404 Not Found\r\n.*?Content-Length: (\d+)\r\n\r\n", raw, re.S)
        self.not_loaded = (
            raw[not_loaded.start() : not_loaded.end() + int(not_loaded[1])] if not_loaded else b""
        )
        self.refuse_upgrades = 0  # upgrades still answered with the recorded 404 (Asterisk starting)
        self.head, frames, rest_bytes = split_frames(raw[raw.rindex(b"HTTP/1.1 101 ") :])
        frames = [f for f in frames if f[0] == 0x81]  # the text frames (the recorder's close is not replayed)
        self.frames = [text_frame(json_ids(payload(f), ids)) for f in frames] if ids else frames
        answers = http_responses(rest_bytes) if rest_bytes.startswith(b"HTTP/") else []
        self.originate_answer = next(
            (a for a in answers if b'"id":' in a and a.startswith(b"HTTP/1.1 200")), b""
        )

    def play(self) -> None:
        with self.lock:
            sockets = [sock for sock in self._sockets if sock in self._clients]
        data = b"".join(self.frames)
        for sock in sockets:
            with contextlib.suppress(OSError):
                for start in range(0, len(data), self.chunk):
                    sock.sendall(data[start : start + self.chunk])

    @property
    def connected(self) -> int:
        with self.lock:
            return sum(1 for sock in self._sockets if sock in self._clients)

    # --- serving

    def serve(self, sock: socket.socket) -> None:
        buffer = b""
        while True:  # one request after another on a keep-alive connection
            while b"\r\n\r\n" not in buffer:
                data = sock.recv(65536)
                if not data:
                    return
                buffer += data
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            length = int((re.search(rb"\r\nContent-Length: *(\d+)", head, re.I) or [b"", b"0"])[1])
            while len(buffer) < length:
                buffer += sock.recv(65536)
            body, buffer = buffer[:length], buffer[length:]
            with self.lock:
                self.requests.append(head + b"\r\n\r\n" + body)
            line = head.split(b"\r\n", 1)[0]
            if line.startswith(b"GET /ari/events"):
                if self.refuse_upgrades > 0 and self.not_loaded:
                    self.refuse_upgrades -= 1
                    sock.sendall(self.not_loaded)
                    return
                self._websocket(sock, head)
                return
            if line.startswith(b"POST /ari/channels") and self.originate_answer:
                self._originate(sock, body)
                continue
            sock.sendall(self._rest(line))

    def _originate(self, sock: socket.socket, body: bytes) -> None:
        """The recorded answer and events of a click-to-dial, with the client's ``channelId`` in them."""
        recorded = re.search(rb'"id":"([^"]+)"', self.originate_answer)
        wanted = re.search(rb'"channelId": *"([^"]+)"', body)
        ids = {recorded[1]: wanted[1]} if recorded and wanted else {}
        head, _, answer = self.originate_answer.partition(b"\r\n\r\n")
        answer = json_ids(answer, ids)
        head = re.sub(rb"Content-Length: *\d+", b"Content-Length: %d" % len(answer), head)
        sock.sendall(head + b"\r\n\r\n" + answer)
        frames, self.frames = self.frames, [text_frame(json_ids(payload(f), ids)) for f in self.frames]
        try:
            self.play()
        finally:
            self.frames = frames

    def _rest(self, line: bytes) -> bytes:
        method, target = line.split(b" ")[:2]
        path = target.split(b"?", 1)[0].decode()
        if method == b"POST" and path == "/ari/channels":
            return self.originate_answer or http_responses(transcript("ari-47-originate-unregistered"))[-1]
        if path in self.rest:
            return self.rest[path]
        body = b'{"message":"Resource not found"}'
        return b"HTTP/1.1 404 Not Found\r\nServer: Asterisk/22.10.1\r\nContent-type: application/json\r\n" \
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body)  # fmt: skip

    def _websocket(self, sock: socket.socket, head: bytes) -> None:
        key = re.search(rb"\r\nSec-WebSocket-Key: *(\S+)", head, re.I)
        accept = base64.b64encode(hashlib.sha1((key[1] if key else b"") + GUID).digest())  # noqa: S324
        sock.sendall(re.sub(rb"Sec-WebSocket-Accept: \S+", b"Sec-WebSocket-Accept: " + accept, self.head))
        with self.lock:
            self._sockets.append(sock)
        self._client_frames(sock)

    def _client_frames(self, sock: socket.socket) -> None:
        """Answer the client's pings, echo its close (client frames are masked)."""
        buffer = b""
        while True:
            data = sock.recv(65536)
            if not data:
                return
            buffer += data
            while len(buffer) >= 6:
                opcode, length, offset = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
                if length == 126:
                    length, offset = int.from_bytes(buffer[2:4], "big"), 4
                if len(buffer) < offset + 4 + length:
                    break
                mask, masked = buffer[offset : offset + 4], buffer[offset + 4 : offset + 4 + length]
                data = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
                buffer = buffer[offset + 4 + length :]
                if opcode == 9:
                    sock.sendall(bytes([0x8A, len(data)]) + data)
                elif opcode == 8:
                    sock.sendall(bytes([0x88, len(data)]) + data)
                    return
