"""The pure parts: folding, query parsing, numbers, mappings, LDAP entries and vCard lines."""

from __future__ import annotations

import functools
import io
import sys

import pytest
from django.core.management import call_command

from phonebook.importers.ldap import entry_to_record
from phonebook.importers.mapping import LDAP_DEFAULTS, parse_mapping
from phonebook.importers.records import ImportFailed, NumberRecord
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


NUMBERS = [
    "+44 20 7946 0958", "0044 20 7946 0958", "020 7946 0958", "01 42 68 53 00", "1001", "+1 212 555 0100",
    "011 44 20 7946 0958", "(212) 555-0100", "212-555-0100", "1 212 555 0100", "+39 06 6982 1234",
    "06 6982 1234", "+49 30 901820", "030 901820", "+33 6 12 34 56 78", "06.12.34.56.78", "33612345678",
    "+7 495 123 45 67", "8 495 123 45 67", "+54 11 4321 5678", "011 4321 5678", "+55 11 91234 5678",
    "(11) 91234-5678", "+41 44 668 18 00", "044 668 18 00", "+86 10 6552 9988", "03-1234-5678", "112",
    "0800 123 456", "00 33 1 42 68 53 00", "+999 123456", "+352 24 12 34", "0690 12 34 56",
]  # fmt: skip


@pytest.mark.parametrize("country", ["FR", "GB", "US", "IT", "DE", "RU", "AR", "BR", "CH", "CN", "JP", "LU"])
def test_the_fast_path_reads_numbers_exactly_as_phonenumbers_does(country):
    from phonebook import numbers

    for raw in NUMBERS:
        assert numbers.to_e164.__wrapped__(raw, country) == numbers._full_e164(raw, country), raw


@functools.cache
def _generated_numbers(seed: int) -> list[tuple[int, str]]:
    """(country code, national number) pairs around every example number of phonenumbers'
    metadata: the examples, their neighbours, shorter and longer, and random digits after
    their first ones; about half valid."""
    import random

    import phonenumbers
    from phonenumbers import PhoneNumberType

    rng = random.Random(seed)
    types = [value for name, value in vars(PhoneNumberType).items() if name.isupper()]
    examples = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        examples += [phonenumbers.example_number_for_type(region, kind) for kind in types]
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        examples.append(phonenumbers.example_number_for_non_geo_entity(code))
    found = []
    for example in filter(None, examples):
        national = str(example.national_number)
        variants = {national, national[:-1], national + "5", str(int(national) + 1), str(int(national) - 1)}
        for _ in range(12):
            keep = rng.randint(1, len(national))
            length = len(national) + rng.randint(-2, 2)
            variants.add(national[:keep] + "".join(rng.choices("0123456789", k=max(0, length - keep))))
        found += [(example.country_code or 0, v) for v in variants if v and v[0] != "0"]
    return found


def test_validity_is_exactly_phonenumbers_own_over_generated_numbers():
    import phonenumbers

    from phonebook.numbers import is_valid

    generated = _generated_numbers(seed=7)
    assert len(generated) > 15_000
    valid = 0
    for code, national in generated:
        expected = phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=code, national_number=int(national))
        )
        assert is_valid(code, national) == expected, (code, national)
        valid += expected
    assert 0.2 < valid / len(generated) < 0.8  # both answers are well represented


@pytest.mark.parametrize("country", ["FR", "GB", "US", "IT", "DE", "RU", "AR", "BR", "CH", "CN", "JP", "LU"])
def test_the_fast_path_reads_generated_numbers_exactly_as_phonenumbers_does(country):
    from phonebook import numbers

    generated = _generated_numbers(seed=7)[::13]
    written = [f"+{code} {national[:3]} {national[3:]}" for code, national in generated]
    written += [f"00{code}{national}" for code, national in generated[::3]]
    written += [f"0{national}" for _code, national in generated[1::3]]
    written += [national for _code, national in generated[2::3]]
    for raw in written:
        assert numbers.to_e164.__wrapped__(raw, country) == numbers._full_e164(raw, country), raw
