"""``dialer.*`` procedures (normalize, dial, call_status, history)."""

from __future__ import annotations

from typing import Any

from modernrpc import RpcNamespace, RpcRequestContext

from accounts.rpc_auth import rpc_user
from astitray.faults import InvalidNumber, require_str
from dialer import numbers
from dialer.extract import MAX_TEXT_LENGTH
from dialer.rewrite import RewriteError

dialer = RpcNamespace(auth=rpc_user)


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
        rules let you call it)}; fault -32088 when no dialable number is found
    """
    text = require_str(text, "text", MAX_TEXT_LENGTH)
    try:
        return numbers.normalize(ctx.auth_result, text)
    except RewriteError as exc:
        raise InvalidNumber(exc.message) from None
