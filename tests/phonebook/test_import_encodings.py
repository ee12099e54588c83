"""Files in the encodings real exports use: per-value decoding, declared charsets, UTF-16, bad bytes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from phonebook.models import Contact
from tests.phonebook.conftest import snapshot

pytestmark = pytest.mark.django_db


def run(path: Path, *args: str) -> tuple[str, str]:
    """The import's standard output and standard error."""
    out, err = StringIO(), StringIO()
    call_command("import_contacts", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def people() -> dict[str, list[str]]:
    return {c.name: [n.raw for n in c.numbers.all()] for c in Contact.objects.prefetch_related("numbers")}


def card(*lines: bytes) -> bytes:
    return b"\r\n".join([b"BEGIN:VCARD", b"VERSION:3.0", *lines, b"END:VCARD", b""])


def test_a_fold_inside_a_utf8_character_garbles_nothing(tmp_path):
    # ownCloud folds at 75 bytes, even inside a character: "é" is C3 A9, cut in two here.
    sample = tmp_path / "owncloud.vcf"
    sample.write_bytes(
        card(b"FN:H\xc3\r\n \xa9l\xc3\xa8ne Dupont", b"TEL:01 42 68 53 00")
        + card(b"FN:J\xc3\xbcrgen M\xc3\xbcller", b"ORG:Stra\xc3\r\n \x9fe AG", b"TEL:+49 30 901820")
    )
    _out, err = run(sample)
    assert people() == {"Hélène Dupont": ["01 42 68 53 00"], "Jürgen Müller": ["+49 30 901820"]}
    assert Contact.objects.get(name="Jürgen Müller").company == "Straße AG"
    assert err == ""


def test_one_bad_byte_is_read_in_the_legacy_encoding_for_its_line_alone_and_reported(tmp_path):
    sample = tmp_path / "mixed.vcf"
    sample.write_bytes(
        card(b"FN:H\xc3\xa9l\xc3\xa8ne Dupont", b"TEL:01 42 68 53 00")
        + card(b"FN:Fran\xe7ois Lef\xe8vre", b"TEL:01 42 14 20 00")  # pasted from a Windows program
        + card(b"FN:Zo\xc3\xab Nguy\xe1\xbb\x85n", b"TEL:+84 91 234 56 78")
    )
    _out, err = run(sample)
    assert sorted(people()) == ["François Lefèvre", "Hélène Dupont", "Zoë Nguyễn"]
    assert err.strip() == (
        "warning: mixed.vcf: line 8 was not UTF-8: read as Windows-1252 (check the accents of those contacts)"
    )


def test_quoted_printable_without_a_charset_is_utf8_else_the_legacy_encoding_per_value(tmp_path):
    sample = tmp_path / "qp.vcf"
    sample.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE:H=C3=A9l=C3=A8ne Dupont\r\n"
        b"TEL;WORK:01 42 68 53 00\r\nEND:VCARD\r\n"
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;ENCODING=QUOTED-PRINTABLE:Fran=E7ois Lef=E8=\r\nvre\r\n"
        b"TEL;WORK:01 42 14 20 00\r\nEND:VCARD\r\n"
    )
    run(sample)
    assert sorted(people()) == ["François Lefèvre", "Hélène Dupont"]


@pytest.mark.parametrize(
    ("charset", "name"),
    [
        ("SHIFT_JIS", "山田太郎"),
        ("ISO-8859-1", "Ingrid Ørsted"),
        ("windows-1251", "Иван Петров"),
        ("GB2312", "王小明"),
    ],
)
def test_a_declared_charset_is_honoured_on_plain_values(tmp_path, charset, name):
    sample = tmp_path / "charset.vcf"
    sample.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=" + charset.encode() + b":" + name.encode(charset)
        + b"\r\nTEL;CELL:+81 90 1234 5678\r\nEND:VCARD\r\n"
    )  # fmt: skip
    _out, err = run(sample)
    assert list(people()) == [name]
    assert err == ""


def test_a_value_not_valid_in_its_declared_charset_is_reported(tmp_path):
    # Android's export of a long company name: a byte cut off the last character (=80).
    sample = tmp_path / "android.vcf"
    sample.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:=C3=91o=C3=B1o\r\n"
        b"ORG;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Compa=C3=B1=C3=AD=\r\n=80\r\n"
        b"TEL;CELL;PREF:55556666\r\nEND:VCARD\r\n"
    )
    _out, err = run(sample, "--country", "ES")
    assert list(people()) == ["Ñoño"]
    assert "android.vcf: line 4 was not valid in the CHARSET they declare" in err


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-16"])
def test_utf16_with_or_without_a_byte_order_mark_is_read(tmp_path, codec):
    sample = tmp_path / "utf16.csv"
    sample.write_bytes("Name\tMobile\nŁukasz Kowalski\t+48 512 345 678\n".encode(codec))
    run(sample)
    assert people() == {"Łukasz Kowalski": ["+48 512 345 678"]}


def test_a_utf16_vcard_ignores_the_charsets_it_declares(tmp_path):
    sample = tmp_path / "utf16.vcf"
    sample.write_bytes(
        "BEGIN:VCARD\r\nVERSION:2.1\r\nFN;CHARSET=Windows-1252:Łukasz Kowalski\r\n"
        "TEL;CELL:+48 512 345 678\r\nEND:VCARD\r\n".encode("utf-16-le")
    )
    run(sample)
    assert people() == {"Łukasz Kowalski": ["+48 512 345 678"]}


def test_a_file_with_zero_bytes_that_is_not_utf16_is_refused_clearly(tmp_path):
    before = snapshot()
    sample = tmp_path / "utf32.csv"
    sample.write_bytes("Name,Phone\nA,0142685300\n".encode("utf-32-le"))
    with pytest.raises(
        CommandError, match=r"utf32\.csv: the file holds zero bytes: it looks like UTF-16 or UTF-32"
    ):
        run(sample)
    assert snapshot() == before


def test_an_encoding_given_is_the_whole_files_and_a_line_not_in_it_stops_the_import(tmp_path):
    before = snapshot()
    sample = tmp_path / "bad.csv"
    sample.write_bytes("Name,Phone\nHélène,0142685300\n".encode() + b"Fran\xe7ois,0142142000\n")
    with pytest.raises(CommandError, match=r"bad\.csv, line 3: not valid utf-8 text .*nothing was changed"):
        run(sample, "--encoding", "utf-8")
    assert snapshot() == before
    run(sample, "--encoding", "latin-1")
    assert sorted(people()) == ["François", "HÃ©lÃ¨ne"]  # what the admin asked for


def test_a_tel_uri_keeps_its_extension(tmp_path):
    sample = tmp_path / "ext.vcf"
    sample.write_bytes(
        b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Ann Lee\r\n"
        b"TEL;VALUE=uri;TYPE=work:tel:+1-650-253-0000;ext=123\r\nEND:VCARD\r\n"
    )
    run(sample)
    number = Contact.objects.get().numbers.get()
    assert (number.raw, number.e164) == ("+1-650-253-0000 ext. 123", "+16502530000")
