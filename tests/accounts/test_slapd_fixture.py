"""The throwaway slapd the LDAP tests rely on starts, stops and serves entries."""

from __future__ import annotations

import subprocess

import pytest

from testkit.services import require
from testkit.slapd import Slapd, slapd_binary


@pytest.fixture
def slapd():
    require(slapd_binary() is not None, "slapd is not installed (Debian package slapd)")
    with Slapd(size_limit=5) as server:
        server.add_base()
        yield server


def search(server: Slapd, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["ldapsearch", "-x", "-LLL", "-H", server.uri, "-b", server.base_dn, *args],
        capture_output=True,
        text=True,
        check=False,
    )


def people(count: int, base: str) -> str:
    return "\n".join(
        f"dn: uid=user{i},ou=people,{base}\nobjectClass: inetOrgPerson\nuid: user{i}\ncn: User {i}\nsn: {i}\n"
        for i in range(count)
    )


def test_it_serves_entries_and_enforces_the_size_limit(slapd):
    slapd.add(people(8, slapd.base_dn))
    limited = search(
        slapd, "-D", slapd.reader_dn, "-w", slapd.reader_password, "(objectClass=inetOrgPerson)", "uid"
    )
    assert limited.returncode == 4  # sizeLimitExceeded
    paged = search(
        slapd, "-D", slapd.reader_dn, "-w", slapd.reader_password, "-E", "pr=3/noprompt",
        "(objectClass=inetOrgPerson)", "uid",
    )  # fmt: skip
    assert paged.returncode == 0, paged.stderr
    assert paged.stdout.count("uid: user") == 8


def test_it_stops_and_comes_back_with_its_data(slapd):
    slapd.add(people(1, slapd.base_dn))
    slapd.stop()
    assert search(slapd, "(uid=user0)").returncode != 0
    slapd.start()
    assert "uid: user0" in search(slapd, "(uid=user0)").stdout
