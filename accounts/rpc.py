"""``accounts.*`` procedures."""

from __future__ import annotations

from modernrpc import RpcNamespace, RpcRequestContext

from accounts import services
from accounts.rpc_auth import rpc_user

accounts = RpcNamespace(auth=rpc_user)


@accounts.register_procedure(name="whoami", context_target="ctx")
def whoami(ctx: RpcRequestContext) -> dict:
    """
    Who you are, as the server sees you.

    :return: {"username", "full_name", "extension" ("" when you have no phone),
        "extension_source" (manual, ldap, sql, htpasswd or ""), "can_dial",
        "server_version", "api_version"}
    """
    return services.whoami(ctx.auth_result)
