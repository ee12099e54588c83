"""``events.*`` procedures: the long poll ``events.wait``, async (a waiting client holds no thread)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from modernrpc import RpcNamespace, RpcRequestContext
from modernrpc.exceptions import RPCInvalidParams

from astitray.faults import require_int, require_str
from events import waiting

events = RpcNamespace()

MIN_TIMEOUT_S = 1
MAX_TIMEOUT_S = 55
MAX_CURSOR_LENGTH = 100


@events.register_procedure(name="wait", context_target="ctx")
async def wait(cursor: Any = "", timeout: Any = 25, *, ctx: RpcRequestContext) -> dict:
    """
    Wait for your events: incoming calls, answered and missed ones, your own calls' outcomes.

    Answers as soon as you have events newer than the cursor, else after
    ``timeout`` seconds with none. Call it again at once with the cursor it
    answered. Events are kept at least ten minutes: back from an outage,
    your last cursor gets what you missed (oldest first, 200 at most).

    :param cursor: "" (events from now on) or the cursor of the previous answer
    :param timeout: how long to wait, 1..55 seconds (default 25)
    :return: {"cursor": string, "events": [{"id", "type", "at", "call_id", "number", "name",
        "company", "contact_id", "status", "by_me"}]}
    """
    cursor = require_str(cursor, "cursor", MAX_CURSOR_LENGTH)
    timeout = require_int(timeout, "timeout", MIN_TIMEOUT_S, MAX_TIMEOUT_S)
    try:
        return await waiting.wait(ctx.auth_result.pk, cursor, timeout)
    except waiting.BadCursor:
        raise RPCInvalidParams(
            gettext("this cursor was not given to you; start again with an empty cursor")
        ) from None
