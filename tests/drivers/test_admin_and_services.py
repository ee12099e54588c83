"""The drivers inside Django: registry, per-process reuse, outcomes as a signal, "Test connection"."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from drivers import registry, services
from drivers.asterisk.ajam import AsteriskAjamDriver
from drivers.asterisk.ami import AsteriskAmiDriver
from drivers.asterisk.ari import AsteriskAriDriver
from drivers.base import CallStatus
from drivers.models import PbxServer
from testkit.services import free_port
from tests.drivers.conftest import AMI_SECRET, ARI_SECRET, Outcomes, call
from tests.outcome_receiver import outcomes_to

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("asterisk_ami", AsteriskAmiDriver),
        ("asterisk_ajam", AsteriskAjamDriver),
        ("asterisk_ari", AsteriskAriDriver),
    ],
)
def test_the_asterisk_drivers_are_registered(name, cls):
    assert registry.load_driver_class(name) is cls
    assert cls.name == name


def ami_pbx(port: int, **changes: object) -> PbxServer:
    fields: dict[str, object] = {
        "name": "Asterisk",
        "driver": "asterisk_ami",
        "host": "127.0.0.1",
        "port": port,
        "username": "astitray",
        "secret": AMI_SECRET,
        "context": "outbound",
    }
    fields.update(changes)
    pbx = PbxServer(**fields)
    pbx.full_clean()
    pbx.save()
    return pbx


def test_a_dial_through_the_service_reports_its_outcome_to_the_signal(ami):
    heard = Outcomes()
    with outcomes_to(heard):
        pbx = ami_pbx(ami.port)
        driver = services.get_driver(pbx)
        assert isinstance(driver, AsteriskAmiDriver)
        ami.outcomes["0044207946095"] = 5
        result = driver.originate(call(call_id="4f1c-call"))
        assert heard.of(result.reference) == (CallStatus.BUSY, "busy")
        assert services.get_driver(PbxServer.objects.get(pk=pbx.pk)) is driver  # one per PBX and process


def test_an_edited_pbx_gets_a_new_driver_and_the_old_connection_closes(ami):
    pbx = ami_pbx(ami.port)
    first = services.get_driver(pbx)
    first.originate(call(call_id="one"))
    pbx.context = "phones"
    pbx.save()
    second = services.get_driver(pbx)
    assert second is not first
    assert ami.wait_for_action("Logoff")  # the old driver logged off
    second.originate(call(call_id="two", context=""))
    assert ami.originates[-1]["Context"] == "phones"


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "root-pw")
    client.force_login(admin)
    return client


def press_test_connection(admin_client, pbx: PbxServer) -> str:
    """The messages the admin shows after the "Test connection" action on ``pbx``."""
    response = admin_client.post(
        reverse("admin:drivers_pbxserver_changelist"),
        {"action": "test_connection", "_selected_action": [pbx.pk]},
        follow=True,
    )
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_the_admin_test_says_in_plain_words_that_all_is_well(admin_client, ami):
    text = press_test_connection(admin_client, ami_pbx(ami.port))
    assert "Asterisk: OK." in text
    assert "reachable: yes, login accepted: yes, may originate calls: yes" in text
    assert "Asterisk Call Manager/11.0.0" in text
    assert AMI_SECRET not in text


def test_the_admin_test_says_what_is_wrong(admin_client, ami):
    readonly = ami_pbx(ami.port, name="Read only", username="readonly", secret="readonly-secret")
    assert "may originate calls: no" in press_test_connection(admin_client, readonly)
    down = ami_pbx(free_port(), name="Down")
    assert "Down: problem. reachable: no." in press_test_connection(admin_client, down)


def test_the_admin_test_of_ari_warns_about_the_context(admin_client, http):
    pbx = ami_pbx(http.port, name="ARI", driver="asterisk_ari", secret=ARI_SECRET)
    text = press_test_connection(admin_client, pbx)
    assert "reachable: yes, login accepted: yes, may originate calls: yes" in text
    assert "does not check the dialplan context" in text
