"""Real files of other programs (samples/third_party/README.md): names, numbers and accents come out right."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from phonebook.models import Contact

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "samples" / "third_party"


def run(name: str, *args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_contacts", str(FILES / name), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def contacts() -> dict[str, tuple[str, str, str, str, list[tuple[str, str]]]]:
    return {
        c.name: (c.company, c.department, c.title, c.email, [(n.label, n.raw) for n in c.numbers.all()])
        for c in Contact.objects.prefetch_related("numbers")
    }


def test_the_readme_names_every_file():
    readme = (FILES / "README.md").read_text()
    assert {path.name for path in FILES.iterdir() if path.name != "README.md"} == {
        name for name in (p.name for p in FILES.iterdir()) if f"`{name}`" in readme
    }


def test_apple_address_book(db):
    _out, err = run("ezvcard-apple-address-book.vcf", "--country", "US")
    assert contacts() == {
        "Mr. John Richter,James Doe Sr.": (
            "IBM", "Accounting", "Money Counter", "john.doe@ibm.com",
            [
                ("work", "905-777-1234"), ("home", "905-666-1234"), ("mobile", "905-555-1234"),
                ("fax", "905-888-1234"), ("fax", "905-999-1234"), ("other", "905-111-1234"),
                ("other", "905-222-1234"),
            ],
        )
    }  # fmt: skip
    assert err == ""


def test_outlook_2007_and_its_callback_number(db):
    run("ezvcard-outlook-2007.vcf", "--country", "US")
    assert contacts() == {
        "Mr. Michael Angstadt Jr.": (
            "TheCompany", "TheDepartment", "TheJobTitle", "mike.angstadt@gmail.com",
            [("work", "(111) 555-1111"), ("home", "(111) 555-2222"), ("mobile", "(111) 555-4444"),
             ("fax", "(111) 555-3333")],  # the callback number is the mobile's: kept once
        )
    }  # fmt: skip


def test_microsoft_outlook(db):
    run("ezvcard-ms-outlook.vcf", "--country", "US")
    assert contacts() == {
        "Mr. John Richter James Doe Sr.": (
            "IBM", "Accounting", "Money Counter", "john.doe@ibm.cm",
            [("work", "(905) 555-1234"), ("home", "(905) 666-1234")],
        )
    }  # fmt: skip
    assert Contact.objects.get().numbers.first().e164 == "+19055551234"


def test_google_every_phone_type(db):
    run("ezvcard-google.vcf", "--country", "US")
    labels = [
        "work", "home", "work", "work", "mobile", "work", "fax", "fax", "other", "other", "other",
    ]  # fmt: skip
    assert contacts() == {
        "VCard Test": (
            "TheCompany", "", "TheJobTitle", "workemail@example.com",
            [(label, f"55555511{index:02d}") for index, label in zip(range(11, 22), labels, strict=True)],
        )
    }  # fmt: skip


def test_android_quoted_printable_with_a_stray_byte(db):
    out, err = run("cardme-android.vcf", "--country", "ES")
    assert "4 created" in out and "2 skipped" in out  # two cards have neither name nor number
    names = contacts()
    assert set(names) == {"Ñ Ñ Ñ Ñ Ñ", " ".join(["Ñ"] * 11), "Ñ Ñ Ñ Ñ", "ÑÑÑÑ"}
    assert names["Ñ Ñ Ñ Ñ Ñ"][4] == [("mobile", "123456789")]
    assert names[" ".join(["Ñ"] * 11)][4] == [
        ("mobile", "123456"),
        ("home", "234567"),
        ("mobile", "3456789"),
        ("home", "45678901"),
    ]
    assert names["Ñ Ñ Ñ Ñ"][:4] == ("Ñ" * 12, "", "", "bob@company.com")
    assert names["ÑÑÑÑ"][0] == "Ñ" * 44
    # The ORG cut in the middle of a character is reported, and garbles nothing else.
    assert "cardme-android.vcf: line 65 was not valid in the CHARSET they declare" in err


def test_vcard_4_with_tel_uris(db):
    run("vobject-vcard40-full.vcf", "--country", "US")
    assert contacts() == {
        "Dr. John Q. Public, III": (
            "Example Corp.", "North Division", "CEO", "john.public@example.com",
            [("work", "+1-555-555-5555"), ("mobile", "+1-555-123-4567")],
        )
    }  # fmt: skip
    assert Contact.objects.get().source_key == "urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("vobject-vcard40-multilang.vcf", {"Yamada Taro": ("", "", "", "", [])}),
        (
            "thunderbird-export.vcf",
            {
                "contact number one": ("", "", "", "contact1@invalid", []),
                "contact number two": ("", "", '"worker"', "contact2@invalid", []),
            },
        ),
        (
            "thunderbird-export.csv",
            {
                "contact number one": ("", "", "", "contact1@invalid", []),
                "contact number two": ("", "", '"worker"', "contact2@invalid", []),
            },
        ),
        (
            "thunderbird-basic.csv",
            {
                "John Doe": ("", "", "", "john@doe.invalid", []),
                "Jane Doe": ("", "", "", "jane@doe.invalid", []),
            },
        ),
        (
            "thunderbird-semicolon.csv",
            {
                "John Doe": ("", "", "", "john@doe.invalid", []),
                "Jane Doe": ("", "", "", "jane@doe.invalid", []),
            },
        ),
        (
            "roundcube-thunderbird.csv",  # its phone cells hold words: no number is made up
            {"Displayname": ("Organization", "department", "title", "test@domain.tld", [])},
        ),
    ],
)
def test_files_without_phone_numbers(db, name, expected):
    out, _err = run(name)
    assert "0 created" in out  # a phonebook entry needs a number...
    run(name, "--keep-without-number")  # ...unless asked
    assert contacts() == expected


def test_apple_contacts_from_caldavtester(db):
    run("caldavtester-apple.vcf", "--country", "US")
    assert contacts() == {
        "Default Thompson": ("", "", "", "lthompson@example.com", [("work", "1-555-555-5555")])
    }


def test_roundcube_every_phone_column(db):
    run("roundcube-all.csv")
    contact = Contact.objects.get()
    assert (contact.name, contact.company, contact.department, contact.title, contact.email) == (
        "Display Name", "Company", "Department", "Job Title", "work@example.com"
    )  # fmt: skip
    assert {(n.label, n.raw) for n in contact.numbers.all()} == {
        ("home", "100"), ("home", "200"), ("work", "300"), ("work", "400"), ("mobile", "500"),
        ("work", "600"), ("fax", "700"), ("fax", "800"), ("mobile", "900"), ("other", "111"),
        ("other", "222"), ("other", "333"), ("other", "444"),
    }  # fmt: skip
