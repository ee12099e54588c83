"""Incoming calls through ``events.wait`` (docs/api.md), against the stand-in's long poll.

The stand-in's ``events.wait`` keeps its answer until an event is published
or its timeout passes, as the server does; the tray's poller asks it once per
answer, waits longer after each failure, and stops asking a server without it.
"""

from __future__ import annotations

import logging
import threading
import time
import xmlrpc.client
from dataclasses import replace
from typing import Any

from tests.tray_client.test_app import (  # noqa: F401 (make_app: a fixture)
    DIALED,
    RecordingNotifier,
    dial_service,
    eventually,
    labels,
    make_app,
)
from tray_client import config, i18n

CRM = "https://crm.example.org/search?phone={e164}&as_given={number}"
MARIE = {"number": "+44 20 7946 0958", "name": "Marie Dubois", "company": "Acme"}


class EventFeed:
    """events.wait on the stand-in: events published by the test, a cursor that is their count."""

    def __init__(self, stand_in) -> None:
        self.events: list[dict[str, Any]] = []
        self.asked: list[tuple[str, int]] = []
        self.ready = threading.Condition()
        stand_in.procedures["events.wait"] = self.wait

    def publish(self, kind: str, call_id: str, **values: Any) -> None:
        event = {"id": len(self.events) + 1, "type": kind, "at": "2026-11-26T13:12:00Z", "call_id": call_id,
                 "number": "", "name": "", "company": "", "contact_id": 0, "status": "",
                 "by_me": False}  # fmt: skip
        event.update(values)
        with self.ready:
            self.events.append(event)
            self.ready.notify_all()

    def wait(self, cursor: str, timeout: int) -> dict[str, Any]:
        self.asked.append((cursor, timeout))
        with self.ready:
            start = int(cursor) if cursor else len(self.events)
            self.ready.wait_for(lambda: len(self.events) > start, timeout=min(timeout, 3))
            return {"cursor": str(len(self.events)), "events": self.events[start:]}


def ready_app(make_app, stand_in, **settings: Any):  # noqa: F811 (the fixture, given)
    dial_service(stand_in)
    app = make_app(stand_in.url)
    base = app.load_profile()
    profile = config.Profile(replace(base.settings, **settings), base.password)
    app.load_profile = lambda: profile
    app.reload()
    app.events.wait_s = 2  # the server's 25 s, shortened for the tests
    opened: list[str] = []
    app.incoming.open_url = opened.append
    return app, opened


def test_an_incoming_call_is_shown_then_replaced_by_its_outcome(stand_in, make_app):  # noqa: F811
    feed = EventFeed(stand_in)
    app, opened = ready_app(make_app, stand_in, incoming_url=CRM)
    client = app.events_client(2)
    assert app.events.ask(client) < 0.05  # nothing within the wait: asked again (at once)
    assert feed.asked == [("", 1)]  # from now on, a short first question for a cursor
    feed.publish("incoming", "c1", **MARIE)
    assert app.events.ask(client) == 0.0
    notifier: RecordingNotifier = app.notifier
    assert notifier.shown[-1] == (
        "Incoming call",
        "Marie Dubois (Acme) is calling — +44 20 7946 0958",
        "call-c1",
    )
    eventually(
        lambda: (
            opened
            == ["https://crm.example.org/search?phone=%2B442079460958&as_given=%2B44%2020%207946%200958"]
        )
    )
    feed.publish("answered", "c1", by_me=False, **MARIE)
    app.events.ask(client)
    answered = "Answered by a colleague: Marie Dubois (Acme) — +44 20 7946 0958"
    assert notifier.shown[-1] == ("Incoming call", answered, "call-c1")
    assert [cursor for cursor, _timeout in feed.asked] == ["", "0", "1"]  # each answer's cursor given back


def test_a_missed_call_event_replaces_the_ringing_with_call_back_and_copy(stand_in, make_app):  # noqa: F811
    feed = EventFeed(stand_in)
    app, opened = ready_app(make_app, stand_in)
    client = app.events_client(2)
    feed.publish("incoming", "c2", number="0142685300")
    app.events.ask(client)  # from now on: the event published before the first question is not shown
    feed.publish("incoming", "c3", number="0142685300")
    feed.publish("missed", "c3", number="0142685300")
    app.events.ask(client)
    notifier: RecordingNotifier = app.notifier
    ringing, missed = notifier.shown[-2:]
    assert ringing == ("Incoming call", "0142685300 is calling", "call-c3")
    assert missed[0] == "Missed call" and missed[1].startswith("0142685300, ") and missed[2] == "call-c3"
    actions, on_action = notifier.actions[-1]
    assert [action for action, _label in actions] == ["call_back", "copy"]
    on_action("call_back")
    eventually(lambda: stand_in.called("dialer.dial") == [("0142685300",)])
    assert opened == []  # no CRM address set: nothing opened
    assert not [shown for shown in notifier.shown if "c2" in shown[2]]


def test_failures_wait_longer_each_time_and_a_success_starts_again(stand_in, make_app):  # noqa: F811
    failures = {"left": 3}

    def wait(cursor: str, timeout: int) -> dict[str, Any]:
        if failures["left"]:
            failures["left"] -= 1
            raise xmlrpc.client.Fault(-32603, "Internal error")
        return {"cursor": "9", "events": []}

    stand_in.procedures["events.wait"] = wait
    app, _opened = ready_app(make_app, stand_in)
    client = app.events_client(2)
    assert [app.events.ask(client) for _ in range(3)] == [2.0, 5.0, 15.0]
    started = time.monotonic()
    pause = app.events.ask(client)  # an empty answer at once: the next question waits the rest of a second
    assert 0 < pause <= 1.0 - (time.monotonic() - started) + 0.05
    assert (app.events.failures, app.events.cursor) == (0, "9")


def test_a_server_without_events_wait_is_asked_once_and_the_log_says_so(stand_in, make_app, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="tray_client.incoming")
    app, _opened = ready_app(make_app, stand_in)
    app.events.wait_s = 1
    app.events.start()
    eventually(lambda: app.events.unsupported)
    time.sleep(1.5)
    assert [name for name, _params in stand_in.calls].count("events.wait") == 1
    warnings = [record.getMessage() for record in caplog.records if "events.wait" in record.getMessage()]
    assert warnings == ["the server has no events.wait: incoming calls are not shown (update the server)"]
    app.events.reset()  # new settings: asked again
    eventually(lambda: [name for name, _params in stand_in.calls].count("events.wait") == 2)


def test_the_poller_shows_calls_as_they_come_and_asks_once_per_answer(stand_in, make_app):  # noqa: F811
    feed = EventFeed(stand_in)
    app, _opened = ready_app(make_app, stand_in)
    app.events.wait_s = 2
    app.events.start()
    eventually(lambda: feed.asked)
    feed.publish("incoming", "c4", **MARIE)
    eventually(lambda: ("Incoming call", "Marie Dubois (Acme) is calling — +44 20 7946 0958", "call-c4")
               in app.notifier.shown)  # fmt: skip
    time.sleep(2.5)  # nothing more happens: one question per answer (each kept 2 s by the server)
    assert len(feed.asked) <= 4, feed.asked
    assert "Dial clipboard" in labels(app)


def test_incoming_calls_in_french(stand_in, make_app):  # noqa: F811
    feed = EventFeed(stand_in)
    i18n.set_language(["fr"])
    app, _opened = ready_app(make_app, stand_in)
    app.events.cursor = "0"  # as after an earlier answer
    feed.publish("incoming", "c5", **MARIE)
    app.events.ask(app.events_client(2))
    assert app.notifier.shown[-1][:2] == (
        "Appel entrant",
        "Marie Dubois (Acme) vous appelle — +44 20 7946 0958",
    )


def test_the_address_is_opened_once_per_incoming_call_with_each_value_url_encoded(stand_in, make_app):  # noqa: F811
    feed = EventFeed(stand_in)
    app, opened = ready_app(
        make_app, stand_in, incoming_url="https://crm.example.org/c/{e164}?n={name}#{number}"
    )
    stand_in.procedures["phonebook.lookup"] = lambda number: {
        "id": 7, "name": "Zoë O'Brien & Co", "company": "", "department": "", "title": "", "email": "",
        "numbers": [{"label": "work", "number": "+44 20 7946 0958", "e164": "+442079460958"}],
    }  # fmt: skip
    app.events.cursor = "0"
    feed.publish("incoming", "c7", number="020 7946 0958")  # no name from the PBX: the phonebook's
    feed.publish("incoming", "c7", number="020 7946 0958")  # the same call offered again
    feed.publish("answered", "c7", number="020 7946 0958", by_me=True)
    app.events.ask(app.events_client(2))
    feed.publish("incoming", "c8", name="Marie {e164} Dubois", number="+33 1 42 68 53 00")
    app.events.ask(app.events_client(2))
    eventually(lambda: len(opened) == 2)
    time.sleep(0.3)  # nothing more comes
    # Once per call, in either order: the first call waits for its name from the phonebook, the
    # second (named by the PBX) need not wait for it.
    assert sorted(opened) == [
        # (the stand-in's rules know no French number: {e164} is then the number as given)
        "https://crm.example.org/c/%2B33%201%2042%2068%2053%2000?n=Marie%20%7Be164%7D%20Dubois#%2B33%201%2042%2068%2053%2000",
        "https://crm.example.org/c/%2B442079460958?n=Zo%C3%AB%20O%27Brien%20%26%20Co#020%207946%200958",
    ]


def test_the_ringing_number_is_shown_as_people_write_it_once_the_server_says(stand_in, make_app):  # noqa: F811
    """The PBX's "00442079460958" at once (no wait for the server), then "+44 20 7946 0958" in the same
    notification; the missed call that follows says it so too."""
    feed = EventFeed(stand_in)
    app, _opened = ready_app(make_app, stand_in)
    app.events.cursor = "0"
    feed.publish("incoming", "c10", number=DIALED, name="Marie Dubois", company="Acme")
    app.events.ask(app.events_client(2))
    notifier: RecordingNotifier = app.notifier
    ringing = [shown for shown in notifier.shown if shown[0] == "Incoming call"]
    assert ringing[0] == ("Incoming call", f"Marie Dubois (Acme) is calling — {DIALED}", "call-c10")
    as_written = ("Incoming call", "Marie Dubois (Acme) is calling — +44 20 7946 0958", "call-c10")
    eventually(lambda: notifier.shown[-1] == as_written)
    feed.publish("missed", "c10", number=DIALED, name="Marie Dubois", company="Acme")
    app.events.ask(app.events_client(2))
    assert notifier.shown[-1][0] == "Missed call"
    assert notifier.shown[-1][1].startswith("Marie Dubois (Acme) — +44 20 7946 0958, ")


def test_a_call_missed_before_the_server_said_its_number_is_not_shown_ringing_again(stand_in, make_app):  # noqa: F811
    feed = EventFeed(stand_in)
    app, _opened = ready_app(make_app, stand_in)
    normalize = stand_in.procedures["dialer.normalize"]
    release = threading.Event()

    def slow_normalize(text: str) -> dict[str, Any]:
        release.wait(30)
        return normalize(text)

    stand_in.procedures["dialer.normalize"] = slow_normalize
    app.events.cursor = "0"
    feed.publish("incoming", "c11", number=DIALED)
    app.events.ask(app.events_client(2))
    eventually(lambda: stand_in.called("dialer.normalize"))
    feed.publish("missed", "c11", number=DIALED)
    app.events.ask(app.events_client(2))
    release.set()
    notifier: RecordingNotifier = app.notifier
    eventually(lambda: app.resolver.known(DIALED) is not None)
    time.sleep(0.3)
    assert notifier.shown[-1][0] == "Missed call"
    assert [title for title, _body, key in notifier.shown if key == "call-c11"] == [
        "Incoming call",
        "Missed call",
    ]


def test_no_address_is_opened_unless_one_is_set(stand_in, make_app):  # noqa: F811
    feed = EventFeed(stand_in)
    app, opened = ready_app(make_app, stand_in)
    assert app.profile.settings.incoming_url == ""  # off by default
    app.events.cursor = "0"
    feed.publish("incoming", "c9", **MARIE)
    app.events.ask(app.events_client(2))
    eventually(lambda: "Marie Dubois (Acme) is calling — +44 20 7946 0958" in app.notifier.bodies())
    time.sleep(0.3)
    assert opened == []


def test_the_crm_address_is_checked_when_read(tmp_path):
    path = tmp_path / "tray.ini"
    for given, kept in (
        (CRM, CRM),
        ("javascript:alert({number})", ""),
        ("https://crm.example.org/search", ""),  # no place for the number
        ("https://crm.example.org/search?who={name}", ""),  # a name alone may be empty
        ("ftp://crm.example.org/{number}", ""),
        ("", ""),
    ):
        path.write_text(f"[incoming]\nopen_url = {given}\n", encoding="utf-8")
        assert config.load(path).incoming_url == kept, given
    config.save(replace(config.Settings(), incoming_url=CRM), path)
    assert config.load(path).incoming_url == CRM
