"""The fake Asterisk's dialplan: which Originate is refused, and the events a call produces."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from testkit.fake_asterisk.pbx import TECHNOLOGIES, Fields, Header, Reason, first, parse_callerid

_NUMBER_RE = re.compile(r"\+?[0-9].+", re.DOTALL)  # the _X. and _+X. patterns of etc/extensions.conf


class FakeDialplan:
    """Contexts, outcomes per dialed number, and the events of a call.

    ``contexts``: the contexts that exist (an Originate into another one is
    refused "Extension does not exist."). ``outcomes``: dialed number ->
    :class:`Reason` (``default_reason`` otherwise). ``outcome_delay``: seconds
    between the "queued" answer and the OriginateResponse event.
    """

    def __init__(
        self,
        contexts: Sequence[str] = ("outbound", "phones", "from-internal"),
        outcomes: dict[str, Reason] | None = None,
        default_reason: Reason = Reason.ANSWERED,
        outcome_delay: float = 0.003,
    ) -> None:
        self.contexts = set(contexts)
        self.outcomes: dict[str, Reason] = dict(outcomes or {})
        self.default_reason = default_reason
        self.outcome_delay = outcome_delay
        self._ids = itertools.count(1)

    def originate_error(self, fields: Fields, *, sync: bool) -> str | None:
        """Asterisk's synchronous refusal of this Originate, or None when it is accepted."""
        if not first(fields, "Channel"):
            return "Channel not specified"
        priority, timeout = first(fields, "Priority"), first(fields, "Timeout")
        if priority and not priority.lstrip("-").isdigit():
            return "Invalid priority"
        if timeout and not timeout.lstrip("-").isdigit():
            return "Invalid timeout"
        exten, context = first(fields, "Exten"), first(fields, "Context")
        if sync and exten and not (context and priority):
            return "Originate with 'Exten' requires 'Context' and 'Priority'"
        if exten and context and (context not in self.contexts or not _NUMBER_RE.fullmatch(exten)):
            return "Extension does not exist."
        return None

    def reason_for(self, fields: Fields) -> Reason:
        channel = first(fields, "Channel")
        tech, _, resource = channel.partition("/")
        if tech.upper() not in TECHNOLOGIES or not resource:
            return Reason.FAILED
        if tech.upper() == "LOCAL" and resource.partition("@")[2] not in self.contexts:
            return Reason.FAILED
        return self.outcomes.get(first(fields, "Exten"), self.default_reason)

    def call(self, fields: Fields, action_id: str) -> tuple[list[list[Header]], list[list[Header]]]:
        """The events of this call: (sent with the answer, sent ``outcome_delay`` later).

        The second list starts with the OriginateResponse event, followed by
        the hang-up events, as recorded from Asterisk.
        """
        n = next(self._ids)
        channel = first(fields, "Channel")
        context, exten = first(fields, "Context"), first(fields, "Exten")
        cid_name, cid_num = parse_callerid(first(fields, "CallerID"))
        reason = self.reason_for(fields)
        tech = channel.partition("/")[0].upper()
        # With ChannelId the channel's Uniqueid (and Linkedid) is that id (recorded: ami-45).
        channel_id = first(fields, "ChannelId")
        uid = channel_id or f"1795699235.{2 * n}"
        if tech not in TECHNOLOGIES or (reason == Reason.FAILED and tech != "LOCAL"):
            # Nonsense/1001, or a phone that is not registered (ami-30): no channel, only the failure.
            return (
                [],
                [
                    self._originate_response(
                        action_id, channel, context, exten, reason, channel_id or "<unknown>",
                        ("<unknown>", "<unknown>"),
                    )
                ],
            )  # fmt: skip
        if reason == Reason.BUSY and tech != "LOCAL":
            return self._rejected(fields, action_id, n, uid, channel_id)
        if tech == "LOCAL":
            names = [f"{channel}-{n:08x};1", f"{channel}-{n:08x};2"]
        else:
            names = [f"{channel}-{n:08x}"]
        local_ctx = channel.partition("@")[2] or "default"
        early = [
            self._channel_event("Newchannel", name, "Down", local_ctx, uid, ("<unknown>", "<unknown>"))
            for name in names
        ]
        early.append(
            [
                *self._channel_event(
                    "Newexten",
                    names[0],
                    "Down",
                    local_ctx,
                    uid,
                    ("<unknown>", "<unknown>"),
                    privilege="dialplan,all",
                ),
                ("Extension", local_ctx),
                ("Application", "AppDial2"),
                ("AppData", "(Outgoing Line)"),
            ]
        )
        if reason == Reason.FAILED:
            late = [
                self._originate_response(
                    action_id, channel, context, exten, reason, "<unknown>", ("<unknown>", "<unknown>")
                ),
                *[
                    [
                        *self._channel_event(
                            "Hangup", name, "Down", local_ctx, uid, ("<unknown>", "<unknown>")
                        ),
                        ("Cause", "0"),
                        ("Cause-txt", "Unknown"),
                    ]
                    for name in names
                ],
                [
                    ("Event", "DeviceStateChange"),
                    ("Privilege", "call,all"),
                    ("Device", channel),
                    ("State", "INVALID"),
                ],
            ]
            return (early, late)
        early.append(
            [
                *self._channel_event("NewCallerid", names[0], "Down", local_ctx, uid, (cid_name, cid_num)),
                ("CID-CallingPres", "0 (Presentation Allowed, Not Screened)"),
            ]
        )
        early.append(
            [
                ("Event", "DialBegin"),
                ("Privilege", "call,all"),
                ("DestChannel", names[0]),
                ("DestChannelState", "0"),
                ("DestChannelStateDesc", "Down"),
                ("DialString", channel.partition("/")[2]),
            ]
        )
        dial_status, cause = {
            Reason.ANSWERED: ("ANSWER", "16"),
            Reason.NO_ANSWER: ("NOANSWER", "19"),
            Reason.BUSY: ("BUSY", "17"),
            Reason.CONGESTION: ("CONGESTION", "34"),
            Reason.HANGUP: ("CANCEL", "16"),
        }[reason]
        state = "Up" if reason == Reason.ANSWERED else "Down"
        late = [
            self._originate_response(
                action_id,
                names[0] if reason == Reason.ANSWERED else channel,
                context,
                exten,
                reason,
                uid,
                (cid_name, cid_num),
            )
        ]
        late.append([*self._channel_event("Newstate", names[0], state, local_ctx, uid, (cid_name, cid_num))])
        late.append(
            [
                ("Event", "DialEnd"),
                ("Privilege", "call,all"),
                ("DestChannel", names[0]),
                ("DestChannelState", "6" if state == "Up" else "0"),
                ("DestChannelStateDesc", state),
                ("DialStatus", dial_status),
            ]
        )
        if reason == Reason.ANSWERED:
            late.append(
                [
                    *self._channel_event(
                        "Newexten",
                        names[0],
                        "Up",
                        context,
                        uid,
                        (cid_name, cid_num),
                        exten=exten,
                        privilege="dialplan,all",
                    ),
                    ("Extension", exten),
                    ("Application", "Verbose"),
                    ("AppData", f"1,outbound: dialing {exten}"),
                ]
            )
        late += [
            [
                *self._channel_event("Hangup", name, state, local_ctx, uid, (cid_name, cid_num)),
                ("Cause", cause),
                ("Cause-txt", "Normal Clearing" if cause == "16" else "User busy"),
            ]
            for name in names
        ]
        return (early, late)

    def _rejected(
        self, fields: Fields, action_id: str, n: int, uid: str, channel_id: str
    ) -> tuple[list[list[Header]], list[list[Header]]]:
        """A real phone rejecting the call (SIP 486), as recorded (ami-29, ami-45).

        The busy is only in the channel's DialEnd (BUSY) and Hangup (Cause
        17): the OriginateResponse says Failure, Reason 0.
        """
        channel, context, exten = first(fields, "Channel"), first(fields, "Context"), first(fields, "Exten")
        cid = parse_callerid(first(fields, "CallerID"))
        name = f"{channel}-{n:08x}"
        phone = self._channel_event("Newchannel", name, "Down", "internal", uid, ("<unknown>", "<unknown>"))
        early = [
            phone,
            [
                ("Event", "DialBegin"),
                ("Privilege", "call,all"),
                ("DestChannel", name),
                ("DestChannelState", "0"),
                ("DestChannelStateDesc", "Down"),
                ("DestUniqueid", uid),
                ("DestLinkedid", uid),
                ("DialString", channel.partition("/")[2]),
            ],
        ]
        busy = [("Cause", "17"), ("Cause-txt", "User busy")]
        late = [
            [*self._channel_event("HangupRequest", name, "Down", "internal", uid, cid), ("Cause", "17")],
            [
                ("Event", "DialEnd"),
                ("Privilege", "call,all"),
                ("DestChannel", name),
                ("DestChannelState", "0"),
                ("DestChannelStateDesc", "Down"),
                ("DestUniqueid", uid),
                ("DestLinkedid", uid),
                ("DialStatus", "BUSY"),
            ],
            self._originate_response(
                action_id, channel, context, exten, Reason.FAILED, channel_id or "<unknown>", cid
            ),
            [*self._channel_event("Hangup", name, "Down", "internal", uid, cid), *busy],
        ]
        return (early, late)

    @staticmethod
    def _channel_event(  # noqa: PLR0917  (one argument per field of the event)
        event: str,
        channel: str,
        state: str,
        context: str,
        uid: str,
        cid: tuple[str, str],
        *,
        exten: str = "",
        privilege: str = "call,all",
    ) -> list[Header]:
        state_num = {"Down": "0", "Ring": "4", "Up": "6"}[state]
        local_exten = exten or channel.partition("/")[2].partition("@")[0]
        return [
            ("Event", event),
            ("Privilege", privilege),
            ("Channel", channel),
            ("ChannelState", state_num),
            ("ChannelStateDesc", state),
            ("CallerIDNum", cid[1]),
            ("CallerIDName", cid[0]),
            ("ConnectedLineNum", "<unknown>"),
            ("ConnectedLineName", "<unknown>"),
            ("Language", "en"),
            ("AccountCode", ""),
            ("Context", context),
            ("Exten", local_exten),
            ("Priority", "1"),
            ("Uniqueid", uid),
            ("Linkedid", uid),
        ]

    @staticmethod
    def _originate_response(  # noqa: PLR0917  (one argument per field of the event)
        action_id: str, channel: str, context: str, exten: str, reason: Reason, uid: str, cid: tuple[str, str]
    ) -> list[Header]:
        headers: list[Header] = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
        if action_id:
            headers.append(("ActionID", action_id))
        headers += [
            ("Response", "Success" if reason == Reason.ANSWERED else "Failure"),
            ("Channel", channel),
            ("Context", context),
            ("Exten", exten),
            ("Reason", str(int(reason))),
            ("Uniqueid", uid),
            ("CallerIDNum", cid[1]),
            ("CallerIDName", cid[0]),
        ]
        return headers
