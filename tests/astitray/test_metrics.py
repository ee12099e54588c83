"""/metrics: only for ASTITRAY_METRICS_ALLOWED; what each counter counts, read back from the page itself."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from dialer.models import NumberRule
from testkit.rpc import xmlrpc_call, xmlrpc_post

pytestmark = pytest.mark.django_db


def scrape(client: Client | None = None) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, by (name, sorted labels)."""
    response = (client or Client()).get("/metrics")
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


class Counted:
    """The difference of one sample between two scrapes (counters are process-wide)."""

    def __init__(self, name: str, **labels: str) -> None:
        self.name, self.labels = name, labels
        self.before = value(scrape(), name, **labels)

    @property
    def added(self) -> float:
        return value(scrape(), self.name, **self.labels) - self.before


def test_it_refuses_addresses_that_are_not_allowed(settings):
    assert Client(REMOTE_ADDR="192.0.2.7").get("/metrics").status_code == 403
    assert Client(REMOTE_ADDR="::1").get("/metrics").status_code == 200
    settings.ASTITRAY_METRICS_NETWORKS = ()
    response = Client().get("/metrics")
    assert (response.status_code, response.content) == (403, b"")


def test_it_takes_the_address_from_the_proxy_when_behind_one(settings):
    settings.ASTITRAY_CLIENT_ADDRESS_FROM_FORWARDED_FOR = True
    # Through nginx: the client is the last X-Forwarded-For entry, not nginx's own loopback address.
    assert Client().get("/metrics", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 403
    assert Client().get("/metrics", HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 200


def test_it_counts_calls_by_status_and_pbx_and_times_dials(alice_auth, console_pbx):
    NumberRule.objects.create(position=1, pattern=r"899123456$", action=NumberRule.Action.DENY)
    answered = Counted("astitray_calls_total", pbx="Test console", status="answered")
    denied = Counted("astitray_calls_total", pbx="Test console", status="denied")
    timed = Counted("astitray_dial_seconds_count", pbx="Test console")
    client = Client()
    xmlrpc_call(client, "dialer.dial", "+44 20 7946 0958", auth=alice_auth)
    xmlrpc_call(client, "dialer.dial", "01 42 68 53 00", auth=alice_auth)
    fault = xmlrpc_post(client, _dial("0899 123 456"), _basic(alice_auth))
    assert b"-32087" in fault.content
    assert (answered.added, denied.added, timed.added) == (2, 1, 2)


def test_it_counts_rpc_calls_by_procedure_and_fault(alice_auth):
    ok = Counted("astitray_rpc_calls_total", procedure="accounts.whoami", fault="none")
    refused = Counted("astitray_rpc_calls_total", procedure="accounts.whoami", fault="-32098")
    unknown = Counted("astitray_rpc_calls_total", procedure="unknown", fault="-32601")
    malformed = Counted("astitray_rpc_calls_total", procedure="none", fault="-32700")
    client = Client()
    xmlrpc_call(client, "accounts.whoami", auth=alice_auth)
    xmlrpc_post(client, _call("accounts.whoami"), _basic(("alice", "wrong")))
    xmlrpc_post(client, _call("no.such_thing_at_all_1"), _basic(alice_auth))
    xmlrpc_post(client, _call("no.such_thing_at_all_2"), _basic(alice_auth))
    xmlrpc_post(client, b"<methodCall><methodName>", _basic(alice_auth))
    assert (ok.added, refused.added, unknown.added, malformed.added) == (1, 1, 2, 1)
    assert not any("no.such_thing" in str(key) for key in scrape())  # names clients make up stay out


def test_it_counts_refused_logins_by_source_and_lockouts(settings, alice):
    settings.AXES_FAILURE_LIMIT = 2
    settings.AXES_LOCKOUT_PARAMETERS = ["username"]
    by_django = Counted("astitray_auth_failures_total", backend="django")
    by_lockout = Counted("astitray_auth_failures_total", backend="lockout")
    lockouts = Counted("astitray_auth_lockouts_total", via="rpc")
    client = Client()
    for _attempt in range(3):
        xmlrpc_post(client, _call("accounts.whoami"), _basic(("alice", "not-her-password")))
    # Two refused by Django's users (the second starts the lockout), the third by the lockout.
    assert (by_django.added, by_lockout.added, lockouts.added) == (2, 1, 1)


def test_it_counts_rate_limit_refusals(settings, alice_auth):
    settings.ASTITRAY_RATE_LIMIT = 1
    limited = Counted("astitray_rate_limited_total", limit="dial")
    client = Client()
    xmlrpc_call(client, "dialer.dial", "01 42 68 53 00", auth=alice_auth)
    assert b"-32086" in xmlrpc_post(client, _dial("01 42 68 53 01"), _basic(alice_auth)).content
    assert limited.added == 1


def test_it_counts_phonebook_imports(tmp_path):
    card = tmp_path / "people.vcf"
    card.write_text(
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Hélène Dupont\r\nTEL;TYPE=work:+33 1 42 68 53 00\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No Number\r\nEND:VCARD\r\n",
        encoding="utf-8",
    )
    ok = Counted("astitray_phonebook_imports_total", source="file", result="ok")
    created = Counted("astitray_phonebook_import_contacts_total", source="file", change="created")
    skipped = Counted("astitray_phonebook_import_contacts_total", source="file", change="skipped")
    timed = Counted("astitray_phonebook_import_seconds_count", source="file")
    call_command("import_contacts", str(card), verbosity=0)
    assert (ok.added, created.added, skipped.added, timed.added) == (1, 1, 1, 1)

    failed = Counted("astitray_phonebook_imports_total", source="file", result="failed")
    dry = Counted("astitray_phonebook_imports_total", source="file", result="dry_run")
    call_command("import_contacts", str(card), "--dry-run", verbosity=0)
    (tmp_path / "bad.csv").write_bytes(b"\x00\x01")
    with pytest.raises(Exception):  # noqa: B017  (the command's own error; what matters is the count)
        call_command("import_contacts", str(tmp_path / "bad.csv"), verbosity=0)
    assert (dry.added, failed.added) == (1, 1)


def test_it_says_each_enabled_pbx_state(console_pbx):
    samples = scrape()
    assert value(samples, "astitray_pbx_state", pbx="Test console", state="unknown") == 1
    assert value(samples, "astitray_pbx_state", pbx="Test console", state="up") == 0


def _call(method: str, *params: str) -> bytes:
    import xmlrpc.client

    return xmlrpc.client.dumps(params, method).encode()


def _dial(text: str) -> bytes:
    return _call("dialer.dial", text)


def _basic(auth: tuple[str, str]) -> dict[str, str]:
    from testkit.rpc import basic

    return basic(*auth)
