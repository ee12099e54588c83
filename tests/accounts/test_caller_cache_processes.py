"""What the API caches about a caller never outlives a change, on any server process (accounts.callers).

Two layouts, each with the credentials and the caller (user, Extension, PBX)
cached by every process before the change:

- ``redis``: two servers (as two hosts) sharing one database and one Redis,
  where the cached caller and the lockout marks live;
- ``default``: one server, two gunicorn workers, the embedded default cache
  (each process its own: nothing may be trusted across them).

Each change is made by a third process (``manage.py shell``: the same saves
and signals as the admin), then the very next call on every process must see it.
"""

from __future__ import annotations

import contextlib
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from testkit.known_secrets import CALLER_CACHE_PASSWORDS
from testkit.liveserver import LiveServer
from testkit.redis_server import RedisServer

pytestmark = pytest.mark.service

PASSWORD = CALLER_CACHE_PASSWORDS["first"]
NEW_PASSWORD = CALLER_CACHE_PASSWORDS["changed"]
AUTHENTICATION_FAILED = -32098
USERS = ["deactivated", "deleted", "repassworded", "moved", "edited", "locked"]
SETUP = f"""
from django.contrib.auth import get_user_model
from accounts.models import Extension
from drivers.models import PbxServer
pbx = PbxServer.objects.create(name="Office", driver="console", context="office", country="FR",
                               outside_prefix="0")
for n, name in enumerate({USERS!r}):
    user = get_user_model().objects.create_user(name, password={PASSWORD!r})
    Extension.objects.create(user=user, number=f"30{{n:02d}}", channel=f"PJSIP/30{{n:02d}}", pbx=pbx)
"""
# Calls on each server per check: with two workers behind one socket, enough to reach both.
CALLS_PER_SERVER = 6


@dataclass
class Layout:
    servers: list[LiveServer]

    def manage_shell(self, code: str) -> None:
        self.servers[0].manage("shell", "-c", code)

    def answers(self, method: str, user: str, password: str = PASSWORD, *params: object) -> list:
        """The answer (or the fault code) of ``method`` on every process, several times each."""
        found = []
        for server in self.servers:
            for _ in range(CALLS_PER_SERVER // len(self.servers) + 2):
                try:
                    found.append(getattr(server.proxy(user, password), method)(*params))
                except xmlrpc.client.Fault as fault:
                    found.append(fault.faultCode)
        return found

    def whoami(self, user: str, password: str = PASSWORD) -> list:
        return self.answers("accounts.whoami", user, password)


@pytest.fixture(scope="module", params=["redis", "default"])
def layout(request, tmp_path_factory) -> Iterator[Layout]:
    directory = tmp_path_factory.mktemp("caller-cache")
    env = {
        "SECRET_KEY": "c" * 60,
        "ASTITRAY_AUTH_CACHE_SECONDS": "300",
        "ASTITRAY_LOCKOUT_FAILURES": "3",
        # Refused calls count as failures: by address, they would soon lock every user of the test out.
        "ASTITRAY_LOCKOUT_BY": "username",
        "ASTITRAY_RATE_LIMIT": "0",
    }
    database_url = f"sqlite:///{directory}/shared.sqlite3"
    with contextlib.ExitStack() as stack:
        if request.param == "redis":
            env["CACHE_URL"] = stack.enter_context(RedisServer()).url
            servers = [
                stack.enter_context(LiveServer(env=env, workers=1, database_url=database_url)) for _ in "AB"
            ]
        else:
            servers = [stack.enter_context(LiveServer(env=env, workers=2, database_url=database_url))]
        servers[0].manage("shell", "-c", SETUP)
        yield Layout(servers)


def cached_everywhere(layout: Layout, user: str) -> dict:
    answers = layout.whoami(user)
    assert all(isinstance(answer, dict) for answer in answers), answers
    return answers[0]


CHANGES = {
    "deactivated": "user.is_active = False; user.save()",
    "deleted": "user.delete()",
    "repassworded": f"user.set_password({NEW_PASSWORD!r}); user.save()",
}


@pytest.mark.parametrize("name", list(CHANGES))
def test_a_deactivated_deleted_or_repassworded_user_is_refused_on_the_next_call_everywhere(layout, name):
    cached_everywhere(layout, name)

    layout.manage_shell(
        f"from django.contrib.auth import get_user_model\n"
        f"user = get_user_model().objects.get(username={name!r})\n{CHANGES[name]}"
    )

    assert set(layout.whoami(name)) == {AUTHENTICATION_FAILED}
    if name == "repassworded":
        layout.servers[0].manage("axes_reset_username", name)  # the refusals above were failures
        assert all(answer["username"] == name for answer in layout.whoami(name, NEW_PASSWORD))


def test_an_extension_edited_or_given_to_another_user_is_used_on_the_next_call_everywhere(layout):
    assert cached_everywhere(layout, "edited")["extension"] == "3004"
    assert cached_everywhere(layout, "moved")["extension"] == "3003"

    layout.manage_shell(
        "from accounts.models import Extension\n"
        "Extension.objects.filter(number='3003').delete()\n"
        "extension = Extension.objects.get(number='3004')\n"
        "extension.number = '3999'; extension.channel = 'PJSIP/3999'; extension.save()\n"
    )
    assert {answer["extension"] for answer in layout.whoami("edited")} == {"3999"}
    dials = layout.answers("dialer.dial", "edited", PASSWORD, "01 23 45 67 89")
    assert {answer["extension"] for answer in dials} == {"3999"}, dials
    assert {answer["can_dial"] for answer in layout.whoami("moved")} == {False}

    # The extension given to another user: gone from the first at once, the second's at once.
    layout.manage_shell(
        "from django.contrib.auth import get_user_model\n"
        "from accounts.models import Extension\n"
        "extension = Extension.objects.get(number='3999')\n"
        "extension.user = get_user_model().objects.get(username='moved'); extension.save()\n"
    )
    assert {answer["extension"] for answer in layout.whoami("moved")} == {"3999"}
    assert {answer["extension"] for answer in layout.whoami("edited")} == {""}


def test_a_pbx_edited_is_used_on_the_next_call_everywhere(layout):
    def dialed() -> set[str]:
        answers = layout.answers("dialer.normalize", "locked", PASSWORD, "01 23 45 67 89")
        return {answer["number"] for answer in answers}

    assert dialed() == {"00123456789"}
    layout.manage_shell(
        "from drivers.models import PbxServer\n"
        "pbx = PbxServer.objects.get(name='Office'); pbx.outside_prefix = '9'; pbx.save()\n"
    )
    assert dialed() == {"90123456789"}

    office = "from drivers.models import PbxServer\noffice = PbxServer.objects.filter(name='Office')\n"
    layout.manage_shell(office + "office.update(enabled=False)")  # a bulk update, as the admin's list does
    assert {answer["can_dial"] for answer in layout.whoami("locked")} == {False}
    layout.manage_shell(office + "office.update(enabled=True)")
    assert {answer["can_dial"] for answer in layout.whoami("locked")} == {True}


def test_a_lockout_refuses_cached_credentials_on_the_next_call_everywhere(layout):
    cached_everywhere(layout, "locked")
    other = layout.servers[-1]
    for attempt in range(3):
        with pytest.raises(xmlrpc.client.Fault):
            other.proxy("locked", f"wrong-{attempt}").accounts.whoami()
    try:
        assert set(layout.whoami("locked")) == {AUTHENTICATION_FAILED}
    finally:
        layout.servers[0].manage("axes_reset")
    assert all(isinstance(answer, dict) for answer in layout.whoami("locked"))
