"""Hostile HTTP: ``/cid/`` from where it must not answer, the admin as a non-staff user, search injection.

- ``/cid/`` answers only the addresses of ``ASTITRAY_CID_ALLOWED``: forged
  ``X-Forwarded-For`` (and its cousins) count for nothing unless
  ``ASTITRAY_BEHIND_PROXY`` is on, and then only the entry the proxy added.
  Hostile ``number`` values get an empty body or one clean line.
- Every admin URL of every registered model, as anonymous, a non-staff user
  and a staff user without permissions: a redirect to the login page or 403,
  and a POST to add, change or delete changes nothing.
- ``phonebook.search`` (and the admin's contact search box, which shares its
  engine code) with SQL, FTS5, tsquery, MySQL boolean-mode and LIKE syntax:
  a clean result or fault on SQLite and on the engine of ``DATABASE_URL``.
"""

from __future__ import annotations

import ipaddress
import re
import xmlrpc.client

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import ApiToken, Extension
from dialer.models import Call, NumberRule, RewriteRule
from drivers.models import PbxServer
from phonebook.models import Contact, PhoneNumber
from phonebook.text import fold, parse_query
from testkit.known_secrets import API_TOKENS, HOSTILE_PASSWORDS
from testkit.rpc import basic
from tests.conftest import ALICE_PASSWORD
from tests.hostile.conftest import INVALID_PARAMS, JSON, PARSE_ERROR, PROTOCOLS, XML, Answer, call, post
from tests.phonebook.helpers import add

pytestmark = pytest.mark.django_db

CID = "/cid/"
LONDON = "+442079460958"


def cid_text(response) -> str:
    assert response.status_code != 500
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    text = response.content.decode()
    assert "\n" not in text and "\r" not in text
    return text


# --- /cid/ from where it must not answer ---------------------------------------------------

# (REMOTE_ADDR, extra headers): the peer is not allowed; the headers claim an allowed address.
FORGED_HEADERS = {
    "HTTP_X_FORWARDED_FOR": "127.0.0.1",
    "HTTP_X_REAL_IP": "127.0.0.1",
    "HTTP_FORWARDED": "for=127.0.0.1",
    "HTTP_CLIENT_IP": "127.0.0.1",
    "HTTP_X_CLIENT_IP": "127.0.0.1",
    "HTTP_TRUE_CLIENT_IP": "127.0.0.1",
    "HTTP_CF_CONNECTING_IP": "127.0.0.1",
    "HTTP_X_ORIGINAL_FORWARDED_FOR": "127.0.0.1",
    "HTTP_X_CLUSTER_CLIENT_IP": "127.0.0.1",
}
CID_ADDRESS_CORPUS = [
    pytest.param("192.0.2.99", {}, id="other-address"),
    pytest.param("10.0.0.1", {}, id="private-address"),
    pytest.param("::ffff:127.0.0.1", {}, id="ipv4-mapped-loopback"),
    pytest.param("127.0.0.2", {}, id="other-loopback"),
    pytest.param("", {}, id="no-address"),
    pytest.param("not-an-address", {}, id="garbage-address"),
    *(
        pytest.param("192.0.2.99", {name: value}, id=f"forged-{name[5:].lower()}")
        for name, value in FORGED_HEADERS.items()
    ),
    pytest.param("192.0.2.99", {"HTTP_X_FORWARDED_FOR": "192.0.2.99, 127.0.0.1"}, id="forged-xff-last"),
    pytest.param("192.0.2.99", FORGED_HEADERS, id="forged-all"),
]


@pytest.mark.parametrize(("address", "headers"), CID_ADDRESS_CORPUS)
def test_cid_refuses_an_address_not_allowed_whatever_the_headers_say(client, helene, address, headers):
    response = client.get(CID, {"number": LONDON}, REMOTE_ADDR=address, **headers)
    assert (response.status_code, cid_text(response)) == (403, "")


# Behind the proxy (ASTITRAY_BEHIND_PROXY): the proxy (127.0.0.1) appends the address it saw.
PROXIED_CORPUS = [
    pytest.param("127.0.0.1, 192.0.2.99", 403, id="client-forged-the-first-entry"),
    pytest.param("127.0.0.1,192.0.2.99", 403, id="no-space"),
    pytest.param("192.0.2.99", 403, id="one-entry"),
    pytest.param("not-an-address", 403, id="garbage"),
    pytest.param("127.0.0.1, not-an-address", 403, id="garbage-last"),
    pytest.param("127.0.0.1:8080", 403, id="address-with-port"),
    pytest.param("", 403, id="empty"),
    pytest.param("127.0.0.1, ", 403, id="trailing-comma"),
    pytest.param("192.0.2.99, 127.0.0.1", 200, id="allowed-client"),
]


@pytest.mark.parametrize(("forwarded_for", "status"), PROXIED_CORPUS)
def test_behind_the_proxy_only_the_entry_it_added_counts(client, helene, settings, forwarded_for, status):
    settings.ASTITRAY_CLIENT_ADDRESS_FROM_FORWARDED_FOR = True
    response = client.get(
        CID, {"number": LONDON}, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for
    )
    assert response.status_code == status
    assert cid_text(response) == ("Hélène Dupont" if status == 200 else "")


def test_behind_the_proxy_a_direct_connection_is_its_own_address(client, helene, settings):
    settings.ASTITRAY_CLIENT_ADDRESS_FROM_FORWARDED_FOR = True
    settings.ASTITRAY_CID_NETWORKS = (ipaddress.ip_network("192.0.2.10"),)
    assert client.get(CID, {"number": LONDON}, REMOTE_ADDR="192.0.2.10").status_code == 200
    assert client.get(CID, {"number": LONDON}, REMOTE_ADDR="192.0.2.11").status_code == 403


# --- /cid/ with hostile numbers, from an allowed address ----------------------------------

# Raw query strings (percent-encoded as a client would send them): the status and body expected.
CID_NUMBER_CORPUS = [
    pytest.param("number=%2B442079460958%0D%0AX-Injected:%201", id="crlf-after-number"),
    pytest.param("number=%0D%0A", id="crlf-only"),
    pytest.param("number=%00", id="nul"),
    pytest.param("number=%2B44207946%000958", id="nul-inside"),
    pytest.param("number=%FF%FE", id="invalid-utf8"),
    pytest.param("number=%ED%A0%80", id="encoded-surrogate"),
    pytest.param("number=" + "9" * 64, id="64-digits"),
    pytest.param("number=" + "9" * 65, id="65-digits"),
    pytest.param("number=" + "9" * 100_000, id="100000-digits"),
    pytest.param("number=%25", id="like-percent"),
    pytest.param("number=%25%25%25", id="like-percents"),
    pytest.param("number=_", id="like-underscore"),
    pytest.param("number=%2B44_0_7946_958", id="underscores-between-digits"),
    pytest.param("number=%250958", id="percent-then-digits"),
    pytest.param("number=0958", id="a-suffix-only"),
    pytest.param("number=%27%20OR%201%3D1%20--", id="sql-or"),
    pytest.param("number=1%27%3B%20DROP%20TABLE%20phonebook_contact%3B--", id="sql-drop"),
    pytest.param("number=%22*%20NEAR(a%20b)", id="fts-syntax"),
    pytest.param("number=abc", id="letters"),
    pytest.param("number=%2B%2B%2B", id="plus-only"),
    pytest.param("number=*%23", id="star-hash"),
    pytest.param("number=%D9%A0%D9%A1%D9%A4%D9%A2", id="arabic-indic-digits"),
    pytest.param("number=%2B44%20(0)20%207946%200958%2C%20%2B33142685300", id="two-numbers"),
    pytest.param("number=%2B442079460958&number=%2B33142685300", id="repeated-parameter"),
    pytest.param("number[]=%2B442079460958", id="array-syntax"),
    pytest.param("number=%2B442079460958&country=%27%20OR%201", id="country-sql"),
    pytest.param("number=%2B442079460958&country=" + "X" * 10_000, id="country-huge"),
    pytest.param("number=%2B442079460958&country=%00", id="country-nul"),
    pytest.param("number=tel:%2B442079460958", id="tel-uri"),
]
HELENE = "Hélène Dupont"


@pytest.mark.parametrize("query", CID_NUMBER_CORPUS)
def test_hostile_numbers_get_an_empty_body_or_one_clean_line(client, helene, unchanged_phonebook, query):
    response = client.get(f"{CID}?{query}")
    assert response.status_code in (200, 400)
    text = cid_text(response)
    assert text in ("", HELENE)
    if text:  # only for her whole number (whatever else surrounds it): never for a part or a wildcard
        asked = response.wsgi_request.GET.get("number", "")
        assert "2079460958" in re.sub(r"[^0-9]", "", asked), query


@pytest.fixture
def unchanged_phonebook(helene):
    before = (list(Contact.objects.values()), list(PhoneNumber.objects.values()))
    yield
    assert (list(Contact.objects.values()), list(PhoneNumber.objects.values())) == before


# --- The admin as a non-staff user ------------------------------------------------------


def admin_urls() -> list:
    """Every named admin URL: of each registered model (its own extra views included), and of the site."""
    urls = []
    for model, model_admin in admin.site._registry.items():
        for pattern in model_admin.get_urls():
            if pattern.name:
                arguments = tuple(getattr(pattern.pattern, "converters", {}))
                urls.append(pytest.param((pattern.name, model, arguments), id=pattern.name))
    for name in ("index", "password_change", "password_change_done", "autocomplete", "jsi18n"):
        urls.append(pytest.param((name, None, ()), id=name))
    for app_label in sorted({model._meta.app_label for model in admin.site._registry}):
        urls.append(pytest.param((f"app_list:{app_label}", None, ()), id=f"app_list-{app_label}"))
    return urls


ADMIN_URL_CORPUS = admin_urls()


def admin_url(name: str, model, arguments: tuple[str, ...]) -> str:
    """The URL, its arguments (an object's id) filled with the first row of the model."""
    if name.startswith("app_list:"):
        return reverse("admin:app_list", kwargs={"app_label": name.partition(":")[2]})
    first = model.objects.order_by("pk").first() if model is not None else None
    return reverse(f"admin:{name}", kwargs=dict.fromkeys(arguments, first.pk if first else 1))


def every_admin_row() -> list:
    """Each registered model's rows, but the login records a login itself writes (last_login, axes' log)."""
    rows = []
    for model in admin.site._registry:
        if model._meta.label == "axes.AccessLog":
            continue
        rows.append(
            [
                {k: v for k, v in row.items() if k != "last_login"}
                for row in model.objects.order_by("pk").values()
            ]
        )
    return rows


@pytest.fixture
def rows(alice, bob, helene, console_pbx, staff_without_permissions):
    """One row of each registered model at least, and a check that none changed."""
    Group.objects.create(name="sales")
    ApiToken.objects.create(user=alice, label="laptop", key_hash=tokens.digest(API_TOKENS["alice"]))
    Call.objects.create(user=alice, username="alice", extension="1001", channel="PJSIP/1001", number="1002")
    RewriteRule.objects.create(name="strip", pattern="^9", replacement="")
    NumberRule.objects.create(pattern="^089", description="no premium")
    AccessAttempt.objects.create(username="mallory", ip_address="192.0.2.1", failures_since_start=1)
    AccessFailureLog.objects.create(username="mallory", ip_address="192.0.2.1")
    AccessLog.objects.create(username="alice", ip_address="192.0.2.2")
    before = every_admin_row()
    yield
    assert every_admin_row() == before


@pytest.fixture
def staff_without_permissions(db):
    return get_user_model().objects.create_user("sam", password=HOSTILE_PASSWORDS["staff"], is_staff=True)


def visitor(kind: str, alice, staff) -> Client:
    browser = Client()
    if kind == "alice":
        browser.force_login(alice)
    elif kind == "staff-without-permissions":
        browser.force_login(staff)
    return browser


VISITORS = ["anonymous", "alice", "staff-without-permissions"]
LOGIN = reverse("admin:login")
# What a staff user without any permission may still see: the site's own pages, empty of models.
SITE_PAGES = {"index", "password_change", "password_change_done", "jsi18n"}


@pytest.mark.parametrize("kind", VISITORS)
@pytest.mark.parametrize("target", ADMIN_URL_CORPUS)
def test_every_admin_url_refuses_who_may_not_see_it(rows, alice, staff_without_permissions, kind, target):
    name = target[0]
    url = admin_url(*target)
    browser = visitor(kind, alice, staff_without_permissions)
    for method in ("get", "post"):
        response = getattr(browser, method)(
            url, {"post": "yes", "is_superuser": "on", "is_staff": "on", "name": "x"}
        )
        assert response.status_code != 500
        if kind != "staff-without-permissions":
            # Not staff: the login page, before anything else is looked at (logout: to the index).
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith(LOGIN) or name == "logout"
        elif name in SITE_PAGES:
            assert response.status_code in (200, 302, 405), (method, url, response.status_code)
            assert b"Alice" not in response.content and b"PJSIP" not in response.content
        else:
            assert response.status_code in (403, 404, 405), (method, url, response.status_code)


@pytest.mark.parametrize("kind", VISITORS)
def test_alice_cannot_make_herself_superuser(rows, alice, staff_without_permissions, kind):
    browser = visitor(kind, alice, staff_without_permissions)
    response = browser.post(
        reverse("admin:auth_user_change", args=[alice.pk]),
        {
            "username": "alice",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "extension-TOTAL_FORMS": "0",
            "extension-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code in (302, 403)
    alice.refresh_from_db()
    assert (alice.is_staff, alice.is_superuser) == (False, False)


@pytest.mark.parametrize("kind", VISITORS)
def test_deleting_through_the_admin_deletes_nothing(
    rows, alice, console_pbx, staff_without_permissions, kind
):
    browser = visitor(kind, alice, staff_without_permissions)
    for url in (
        reverse("admin:drivers_pbxserver_delete", args=[console_pbx.pk]),
        reverse("admin:auth_user_delete", args=[alice.pk]),
        reverse("admin:auth_user_changelist"),
    ):
        data = {"post": "yes", "action": "delete_selected", "_selected_action": [alice.pk, console_pbx.pk]}
        assert browser.post(url, data).status_code in (302, 403)
    assert PbxServer.objects.filter(pk=console_pbx.pk).exists()
    assert Extension.objects.filter(user=alice).exists()


HOSTILE_ADMIN_PATHS = [
    "/admin/../../etc/passwd",
    "/admin/auth/user/1%00/change/",
    "/admin/auth/user/1'%20OR%201=1--/change/",
    "/admin/auth/user/?q=%27%20OR%201=1--",
    "/admin/auth/user/?is_superuser__exact=1&password__startswith=pbkdf2",
    "/admin/r/4/1/",
    "/admin/%2e%2e/%2e%2e/",
]


@pytest.mark.parametrize("path", HOSTILE_ADMIN_PATHS)
@pytest.mark.parametrize("kind", ["anonymous", "alice"])
def test_hostile_admin_paths_lead_to_the_login(rows, alice, staff_without_permissions, kind, path):
    response = visitor(kind, alice, staff_without_permissions).get(path)
    assert response.status_code in (302, 404), response.status_code
    if response.status_code == 302:
        assert response["Location"].startswith(LOGIN)


# --- Search injection -------------------------------------------------------------------------

SEARCH_CORPUS = [
    "'",
    "''",
    "' OR '1'='1",
    "'; DROP TABLE phonebook_contact; --",
    '"',
    '"hel',
    'hel"*',
    "*",
    "hel*",
    "NEAR(hel dup)",
    "hel NEAR dup",
    "hel OR dup",
    "hel AND dup",
    "NOT hel",
    "-hel",
    "+hel -dup",
    "^hel",
    "hel^2",
    "{sort_name}: hel",
    "sort_name:hel",
    "hel:*",
    "hel & dup | !acme",
    "'hel':*",
    "<->",
    "(hel)",
    "@@",
    "%",
    "%%",
    "_",
    "h_l",
    "h%",
    "\\",
    "\\%",
    ".*",
    "(a+)+$",
    "[a-z]",
    "$where",
    "\x00",
    "hel\x00dup",
    "\ud800",
    "\u0130stanbul \u01c5 \ufb01 \u00df",  # dotted I, titlecase digraph, ligature, sharp s
    "\u0661\u0662\u0663\u0664",  # Arabic-Indic digits
    "\U0001d7d8\U0001d7e1\U0001d7dd\U0001d7e0",  # mathematical digits
    "🔑",
    "a" * 200,
    " ".join(f"w{i}x" for i in range(50)),
    " ".join(str(i) + "a" for i in range(60))[:200],
    "0" * 200,
    "+44 (0)20 " * 18,
    "a" * 201,
]


@pytest.fixture
def bystander(db) -> Contact:
    """A second contact no query of the corpus names: a query that acted as a wildcard would list him."""
    return add("Zoltán Kovács", "+36 1 234 5678", company="Other Kft")


@pytest.mark.usefixtures("bystander")
@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("query", SEARCH_CORPUS, ids=lambda query: repr(query)[1:40])
def test_search_injection_gets_a_clean_answer(client, alice, unchanged_phonebook, protocol, query):
    answer = post_search(client, protocol, query)
    assert answer.status == 200
    if len(query) > 200:
        answer.fault(INVALID_PARAMS)
        return
    if protocol == XML and re.search("[\x00\ud800-\udfff]", query):
        answer.fault(PARSE_ERROR)  # not XML at all: no client can send it
        return
    assert answer.code is None, (answer.code, answer.message)
    names = [contact["name"] for contact in answer.result]
    assert names in ([], [HELENE]), names
    if names:
        # Syntax is never a wildcard: each word starts a word of hers, each number is in hers.
        parsed = parse_query(query)
        her_words = fold("Hélène Dupont ACME Corp").split()
        assert all(any(word.startswith(w) for word in her_words) for w in parsed.words), query
        assert all(digits in "442079460958" for digits in parsed.numbers), query


def post_search(client, protocol: str, query: str) -> Answer:
    if protocol == XML:
        body = xmlrpc.client.dumps((query, 20), "phonebook.search").encode("utf-8", "surrogatepass")
        return post(client, XML, body, basic("alice", ALICE_PASSWORD))
    return call(client, JSON, "phonebook.search", [query, 20])


@pytest.mark.parametrize("query", [q for q in SEARCH_CORPUS if len(q) <= 200 and "\ud800" not in q][:30])
def test_the_admin_contact_search_box_takes_the_same_queries(helene, admin_client, query):
    response = admin_client.get(reverse("admin:phonebook_contact_changelist"), {"q": query})
    assert response.status_code == 200
