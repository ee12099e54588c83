"""A stock OpenLDAP (size limit 500, no limits for the reading account), and servers that do not answer."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from phonebook.models import Contact
from testkit.services import free_port, require
from testkit.slapd import Slapd, slapd_binary
from tests.phonebook.conftest import people_ldif, snapshot, with_phone

pytestmark = pytest.mark.django_db

PEOPLE = 620


def run(uri: str, server: Slapd, *args: str, stderr: StringIO | None = None) -> str:
    out = StringIO()
    call_command(
        "import_ldap_contacts", "--uri", uri, "--base", f"ou=people,{server.base_dn}",
        "--bind-dn", server.reader_dn, "--bind-password", server.reader_password, "--timeout", "5",
        *args, stdout=out, stderr=stderr or StringIO(),
    )  # fmt: skip
    return out.getvalue()


@pytest.fixture(scope="module")
def stock():
    """A slapd configured like a stock one: ``sizelimit 500``, holding 620 people."""
    require(slapd_binary() is not None, "slapd is not installed (Debian package slapd)")
    with Slapd(size_limit=500, stock=True) as server:
        server.add_base()
        server.add(people_ldif(server.base_dn, PEOPLE))
        yield server


def test_a_paged_import_past_a_stock_size_limit_reads_everything_by_splitting(stock):
    errors = StringIO()
    output = run(stock.uri, stock, "--page-size", "100", stderr=errors)
    assert f"{PEOPLE} read: {with_phone(PEOPLE)} created" in output
    assert Contact.objects.count() == with_phone(PEOPLE)
    warning = errors.getvalue()
    assert "stopped the paged search at its size limit after 500 entries" in warning
    assert "reading by the first letters of cn instead" in warning
    assert 'limits dn.exact="cn=reader,dc=example,dc=org" size.prtotal=unlimited' in warning
    # Every entry once: a second run finds nothing new, nothing gone.
    assert f"{PEOPLE} read: 0 created, 0 updated" in run(stock.uri, stock, "--page-size", "100", "--prune")


def test_without_splitting_the_import_says_what_the_admin_must_change(stock):
    Contact.objects.create(name="Hand Made")
    before = snapshot()
    with pytest.raises(CommandError) as caught:
        run(stock.uri, stock, "--page-size", "100", "--split-attribute", "none")
    message = str(caught.value)
    assert f"the LDAP server {stock.uri} stopped the search at its size limit after 500 entries" in message
    assert 'limits dn.exact="cn=reader,dc=example,dc=org" size.prtotal=unlimited' in message
    assert message.endswith("nothing was changed")
    assert snapshot() == before


def test_a_split_part_still_over_the_limit_fails_whole(stock, monkeypatch):
    monkeypatch.setattr("phonebook.importers.ldap_split.MAX_PREFIX", 1)
    monkeypatch.setattr("phonebook.importers.ldap_split.ALPHABET", "xyz")  # everyone in the remainder
    before = snapshot()
    with pytest.raises(CommandError, match="stopped the search at its size limit"):
        run(stock.uri, stock, "--page-size", "100")
    assert snapshot() == before


def test_a_bad_split_attribute_is_refused(stock):
    with pytest.raises(CommandError, match="--split-attribute: 'cn=\\*' is not an attribute name"):
        run(stock.uri, stock, "--split-attribute", "cn=*")


def test_the_change_the_message_asks_for_makes_the_import_complete(stock):
    with pytest.raises(CommandError) as caught:
        run(stock.uri, stock, "--page-size", "100", "--split-attribute", "none")
    limits = re.search(r"limits dn\.exact=\"[^\"]+\" size\.prtotal=unlimited", str(caught.value))
    assert limits is not None
    stock.stop()
    text = stock.config.read_text()
    stock.config.write_text(text.replace("directory ", f"{limits.group()}\ndirectory ", 1))
    try:
        stock.start()
        errors = StringIO()
        output = run(stock.uri, stock, "--page-size", "100", "--split-attribute", "none", stderr=errors)
        assert f"{PEOPLE} read: {with_phone(PEOPLE)} created" in output
        assert errors.getvalue() == ""
    finally:
        stock.stop()
        stock.config.write_text(text)
        stock.start()


def test_a_stopped_server_and_an_unknown_host_are_told_apart(stock):
    port = free_port()
    with pytest.raises(
        CommandError, match=rf"nothing listens on 127\.0\.0\.1 port {port}: is the LDAP server stopped\?"
    ):
        run(f"ldap://127.0.0.1:{port}", stock)
    with pytest.raises(CommandError, match=r"unknown host name 'ldap\.example\.invalid': check the URI"):
        run("ldap://ldap.example.invalid", stock)
    assert Contact.objects.count() == 0
