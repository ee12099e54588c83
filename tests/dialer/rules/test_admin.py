"""The admin of rules: pages, ordering, "try a number", links from the PBX page, permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from dialer.models import NumberRule, RewriteRule
from tests.dialer.rules.cases import GB

pytestmark = pytest.mark.django_db

TRY = "admin:dialer_rewriterule_try"


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:dialer_rewriterule_changelist",
        "admin:dialer_rewriterule_add",
        "admin:dialer_numberrule_changelist",
        "admin:dialer_numberrule_add",
        TRY,
        "admin:dialer_rewriterule_defaults",
    ],
)
def test_every_page_loads(admin_client, console_pbx, url_name):
    RewriteRule.objects.create(pbx=console_pbx, name="service", pattern=r"^(3\d{3})$", replacement=r"0\1")
    RewriteRule.objects.create(pbx=None, name="everywhere", pattern=r"^0", replacement="0")
    NumberRule.objects.create(pattern="^0089").groups.add(Group.objects.create(name="staff"))
    response = admin_client.get(reverse(url_name))
    assert response.status_code == 200


def test_the_changelist_shows_which_pbx(admin_client, console_pbx):
    RewriteRule.objects.create(pbx=console_pbx, name="service", pattern=r"^(3\d{3})$", replacement=r"0\1")
    RewriteRule.objects.create(pbx=None, name="everywhere", pattern=r"^0", replacement="0")
    content = admin_client.get(reverse("admin:dialer_rewriterule_changelist")).content.decode()
    assert "Test console" in content
    assert "every PBX" in content


def test_the_admin_refuses_an_invalid_regex_and_saves_nothing(admin_client, console_pbx):
    response = admin_client.post(
        reverse("admin:dialer_rewriterule_add"),
        {
            "name": "broken",
            "pbx": console_pbx.pk,
            "position": 10,
            "pattern": r"^(3\d{3}$",
            "replacement": r"0\1",
        },
    )
    assert response.status_code == 200
    assert "Not a valid regular expression" in response.content.decode()
    response = admin_client.post(
        reverse("admin:dialer_rewriterule_add"),
        {
            "name": "letters",
            "position": 10,
            "pattern": r"^(3\d{3})$",
            "replacement": r"0\1abc",
            "enabled": "on",
        },
    )
    assert "may hold only digits" in response.content.decode()
    assert not RewriteRule.objects.exists()


def test_the_admin_saves_a_good_rule(admin_client, console_pbx):
    response = admin_client.post(
        reverse("admin:dialer_rewriterule_add"),
        {
            "name": "service",
            "pbx": console_pbx.pk,
            "position": 10,
            "pattern": r"^(3\d{3})$",
            "replacement": r"0\1",
            "final": "on",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    rule = RewriteRule.objects.get()
    assert (rule.pbx, rule.final, rule.replacement) == (console_pbx, True, r"0\1")


def test_reordering_in_the_changelist_changes_which_rule_runs_first(admin_client, console_pbx):
    first = RewriteRule.objects.create(
        pbx=None, position=10, name="0 to 7", pattern=r"^0", replacement="7", final=True
    )
    second = RewriteRule.objects.create(
        pbx=None, position=20, name="0 to 8", pattern=r"^0", replacement="8", final=True
    )

    def tried() -> str:
        response = admin_client.post(reverse(TRY), {"text": "01 23 45 67 89", "pbx": console_pbx.pk})
        return response.context["answer"]["number"]

    assert tried() == "70123456789"
    response = admin_client.post(
        reverse("admin:dialer_rewriterule_changelist"),
        {
            "form-TOTAL_FORMS": "2",
            "form-INITIAL_FORMS": "2",
            "form-0-id": first.pk,
            "form-0-position": "30",
            "form-0-final": "on",
            "form-0-enabled": "on",
            "form-1-id": second.pk,
            "form-1-position": "20",
            "form-1-final": "on",
            "form-1-enabled": "on",
            "_save": "Save",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(RewriteRule.objects.values_list("name", flat=True)) == ["0 to 8", "0 to 7"]
    assert tried() == "80123456789"


def test_try_a_number_shows_every_step_and_the_plan(admin_client, console_pbx):
    response = admin_client.post(
        reverse(TRY), {"text": "Tel: +44 (0)20 7946 0958 ext. 5", "pbx": console_pbx.pk}
    )
    content = response.content.decode()
    for expected in (
        "<td>extract</td><td><code>+442079460958</code></td>",
        "<td>extension</td><td><code>5</code></td>",
        "<td>e164</td><td><code>+442079460958</code></td>",
        "<td>dialplan</td><td><code>00442079460958</code></td>",
        "<td>outside_prefix</td><td><code>000442079460958</code></td>",
        "<td>validate</td><td><code>000442079460958</code></td>",
        "Other country (GB)",
        "PBX <strong>Test console</strong>",
    ):
        assert expected in content


def test_try_a_number_uses_the_same_code_as_the_api(admin_client, client, alice_auth, alice_on, make_pbx):
    from testkit.rpc import xmlrpc_call

    pbx = make_pbx(GB)
    RewriteRule.objects.create(pbx=pbx, name="emergency", pattern=r"^(999)$", replacement=r"9\1", final=True)
    alice_on(pbx)
    for text in ("999", "+33 1 23 45 67 89", "tel:+1-650-253-0000;ext=42"):
        api = xmlrpc_call(client, "dialer.normalize", text, auth=alice_auth)
        # By PBX, and as alice (her PBX): the very same answer.
        assert admin_client.post(reverse(TRY), {"text": text, "pbx": pbx.pk}).context["answer"] == api
        assert admin_client.post(reverse(TRY), {"text": text, "username": "alice"}).context["answer"] == api


def test_try_a_number_judges_the_number_rules_for_a_user(admin_client, alice, console_pbx):
    managers = Group.objects.create(name="managers")
    NumberRule.objects.create(position=1, pattern="^0089", action="allow").groups.add(managers)
    NumberRule.objects.create(position=2, pattern="^0089", action="deny", description="premium rate")
    text = "08 99 12 34 56"
    response = admin_client.post(reverse(TRY), {"text": text})
    assert response.context["answer"]["allowed"] is False
    assert "deny by number rule ^0089 (premium rate)" in response.content.decode()
    alice.groups.add(managers)
    response = admin_client.post(reverse(TRY), {"text": text, "username": "alice"})
    assert response.context["answer"]["allowed"] is True
    assert "(as alice)" in response.content.decode()
    response = admin_client.post(reverse(TRY), {"text": text, "username": "nobody"})
    assert "No user with that username." in response.content.decode()
    assert "answer" not in response.context


def test_try_a_number_without_any_pbx_names_the_setting(admin_client):
    from drivers.models import PbxServer

    PbxServer.objects.all().delete()
    response = admin_client.post(reverse(TRY), {"text": "+44 20 7946 0958"})
    assert response.context["answer"]["number"] == "00442079460958"
    assert "No PBX: the plan of <code>ASTITRAY_DEFAULT_COUNTRY</code>" in response.content.decode()


def test_the_pbx_page_and_the_changelists_link_to_try_a_number(admin_client, console_pbx):
    link = reverse(TRY)
    pbx_page = admin_client.get(
        reverse("admin:drivers_pbxserver_change", args=[console_pbx.pk])
    ).content.decode()
    assert f'href="{link}?pbx={console_pbx.pk}"' in pbx_page
    for name in ("admin:dialer_rewriterule_changelist", "admin:dialer_numberrule_changelist"):
        assert f'href="{link}"' in admin_client.get(reverse(name)).content.decode()
    prefilled = admin_client.get(link, {"pbx": console_pbx.pk}).content.decode()
    assert f'<option value="{console_pbx.pk}" selected>' in prefilled


def test_a_non_staff_user_cannot_try(client, alice):
    client.force_login(alice)
    response = client.get(reverse(TRY))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_staff_need_the_permissions(client, db):
    staff = get_user_model().objects.create_user("staff", password="staff-pw", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse(TRY)).status_code == 403
    assert client.get(reverse("admin:dialer_rewriterule_defaults")).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_rewriterule"))
    assert client.get(reverse(TRY)).status_code == 200
    assert client.post(reverse("admin:dialer_rewriterule_defaults"), {"country": "FR"}).status_code == 403
    assert not RewriteRule.objects.exists()


def test_try_a_number_shows_every_choice_of_the_text(admin_client, console_pbx):
    text = "Fax 01 42 68 53 01 - Tél 01 42 68 53 00 poste 12"
    response = admin_client.post(reverse(TRY), {"text": text, "pbx": console_pbx.pk})
    choices = response.context["answer"]["choices"]
    assert [choice["label"] for choice in choices][-1] == "fax"  # the phone first, the fax last
    content = response.content.decode()
    table = content[content.index('id="try_number_choices"') :]
    table = table[: table.index("</table>")]
    rows = table.split("<tr>")[2:]
    assert len(rows) == len(choices) >= 2
    for row, choice in zip(rows, choices, strict=True):
        assert f"<td><code>{choice['number']}</code></td><td>{choice['display']}</td>" in row
        assert f"<td>{choice['label']}</td>" in row
    assert f"<tr><th>display</th><td>{response.context['answer']['display']}</td></tr>" in content
