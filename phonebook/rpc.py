"""``phonebook.*`` procedures (search, lookup)."""

from __future__ import annotations

from modernrpc import RpcNamespace

from accounts.rpc_auth import rpc_user

phonebook = RpcNamespace(auth=rpc_user)
