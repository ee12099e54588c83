"""The pure parts: folding, query parsing, numbers, mappings, LDAP entries and vCard lines."""

from __future__ import annotations

import io
import sys

import pytest
from django.core.management import call_command

from phonebook.errors import ImportFailed
from phonebook.importers.ldap import entry_to_record
from phonebook.importers.mapping import LDAP_DEFAULTS, parse_mapping
from phonebook.importers.records import NumberRecord
from phonebook.importers.vcard import parse_property, tel_label
from phonebook.numbers import search_digits, to_e164
from phonebook.text import clean, fold, parse_query


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("  Hélène  DUPONT-Lefèvre ", "helene dupont lefevre"),
        ("Œdipe Ørsted Łukasz Straße", "oedipe orsted lukasz strasse"),
        ("O\u2019Brien & Co.", "o brien co"),
        ("Nguyễn Thị", "nguyen thi"),
        ("ΣΩΚΡΑΤΗΣ", "σωκρατησ"),
        ("", ""),
    ],
)
def test_fold(text, folded):
    assert fold(text) == folded


def test_clean_makes_one_line():
    assert clean(" a\tb\n\x00c  \r\n") == "a b c"


@pytest.mark.parametrize(
    ("query", "words", "numbers"),
    [
        ("hel dup", ("hel", "dup"), ()),
        ("+44 (0)20 7946-0958", (), ("442079460958",)),
        ("+44(0) 20 7946 0958", (), ("442079460958",)),
        ("(020) 7946 0958", (), ("02079460958",)),
        ("dupont 06 12", ("dupont",), ("0612",)),
        ("06 12 dupont 34", ("dupont",), ("0612", "34")),
        ("jean-marc jean", ("jean", "marc"), ()),
        ("a1b2", ("a1b2",), ()),
        ("  ", (), ()),
    ],
)
def test_parse_query(query, words, numbers):
    parsed = parse_query(query)
    assert (parsed.words, parsed.numbers) == (words, numbers)


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("+44 (0)20 7946 0958", "FR", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("020 7946 0958", "FR", ""),
        ("01 42 68 53 00 ext. 12", "FR", "+33142685300"),
        ("tel:+33612345678;ext=2", "FR", "+33612345678"),
        ("1001", "FR", ""),
        ("n/a", "FR", ""),
        ("9" * 80, "FR", ""),
    ],
)
def test_to_e164_never_guesses(raw, country, e164):
    assert to_e164(raw, country) == e164


def test_search_digits():
    assert search_digits("01 42 68 53 00", "+33142685300") == ["0142685300", "33142685300"]
    assert search_digits("+33 1 42 68 53 00", "+33142685300") == ["33142685300"]
    assert search_digits("1001", "") == ["1001"]


def test_parse_mapping():
    mapping = parse_mapping("name=sn|cn, fax=", LDAP_DEFAULTS, "X")
    assert mapping["name"] == ("sn", "cn") and mapping["fax"] == () and mapping["email"] == ("mail",)
    with pytest.raises(ValueError, match="X: expected"):
        parse_mapping("nickname=cn", LDAP_DEFAULTS, "X")
    with pytest.raises(ValueError, match="X: expected"):
        parse_mapping("key=uid", LDAP_DEFAULTS, "X")
    assert parse_mapping("key=uid", {}, "X", allow_key=True) == {"key": ("uid",)}


def test_an_active_directory_entry():
    attrs = {
        "displayName": [b"J\xc3\xa9r\xc3\xb4me Martin"],
        "cn": [b"martinj"],
        "company": [b"ACME"],
        "department": [b"Sales"],
        "telephoneNumber": [b"+33 1 42 68 53 00"],
        "ipPhone": [b"1234"],
        "otherTelephone": [b"+33 1 42 68 53 01", b"+33 1 42 68 53 02"],
        "mobile": [b"06 12 34 56 78"],
        "objectGUID": [bytes(range(16))],
    }
    record = entry_to_record("CN=Martin\\, J,OU=Staff,DC=corp", attrs, LDAP_DEFAULTS, "")
    assert record.name == "Jérôme Martin"
    assert (record.company, record.department) == ("ACME", "Sales")
    assert record.key == "000102030405060708090a0b0c0d0e0f"
    assert record.numbers == [
        NumberRecord("work", "+33 1 42 68 53 00"),
        NumberRecord("work", "1234"),
        NumberRecord("work", "+33 1 42 68 53 01"),
        NumberRecord("work", "+33 1 42 68 53 02"),
        NumberRecord("mobile", "06 12 34 56 78"),
    ]


def test_ldap_keys():
    assert entry_to_record("uid=A,dc=x", {"entryUUID": [b"ABC-1"]}, LDAP_DEFAULTS, "").key == "abc-1"
    assert entry_to_record("uid=A,dc=x", {}, LDAP_DEFAULTS, "").key == "uid=a,dc=x"
    assert entry_to_record("uid=A,dc=x", {"entryUUID": [b"abc"]}, LDAP_DEFAULTS, "dn").key == "uid=a,dc=x"
    with pytest.raises(ImportFailed, match="uid=A,dc=x: the entry has no employeeNumber"):
        entry_to_record("uid=A,dc=x", {}, LDAP_DEFAULTS, "employeeNumber")


@pytest.mark.parametrize(
    ("line", "name", "value", "types"),
    [
        ("TEL;TYPE=work,voice:+33 1", "TEL", "+33 1", {"work", "voice"}),
        ('TEL;TYPE="voice,cell";VALUE=uri:tel:+336', "TEL", "tel:+336", {"voice", "cell"}),
        ("TEL;HOME;FAX:01", "TEL", "01", {"home", "fax"}),
        ("item1.TEL:+44", "TEL", "+44", set()),
        ("FN;CHARSET=utf-8;ENCODING=QUOTED-PRINTABLE:=C3=98rsted", "FN", "Ørsted", set()),
        ('X-NOTE;X-P="a:b":c:d', "X-NOTE", "c:d", set()),
    ],
)
def test_vcard_lines(line, name, value, types):
    prop = parse_property(line)
    assert prop is not None
    assert (prop.name, prop.value, prop.types) == (name, value, types)


@pytest.mark.parametrize(
    ("types", "label"),
    [
        ({"cell"}, "mobile"),
        ({"home", "fax"}, "fax"),
        ({"home"}, "home"),
        (set(), "work"),
        ({"x-car"}, "other"),
    ],
)
def test_tel_labels(types, label):
    assert tel_label(types) == label


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.django_db
def test_the_progress_line_is_drawn_only_on_a_terminal(tmp_path, monkeypatch):
    sample = tmp_path / "people.csv"
    sample.write_text(
        "Name,Phone\n" + "".join(f"P{i},01 42 68 {i // 100:02d} {i % 100:02d}\n" for i in range(30))
    )
    for stream, verbosity, drawn in (
        (io.StringIO(), 1, False),
        (Terminal(), 0, False),
        (Terminal(), 1, True),
    ):
        monkeypatch.setattr(sys, "stderr", stream)
        call_command(
            "import_contacts", str(sample), "--batch-size", "10", verbosity=verbosity, stdout=io.StringIO()
        )
        assert ("records" in stream.getvalue()) == drawn
