"""``GET /cid/``: the phonebook's name for the PBX, plain text, only for allowed addresses."""

from __future__ import annotations

import pytest
from django.test import Client

from drivers.models import PbxServer
from tests.astitray.test_settings import run_settings
from tests.phonebook.helpers import add

pytestmark = pytest.mark.django_db

URL = "/cid/"


@pytest.fixture
def helene():
    return add("Hélène Dupont", "+44 20 7946 0958", "01 42 68 53 00", company="ACME Corp")


def text_of(response) -> str:
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "WWW-Authenticate" not in response
    return response.content.decode()


@pytest.mark.parametrize(
    "number",
    [
        "+442079460958",
        "+44 20 7946 0958",
        "0044 20 7946 0958",
        "+44 (0)20 7946 0958",
        "0142685300",
        "+33142685300",
    ],
)
def test_a_known_number_answers_the_name(client, helene, number):
    response = client.get(URL, {"number": number})
    assert response.status_code == 200
    assert text_of(response) == "Hélène Dupont"


def test_a_plus_that_was_not_url_encoded_still_counts(client, helene):
    response = client.get(URL + "?number=+442079460958")  # the "+" arrives as a space
    assert text_of(response) == "Hélène Dupont"


def test_an_unknown_number_answers_an_empty_body(client, helene):
    response = client.get(URL, {"number": "+1 650 253 0000"})
    assert (response.status_code, text_of(response)) == (200, "")


def test_the_country_of_numbers_without_a_country_code(client, helene, console_pbx):
    assert text_of(client.get(URL, {"number": "020 7946 0958"})) == ""  # a French 020… is not London
    assert text_of(client.get(URL, {"number": "020 7946 0958", "country": "gb"})) == "Hélène Dupont"
    PbxServer.objects.filter(pk=console_pbx.pk).update(country="GB")
    assert text_of(client.get(URL, {"number": "020 7946 0958"})) == "Hélène Dupont"


def test_without_a_slash_too(client, helene):
    response = client.get("/cid", {"number": "+442079460958"})
    assert (response.status_code, text_of(response)) == (200, "Hélène Dupont")


def test_the_company_when_there_is_no_name(client):
    add("", "+44 20 7946 0958", company="ACME Corp")
    assert text_of(client.get(URL, {"number": "+442079460958"})) == "ACME Corp"


def test_the_name_is_one_line_and_capped(client, settings):
    add("Dr.\tJean-\u200bBaptiste\nde la Fontaine-Saint-Aubin du Grand Large\x07", "+44 20 7946 0958")
    settings.ASTITRAY_CID_MAX_LENGTH = 20
    assert text_of(client.get(URL, {"number": "+442079460958"})) == "Dr. Jean-Baptiste de"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({}, 400),
        ({"number": ""}, 400),
        ({"number": "1" * 65}, 400),
        ({"number": "+44207", "country": "XX"}, 400),
    ],
)
def test_bad_requests_have_an_empty_body(client, helene, params, status):
    response = client.get(URL, params)
    assert (response.status_code, text_of(response)) == (status, "")


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)  # as in production: the CSRF middleware at work


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_refused_in_plain_text(csrf_client, helene, method):
    response = csrf_client.generic(method, URL + "?number=%2B442079460958")
    assert (response.status_code, text_of(response), response["Allow"]) == (405, "", "GET, HEAD, POST")
    assert csrf_client.head(URL, {"number": "+442079460958"}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("number=%2B442079460958", id="url-encoded"),
        pytest.param("number=+442079460958", id="plus-as-is"),  # CURL() sends its data as written
        pytest.param("number=0142685300&country=FR", id="with-country"),
    ],
)
def test_curl_with_post_data_gets_the_name(csrf_client, helene, body):
    # Asterisk's CURL(url,number=...) POSTs its second argument as a form, without any CSRF token.
    response = csrf_client.post(
        URL,
        body,
        content_type="application/x-www-form-urlencoded",
        HTTP_USER_AGENT="asterisk-libcurl-agent/1.0",
        HTTP_ACCEPT="*/*",
    )
    assert (response.status_code, text_of(response)) == (200, "Hélène Dupont")


def test_a_post_body_too_large_is_a_plain_400(csrf_client, helene, settings):
    body = "number=1&pad=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = csrf_client.post(URL, body, content_type="application/x-www-form-urlencoded")
    assert (response.status_code, text_of(response)) == (400, "")


def test_an_address_not_allowed_gets_403_and_no_name(client, helene, caplog):
    response = client.get(URL, {"number": "+442079460958"}, REMOTE_ADDR="192.0.2.99")
    assert (response.status_code, text_of(response)) == (403, "")
    assert "192.0.2.99 is not in ASTITRAY_CID_ALLOWED" in caplog.text


def test_allowed_addresses_and_networks_are_a_setting(client, helene, settings):
    import ipaddress

    settings.ASTITRAY_CID_NETWORKS = (ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("192.0.2.10"))
    assert client.get(URL, {"number": "+442079460958"}, REMOTE_ADDR="10.1.200.3").status_code == 200
    assert client.get(URL, {"number": "+442079460958"}, REMOTE_ADDR="192.0.2.10").status_code == 200
    assert client.get(URL, {"number": "+442079460958"}, REMOTE_ADDR="10.2.0.1").status_code == 403
    assert client.get(URL, {"number": "+442079460958"}).status_code == 403  # loopback is no longer allowed


def test_behind_the_proxy_the_address_the_proxy_saw_counts(client, helene, settings):
    settings.ASTITRAY_CLIENT_ADDRESS_FROM_FORWARDED_FOR = True
    forged = {"HTTP_X_FORWARDED_FOR": "127.0.0.1, 192.0.2.99", "REMOTE_ADDR": "127.0.0.1"}
    assert client.get(URL, {"number": "+442079460958"}, **forged).status_code == 403
    proxied = {"HTTP_X_FORWARDED_FOR": "192.0.2.99, 127.0.0.1", "REMOTE_ADDR": "127.0.0.1"}
    assert client.get(URL, {"number": "+442079460958"}, **proxied).status_code == 200


def test_the_lookup_is_a_few_indexed_queries(client, helene, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):  # the default PBX, the owner, the contact and its numbers
        assert text_of(client.get(URL, {"number": "+442079460958"})) == "Hélène Dupont"


PRINT = "from django.conf import settings as s; print(s.ASTITRAY_CID_NETWORKS, s.ASTITRAY_CID_MAX_LENGTH)"


def test_the_settings_are_read_strictly():
    good = run_settings({"ASTITRAY_CID_ALLOWED": "192.0.2.10, 10.1.0.0/16"}, PRINT)
    assert good.stdout.strip() == "(IPv4Network('192.0.2.10/32'), IPv4Network('10.1.0.0/16')) 40"
    bad = run_settings({"ASTITRAY_CID_ALLOWED": "127.0.0.1,not-an-address"}, PRINT)
    assert (
        "ASTITRAY_CID_ALLOWED: 'not-an-address' does not appear to be an IPv4 or IPv6 network" in bad.stderr
    )
    for name, value in [("ASTITRAY_CID_MAX_LENGTH", "0"), ("ASTITRAY_RATE_LIMIT", "1001")]:
        assert name in run_settings({name: value}, PRINT).stderr
