"""Default rules of a country, from the command line and the admin."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from dialer.defaults import install_default_rules
from dialer.models import NumberRule, RewriteRule
from dialer.policy import check_number, rewrite_for_pbx
from tests.dialer.rules.cases import GB

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("install_default_rules", *args, stdout=out)
    return out.getvalue()


def test_the_french_rules_send_service_and_emergency_numbers_to_the_outside_line(console_pbx):
    output = run("FR", "--pbx", console_pbx.name)
    assert "FR rules for PBX Test console: 4 added, 0 already there." in output
    assert set(RewriteRule.objects.values_list("pbx", flat=True)) == {console_pbx.pk}
    assert rewrite_for_pbx(console_pbx, "3949").number == "03949"
    assert rewrite_for_pbx(console_pbx, "112").number == "0112"
    assert rewrite_for_pbx(console_pbx, "15").number == "015"
    assert rewrite_for_pbx(console_pbx, "1001").number == "1001"
    assert rewrite_for_pbx(console_pbx, "01 23 45 67 89").number == "00123456789"
    assert check_number(None, rewrite_for_pbx(console_pbx, "08 99 12 34 56").number).allowed is False
    assert check_number(None, rewrite_for_pbx(console_pbx, "+881 6 1234 5678").number).allowed is False
    assert check_number(None, rewrite_for_pbx(console_pbx, "08 00 12 34 56").number).allowed is True


def test_installing_twice_adds_nothing(console_pbx):
    run("FR", "--pbx", console_pbx.name)
    counts = (RewriteRule.objects.count(), NumberRule.objects.count())
    output = run("fr", "--pbx", console_pbx.name)
    assert "0 added, 4 already there" in output
    assert (RewriteRule.objects.count(), NumberRule.objects.count()) == counts


def test_the_uk_rules_for_every_pbx_use_the_given_prefixes(make_pbx):
    gb = make_pbx(GB)
    output = run("GB", "--outside-prefix", "9")
    assert "GB rules for every PBX: 5 added" in output
    assert set(RewriteRule.objects.values_list("pbx", flat=True)) == {None}
    assert rewrite_for_pbx(gb, "999").number == "9999"
    assert rewrite_for_pbx(gb, "111").number == "9111"
    assert rewrite_for_pbx(gb, "1001").number == "1001"
    assert check_number(None, rewrite_for_pbx(gb, "0909 879 0000").number).allowed is False
    assert check_number(None, rewrite_for_pbx(gb, "118 118").number).allowed is False
    assert check_number(None, rewrite_for_pbx(gb, "020 7946 0958").number).allowed is True


def test_new_rules_come_after_the_existing_ones(console_pbx):
    RewriteRule.objects.create(pbx=None, position=500, name="mine", pattern="^0", replacement="0")
    install_default_rules("FR", pbx=console_pbx)
    assert RewriteRule.objects.first().name == "mine"
    assert RewriteRule.objects.order_by("position").last().position == 520


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("FR",), "Give --pbx NAME, or --outside-prefix"),
        (("FR", "--pbx", "nowhere"), "No PBX server named 'nowhere'."),
        (("FR", "--pbx", "Test console", "--outside-prefix", "0"), "do not give both"),
        (("FR", "--outside-prefix", "0\n"), "A prefix may hold only digits, * and #."),
        (("XX", "--outside-prefix", "0"), "invalid choice: 'XX'"),
    ],
)
def test_bad_arguments_change_nothing(console_pbx, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)
    assert not RewriteRule.objects.exists()
    assert not NumberRule.objects.exists()


def test_the_admin_installs_them_too(admin_client, console_pbx):
    url = reverse("admin:dialer_rewriterule_defaults")
    response = admin_client.post(url, {"country": "FR", "pbx": console_pbx.pk, "international_prefix": "00"})
    assert response.status_code == 302
    assert RewriteRule.objects.filter(pbx=console_pbx).count() == 2
    response = admin_client.post(url, {"country": "GB", "outside_prefix": "9x", "international_prefix": "00"})
    assert response.status_code == 200
    assert "Only digits, * and #" in response.content.decode()
    assert RewriteRule.objects.count() == 2
    link = admin_client.get(reverse("admin:dialer_rewriterule_changelist")).content.decode()
    assert f'href="{url}"' in link
