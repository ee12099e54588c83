"""Two app servers behind nginx, sharing one database and one Redis: the production layout of deploy/.

Everything runs as deployed: each app server is ``deploy/systemd/astitray.service``'s
``ExecStart`` (gunicorn with ``deploy/gunicorn.conf.py``, two workers) with
``deploy/astitray.env`` and the secrets as systemd credentials (``*_FILE``);
nginx runs ``deploy/nginx/astitray.conf`` with TLS on loopback. The database is
a throwaway PostgreSQL one (MariaDB when the suite runs on MariaDB), the cache
the machine's Redis (127.0.0.1:6379) under a key prefix of this run only, the
PBX the fake AMI server. Requests go to nginx by name over HTTPS; nginx says
which app server answered (a response header added for the test).

The tests share one cluster and run in file order; the last one stops a server.
Each records its figures (``record_property("scale_out", ...)``, printed at the
end of the run, and ``scale-out.json`` in the cluster's folder).
"""

from __future__ import annotations

import collections
import http.client
import json
import secrets
import signal
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from testkit.fake_asterisk import FakeAmi
from testkit.known_secrets import SCALE_OUT_PASSWORD
from testkit.liveserver import LiveServer, free_port
from testkit.services import require_program
from tests.e2e.deployment import (
    DEPLOY,
    SITE_NAME,
    Answer,
    Host,
    HttpsRpc,
    Nginx,
    Unit,
    children,
    delete_redis_keys,
    query,
    require_redis,
    scratch_database,
    self_signed_certificate,
)

pytestmark = pytest.mark.service

PASSWORD = SCALE_OUT_PASSWORD
RATE_LIMIT = 60  # calls per user and minute: the load's clients stay under it
LOCKOUT_FAILURES = 3
LOAD_CLIENTS = 6
LOAD_USERS = 2 * LOAD_CLIENTS
RATE_LIMITED, AUTHENTICATION_FAILED = -32086, -32098
USERS = ["rate", "guard", "locked", *(f"load{n}" for n in range(LOAD_USERS)), "waiter", "bystander", "tokens"]

SETUP = """
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from accounts.models import Extension
from drivers.models import PbxServer

PbxServer.objects.all().delete()
PbxServer.objects.create(name="Asterisk (fake)", driver="asterisk_ami", host="127.0.0.1", port={port},
                         username="astitray", secret="astitray-secret", context="outbound",
                         country="FR", outside_prefix="0", is_default=True, timeout_s=15)
hashed = make_password({password!r})
for n, name in enumerate({users!r}):
    user = get_user_model().objects.create(username=name, password=hashed)
    Extension.objects.create(user=user, number=f"2{{n:03d}}", channel=f"PJSIP/2{{n:03d}}")
"""


@dataclass
class Cluster:
    directory: Path
    database_url: str
    servers: dict[str, LiveServer]
    nginx: Nginx
    ami: FakeAmi
    client: HttpsRpc
    figures: dict[str, dict] = field(default_factory=dict)

    def name_of(self, upstream: str) -> str:
        """``A`` or ``B`` for nginx's ``127.0.0.1:<port>``."""
        for name, server in self.servers.items():
            if upstream == f"127.0.0.1:{server.port}":
                return name
        return upstream or "?"

    def dial(self, user: str, text: str) -> Answer:
        return self.client.call("dialer.dial", text, auth=(user, PASSWORD))

    def record(self, record_property, key: str, figures: dict) -> None:
        self.figures[key] = figures
        (self.directory / "scale-out.json").write_text(json.dumps(self.figures, indent=2, sort_keys=True))
        record_property("scale_out", json.dumps(figures, sort_keys=True))

    def rows(self, *users: str) -> list[tuple[str, str, str, str]]:
        """(call id, user, number, status) of these users' calls."""
        marks = ", ".join(["%s"] * len(users))
        rows = query(
            self.database_url,
            f"SELECT call_id, username, number, status FROM dialer_call WHERE username IN ({marks})",
            *users,
        )
        return [
            (str(call_id).replace("-", ""), user, number, status) for call_id, user, number, status in rows
        ]


def number(client: int, n: int) -> str:
    """A valid French number, different for every (client, n)."""
    return f"01 {40 + client:02d} {n // 100:02d} {n % 100:02d} 00"


def call_key(call_id: str) -> str:
    return call_id.replace("-", "")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    require_program("nginx", "nginx")
    require_program("openssl", "openssl")
    require_redis()
    directory = tmp_path_factory.mktemp("scale-out")
    cert, key = self_signed_certificate(directory)
    prefix = f"astitray-scaleout-{secrets.token_hex(4)}"
    unit = Unit.read(DEPLOY / "systemd" / "astitray.service")
    with scratch_database() as database_url, FakeAmi() as ami:
        servers: dict[str, LiveServer] = {}
        try:
            for name in ("A", "B"):
                host = Host(directory / f"server-{name}")
                host.write_secret("secret_key", "shared-" + "Zq8v3LmN4xT7yB2cR5kW9jH1gF6dS0aE" * 2)
                host.write_secret("database_url", database_url)
                host.write_secret("cache_url", f"redis://127.0.0.1:6379/0?prefix={prefix}")
                port = free_port()
                argv, env = host.command(
                    unit,
                    {
                        "ASTITRAY_BIND": f"127.0.0.1:{port}",
                        "WEB_CONCURRENCY": "2",
                        "ASTITRAY_RATE_LIMIT": str(RATE_LIMIT),
                        "ASTITRAY_LOCKOUT_FAILURES": str(LOCKOUT_FAILURES),
                        # Generous: every click of the guard test lands within it on a loaded machine.
                        "ASTITRAY_DIAL_GUARD_SECONDS": "30",
                        "LOG_LEVEL": "WARNING",
                    },
                )
                servers[name] = LiveServer(
                    env=env,
                    command=argv,
                    port=port,
                    inherit_env=False,
                    migrate=name == "A",  # a deployment step, done once for every server
                    log_path=directory / f"server-{name}.log",
                    host=SITE_NAME,
                )
                servers[name].__enter__()
            servers["A"].manage("shell", "-c", SETUP.format(port=ami.port, password=PASSWORD, users=USERS))
            nginx_dir = directory / "nginx"
            nginx_dir.mkdir()
            ports = [servers["A"].port, servers["B"].port]
            with Nginx(nginx_dir, ports, cert, key) as nginx:
                yield Cluster(directory, database_url, servers, nginx, ami, HttpsRpc(nginx.https_port, cert))
        finally:
            for server in servers.values():
                server.__exit__()
            delete_redis_keys(prefix)


def test_nginx_serves_both_app_servers_over_https(cluster):
    answers = [cluster.client.call("system.listMethods") for _ in range(6)]
    assert all("dialer.dial" in answer.value for answer in answers), answers
    assert {cluster.name_of(answer.upstream) for answer in answers} == {"A", "B"}

    # The app saw HTTPS through nginx's X-Forwarded-Proto: HSTS on, no redirect to HTTPS.
    status, headers, _ = cluster.client.request("GET", "/office-admin/login/")
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Secure" in headers["Set-Cookie"] and "csrftoken" in headers["Set-Cookie"]
    # Straight to an app server, without the proxy's header: redirected to HTTPS.
    direct = http.client.HTTPConnection("127.0.0.1", cluster.servers["A"].port, timeout=30)
    direct.request("GET", "/office-admin/login/", headers={"Host": SITE_NAME})
    response = direct.getresponse()
    assert (response.status, response.getheader("Location")) == (
        301,
        f"https://{SITE_NAME}/office-admin/login/",
    )
    direct.close()

    # Plain HTTP: only a redirect, by nginx.
    plain = http.client.HTTPConnection("127.0.0.1", cluster.nginx.http_port, timeout=30)
    plain.request("POST", "/rpc/", body=b"", headers={"Host": SITE_NAME})
    response = plain.getresponse()
    assert (response.status, response.getheader("Location")) == (301, f"https://{SITE_NAME}/rpc/")
    plain.close()

    # The admin moved (ASTITRAY_ADMIN_PATH) and nothing points to it.
    assert cluster.client.request("GET", "/admin/")[0] == 404
    assert cluster.client.request("GET", "/")[0] == 404
    status, headers, _ = cluster.client.request("GET", "/office-admin/")
    assert (status, headers["Location"]) == (302, "/office-admin/login/?next=/office-admin/")

    # Another name (a scanner asking by address): no TLS at all.
    stranger = HttpsRpc(cluster.nginx.https_port, cluster.nginx.cert, name="other.example.org")
    with pytest.raises(ssl.SSLError):
        stranger.request("GET", "/")


def test_the_rate_limit_holds_across_both_servers(cluster, record_property):
    # Six clients at once (over in a few seconds, well within the minute the limit counts)...
    texts = [number(0, n) for n in range(RATE_LIMIT + 4)]
    answers: list[Answer] = []

    def client(share: list[str]) -> None:
        answers.extend(cluster.dial("rate", text) for text in share)

    threads = [threading.Thread(target=client, args=(texts[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    # ... then two more in a row: nginx sends one to each server.
    late = [cluster.dial("rate", number(0, n)) for n in (90, 91)]
    answers += late
    accepted = [answer for answer in answers if answer.value]
    refused = [answer for answer in answers if answer.fault == RATE_LIMITED]
    assert (len(accepted), len(refused)) == (RATE_LIMIT, 6), answers
    # Both servers accepted some, and both refuse now: one count, not one per server (or worker).
    assert {cluster.name_of(answer.upstream) for answer in accepted} == {"A", "B"}
    assert [answer.fault for answer in late] == [RATE_LIMITED, RATE_LIMITED]
    assert {cluster.name_of(answer.upstream) for answer in late} == {"A", "B"}
    assert len(cluster.rows("rate")) == RATE_LIMIT
    per_server = collections.Counter(cluster.name_of(answer.upstream) for answer in accepted)
    cluster.record(
        record_property,
        "rate_limit",
        {"limit": RATE_LIMIT, "dials": len(answers), "accepted": len(accepted), "refused": len(refused),
         "accepted_per_server": dict(sorted(per_server.items()))},
    )  # fmt: skip


def test_the_double_click_guard_holds_across_both_servers(cluster, record_property):
    # One after the other, nginx sending them to either server: one call.
    again = [cluster.dial("guard", number(1, 1)) for _ in range(4)]
    assert len({answer.value["call_id"] for answer in again}) == 1, again
    assert {cluster.name_of(answer.upstream) for answer in again} == {"A", "B"}

    # All at once (a double click, twice over): one call.
    start = threading.Barrier(8)
    clicks: list[Answer] = []

    def click() -> None:
        start.wait()
        clicks.append(cluster.dial("guard", number(1, 2)))

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(clicks) == 8 and all(answer.value for answer in clicks), clicks
    assert len({answer.value["call_id"] for answer in clicks}) == 1, clicks

    rows = cluster.rows("guard")
    assert sorted(row[2] for row in rows) == ["00141000100", "00141000200"]
    placed = {call_key(answer.value["call_id"]) for answer in again + clicks}
    originates = [call_key(action.get("ActionID") or "") for action in cluster.ami.originates]
    assert collections.Counter(key for key in originates if key in placed) == dict.fromkeys(placed, 1)
    servers = {cluster.name_of(answer.upstream) for answer in again + clicks}
    cluster.record(
        record_property,
        "guard",
        {"clicks": len(again) + len(clicks), "calls": len(rows), "originates": len(placed),
         "servers_answering": len(servers)},
    )  # fmt: skip


def test_a_lockout_holds_across_both_servers(cluster, record_property):
    def whoami(user: str, password: str) -> Answer:
        return cluster.client.call("accounts.whoami", auth=(user, password))

    # The right password, known (and cached) by both servers.
    known = [whoami("locked", PASSWORD) for _ in range(2)]
    assert all(answer.value and answer.value["username"] == "locked" for answer in known), known
    assert {cluster.name_of(answer.upstream) for answer in known} == {"A", "B"}
    try:
        failures = [whoami("locked", f"wrong-{n}") for n in range(LOCKOUT_FAILURES)]
        assert {answer.fault for answer in failures} == {AUTHENTICATION_FAILED}
        # Now refused by both servers, the cache notwithstanding; another user at that address is not.
        refused = [whoami("locked", PASSWORD) for _ in range(2)]
        assert {answer.fault for answer in refused} == {AUTHENTICATION_FAILED}, refused
        assert {cluster.name_of(answer.upstream) for answer in refused} == {"A", "B"}
        colleague = [whoami("guard", PASSWORD) for _ in range(2)]
        assert all(answer.value for answer in colleague), colleague
    finally:
        cluster.servers["B"].manage("axes_reset")
    welcome = [whoami("locked", PASSWORD) for _ in range(2)]
    assert all(answer.value for answer in welcome), welcome
    cluster.record(
        record_property,
        "lockout",
        {"failures": LOCKOUT_FAILURES, "refused_after": len(refused),
         "servers_refusing": len({cluster.name_of(answer.upstream) for answer in refused})},
    )  # fmt: skip


def test_the_user_page_logs_in_through_nginx_with_secure_cookies(cluster):
    from urllib.parse import urlencode

    status, headers, form = cluster.client.request("GET", "/me/login/")
    assert status == 200
    (csrf_cookie,) = [
        cookie for cookie in headers.get_all("Set-Cookie") or [] if cookie.startswith("csrftoken=")
    ]
    assert "; Secure" in csrf_cookie  # HTTPS as nginx's X-Forwarded-Proto says
    token = form.decode().split('name="csrfmiddlewaretoken" value="', maxsplit=1)[1].split('"', maxsplit=1)[0]
    fields = {"username": "tokens", "password": PASSWORD, "csrfmiddlewaretoken": token}
    status, headers, _ = cluster.client.request(
        "POST",
        "/me/login/",
        urlencode(fields).encode(),
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": csrf_cookie.split(";", maxsplit=1)[0],
            "Referer": f"https://{SITE_NAME}/me/login/",  # Django's CSRF check of an HTTPS form
        },
    )
    assert (status, headers["Location"]) == (302, "/me/")
    (session,) = [cookie for cookie in headers.get_all("Set-Cookie") or [] if cookie.startswith("sessionid=")]
    assert "; Secure" in session and "; HttpOnly" in session and "SameSite=Lax" in session


ACTIVE = """
from django.contrib.auth import get_user_model
get_user_model().objects.filter(username="tokens").update(is_active={active})
"""


def test_a_revoked_token_or_a_deactivated_user_is_refused_at_the_next_call_on_both_servers(
    cluster, record_property
):
    def make(label: str) -> dict:
        made = cluster.client.call("accounts.create_token", label, auth=("tokens", PASSWORD))
        assert isinstance(made.value, dict), made
        return made.value

    def whoami(token: str) -> list[Answer]:
        """Two calls with the token: nginx hands one to each server."""
        return [cluster.client.call("accounts.whoami", bearer=token) for _ in range(2)]

    first, second = make("laptop"), make("extension")
    used = whoami(first["token"]) + whoami(second["token"])
    assert all(answer.value and answer.value["username"] == "tokens" for answer in used), used
    assert {cluster.name_of(answer.upstream) for answer in used} == {"A", "B"}
    try:
        # Revoked through one server: refused by both at the next call (the other token still works).
        revoked = cluster.client.call("accounts.revoke_token", first["id"], auth=("tokens", PASSWORD))
        assert revoked.fault is None and revoked.status == 200, revoked
        refused = whoami(first["token"])
        assert {answer.fault for answer in refused} == {AUTHENTICATION_FAILED}, refused
        assert {cluster.name_of(answer.upstream) for answer in refused} == {"A", "B"}
        still = whoami(second["token"])
        assert all(answer.value for answer in still), still
        # The user deactivated (as the admin does, in the shared database): refused by both at once.
        cluster.servers["A"].manage("shell", "-c", ACTIVE.format(active=False))
        deactivated = whoami(second["token"])
        assert {answer.fault for answer in deactivated} == {AUTHENTICATION_FAILED}, deactivated
        assert {cluster.name_of(answer.upstream) for answer in deactivated} == {"A", "B"}
    finally:
        cluster.servers["A"].manage("shell", "-c", ACTIVE.format(active=True))
        cluster.servers["B"].manage("axes_reset")  # the refusals counted as failed logins
    cluster.record(
        record_property,
        "tokens",
        {"refused_after_revoke": len(refused), "refused_after_deactivation": len(deactivated),
         "servers_refusing": len({cluster.name_of(answer.upstream) for answer in refused + deactivated})},
    )  # fmt: skip


PUBLISH = """
from django.contrib.auth import get_user_model
from events.publish import event_payload, publish
user = get_user_model().objects.get(username="waiter")
publish(user.pk, "incoming", event_payload("incoming", number="0142685300", name="Marie Dubois"))
"""


def test_events_wait_wakes_its_clients_on_every_server(cluster, record_property):
    """Clients of one user wait on both servers; an event written elsewhere wakes every one (Redis)."""
    cursors = {
        user: cluster.client.call("events.wait", "", 1, auth=(user, PASSWORD)).value["cursor"]
        for user in ("waiter", "bystander")
    }
    answers: list[tuple[str, Answer]] = []

    def wait(user: str, timeout: int) -> None:
        answers.append(
            (user, cluster.client.call("events.wait", cursors[user], timeout, auth=(user, PASSWORD)))
        )

    threads = [threading.Thread(target=wait, args=("waiter", 55)) for _ in range(6)]
    threads += [threading.Thread(target=wait, args=("bystander", 5)) for _ in range(2)]
    for thread in threads:
        thread.start()
    time.sleep(2)  # every client waits (nginx spread them over A and B)
    # The event is written as the PBX listener writes it, by a process of its own (here A's host).
    publishing = time.monotonic()
    cluster.servers["A"].manage("shell", "-c", PUBLISH)  # a process's start and end: about 2 s
    for thread in threads:
        thread.join(timeout=60)
    woken = [answer for user, answer in answers if user == "waiter"]
    assert len(woken) == 6 and all(answer.value is not None for answer in woken), woken
    assert all([event["name"] for event in answer.value["events"]] == ["Marie Dubois"] for answer in woken)
    servers = {cluster.name_of(answer.upstream) for answer in woken}
    assert servers == {"A", "B"}, servers
    others = [answer for user, answer in answers if user == "bystander"]
    assert [answer.value["events"] for answer in others] == [[], []]  # never another user's events
    cluster.record(
        record_property,
        "events_wait",
        {
            "clients_woken": len(woken),
            "servers": sorted(servers),
            "woken_within_s": round(max(answer.ended for answer in woken) - publishing, 1),
            "bystander_events": 0,
        },
    )


class Load:
    """Clients dialing distinct numbers, one user each, until told to stop; every answer kept."""

    def __init__(self, cluster: Cluster, users: list[str]) -> None:
        self.cluster, self.users = cluster, users
        self.answers: list[tuple[str, str, Answer]] = []
        self.changed = threading.Condition()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._client, args=(i,)) for i in range(LOAD_CLIENTS)]

    def _client(self, index: int) -> None:
        # Two users per client, each staying under the rate limit: a user who has dialed
        # RATE_LIMIT - 2 times in the last minute waits, so the clients never run out of
        # calls however long a server takes to come back on a loaded machine.
        mine = self.users[index :: len(self.threads)]
        sent: dict[str, collections.deque[float]] = {user: collections.deque() for user in mine}
        n = 0
        while not self.done.is_set():
            now = time.monotonic()
            for times in sent.values():
                while times and times[0] < now - 61:
                    times.popleft()
            free = [user for user in mine if len(sent[user]) < RATE_LIMIT - 2]
            if not free:
                self.done.wait(min(times[0] for times in sent.values()) + 61 - now)
                continue
            user = free[n % len(free)]
            sent[user].append(now)
            text = number(10 + self.users.index(user), n)
            n += 1
            answer = self.cluster.dial(user, text)
            with self.changed:
                self.answers.append((user, text, answer))
                self.changed.notify_all()

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        for thread in self.threads:
            thread.join(timeout=300)

    def wait_until(self, predicate: Callable[[], bool], timeout: float = 300) -> None:
        """Until ``predicate()`` holds after an answer; fails if the clients ran out of calls first."""
        with self.changed:
            assert self.changed.wait_for(
                lambda: predicate() or not any(thread.is_alive() for thread in self.threads), timeout
            ), "the clients stalled"
            assert predicate(), "every client stopped (an error in a client thread)"

    def wait_for_more(self, count: int) -> None:
        """Until ``count`` more answers came."""
        with self.changed:
            target = len(self.answers) + count
        self.wait_until(lambda: len(self.answers) >= target)

    def accepted_by(self, server: str, after: float) -> int:
        return sum(
            1
            for *_, answer in self.answers
            if answer.value and answer.started > after and self.cluster.name_of(answer.upstream) == server
        )


def test_servers_reloaded_drained_and_stopped_mid_run_lose_no_accepted_call(cluster, record_property):
    """Clients dial on, through every way an app server goes away and comes back.

    1. ``systemctl reload`` of A (SIGHUP: new workers; the old ones finish
       their requests): no call refused.
    2. Planned maintenance of B: B marked ``down`` in nginx and nginx
       reloaded, then ``systemctl stop`` of B: no call refused. B started
       again and put back.
    3. ``systemctl stop`` of A with no warning (SIGTERM: no new connection,
       the requests under way finished): the few requests waiting in A's
       queue are refused (nginx answers 502; nothing was done), nothing
       accepted is lost.

    Every answered dial must have exactly one call-log row and have reached
    the PBX exactly once; no call may exist that no client was told about.
    """
    a, b = cluster.servers["A"], cluster.servers["B"]
    assert a.process is not None
    users = [f"load{n}" for n in range(LOAD_USERS)]
    moments: dict[str, tuple[float, float]] = {}
    with Load(cluster, users) as load:
        load.wait_for_more(20)
        began, old_workers = time.monotonic(), children(a.process.pid)
        a.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 120
        while children(a.process.pid) & old_workers or len(children(a.process.pid)) < 2:
            assert time.monotonic() < deadline, "server A's old workers did not go"
            time.sleep(0.05)
        moments["reload_A"] = (began, time.monotonic())
        load.wait_until(lambda: load.accepted_by("A", after=moments["reload_A"][1]) >= 3)

        began = time.monotonic()
        cluster.nginx.reload(down={b.port})
        assert b.stop() == 0
        moments["drain_and_stop_B"] = (began, time.monotonic())
        load.wait_for_more(20)
        b.start()
        cluster.nginx.reload(down=set())
        back = time.monotonic()
        load.wait_until(lambda: load.accepted_by("B", after=back) >= 3)

        began = time.monotonic()
        assert a.stop() == 0  # a clean, graceful stop
        moments["stop_A"] = (began, time.monotonic())
        load.wait_for_more(20)
    answers = load.answers

    accepted = {call_key(answer.value["call_id"]): answer for _, _, answer in answers if answer.value}
    failed = [answer for _, _, answer in answers if not answer.value]
    assert all(answer.fault is None for answer in failed), failed  # no fault: only transport errors

    # The outcomes (the fake PBX answers every call) reach the worker that placed each call
    # when it is still there: wait for those.
    last_stop = moments["stop_A"][0]
    stayed = {key for key, answer in accepted.items() if cluster.name_of(answer.upstream) == "B"}
    stayed -= {key for key, answer in accepted.items() if answer.started < moments["drain_and_stop_B"][1]}
    deadline = time.monotonic() + 60
    while True:
        rows = cluster.rows(*users)
        waiting = {call_id for call_id, *_, status in rows if status == "queued"}
        if not waiting & stayed or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    row_count = collections.Counter(call_id for call_id, *_ in rows)
    number_count = collections.Counter((user, dialed) for _, user, dialed, _ in rows)
    originated = collections.Counter(
        call_key(action.get("ActionID") or "") for action in cluster.ami.originates
    )
    lost = [key for key in accepted if row_count[key] != 1 or originated[key] != 1]
    duplicates = sum(count - 1 for count in number_count.values() if count > 1) + sum(
        count - 1 for count in originated.values() if count > 1
    )
    orphans = [call_id for call_id in row_count if call_id not in accepted]

    def window(name: str) -> dict[str, float]:
        begin, end = moments[name]
        inside = [answer for *_, answer in answers if answer.started < end and answer.ended > begin]
        return {
            "answered": sum(1 for answer in inside if answer.value),
            "failed": sum(1 for answer in inside if not answer.value),
            "seconds": round(end - begin, 1),
        }

    def servers(keys: set[str] | None = None) -> dict[str, int]:
        """Accepted calls (those of ``keys``) per app server."""
        chosen = [answer for key, answer in accepted.items() if keys is None or key in keys]
        return dict(
            sorted(collections.Counter(cluster.name_of(answer.upstream) for answer in chosen).items())
        )

    after_stop = {key for key, answer in accepted.items() if answer.started > moments["stop_A"][1]}
    figures: dict[str, Any] = {
        "database": cluster.database_url.partition(":")[0],
        "dials": len(answers),
        "accepted": len(accepted),
        "accepted_per_server": servers(),
        **{name: window(name) for name in moments},
        "accepted_per_server_after_A_stopped": servers(after_stop),
        "failed": dict(collections.Counter(answer.error for answer in failed)),
        "lost": len(lost),
        "duplicates": duplicates,
        "orphans": len(orphans),
        # Calls of workers that left before the PBX said how they ended: queued, later unknown.
        "outcome_unheard": len(waiting),
        "statuses": dict(sorted(collections.Counter(status for *_, status in rows).items())),
    }
    cluster.record(record_property, "reload_drain_stop", figures)

    assert lost == [] and duplicates == 0 and orphans == [], figures
    assert figures["reload_A"]["failed"] == 0 and figures["drain_and_stop_B"]["failed"] == 0, figures
    assert servers(after_stop).get("A", 0) == 0 and servers(after_stop).get("B", 0) > 0, figures
    assert not waiting & stayed, figures
    # Nothing went wrong inside the servers either (their logs, this whole module long).
    errors = [
        line
        for name in cluster.servers
        for line in (cluster.directory / f"server-{name}.log").read_text(errors="replace").splitlines()
        if " ERROR " in line or "[ERROR]" in line or "CRITICAL" in line or "Traceback" in line
    ]
    assert errors == [], "\n".join(errors[:20])
    # Refused only while A stopped without warning (its queue), never else.
    assert all(last_stop <= answer.ended and answer.started <= moments["stop_A"][1] + 1 for answer in failed)
