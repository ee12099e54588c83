"""The column headers of contact exports: Outlook (English, French, German), Google, Apple, Thunderbird.

Headers are compared folded (:func:`phonebook.text.fold`: "Téléphone
(bureau)" is "telephone bureau", "E-mail Address" is "e mail address").
Several columns may fill one text field: the first non-empty one wins, in
the order of the lists below (a work address before a home one). Every
column of a number label gives a number. Google's numbered "Phone N - Value"
columns, with their "Type"/"Label" column, are read in
:mod:`phonebook.importers.csvfile`.
"""

from __future__ import annotations

_HEADERS = {
    "name": """display name, full name, name, fn, nom complet, nom a afficher, nom affiche""",
    "company": """company, organization, organisation, organization name, organization 1 name, org,
        company name, societe, entreprise, organisation 1 nom, firma""",
    "department": """department, organization department, organization 1 department, service,
        departement, abteilung""",
    "title": """job title, organization title, organization 1 title, fonction, profession, title,
        position""",
    "email": """email work, work email, e mail address, email address, primary email, e mail 1 value,
        email, e mail, mail, courriel, adresse de messagerie, adresse electronique principale,
        adresse electronique, e mail 2 address, e mail 2 value, email home, home email,
        secondary email, adresse de messagerie 2, adresse electronique secondaire, e mail 3 address,
        e mail 3 value, email other, other email, adresse de messagerie 3, e mail adresse,
        e mail 2 adresse, e mail 3 adresse""",
    "work": """work, work phone, business phone, business phone 2, company main phone, primary phone,
        isdn, telephone, phone, telephone number, phone work, phone main, telephone professionnel,
        telephone bureau, telephone 2 bureau, telephone societe, telephone principal, rnis,
        tel professionnel, tel bureau, telefon geschaftlich, telefon geschaftlich 2, telefon firma,
        haupttelefon, telefon""",
    "mobile": """mobile, mobile phone, mobile number, cell, cellular number, car phone, radio phone,
        home mobile, phone mobile, phone iphone, portable, tel mobile, telephone mobile,
        telephone voiture, radiotelephone, radio telephone, mobiltelefon, mobiltelefon 2, autotelefon,
        funktelefon, handy""",
    "home": """home, home phone, home phone 2, phone home, telephone personnel, telephone domicile,
        telephone 2 domicile, tel personnel, tel domicile, telefon privat, telefon privat 2""",
    "fax": """fax, business fax, fax number, home fax, other fax, phone home fax, phone work fax,
        phone fax, telecopie, telecopie bureau, telecopie domicile, telecopie autre,
        telecopie professionnelle, telecopie personnelle, fax geschaftlich, fax privat, weiteres fax""",
    "other": """other, other phone, pager, pager number, assistant s phone, callback, tty tdd phone,
        telex, phone video, phone pager, phone other, telephone autre, rappel,
        recepteur de radiomessagerie, telephone de l assistant e, telephone tdd tty, bip,
        telefon assistent, ruckmeldung, weiteres telefon, telefon fur horbehinderte""",
    "key": """key, uid, id""",
}

CSV_HEADERS: dict[str, str] = {}
"""Folded header -> field (a text field, "key", or a number label)."""
RANK: dict[str, int] = {}
"""Folded header -> its place in its field's list (0: the first choice)."""
for _field, _headers in _HEADERS.items():
    for _rank, _header in enumerate(" ".join(_headers.split()).split(", ")):
        CSV_HEADERS[_header] = _field
        RANK[_header] = _rank

GIVEN = frozenset({"first name", "given name", "prenom", "vorname"})
MIDDLE = frozenset({"middle name", "additional name", "deuxieme prenom", "second prenom", "weitere vornamen"})
FAMILY = frozenset({"last name", "family name", "surname", "nom de famille", "nachname"})
FAMILY_WITH_GIVEN = frozenset({"nom"})
"""French exports' "Nom": the family name when a "Prénom" column is there, else the whole name."""
COURTESY_TITLE = "title"
"""Outlook's "Title" is Mr. or Dr.: a title only when no "Job Title" column is there."""
