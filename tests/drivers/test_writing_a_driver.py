"""The example driver of docs/writing-a-driver.md works as written, against a small Acme PBX."""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import types
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from drivers import registry
from drivers.base import (
    CallStatus,
    OriginateOutcomeUnknown,
    PbxAuthFailed,
    PbxConfig,
    PbxUnavailable,
    UnsafeValue,
)
from testkit.services import free_port
from tests.drivers.conftest import call

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-a-driver.md"


@pytest.fixture(scope="module")
def acme_module() -> Iterator[types.ModuleType]:
    """The ``acme_pbx`` module, from the documentation's code block."""
    code = re.search(r"```python\n(# acme_pbx\.py.*?)```", DOC.read_text(), re.DOTALL)
    assert code, "the example driver is missing from docs/writing-a-driver.md"
    module = types.ModuleType("acme_pbx")
    sys.modules["acme_pbx"] = module
    exec(compile(code.group(1), str(DOC), "exec"), module.__dict__)  # noqa: S102  (our own documentation)
    yield module
    del sys.modules["acme_pbx"]


class AcmePbx:
    """The imaginary Acme PBX: POST /api/calls, GET /api/status, Basic auth acme:pw."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.drop = False
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def authorized(self) -> bool:
                return self.headers.get("Authorization") == "Basic " + base64.b64encode(b"acme:pw").decode()

            def answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self.answer(200 if self.authorized() else 401, {})

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                if not self.authorized():
                    return self.answer(401, {})
                fake.calls.append(body)
                if fake.drop:
                    self.close_connection = True
                    return None
                return self.answer(201, {"id": f"acme-{len(fake.calls)}"})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def acme() -> Iterator[AcmePbx]:
    pbx = AcmePbx()
    yield pbx
    pbx.stop()


def config(port: int, **changes: Any) -> PbxConfig:
    fields: dict[str, Any] = {
        "name": "acme",
        "host": "127.0.0.1",
        "port": port,
        "username": "acme",
        "secret": "pw",
    }
    fields.update(changes)
    return PbxConfig(**fields)


def test_the_example_driver_registers_and_dials(acme_module, acme):
    cls = registry.load_driver_class("acme", {"acme": "acme_pbx.AcmeDriver"})
    driver = cls(config(acme.port, context="from-internal"))
    result = driver.originate(call(context=""))
    assert (result.reference, result.status) == ("acme-1", CallStatus.QUEUED)
    assert acme.calls == [
        {
            "from": "PJSIP/1001",
            "to": "0044207946095",
            "context": "from-internal",
            "caller_id": '"Alice Martin" <1001>',
            "ring_seconds": 25,
            "reference": "call-1",
        }
    ]
    checked = driver.check()
    assert checked.headline() == "reachable: yes, login accepted: yes, may originate calls: cannot tell"
    assert checked.summary().startswith(f"Reached the Acme API at http://127.0.0.1:{acme.port}/api")
    assert "Logged in as 'acme'." in checked.summary()


def test_the_example_driver_maps_errors(acme_module, acme):
    cls = acme_module.AcmeDriver
    with pytest.raises(PbxAuthFailed):
        cls(config(acme.port, secret="WRONG")).originate(call())
    refused = cls(config(acme.port, secret="WRONG")).check()
    assert refused.headline() == "reachable: yes, login accepted: no"
    assert "The login as 'acme' was refused" in refused.summary()
    with pytest.raises(PbxUnavailable):
        cls(config(free_port())).originate(call())
    assert cls(config(free_port())).check().headline() == "reachable: no"
    acme.drop = True
    with pytest.raises(OriginateOutcomeUnknown):
        cls(config(acme.port)).originate(call())
    request = call()
    object.__setattr__(request, "number", "1\r\n2")
    with pytest.raises(UnsafeValue):
        cls(config(acme.port)).originate(request)
    assert len(acme.calls) == 1  # only the dropped one arrived
