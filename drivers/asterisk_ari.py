"""The Asterisk REST Interface driver (``asterisk_ari``): ``POST /ari/channels``, no outcome.

ARI (Asterisk 12+, http.conf ``enabled = yes``, ari.conf ``enabled = yes``
and a user) creates the call with one request: the caller's phone
(``endpoint``) rings; once answered, the channel enters ``context`` at
``extension``, priority 1. Parameters go in the JSON body, the ring
``timeout`` in SECONDS here, channel variables as a JSON object (the
account code as ``CHANNEL(accountcode)``). HTTP Basic authentication.

- The channel's id is the call's reference: Astitray's call id when one
  is given (``channelId``), else the id Asterisk chose.
- ARI does NOT check the context: a context that does not exist still
  gives "200 OK" and a channel that rings the phone and then dials
  nothing. :meth:`AsteriskAriDriver.check` says so; check the context in
  extensions.conf.
- ARI tells the outcome only to a Stasis application over a WebSocket:
  this driver does not report outcomes (``reports_outcome = False``); a
  call stays as the PBX accepted it.
- 401 -> :class:`~drivers.base.PbxAuthFailed`, 403 (``read_only`` user) ->
  :class:`~drivers.base.PbxPermissionDenied`, 400 ->
  :class:`~drivers.base.OriginateRejected`, 500 ("Allocation failed": the
  phone's channel cannot be created) -> :class:`~drivers.base.OriginateFailed`,
  404 (ARI disabled, wrong prefix) -> :class:`~drivers.base.PbxUnavailable`.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import requests

from drivers.ami.originate import channel_variables
from drivers.base import (
    CallStatus,
    CheckResult,
    Driver,
    DriverError,
    OriginateFailed,
    OriginateOutcomeUnknown,
    OriginateRejected,
    OriginateRequest,
    OriginateResult,
    OutcomeCallback,
    PbxAuthFailed,
    PbxConfig,
    PbxPermissionDenied,
    PbxUnavailable,
    ensure_safe,
)
from drivers.http_transport import AnswerLost, base_url, request_error

logger = logging.getLogger(__name__)


def _message(answer: requests.Response) -> str:
    """ARI's error text (``message`` or ``error``), for the log."""
    try:
        data = answer.json()
    except ValueError:
        return answer.text[:200]
    if isinstance(data, dict):
        return str(data.get("message") or data.get("error") or data)
    return str(data)[:200]


def status_error(status: int) -> DriverError:
    """The driver error for an ARI answer with HTTP ``status`` (not 2xx)."""
    if status == 401:
        return PbxAuthFailed()
    if status == 403:
        return PbxPermissionDenied()
    if status == 404:
        return PbxUnavailable("the PBX has no ARI at this address")
    if status == 500:
        return OriginateFailed()
    if status in (502, 503, 504):
        return PbxUnavailable()
    return OriginateRejected()


class AsteriskAriDriver(Driver):
    name = "asterisk_ari"
    label = "Asterisk ARI (REST; does not report call outcomes)"
    default_port = 8088
    tls_port = 8089
    reports_outcome = False

    def __init__(self, config: PbxConfig, on_outcome: OutcomeCallback | None = None) -> None:
        super().__init__(config, on_outcome)
        self.url = base_url(config, self.default_port, self.tls_port) + "/ari"
        self.http = self._new_session()

    @property
    def port(self) -> int | None:
        return self.config.port or (self.tls_port if self.config.use_tls else self.default_port)

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "Astitray"
        session.auth = (self.config.username, self.config.secret)
        return session

    def _request(
        self, http: requests.Session, method: str, path: str, body: Any, timeout: float
    ) -> requests.Response:
        where = f"ARI {self.config.name} ({self.url})"
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug("%s -> %s %s %s", where, method, path, json.dumps(body) if body is not None else "")
        try:
            answer = http.request(method, self.url + path, json=body, timeout=max(timeout, 0.1))
        except requests.RequestException as exc:
            raise request_error(exc, where) from exc
        logger.debug("%s <- HTTP %s %s", where, answer.status_code, answer.text[:500])
        return answer

    def originate_body(self, request: OriginateRequest) -> dict[str, Any]:
        """The JSON body of ``POST /ari/channels`` for ``request``; every text checked."""
        variables = dict(channel_variables(request))
        if request.account_code:
            variables["CHANNEL(accountcode)"] = request.account_code
        body: dict[str, Any] = {
            "endpoint": request.channel,
            "extension": request.number,
            "context": request.context or self.config.context,
            "priority": 1,
            "timeout": int(request.ring_timeout_s),  # seconds here
            "variables": variables,
        }
        if request.caller_id:
            body["callerId"] = request.caller_id
        if request.call_id:
            body["channelId"] = request.call_id
        for key, value in [*body.items(), *variables.items()]:
            if isinstance(value, str):
                ensure_safe(key, value)
        for key in variables:
            ensure_safe("variable name", key)
        return body

    def originate(self, request: OriginateRequest) -> OriginateResult:
        body = self.originate_body(request)
        try:
            answer = self._request(self.http, "POST", "/channels", body, self.config.timeout_s)
        except AnswerLost as exc:
            logger.warning("ARI %s: originate sent, answer lost", self.config.name)
            raise OriginateOutcomeUnknown() from exc
        if answer.status_code != 200:
            logger.warning(
                "ARI %s: originate refused: HTTP %s %s",
                self.config.name,
                answer.status_code,
                _message(answer),
            )
            raise status_error(answer.status_code)
        try:
            reference = str(answer.json()["id"])
        except (ValueError, KeyError, TypeError):
            logger.warning("ARI %s: a 200 answer without a channel id", self.config.name)
            reference = request.call_id or ""
        logger.info("ARI %s: call %s created (%s)", self.config.name, reference, request.channel)
        return OriginateResult(
            reference=reference,
            status=CallStatus.QUEUED,
            reason="accepted by the PBX (ARI reports no outcome)",
        )

    def check(self) -> CheckResult:
        """Reachable and logged in (``GET /asterisk/info``)? May originate (an empty ``POST /channels``)?"""
        http = self._new_session()
        timeout = self.config.timeout_s
        try:
            try:
                info = self._request(http, "GET", "/asterisk/info", None, timeout)
            except DriverError as exc:
                return CheckResult(False, False, False, (f"Cannot reach ARI at {self.url}: {exc}.",))
            server = info.headers.get("Server", "")
            reached = f"Reached {self.url}" + (f" ({server})." if server else ".")
            if info.status_code == 401:
                return CheckResult(
                    True,
                    False,
                    False,
                    (reached, f"The login as {self.config.username!r} was refused: check ari.conf."),
                )
            if info.status_code != 200:
                return CheckResult(
                    True,
                    False,
                    False,
                    (reached, f"No ARI here (HTTP {info.status_code}): check ari.conf and the URL prefix."),
                )
            messages = [reached, f"Logged in as {self.config.username!r}."]
            started = time.monotonic()
            # Without an endpoint nothing is dialed: 400 if we may originate, 403 for a read_only user.
            probe = self._request(http, "POST", "/channels", {}, timeout)
            may: bool | None = None
            if probe.status_code == 400:
                messages.append("This account may originate calls.")
                may = True
            elif probe.status_code in (401, 403):
                messages.append("This account may NOT originate calls (read_only = yes in ari.conf?).")
                may = False
            else:
                messages.append(
                    f"Could not tell whether this account may originate (HTTP {probe.status_code})."
                )
            messages.append(f"The PBX answers in {(time.monotonic() - started) * 1000:.0f} ms.")
            messages.append(
                f"ARI does not check the dialplan context: make sure context {self.config.context!r} "
                "exists in extensions.conf, or calls ring the phone and then dial nothing."
            )
            messages.append("ARI does not report call outcomes: calls stay as the PBX accepted them.")
            return CheckResult(True, True, may, tuple(messages))
        except DriverError as exc:
            return CheckResult(True, True, None, (f"Logged in, then the PBX stopped answering: {exc}.",))
        finally:
            http.close()

    def close(self) -> None:
        self.http.close()
        self.http = self._new_session()
