"""``dialer.*`` procedures (normalize, dial, call_status, history)."""

from __future__ import annotations

from modernrpc import RpcNamespace

from accounts.rpc_auth import rpc_user

dialer = RpcNamespace(auth=rpc_user)
