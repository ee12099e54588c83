"""``manage.py import_contacts FILE``: vCard and CSV exports of Thunderbird, Outlook, Google, Nextcloud."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from phonebook.models import Contact
from tests.phonebook.conftest import snapshot

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"


def run(path: Path | str, *args: str) -> str:
    out = StringIO()
    call_command("import_contacts", str(path), *args, stdout=out)
    return out.getvalue()


def contacts() -> dict[str, tuple]:
    return {
        c.name: (
            c.company,
            c.department,
            c.title,
            c.email,
            [(n.label, n.raw, n.e164) for n in c.numbers.all()],
        )
        for c in Contact.objects.prefetch_related("numbers")
    }


def test_thunderbird_vcard_4(db):
    assert "2 created" in run(SAMPLES / "thunderbird.vcf")
    assert contacts() == {
        "Hélène Dupont": (
            "ACME Corp", "Ventes", "Directrice commerciale", "helene.dupont@example.org",
            [("work", "+33 1 42 68 53 00", "+33142685300"), ("mobile", "06 12 34 56 78", "+33612345678")],
        ),
        "Jürgen Müller": ("", "", "", "", [("home", "+49-30-901820", "+4930901820")]),
    }  # fmt: skip
    assert Contact.objects.get(name="Jürgen Müller").source_key == "0b7e8c41-5a4f-4b8b-8d1e-7c2b4f9e6d02"
    assert Contact.objects.get(name="Jürgen Müller").source_name == "thunderbird.vcf"


def test_outlook_vcard_2_1_in_windows_1252_with_quoted_printable(db):
    assert "2 created" in run(SAMPLES / "outlook.vcf")
    assert contacts() == {
        "François Lefèvre": (
            "Société Générale", "Trésorerie", "Trésorier", "francois.lefevre@example.com",
            [
                ("work", "+33 (0)1 42 14 20 00", "+33142142000"),
                ("mobile", "07 81 23 45 67", "+33781234567"),
                ("fax", "01 42 14 20 01", "+33142142001"),
            ],
        ),
        "Ingrid Ørsted": ("", "", "", "", [("home", "+47 22 12 34 56", "+4722123456")]),
    }  # fmt: skip


def test_google_vcard_3(db):
    output = run(SAMPLES / "google.vcf")
    assert "1 created" in output and "1 skipped" in output  # the card without a phone
    assert contacts() == {
        "Zoë Nguyễn": (
            "Example, Inc.", "Research & Development", "Chercheuse", "zoe@example.net",
            [("mobile", "+84 91 234 56 78", "+84912345678"), ("work", "+44 20 7946 0958", "+442079460958")],
        ),
    }  # fmt: skip
    run(SAMPLES / "google.vcf", "--keep-without-number")
    assert Contact.objects.filter(name="No Phone Person").exists()


def test_nextcloud_vcard_3(db):
    run(SAMPLES / "nextcloud.vcf")
    assert contacts()["Anne-Marie O'Brien"][4] == [
        ("work", "+49 711 252428 90", "+4971125242890"),
        ("home", "+49 711 252428 91", "+4971125242891"),
        ("fax", "+49 711 252428 99", "+4971125242899"),
    ]


def test_google_csv(db):
    assert "2 created" in run(SAMPLES / "google.csv")
    assert contacts() == {
        "Hélène Dupont": (
            "ACME Corp", "Ventes", "Directrice", "helene@example.org",
            [
                ("mobile", "06 12 34 56 78", "+33612345678"),
                ("mobile", "07 81 23 45 67", "+33781234567"),
                ("work", "+33 1 42 68 53 00", "+33142685300"),
            ],
        ),
        "Zoë Nguyễn": ("Example, Inc.", "", "", "", [("fax", "+44 20 7946 0959", "+442079460959")]),
    }  # fmt: skip


def test_outlook_csv_in_windows_1252(db):
    assert "2 created" in run(SAMPLES / "outlook.csv")
    assert contacts() == {
        "François Lefèvre": (
            "Société Générale", "Trésorerie", "Trésorier", "francois.lefevre@example.com",
            [
                ("work", "+33 1 42 14 20 00", "+33142142000"),
                ("fax", "01 42 14 20 01", "+33142142001"),
                ("mobile", "07 81 23 45 67", "+33781234567"),
            ],
        ),
        "Ana García": ("", "", "", "", [("home", "+34 91 123 45 67", "+34911234567")]),
    }  # fmt: skip


def test_thunderbird_csv(db):
    run(SAMPLES / "thunderbird.csv")
    assert contacts() == {
        "Ingrid Ørsted (Oslo)": (
            "Statkraft", "Forskning", "Ingeniør", "ingrid@example.no",
            [("work", "+47 22 12 34 56", "+4722123456"), ("mobile", "+47 912 34 567", "+4791234567")],
        ),
    }  # fmt: skip


def test_csv_with_a_column_mapping_in_latin_1(db):
    output = run(
        SAMPLES / "custom-latin1.csv",
        "--columns",
        "key=Matricule,work=Poste,department=Service",
        "--verbosity",
        "2",
    )
    assert "+ Élodie Brûlé (A-001)" in output
    assert contacts()["André Côté"] == ("", "Direction", "", "", [("work", "01 42 68 53 11", "+33142685311")])
    assert Contact.objects.get(name="Élodie Brûlé").source_key == "A-001"
    again = run(SAMPLES / "custom-latin1.csv", "--columns", "key=Matricule,work=Poste,department=Service")
    assert "0 created, 0 updated, 2 unchanged" in again


def test_it_is_idempotent_and_prunes_its_own_file_only(tmp_path):
    run(SAMPLES / "thunderbird.vcf")
    copy = tmp_path / "export.vcf"
    copy.write_text((SAMPLES / "google.vcf").read_text())
    run(copy)
    before = snapshot()
    assert "0 created, 0 updated, 1 unchanged" in run(copy)
    assert snapshot() == before
    copy.write_text((SAMPLES / "nextcloud.vcf").read_text())
    output = run(copy, "--prune")
    assert "1 created" in output and "1 removed" in output
    assert sorted(Contact.objects.values_list("name", flat=True)) == [
        "Anne-Marie O'Brien",
        "Hélène Dupont",
        "Jürgen Müller",
    ]


def test_contacts_without_a_key_are_matched_on_name_company_and_email(tmp_path):
    sample = tmp_path / "people.csv"
    sample.write_text("Name,Company,Phone\nAnn Lee,ACME,01 42 68 53 00\nAnn Lee,ACME,01 42 68 53 00\n")
    output = run(sample)
    assert "1 created" in output and "1 duplicates skipped" in output
    sample.write_text("Name,Company,Phone\nAnn Lee,ACME,01 42 68 53 99\n")
    assert "0 created, 1 updated" in run(sample)
    assert Contact.objects.get().numbers.get().raw == "01 42 68 53 99"


def test_bad_files_change_nothing(tmp_path):
    run(SAMPLES / "thunderbird.vcf")
    before = snapshot()
    broken = tmp_path / "broken.vcf"
    broken.write_text((SAMPLES / "nextcloud.vcf").read_text() + "BEGIN:VCARD\nFN:Cut short\nTEL:0142685300\n")
    with pytest.raises(CommandError, match=r"broken\.vcf: the file ends inside a card .*nothing was changed"):
        run(broken)
    long_name = tmp_path / "long.csv"
    long_name.write_text("Name,Phone\nOk,0142685300\n" + "x" * 201 + ",0142685301\n")
    with pytest.raises(CommandError, match=r"long\.csv, line 3: the name is longer than 200 characters"):
        run(long_name)
    duplicate_keys = tmp_path / "keys.csv"
    duplicate_keys.write_text("Name,Phone,UID\nA,0142685300,k1\nB,0142685301,k1\n")
    with pytest.raises(CommandError, match="key 'k1' appears twice"):
        run(duplicate_keys)
    nameless = tmp_path / "nameless.csv"
    nameless.write_text("Who,Phone\nA,0142685300\n")
    with pytest.raises(CommandError, match="no name column"):
        run(nameless)
    with pytest.raises(CommandError, match="no column 'Nope'"):
        run(SAMPLES / "google.csv", "--columns", "name=Nope")
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing.vcf")
    with pytest.raises(CommandError, match="not valid utf-8"):
        run(SAMPLES / "outlook.csv", "--encoding", "utf-8")
    assert snapshot() == before


def test_a_dry_run_changes_nothing(db):
    before = snapshot()
    assert run(SAMPLES / "google.csv", "--dry-run").startswith("dry run, nothing was changed")
    assert snapshot() == before


def test_utf16_with_a_bom_is_read(tmp_path):
    sample = tmp_path / "utf16.csv"
    sample.write_bytes("Name\tMobile\nŁukasz Kowalski\t+48 512 345 678\n".encode("utf-16"))
    run(sample)
    assert contacts() == {
        "Łukasz Kowalski": ("", "", "", "", [("mobile", "+48 512 345 678", "+48512345678")])
    }


def check_search_index() -> None:
    """SQLite: the FTS5 tables hold exactly what the contacts table says (FTS5's own check)."""
    from django.db import connection

    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for table in ("phonebook_contact_words", "phonebook_contact_digits"):
                cursor.execute(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")


@pytest.mark.django_db(transaction=True)  # MariaDB's FULLTEXT index only sees committed rows
def test_the_search_index_follows_creations_updates_and_removals(tmp_path):
    from phonebook.services import search

    sample = tmp_path / "people.csv"
    sample.write_text("Key,Name,Phone\n1,Ann Lee,01 42 68 53 00\n2,Bob Stone,01 42 68 53 01\n")
    run(sample)
    check_search_index()
    assert [c.name for c in search("lee")] == ["Ann Lee"]
    # One import that updates, creates and removes (new contacts are indexed at its end).
    sample.write_text("Key,Name,Phone\n1,Ann Leroy,01 42 68 53 99\n3,Cid New,01 42 68 53 95\n")
    run(sample, "--prune")
    check_search_index()
    assert [c.name for c in search("ler")] == ["Ann Leroy"]
    assert [c.name for c in search("cid")] == [c.name for c in search("685395")] == ["Cid New"]
    assert search("stone") == [] and search("lee") == [] and search("685300") == []
    assert [c.name for c in search("685399")] == ["Ann Leroy"]
    broken = tmp_path / "broken.csv"
    broken.write_text("Key,Name,Phone\n1,Ann Changed,01 42 68 53 98\n1,Twice,01 42 68 53 97\n")
    with pytest.raises(CommandError, match="appears twice"):
        run(broken)
    check_search_index()
    assert [c.name for c in search("ann")] == ["Ann Leroy"]
    # The triggers are back after an import: contacts entered by hand are indexed at once.
    from tests.phonebook.helpers import add

    add("Carla Hand", "01 42 68 53 96")
    check_search_index()
    assert [c.name for c in search("carla")] == ["Carla Hand"]
