"""Column sets of CSV exports: Outlook (English, French, German), Google (old, new), Apple, Thunderbird."""

from __future__ import annotations

import csv
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from phonebook.models import Contact

pytestmark = pytest.mark.django_db

OUTLOOK_EN = (
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,Business Street,"
    "Business Street 2,Business Street 3,Business City,Business State,Business Postal Code,"
    "Business Country/Region,Home Street,Home Street 2,Home Street 3,Home City,Home State,"
    "Home Postal Code,Home Country/Region,Other Street,Other Street 2,Other Street 3,Other City,"
    "Other State,Other Postal Code,Other Country/Region,Assistant's Phone,Business Fax,Business Phone,"
    "Business Phone 2,Callback,Car Phone,Company Main Phone,Home Fax,Home Phone,Home Phone 2,ISDN,"
    "Mobile Phone,Other Fax,Other Phone,Pager,Primary Phone,Radio Phone,TTY/TDD Phone,Telex,Account,"
    "Anniversary,Assistant's Name,Billing Information,Birthday,Business Address PO Box,Categories,"
    "Children,Directory Server,E-mail Address,E-mail Type,E-mail Display Name,E-mail 2 Address,"
    "E-mail 2 Type,E-mail 2 Display Name,E-mail 3 Address,E-mail 3 Type,E-mail 3 Display Name,Gender,"
    "Government ID Number,Hobby,Home Address PO Box,Initials,Internet Free Busy,Keywords,Language,"
    "Location,Manager's Name,Mileage,Notes,Office Location,Organizational ID Number,"
    "Other Address PO Box,Priority,Private,Profession,Referred By,Sensitivity,Spouse,User 1,User 2,"
    "User 3,User 4,Web Page"
)
OUTLOOK_FR = (
    "Titre,Prénom,Deuxième prénom,Nom,Suffixe,Société,Service,Fonction,Rue (bureau),Rue (bureau) 2,"
    "Rue (bureau) 3,Ville (bureau),Dép/Région (bureau),Code postal (bureau),Pays/Région (bureau),"
    "Rue (domicile),Ville (domicile),Code postal (domicile),Téléphone de l'assistant(e),"
    "Télécopie (bureau),Téléphone (bureau),Téléphone 2 (bureau),Rappel,Téléphone (voiture),"
    "Téléphone société,Télécopie (domicile),Téléphone (domicile),Téléphone 2 (domicile),RNIS,"
    "Tél. mobile,Télécopie (autre),Téléphone (autre),Récepteur de radiomessagerie,Téléphone principal,"
    "Radiotéléphone,Téléphone TDD/TTY,Télex,Adresse de messagerie,Type de messagerie,"
    "Nom complet de l'adresse de messagerie,Adresse de messagerie 2,Adresse de messagerie 3,Notes"
)
# Outlook's German export ("Exportieren in eine Datei", Windows-1252).
OUTLOOK_DE = (
    "Anrede,Vorname,Weitere Vornamen,Nachname,Suffix,Firma,Abteilung,Position,Straße geschäftlich,"
    "Straße geschäftlich 2,Straße geschäftlich 3,Ort geschäftlich,Region geschäftlich,"
    "Postleitzahl geschäftlich,Land/Region geschäftlich,Straße privat,Straße privat 2,Straße privat 3,"
    "Ort privat,Bundesland/Kanton privat,Postleitzahl privat,Land/Region privat,Weitere Straße,"
    "Weiterer Ort,Weitere Postleitzahl,Telefon Assistent,Fax geschäftlich,Telefon geschäftlich,"
    "Telefon geschäftlich 2,Rückmeldung,Autotelefon,Telefon Firma,Fax privat,Telefon privat,"
    "Telefon privat 2,ISDN,Mobiltelefon,Weiteres Fax,Weiteres Telefon,Pager,Haupttelefon,"
    "Mobiltelefon 2,Telefon für Hörbehinderte,Telex,Abrechnungsinformation,Benutzer 1,Beruf,Büro,"
    "E-Mail-Adresse,E-Mail-Typ,E-Mail: Angezeigter Name,E-Mail 2: Adresse,E-Mail 2: Typ,"
    "E-Mail 2: Angezeigter Name,E-Mail 3: Adresse,Geburtstag,Kategorien,Notizen,Webseite"
)
# Every phone column of each set, with the label it must get.
OUTLOOK_EN_PHONES = {
    "Assistant's Phone": "other", "Business Fax": "fax", "Business Phone": "work",
    "Business Phone 2": "work", "Callback": "other", "Car Phone": "mobile",
    "Company Main Phone": "work", "Home Fax": "fax", "Home Phone": "home", "Home Phone 2": "home",
    "ISDN": "work", "Mobile Phone": "mobile", "Other Fax": "fax", "Other Phone": "other",
    "Pager": "other", "Primary Phone": "work", "Radio Phone": "mobile", "TTY/TDD Phone": "other",
    "Telex": "other",
}  # fmt: skip
OUTLOOK_FR_PHONES = {
    "Téléphone de l'assistant(e)": "other", "Télécopie (bureau)": "fax", "Téléphone (bureau)": "work",
    "Téléphone 2 (bureau)": "work", "Rappel": "other", "Téléphone (voiture)": "mobile",
    "Téléphone société": "work", "Télécopie (domicile)": "fax", "Téléphone (domicile)": "home",
    "Téléphone 2 (domicile)": "home", "RNIS": "work", "Tél. mobile": "mobile",
    "Télécopie (autre)": "fax", "Téléphone (autre)": "other",
    "Récepteur de radiomessagerie": "other", "Téléphone principal": "work",
    "Radiotéléphone": "mobile", "Téléphone TDD/TTY": "other", "Télex": "other",
}  # fmt: skip


def write_csv(path: Path, header: str, values: dict[str, str], encoding: str = "utf-8") -> Path:
    """A one-contact export: ``values`` by header, every other column empty."""
    columns = header.split(",")
    out = StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([values.get(column, "") for column in columns])
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def phones(labels: dict[str, str]) -> dict[str, str]:
    """A distinct French number (01 42 68 53 00, 01 42 68 53 01, ...) for each phone column."""
    return {column: f"01 42 68 53 {index:02d}" for index, column in enumerate(labels)}


def imported(path: Path) -> Contact:
    """The one contact of the file, imported."""
    call_command("import_contacts", str(path), stdout=StringIO(), stderr=StringIO())
    return Contact.objects.prefetch_related("numbers").get()


def check_numbers(contact: Contact, numbers: dict[str, str], labels: dict[str, str]) -> None:
    got = {(n.raw, n.label) for n in contact.numbers.all()}
    assert got == {(numbers[column], label) for column, label in labels.items()}


def test_outlook_english_every_phone_and_e_mail_column(tmp_path):
    numbers = phones(OUTLOOK_EN_PHONES)
    values = {
        "Title": "Dr.", "First Name": "Hélène", "Middle Name": "Marie", "Last Name": "Dupont",
        "Company": "ACME", "Department": "Ventes", "Job Title": "Directrice",
        "E-mail 2 Address": "helene@home.example", "E-mail Address": "helene.dupont@acme.example",
        **numbers,
    }  # fmt: skip
    contact = imported(write_csv(tmp_path / "outlook.csv", OUTLOOK_EN, values, "cp1252"))
    assert (contact.name, contact.company, contact.department, contact.title, contact.email) == (
        "Hélène Marie Dupont",
        "ACME",
        "Ventes",
        "Directrice",
        "helene.dupont@acme.example",
    )
    check_numbers(contact, numbers, OUTLOOK_EN_PHONES)


def test_outlook_english_second_e_mail_when_the_first_is_empty(tmp_path):
    values = {"First Name": "Ann", "Last Name": "Lee", "E-mail 3 Address": "ann@other.example"}
    values["Business Phone"] = "0142685300"
    assert imported(write_csv(tmp_path / "outlook.csv", OUTLOOK_EN, values)).email == "ann@other.example"


def test_outlook_french_every_phone_and_e_mail_column(tmp_path):
    numbers = phones(OUTLOOK_FR_PHONES)
    values = {
        "Titre": "M.", "Prénom": "François", "Nom": "Lefèvre", "Société": "Société Générale",
        "Service": "Trésorerie", "Fonction": "Trésorier",
        "Adresse de messagerie": "francois.lefevre@example.com", **numbers,
    }  # fmt: skip
    contact = imported(write_csv(tmp_path / "outlook-fr.csv", OUTLOOK_FR, values, "cp1252"))
    assert (contact.name, contact.company, contact.department, contact.title, contact.email) == (
        "François Lefèvre",
        "Société Générale",
        "Trésorerie",
        "Trésorier",
        "francois.lefevre@example.com",
    )
    check_numbers(contact, numbers, OUTLOOK_FR_PHONES)


OUTLOOK_DE_PHONES = {
    "Telefon Assistent": "other", "Fax geschäftlich": "fax", "Telefon geschäftlich": "work",
    "Telefon geschäftlich 2": "work", "Rückmeldung": "other", "Autotelefon": "mobile",
    "Telefon Firma": "work", "Fax privat": "fax", "Telefon privat": "home", "Telefon privat 2": "home",
    "ISDN": "work", "Mobiltelefon": "mobile", "Weiteres Fax": "fax", "Weiteres Telefon": "other",
    "Pager": "other", "Haupttelefon": "work", "Mobiltelefon 2": "mobile",
    "Telefon für Hörbehinderte": "other", "Telex": "other",
}  # fmt: skip


def test_outlook_german_every_phone_and_e_mail_column(tmp_path):
    numbers = phones(OUTLOOK_DE_PHONES)
    values = {
        "Anrede": "Herr", "Vorname": "Jürgen", "Weitere Vornamen": "Karl", "Nachname": "Müller",
        "Firma": "Müller & Söhne GmbH", "Abteilung": "Einkauf", "Position": "Einkaufsleiter",
        "E-Mail 2: Adresse": "juergen@privat.example", "E-Mail-Adresse": "j.mueller@soehne.example",
        **numbers,
    }  # fmt: skip
    contact = imported(write_csv(tmp_path / "outlook-de.csv", OUTLOOK_DE, values, "cp1252"))
    assert (contact.name, contact.company, contact.department, contact.title, contact.email) == (
        "Jürgen Karl Müller",
        "Müller & Söhne GmbH",
        "Einkauf",
        "Einkaufsleiter",
        "j.mueller@soehne.example",
    )
    check_numbers(contact, numbers, OUTLOOK_DE_PHONES)


def test_outlook_german_second_e_mail_when_the_first_is_empty(tmp_path):
    values = {"Vorname": "Anna", "Nachname": "Weber", "E-Mail 3: Adresse": "anna@weber.example"}
    values["Telefon geschäftlich"] = "0142685300"
    assert imported(write_csv(tmp_path / "outlook-de.csv", OUTLOOK_DE, values)).email == "anna@weber.example"


def test_a_french_nom_alone_is_the_whole_name(tmp_path):
    values = {"Nom": "Hélène Dupont", "Téléphone": "0142685300"}
    assert imported(write_csv(tmp_path / "nom.csv", "Nom,Téléphone", values)).name == "Hélène Dupont"


def test_google_csv_old_and_new_column_sets(tmp_path):
    old = (
        "Name,Given Name,Additional Name,Family Name,Organization 1 - Type,Organization 1 - Name,"
        "Organization 1 - Title,Organization 1 - Department,E-mail 1 - Type,E-mail 1 - Value,"
        "E-mail 2 - Type,E-mail 2 - Value,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value,"
        "Phone 3 - Type,Phone 3 - Value"
    )
    values = {
        "Name": "Zoë Nguyễn", "Organization 1 - Name": "Example", "Organization 1 - Title": "Chercheuse",
        "Organization 1 - Department": "R&D", "E-mail 1 - Value": "zoe@example.net",
        "Phone 1 - Type": "Work Fax", "Phone 1 - Value": "+44 20 7946 0959",
        "Phone 2 - Type": "* Mobile", "Phone 2 - Value": "+84 91 234 56 78 ::: +84 91 234 56 79",
        "Phone 3 - Type": "Main", "Phone 3 - Value": "+44 20 7946 0958",
    }  # fmt: skip
    contact = imported(write_csv(tmp_path / "google.csv", old, values))
    assert (contact.name, contact.company, contact.department, contact.title, contact.email) == (
        "Zoë Nguyễn", "Example", "R&D", "Chercheuse", "zoe@example.net"
    )  # fmt: skip
    assert {(n.label, n.raw) for n in contact.numbers.all()} == {
        ("fax", "+44 20 7946 0959"),
        ("mobile", "+84 91 234 56 78"),
        ("mobile", "+84 91 234 56 79"),
        ("work", "+44 20 7946 0958"),
    }
    Contact.objects.all().delete()
    new = (
        "First Name,Middle Name,Last Name,Organization Name,Organization Title,Organization Department,"
        "E-mail 1 - Label,E-mail 1 - Value,Phone 1 - Label,Phone 1 - Value"
    )
    values = {
        "First Name": "Zoë", "Last Name": "Nguyễn", "Organization Name": "Example",
        "E-mail 1 - Value": "zoe@example.net", "Phone 1 - Label": "Home",
        "Phone 1 - Value": "+84 28 1234 5678",
    }  # fmt: skip
    contact = imported(write_csv(tmp_path / "google-2024.csv", new, values))
    assert (contact.name, contact.company, contact.email) == ("Zoë Nguyễn", "Example", "zoe@example.net")
    assert [(n.label, n.raw) for n in contact.numbers.all()] == [("home", "+84 28 1234 5678")]


def test_apple_contacts_export_columns(tmp_path):
    header = (
        "First name,Last name,Organization,Department,Job title,Phone: mobile,Phone: iPhone,Phone: work,"
        "Phone: home,Phone: main,Phone: home fax,Phone: work fax,Phone: pager,Phone: other,Email: work,"
        "Email: home"
    )
    labels = {
        "Phone: mobile": "mobile", "Phone: iPhone": "mobile", "Phone: work": "work", "Phone: home": "home",
        "Phone: main": "work", "Phone: home fax": "fax", "Phone: work fax": "fax", "Phone: pager": "other",
        "Phone: other": "other",
    }  # fmt: skip
    numbers = phones(labels)
    values = {"First name": "Jürgen", "Last name": "Müller", "Email: home": "j@home.example", **numbers}
    values["Email: work"] = "jm@work.example"
    contact = imported(write_csv(tmp_path / "apple.csv", header, values))
    assert (contact.name, contact.email) == ("Jürgen Müller", "jm@work.example")
    check_numbers(contact, numbers, labels)


def test_thunderbird_french_export_columns(tmp_path):
    header = (
        "Prénom,Nom de famille,Nom à afficher,Surnom,Adresse électronique principale,"
        "Adresse électronique secondaire,Tél. professionnel,Tél. personnel,Fax,Pager,Portable,"
        "Fonction,Service,Société"
    )
    labels = {"Tél. professionnel": "work", "Tél. personnel": "home", "Fax": "fax", "Portable": "mobile"}
    numbers = phones(labels)
    values = {
        "Prénom": "Hélène", "Nom de famille": "Dupont", "Adresse électronique principale": "h@d.example",
        "Fonction": "Directrice", "Service": "Ventes", "Société": "ACME", **numbers,
    }  # fmt: skip
    contact = imported(write_csv(tmp_path / "thunderbird-fr.csv", header, values))
    assert (contact.name, contact.company, contact.department, contact.title, contact.email) == (
        "Hélène Dupont", "ACME", "Ventes", "Directrice", "h@d.example"
    )  # fmt: skip
    check_numbers(contact, numbers, labels)
