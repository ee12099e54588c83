"""``dialer.*`` procedures (normalize, dial, call_status, history).

Thin: each checks its parameters and calls a service; the services' errors
(``dialer/errors.py``) become faults in the RPC server (``astitray/faults.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

from modernrpc import RpcNamespace, RpcRequestContext
from modernrpc.exceptions import RPCInvalidParams

from astitray.faults import require_int, require_str
from dialer import policy, services
from dialer.extract import MAX_TEXT_LENGTH

dialer = RpcNamespace()


@dialer.register_procedure(name="normalize", context_target="ctx")
def normalize(text: Any, ctx: RpcRequestContext) -> dict:
    """
    What would be dialed for a text, step by step. Nothing is dialed.

    The text can be anything holding a phone number: "+44 (0)20 7946 0958",
    a tel: link, a whole e-mail signature. The dial plan and rules of your
    phone's PBX are used.

    :param text: the text holding the number (at most 4096 characters)
    :return: {"input", "number" (what would be dialed), "e164" ("" for internal
        and short numbers), "extension_digits" ("" when none), "internal",
        "steps": [{"step", "value", "detail"}], "allowed" (whether the number
        rules let you call it), "display" (the number as people write it, ""
        for internal numbers), "choices" (every dialable number of the text:
        [{"number", "e164", "display", "extension_digits", "label", "text"}],
        this one first, faxes last)}; fault -32088 when no dialable number is found
    """
    return policy.normalize(ctx.auth_result, require_str(text, "text", MAX_TEXT_LENGTH))


@dialer.register_procedure(name="dial", context_target="ctx")
def dial(text: Any, ctx: RpcRequestContext) -> dict:
    """
    Ring your own phone, then call the number found in the text once you pick up.

    The text is read as dialer.normalize reads it. Your phone, its PBX and
    the dial plan are the server's: nothing else is taken from the client.
    Dialing the same number again within a few seconds answers the call
    already placed instead of placing another.

    :param text: the text holding the number (at most 4096 characters)
    :return: {"call_id", "number" (as dialed), "extension" (your phone),
        "status" (queued, answered, ..., or unknown when the PBX did not
        confirm the call: it may ring, and is not sent again), "reason"};
        faults -32089 (no phone), -32088 (no number), -32087 (not allowed),
        -32086 (too many calls), -32085 (PBX unreachable), -32084 (PBX refused)
    """
    text = require_str(text, "text", MAX_TEXT_LENGTH)
    return services.dial(ctx.auth_result, text)


def _call_id(value: Any) -> uuid.UUID:
    value = require_str(value, "call_id", 64)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise RPCInvalidParams("call_id must be a call id returned by dialer.dial") from None


@dialer.register_procedure(name="call_status", context_target="ctx")
def call_status(call_id: Any, ctx: RpcRequestContext) -> dict:
    """
    What became of one of your calls.

    :param call_id: the call_id dialer.dial answered
    :return: {"call_id", "number", "status" (queued, answered, no_answer, busy,
        failed, denied, unknown), "reason", "created", "updated" (ISO 8601, UTC)};
        fault -32083 when you placed no such call
    """
    return services.call_status(ctx.auth_result, _call_id(call_id))


@dialer.register_procedure(name="history", context_target="ctx")
def history(limit: Any = 20, *, ctx: RpcRequestContext) -> list:
    """
    Your last calls, newest first.

    :param limit: how many (1 to 200; default 20)
    :return: a list of {"call_id", "number", "status", "reason", "created", "updated"}
    """
    return services.history(ctx.auth_result, require_int(limit, "limit", 1, 200))
