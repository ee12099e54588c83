"""The local gate before the clipboard's text is sent: prose stays on the desktop, phone numbers pass."""

from __future__ import annotations

import pytest

from tray_client.phonetext import MAX_CHARS, could_hold_number

# What people copy all day that holds digits and no phone number (times, dates, versions, prices,
# IBANs, codes, prose): none of it may leave the desktop. The tray's own tests reuse it.
PROSE = [
    "Meeting at 10:30",
    "Meeting at 10:30 in room 4",
    "Rendez-vous à 9h15 demain",
    "RDV 14 h 30, salle 12",
    "Call at 3 pm",
    "Lunch 12:30-13:45",
    "Due 2026-11-26",
    "Created 2026-11-26T13:10:00Z",
    "Livraison le 26/11/2026",
    "Born 26.11.1984",
    "Invoice date: 11-26-2026",
    "Python 3.11.2 is out",
    "Upgrade to v2.0.1 today",
    "Windows version 10.0.19045.3803",
    "Total: €1,299.00",
    "Prix : 12,50 €",
    "1 299,00 EUR TTC",
    "$45.99 per month",
    "Up 45% since 2024",
    "IBAN FR76 3000 6000 0112 3456 7890 189",
    "DE89 3704 0044 0532 0130 00",
    "NO93 8601 1117 947",
    "GB29 NWBK 6016 1331 9268 19",
    "Your code is 483920",
    "483920",
    "4111 1111 1111 1111",
    "Room 101 is on floor 3",
    "Chapter 12, page 345",
    "Tr0ub4dor&3",
    "See issue 17 and 42",
    "The 3 of us, 2 cars",
    "Order 12345 shipped",
]

# What holds a phone number: all of it may be asked about.
PHONES = [
    "+44 20 7946 0958",
    "+33 1 42 68 53 00",
    "01 42 68 53 00",
    "01.42.68.53.00",
    "0142685300",
    "+33 (0)1 42 68 53 00",
    "(212) 555-1234",
    "212.555.1234",
    "00442079460958",
    "Call me back: +44 20 7946 0958",
    "Hélène Dupont\nAcme\nTél. : 01 42 68 53 00\nMobile : 06 12 34 56 78",
    "Meeting at 10:30, call +44 20 7946 0958",
    "tel:+44-20-7946-0958",
    "callto://+442079460958",
    "sip:1002@pbx.example.org",
    "1002",
    "12",
    "ext. 12",
    "Poste 1002",
    "Tel: 104",
    "+44 20 7946 0958 ext. 12",
    "07700 900123",
]


@pytest.mark.parametrize("text", PROSE)
def test_prose_stays_on_the_desktop(text):
    assert not could_hold_number(text)


@pytest.mark.parametrize("text", PHONES)
def test_phone_numbers_may_be_asked_about(text):
    assert could_hold_number(text)


def test_nothing_longer_than_a_signature_is_sent():
    signature = "Hélène Dupont — Acme\n+33 1 42 68 53 00\n"
    assert could_hold_number(signature)
    padded = signature + "x" * (MAX_CHARS - len(signature) + 1)
    assert not could_hold_number(padded)
    assert not could_hold_number("+33 1 42 68 53 00\n" + "line\n" * 20)


def test_empty_and_digitless_texts():
    for text in ("", "   ", "no digits at all", "\n\n"):
        assert not could_hold_number(text)
