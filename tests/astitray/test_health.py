"""/healthz and /readyz: plain JSON, no authentication, nothing secret, answered by any host name."""

from __future__ import annotations

import json

import pytest
from django.test import Client, override_settings

from drivers.models import PbxServer
from testkit.services import free_port

pytestmark = pytest.mark.django_db


def test_it_says_the_process_is_alive():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"


def test_it_says_database_cache_and_each_enabled_pbx(console_pbx):
    PbxServer.objects.create(
        name="Branch", driver="asterisk_ami", host="pbx.example.org", secret="s3cr3t-pbx"
    )
    PbxServer.objects.create(name="Old", driver="console", enabled=False)
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = json.loads(response.content)
    ids = dict(PbxServer.objects.values_list("name", "pk"))
    assert body == {
        "status": "ok",
        "database": "up",
        "cache": "up",
        # No listener holds them: nobody knows, and a probe never connects to a PBX to find out.
        "pbx": [
            {"id": ids["Branch"], "name": "Branch", "state": "unknown"},
            {"id": ids["Console (demo)"], "name": "Console (demo)", "state": "unknown"},
            {"id": ids["Test console"], "name": "Test console", "state": "unknown"},
        ],
    }
    assert b"pbx.example.org" not in response.content and b"s3cr3t" not in response.content


def test_it_answers_503_when_the_cache_is_down():
    # A Redis that is not there: nothing listens on that port.
    redis_gone = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
    }
    with override_settings(CACHES={"default": redis_gone}):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert (body["status"], body["database"], body["cache"]) == ("unavailable", "up", "down")
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_it_answers_probes_by_address_over_plain_http(settings, path):
    """A probe asks an app server directly: its address is no ALLOWED_HOSTS name, and HTTPS is nginx's."""
    settings.ALLOWED_HOSTS = ["astitray.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get(path, HTTP_HOST="10.0.0.11:8000")
    assert response.status_code == 200
    assert "Set-Cookie" not in response and not response.cookies
    # Everything else still refuses that host name.
    assert Client().get("/admin/", HTTP_HOST="10.0.0.11:8000").status_code == 400


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_it_refuses_other_methods(path):
    response = Client().post(path, data=b"", content_type="text/plain")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"
