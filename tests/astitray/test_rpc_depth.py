"""``astitray.rpc_handlers.check_depth``: the nesting every RPC call's parameters may have, exactly."""

from __future__ import annotations

from typing import Any

import pytest
from modernrpc.exceptions import RPCInvalidParams

from astitray.rpc_handlers import MAX_PARAMS_DEPTH, check_depth


def nested(levels: int, kind: str) -> Any:
    """``levels`` containers one in the other (lists, dicts, tuples or the three in turn), a string in."""
    value: Any = "0102030405"
    for level in range(levels):
        chosen = kind if kind != "mixed" else ("list", "dict", "tuple")[level % 3]
        value = {"key": value} if chosen == "dict" else (value,) if chosen == "tuple" else [value]
    return value


@pytest.mark.parametrize("kind", ["list", "dict", "tuple", "mixed"])
def test_the_deepest_allowed_nesting_passes_and_one_more_level_is_refused(kind):
    check_depth(nested(MAX_PARAMS_DEPTH, kind))
    with pytest.raises(RPCInvalidParams, match=f"at most {MAX_PARAMS_DEPTH} levels"):
        check_depth(nested(MAX_PARAMS_DEPTH + 1, kind))


def test_a_deep_value_is_found_beside_many_scalars():
    params = ["0102030405"] * 10_000 + [nested(MAX_PARAMS_DEPTH, "list")] + [{"a": 1, "b": None}] * 100
    with pytest.raises(RPCInvalidParams):
        check_depth(params)


@pytest.mark.parametrize(
    "params",
    [[], {}, ["0102030405"], {"number": "0102030405"}, [1, 2.5, True, None, b"x"], list(range(100_000))],
    ids=["empty-list", "empty-dict", "one-string", "named", "scalars", "wide"],
)
def test_ordinary_parameters_pass(params):
    check_depth(params)


def test_a_scalar_alone_passes():
    check_depth("0102030405")
