"""``accounts.*`` procedures."""

from __future__ import annotations

from django.utils.translation import gettext
from modernrpc import RpcNamespace, RpcRequestContext
from modernrpc.exceptions import RPCInvalidParams

import astitray
from accounts import services, tokens
from astitray.faults import AuthenticationFailed, require_int, require_str

accounts = RpcNamespace()


@accounts.register_procedure(name="whoami", context_target="ctx")
def whoami(ctx: RpcRequestContext) -> dict:
    """
    Who you are, as the server sees you.

    :return: {"username", "full_name", "extension" ("" when you have no phone),
        "extension_source" (manual, ldap, sql, htpasswd or ""), "can_dial",
        "phone" (idle, ringing, in_use, unavailable or unknown: what the PBX says of your phone),
        "server_version", "api_version"}
    """
    return {
        **services.whoami(ctx.auth_result),
        "server_version": astitray.__version__,
        "api_version": astitray.API_VERSION,
    }


@accounts.register_procedure(name="create_token", context_target="ctx")
def create_token(label: str, ctx: RpcRequestContext) -> dict:
    """
    Make an API token for one of your devices (with your username and password only, not with a token).

    Send it as ``Authorization: Bearer <token>`` instead of a password. It is shown this once.

    :param label: what the token is for ("laptop tray", "browser extension"), 1 to 100 characters
    :return: {"id", "token", "label", "created"}
    """
    if tokens.bearer_token(ctx.request) is not None:
        raise AuthenticationFailed(
            gettext("API tokens are made with your username and password, not a token.")
        )
    try:
        label = tokens.clean_label(require_str(label, "label", tokens.LABEL_MAX))
    except ValueError:
        raise RPCInvalidParams(gettext("label must be 1 to 100 characters of text on one line")) from None
    row, token = tokens.create(ctx.auth_result, label)
    shown = tokens.entry(row)
    return {"id": row.pk, "token": token, "label": shown["label"], "created": shown["created"]}


@accounts.register_procedure(name="list_tokens", context_target="ctx")
def list_tokens(ctx: RpcRequestContext) -> list:
    """
    Your API tokens, newest first (never the tokens themselves).

    :return: [{"id", "label", "created", "last_used" ("" if never), "last_address"}]
    """
    return [tokens.entry(row) for row in tokens.of_user(ctx.auth_result)]


@accounts.register_procedure(name="revoke_token", context_target="ctx")
def revoke_token(id: int, ctx: RpcRequestContext) -> bool:
    """
    Revoke one of your API tokens: it is refused from the next call on.

    :param id: the token's id (from list_tokens)
    :return: true
    """
    tokens.revoke(ctx.auth_result, require_int(id, "id", 1, 2**63 - 1))
    return True
