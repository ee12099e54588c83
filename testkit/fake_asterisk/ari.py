"""The ARI half of the fake Asterisk HTTP server: ``/ari/asterisk/info``, ``POST /ari/channels``.

Mixed into :class:`testkit.fake_asterisk.http.FakeAsteriskHttp`.
"""

from __future__ import annotations

import base64
import binascii
import threading
import time
from dataclasses import dataclass
from typing import Any

from testkit.fake_asterisk.pbx import SERVER, TECHNOLOGIES, AriUser, Header, first, parse_callerid


@dataclass(frozen=True)
class AriRequest:
    """One ARI request as received: its query, its JSON body, who sent it."""

    method: str
    path: str  # without the prefix: "/ari/channels"
    query: tuple[Header, ...]
    body: Any
    username: str

    def param(self, name: str) -> Any:
        """A parameter from the JSON body, else from the query (None when absent)."""
        if isinstance(self.body, dict) and name in self.body:
            return self.body[name]
        for key, value in self.query:
            if key == name:
                return value
        return None


class AriMixin:
    """ARI users and requests (the server provides the attributes declared here)."""

    ari_users: dict[str, AriUser]
    drop_on_originate: str | None
    _cond: threading.Condition
    _ari: list[AriRequest]
    _channels: int

    @property
    def ari_requests(self) -> list[AriRequest]:
        with self._cond:
            return list(self._ari)

    def ari_user(self, authorization: str | None, query: list[Header]) -> tuple[str, AriUser] | None:
        credentials = ""
        if authorization and authorization.lower().startswith("basic "):
            try:
                credentials = base64.b64decode(authorization[6:].strip()).decode()
            except (binascii.Error, UnicodeDecodeError):
                return None
        else:
            credentials = first(query, "api_key")
        username, _, password = credentials.partition(":")
        user = self.ari_users.get(username)
        if user is None or user.password != password:
            return None
        return (username, user)

    def ari(
        self, method: str, path: str, query: list[Header], body: Any, username: str
    ) -> tuple[int, Any, bool]:
        """(HTTP status, JSON answer, drop the connection instead) for one authenticated request."""
        with self._cond:
            self._ari.append(AriRequest(method, path, tuple(query), body, username))
            self._cond.notify_all()
        if method == "GET" and path == "/ari/asterisk/info":
            return (
                200,
                {
                    "system": {"version": SERVER.split("/")[1], "entity_id": "00:11:22:33:44:55"},
                    "build": {"os": "Linux"},
                },
                False,
            )
        if method == "POST" and path == "/ari/channels":
            return self._ari_originate(AriRequest(method, path, tuple(query), body, username))
        return 404, {"message": "Resource not found"}, False

    def _ari_originate(self, request: AriRequest) -> tuple[int, Any, bool]:
        endpoint = request.param("endpoint") or ""
        if not endpoint:
            return 400, {"message": "Endpoint must be specified"}, False
        if self.drop_on_originate == "before_answer":
            return 0, None, True
        tech, _, resource = str(endpoint).partition("/")
        if tech.upper() not in TECHNOLOGIES or not resource:
            return 500, {"error": "Allocation failed"}, False
        with self._cond:
            self._channels += 1
            n = self._channels
        name, number = parse_callerid(str(request.param("callerId") or ""))
        local_exten, _, local_ctx = resource.partition("@")
        channel = {
            "id": request.param("channelId") or f"1795699295.{40 + 2 * n}",
            "name": f"{endpoint}-{n:08x};1" if tech.upper() == "LOCAL" else f"{endpoint}-{n:08x}",
            "state": "Down",
            "protocol_id": "",
            "caller": {
                "name": "" if name == "<unknown>" else name,
                "number": "" if number == "<unknown>" else number,
            },
            "connected": {"name": "", "number": ""},
            "accountcode": "",
            "dialplan": {
                "context": local_ctx or "default",
                "exten": local_exten,
                "priority": 1,
                "app_name": "AppDial2",
                "app_data": "(Outgoing Line)",
            },
            "creationtime": time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime()),
            "language": "en",
        }
        return 200, channel, False
