"""Replay the exact bytes a real Asterisk sent (``recorded/transcripts/*.raw.bin``) to a client.

``recorded/`` holds what a real Asterisk 22.10.1 said on the wire (its README
says how it was recorded). A ``.raw.bin`` holds every byte the server sent, in order; the note
``<<EOF: server closed the connection>>`` at its end (not wire bytes) says
the server closed the connection there.

- :func:`ami_recording` cuts an AMI recording into its banner and the
  chunks the server sent in answer to each action (an answer and the events
  after it). :class:`ReplayAmi` serves them: the banner on connect, then one
  chunk per action received, the recorded ActionID replaced by the client's
  (in that chunk and in every later one: the OriginateResponse event), then
  closes when the recording ended with EOF.
- :func:`http_responses` cuts an AJAM/ARI recording into whole HTTP
  responses. :class:`ReplayHttp` answers the n-th request with the n-th
  response, byte for byte, then closes connections; it records each request.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Self

RECORDED = Path(__file__).resolve().parent / "recorded"
TRANSCRIPTS = RECORDED / "transcripts"
EOF_NOTE = b"<<EOF: server closed the connection>>"
_ACTION_ID_RE = re.compile(rb"^ActionID: (.*)\r$", re.MULTILINE)


def transcript(name: str) -> bytes:
    """The raw bytes of ``recorded/transcripts/<name>.raw.bin``."""
    return (TRANSCRIPTS / f"{name}.raw.bin").read_bytes()


@dataclass(frozen=True)
class AmiRecording:
    banner: bytes  # the banner line, with its CRLF
    chunks: list[list[bytes]]  # per action: the raw messages (each ending with the empty line)
    closed: bool  # the server closed the connection after the last chunk


def ami_recording(raw: bytes) -> AmiRecording:
    closed = raw.endswith(EOF_NOTE)
    raw = raw.removesuffix(EOF_NOTE)
    banner, _, rest = raw.partition(b"\r\n")
    messages = [part + b"\r\n\r\n" for part in rest.split(b"\r\n\r\n") if part]
    chunks: list[list[bytes]] = []
    for message in messages:
        if message.startswith(b"Response:") or not chunks:
            chunks.append([])
        chunks[-1].append(message)
    return AmiRecording(banner + b"\r\n", chunks, closed)


def http_responses(raw: bytes) -> list[bytes]:
    """Each whole HTTP response of a recording (status line, headers, body by Content-Length)."""
    responses = []
    while raw:
        head_end = raw.index(b"\r\n\r\n") + 4
        match = re.search(rb"\r\nContent-Length: *(\d+)", raw[:head_end], re.IGNORECASE)
        length = int(match.group(1)) if match else 0
        responses.append(raw[: head_end + length])
        raw = raw[head_end + length :]
    return responses


class LoopbackServer:
    """A loopback TCP server handling each connection in a thread (``serve``); ``drop()`` closes them all."""

    def __init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._clients: list[socket.socket] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return self._listener.getsockname()[1]

    def __enter__(self) -> Self:
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.drop()
        self._listener.close()

    def drop(self) -> None:
        """Close every connection now, without a word (a crashing or restarting PBX)."""
        with self.lock:
            clients, self._clients = list(self._clients), []
        for client in clients:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                self._clients.append(client)
            threading.Thread(target=self._serve_safely, args=(client,), daemon=True).start()

    def _serve_safely(self, client: socket.socket) -> None:
        try:
            self.serve(client)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                client.shutdown(socket.SHUT_RDWR)
            client.close()

    def serve(self, client: socket.socket) -> None:
        raise NotImplementedError


class ReplayAmi(LoopbackServer):
    """Serves one AMI recording to each connection (see the module docstring)."""

    def __init__(self, recording: AmiRecording) -> None:
        super().__init__()
        self.recording = recording
        self.received: list[bytes] = []  # every action the client sent, raw

    def serve(self, client: socket.socket) -> None:
        client.sendall(self.recording.banner)
        chunks = list(self.recording.chunks)
        ids: dict[bytes, bytes] = {}
        buffer = b""
        while True:
            data = client.recv(65536)
            if not data:
                return
            buffer += data
            while b"\r\n\r\n" in buffer:
                action, buffer = buffer.split(b"\r\n\r\n", 1)
                with self.lock:
                    self.received.append(action + b"\r\n\r\n")
                if not chunks:
                    return
                chunk = chunks.pop(0)
                sent = _ACTION_ID_RE.search(action + b"\r\n")
                recorded = _ACTION_ID_RE.search(chunk[0])
                if sent and recorded:
                    ids[recorded.group(1)] = sent.group(1)
                for message in chunk:
                    client.sendall(_replace_ids(message, ids))
                if not chunks and self.recording.closed:
                    return


def _replace_ids(message: bytes, ids: dict[bytes, bytes]) -> bytes:
    for old, new in ids.items():
        message = message.replace(b"ActionID: " + old + b"\r\n", b"ActionID: " + new + b"\r\n")
    return message


class ReplayHttp(LoopbackServer):
    """Answers the n-th HTTP request with ``responses[n]``, byte for byte."""

    def __init__(self, responses: list[bytes]) -> None:
        super().__init__()
        self.responses = list(responses)
        self.requests: list[bytes] = []  # each request, raw (head and body)

    def serve(self, client: socket.socket) -> None:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                data = client.recv(65536)
                if not data:
                    return
                buffer += data
            head_end = buffer.index(b"\r\n\r\n") + 4
            match = re.search(rb"\r\nContent-Length: *(\d+)", buffer[:head_end], re.IGNORECASE)
            length = int(match.group(1)) if match else 0
            while len(buffer) < head_end + length:
                data = client.recv(65536)
                if not data:
                    return
                buffer += data
            request, buffer = buffer[: head_end + length], buffer[head_end + length :]
            with self.lock:
                self.requests.append(request)
                answer = self.responses.pop(0) if self.responses else b""
            if not answer:
                return  # the recording is over: close
            client.sendall(answer)
