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
- ARI tells the outcome only over its events WebSocket: the driver itself
  does not report outcomes (``reports_outcome = False``); the event
  listener (``manage.py pbx_events``) does, from :meth:`event_stream`
  (the call's ``channelId`` is our call id, so its events find its row).
- 401 -> :class:`~drivers.base.PbxAuthFailed`, 403 (``read_only`` user) ->
  :class:`~drivers.base.PbxPermissionDenied`, 400 ->
  :class:`~drivers.base.OriginateRejected`, 500 ("Allocation failed": the
  phone's channel cannot be created) -> :class:`~drivers.base.OriginateFailed`,
  404 (ARI disabled, wrong prefix) -> :class:`~drivers.base.PbxUnavailable`.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import requests

from drivers.asterisk.channels import channel_variables
from drivers.asterisk.events.ari_stream import AriEventStream
from drivers.base import (
    CallStatus,
    CheckProbe,
    DriverError,
    OriginateFailed,
    OriginateRejected,
    OriginateRequest,
    OriginateResult,
    PbxAuthFailed,
    PbxPermissionDenied,
    PbxUnavailable,
    ensure_safe,
)
from drivers.base_http import HttpDriver
from drivers.events import EventSource
from drivers.translation import gettext as _
from drivers.translation import gettext_noop

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
        return PbxUnavailable(_("the PBX has no ARI at this address"))
    if status == 500:
        # "Allocation failed": the phone's channel cannot be created (ari-47: not registered, or unknown).
        return OriginateFailed("the phone is not registered or does not exist")
    if status in (502, 503, 504):
        return PbxUnavailable()
    return OriginateRejected()


class AsteriskAriDriver(HttpDriver, EventSource):
    name = "asterisk_ari"
    label = "Asterisk ARI (REST; outcomes through the event listener)"
    protocol = "ARI"
    default_port = 8088
    tls_port = 8089
    api_path = "/ari"
    reports_outcome = False
    login_hint = gettext_noop("check ari.conf")

    def auth(self) -> tuple[str, str]:
        return (self.config.username, self.config.secret)

    def _request(
        self, method: str, path: str, body: Any, session: requests.Session | None = None
    ) -> requests.Response:
        """One ARI request with a JSON ``body`` (logged at DEBUG: it holds no secret)."""
        if logger.isEnabledFor(logging.DEBUG):
            where = f"ARI {self.config.name} ({self.url})"
            logger.debug("%s -> %s %s %s", where, method, path, json.dumps(body) if body is not None else "")
        answer = self.request(method, path, session=session, json=body)
        logger.debug("ARI %s <- HTTP %s %s", self.config.name, answer.status_code, answer.text[:500])
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
        with self.placing(request):
            answer = self._request("POST", "/channels", body)
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
            reason="accepted by the PBX (the event listener reports its outcome)",
        )

    # --- live events: the listener learns the outcomes (and incoming calls, presence) -----------

    def event_stream(self) -> AriEventStream:
        """The PBX's events over the ARI WebSocket (:mod:`drivers.asterisk.events.ari_stream`)."""
        session = self.new_session()
        return AriEventStream(self.config, self.url, lambda path: self.request("GET", path, session=session))

    # --- check: GET /asterisk/info (reached, logged in), an empty POST /channels (may originate) ---

    def check_login(self, probe: CheckProbe) -> str:
        answer = self._request("GET", "/asterisk/info", None, probe.session)
        probe.answered(answer.headers.get("Server", ""))
        if answer.status_code == 401:
            raise PbxAuthFailed()
        if answer.status_code != 200:
            raise PbxUnavailable(
                _("no ARI here (HTTP %(status)s): check ari.conf and the URL prefix")
                % {"status": answer.status_code}
            )
        return ""

    def check_may_originate(self, probe: CheckProbe) -> tuple[bool | None, str]:
        # Without an endpoint nothing is dialed: 400 if we may originate, 403 for a read_only user.
        status = self._request("POST", "/channels", {}, probe.session).status_code
        if status == 400:
            return (True, _("This account may originate calls."))
        if status in (401, 403):
            return (False, _("This account may NOT originate calls (read_only = yes in ari.conf?)."))
        return (
            None,
            _("Could not tell whether this account may originate (HTTP %(status)s).") % {"status": status},
        )

    def check_notes(self, probe: CheckProbe) -> list[str]:
        return [
            _(
                "ARI does not check the dialplan context: make sure context %(context)r "
                "exists in extensions.conf, or calls ring the phone and then dial nothing."
            )
            % {"context": self.config.context},
            _(
                "Call outcomes come from the event listener (manage.py pbx_events) over the ARI WebSocket: "
                "without it, calls stay as the PBX accepted them."
            ),
        ]
