"""Arguments of astitray-dial: numbers and tel:, callto:, sip: links become text for dialer.dial."""

from __future__ import annotations

import pytest

from tray_client.uri import NotAPhoneLink, dial_text


@pytest.mark.parametrize(
    ("argument", "text"),
    [
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("  01 23 45 67 89 ", "01 23 45 67 89"),
        ("tel:+44-20-7946-0958", "+44-20-7946-0958"),
        ("TEL:+44-20-7946-0958", "+44-20-7946-0958"),
        ("tel:+44%2020%207946%200958", "+44 20 7946 0958"),
        ("tel:+44-20-7946-0958;ext=12", "+44-20-7946-0958 ext. 12"),
        ("tel:7042;phone-context=example.com", "7042"),
        ("callto:+442079460958", "+442079460958"),
        ("callto://+442079460958", "+442079460958"),
        ("sip:+33123456789@pbx.example.org;user=phone", "+33123456789"),
        ("sips:1002@pbx.example.org", "1002"),
        ("sip:1002", "1002"),
        ("Mobile: 06 12 34 56 78", "Mobile: 06 12 34 56 78"),
    ],
)
def test_it_finds_what_to_dial(argument, text):
    assert dial_text(argument) == text


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("", "Nothing to dial: give a phone number or a tel: link."),
        ("   ", "Nothing to dial: give a phone number or a tel: link."),
        (
            "https://example.org/call/0123",
            "https: links cannot be dialed; give a phone number or a tel: link.",
        ),
        ("mailto:alice@example.org", "mailto: links cannot be dialed; give a phone number or a tel: link."),
        ("ftp://1.2.3.4/", "ftp: links cannot be dialed; give a phone number or a tel: link."),
        ("sip:alice@example.org", "That link holds no phone number."),
        ("callto:skype.user", "That link holds no phone number."),
        ("tel:", "That link holds no phone number."),
        ("hello world", "There is no phone number in that."),
        ("0123\n4567", "That contains characters that cannot be in a phone number."),
        ("0" * 501, "That is too long to be a phone number."),
    ],
)
def test_it_refuses_what_is_no_phone_link(argument, message):
    with pytest.raises(NotAPhoneLink) as caught:
        dial_text(argument)
    assert str(caught.value) == message
