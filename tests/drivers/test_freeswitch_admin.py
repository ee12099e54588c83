""" "Test connection" in the admin on a FreeSWITCH PBX server: the four answers, in English and in French.

The admin's action, through Django's test client (CSRF checks on), on a
``freeswitch_esl`` PBX server pointing at the fake Event Socket (the
recorded answers of a real FreeSWITCH 1.10.12).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation

from drivers.models import PbxServer
from testkit.fake_freeswitch import FakeEsl
from testkit.known_secrets import ESL_PASSWORD, WRONG_PASSWORDS
from testkit.services import free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def esl() -> Iterator[FakeEsl]:
    with FakeEsl() as fake:
        yield fake


@pytest.fixture
def admin_client() -> Client:
    client = Client(enforce_csrf_checks=True)
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "root-Pw-1")
    client.force_login(admin)
    return client


def fs_pbx(port: int, **changes: object) -> PbxServer:
    fields: dict[str, object] = {
        "name": "FreeSWITCH",
        "driver": "freeswitch_esl",
        "host": "127.0.0.1",
        "port": port,
        "secret": ESL_PASSWORD,
        "context": "outbound",
    }
    fields.update(changes)
    pbx = PbxServer(**fields)
    pbx.full_clean()
    pbx.save()
    return pbx


def press_test_connection(client: Client, pbx: PbxServer, language: str = "en") -> str:
    """The messages after the "Test connection" action on ``pbx`` (with the changelist's CSRF token)."""
    url = reverse("admin:drivers_pbxserver_changelist")
    page = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    token = page.context["csrf_token"]
    response = client.post(
        url,
        {"action": "test_connection", "_selected_action": [pbx.pk], "csrfmiddlewaretoken": str(token)},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_ok_with_the_version_and_never_the_password(admin_client, esl):
    text = press_test_connection(admin_client, fs_pbx(esl.port))
    assert "FreeSWITCH: OK. reachable: yes, login accepted: yes, may originate calls: yes." in text
    assert "FreeSWITCH Version 1.10.12-release" in text
    assert ESL_PASSWORD not in text


def test_a_wrong_password_says_where_to_look(admin_client, esl):
    text = press_test_connection(admin_client, fs_pbx(esl.port, secret=WRONG_PASSWORDS["pbx-wrong"]))
    assert "reachable: yes, login accepted: no" in text
    assert "The login was refused: check the password (event_socket.conf.xml)." in text
    assert WRONG_PASSWORDS["pbx-wrong"] not in text


def test_an_address_outside_the_acl_says_so(admin_client, esl):
    esl.acl_refuses = True
    text = press_test_connection(admin_client, fs_pbx(esl.port))
    assert "reachable: yes, login accepted: no" in text
    assert "apply-inbound-acl must allow this server" in text


def test_without_mod_commands_it_may_not_originate(admin_client, esl):
    esl.commands_missing = True
    text = press_test_connection(admin_client, fs_pbx(esl.port))
    assert "may originate calls: no" in text and "mod_commands" in text


def test_unreachable(admin_client):
    text = press_test_connection(admin_client, fs_pbx(free_port()))
    assert "FreeSWITCH: problem. reachable: no." in text


def test_in_french(admin_client, esl):
    esl.acl_refuses = True
    try:
        text = press_test_connection(admin_client, fs_pbx(esl.port), language="fr")
    finally:
        translation.deactivate()  # the request left French active in this thread
    assert "le PBX a refusé notre adresse" in text
