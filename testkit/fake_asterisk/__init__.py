"""Fake Asterisk servers for tests and benchmarks: AMI over TCP, AJAM and ARI over HTTP.

They behave like the Asterisk 22.10.1 recorded in ``recorded/`` beside them
(transcripts, FINDINGS.txt): same banner, CRLF line endings, messages and
events, a one-second delay then a closed connection on a bad AMI secret,
events interleaved with answers, the OriginateResponse after the "queued"
answer, no event at all after ``Events: off``, AJAM sessions that expire,
HTTP 200 for every AJAM answer, ARI 401/400/403/500. Each runs on a free
loopback port in its own threads and records everything it receives.

Quick use::

    from testkit.fake_asterisk import FakeAmi, FakeAsteriskHttp, FakeDialplan, Reason

    with FakeAmi() as ami:                          # 127.0.0.1:<free port>
        driver = AsteriskAmiDriver(PbxConfig(name="t", host=ami.host, port=ami.port,
                                             username="astitray", secret="astitray-secret",
                                             context="outbound"))
        ami.outcomes["0044207946095"] = Reason.BUSY
        driver.originate(...)
        originate = ami.wait_for_action("Originate")
        assert originate["Exten"] == "0044207946095"

Users (``etc/manager.conf``, ``etc/ari.conf``): AMI/AJAM ``astitray`` /
``astitray-secret`` (may originate), ``readonly`` / ``readonly-secret`` (may
log in, Originate answers "Permission denied"); ARI ``astitray`` /
``astitray-ari-secret``. Pass ``users={name: ManagerUser(secret, read=...,
write=...)}`` (or ``ari_accounts={name: AriUser(password, read_only)}``)
for others.

The dialplan (:class:`FakeDialplan`, shared attribute ``dialplan``; pass
your own to share it between servers):

- ``contexts`` (set; default ``outbound``, ``phones``, ``from-internal``):
  an Originate into another context (or of a number not matching ``_X.``)
  is refused "Extension does not exist.".
- ``outcomes`` (dict number -> :class:`Reason`; also ``server.outcomes``):
  the OriginateResponse ``Reason`` for a dialed number: ``ANSWERED`` (4),
  ``NO_ANSWER`` (3), ``BUSY`` (5), ``CONGESTION`` (8), ``FAILED`` (0),
  ``HANGUP`` (1); ``default_reason`` otherwise (``ANSWERED``). A channel of
  an unknown technology (``Nonsense/1001``) or ``Local/x@<unknown context>``
  always fails with Reason 0, as recorded.
- ``outcome_delay`` (seconds, default 0.003; also ``server.outcome_delay``):
  between the "queued" answer and the OriginateResponse event.

``FakeAmi(**options)`` (TCP). Options, all also plain attributes that may
be changed while it runs:

- ``banner`` (``Asterisk Call Manager/11.0.0``).
- ``auth_fail_delay`` (1.0 s): a bad login is answered "Authentication
  failed" after this delay, then the connection is closed.
- ``silent=True``: accepts TCP, then never sends a byte (no banner).
- ``drop_every=N``: closes every connection every N seconds.
- ``drop_on_originate="before_answer"``: an Originate closes the connection
  without any answer; ``"before_outcome"``: answers "queued", then closes
  before the OriginateResponse.
- ``ignore_actions={"Originate"}``: records those actions, never answers.
- ``drop_connections()``: closes every open connection now.

Recorded: ``actions`` (every action, in order, as :class:`RecordedAction`:
``name``, ``headers`` (parsed as Asterisk parses them: CR or LF ends a
line), ``get(key)`` first value, ``get_all(key)``, ``ami["Exten"]``,
``connection`` number, ``username``), ``actions_named(name)``,
``originates``, ``received`` (every raw byte), ``connections`` (accepted),
``open_connections``; ``wait_for(predicate, timeout)`` and
``wait_for_action(name, count=1, timeout=10)`` block until it happened.

``FakeAsteriskHttp(**options)`` (HTTP, like Asterisk's one port for both):
``url`` (``http://127.0.0.1:<port>``), ``prefix`` ("" -> ``/rawman``,
``/ari/...``; ``"asterisk"`` -> ``/asterisk/rawman``; other paths answer
Asterisk's 404 page), ``auth_fail_delay``, ``silent``,
``drop_on_originate`` (``"before_answer"`` closes the TCP connection
without an answer, for AJAM originate and ARI ``POST /ari/channels``;
``"before_outcome"`` loses the AJAM session right after "queued"),
``session_timeout`` (60 s, server side), ``expire_sessions()`` (forget
every AJAM session now: the next request gets "Permission denied").

- AJAM ``/rawman`` (GET query or POST form): ``login``, ``logoff``,
  ``ping``, ``originate``, ``waitevent`` (returns queued events at once,
  else waits up to ``timeout`` seconds). Always HTTP 200 with the AMI text,
  the ``mansession_id`` cookie (the last one sent is used; a request without
  a valid one gets a new session), ``Pragma: SuppressEvents``. Recorded:
  ``actions`` / ``actions_named`` / ``originates`` (params in order),
  ``sessions`` (logged in).
- ARI: ``GET /ari/asterisk/info``, ``POST /ari/channels`` (query and/or JSON
  body); Basic auth or ``api_key``; 401 with ``WWW-Authenticate``, 403 for
  a read-only user's POST, 400 "Endpoint must be specified", 500
  "Allocation failed" for an unknown technology, 200 with the channel (the
  context is NOT checked, like Asterisk). Recorded: ``ari_requests``
  (:class:`AriRequest`: ``method``, ``path``, ``query``, ``body``,
  ``username``, ``param(name)``).
- ``request_lines``: every HTTP request line (``POST /rawman HTTP/1.1``).

Live events (transcripts 20-48, ``recorded/FINDINGS-events.txt``) are
replayed byte for byte by :class:`~testkit.fake_asterisk.events_replay.EventsAmi`
(AMI: the login, the snapshot's lists, ``play()`` of an incoming call, an
``Originate`` answered with its recorded events and our ``ChannelId``),
:class:`~testkit.fake_asterisk.events_ajam.EventsAjam` (the recorded
``WaitEvent`` answers, superseded polls, expiry, the 503 of a restart) and
:class:`~testkit.fake_asterisk.events_ari.EventsAri` (the events WebSocket's
frames, the REST snapshot, a drop without a close frame). The ``FakeAmi``
and ``FakeAsteriskHttp`` dialplans reject like a real phone: a ``BUSY``
outcome on a ``PJSIP/...`` channel gives ``DialEnd BUSY``, ``Hangup`` Cause 17
and ``OriginateResponse`` Reason 0; ``FAILED`` on one gives Reason 0 and no
channel (not registered); ``ChannelId`` becomes the channel's ``Uniqueid``.

The recordings themselves (README, FINDINGS.txt, etc/, transcripts/ with
the ``.raw.bin`` bytes: what the real Asterisk said) are in ``recorded/``;
:mod:`testkit.fake_asterisk.replay` serves them byte for byte
(``ReplayAmi(ami_recording(transcript("ami-02-...")))``,
``ReplayHttp(http_responses(transcript("ajam-01-...")))``).

Threads: each server accepts on its own thread and serves each connection
on another; delayed events run on one scheduler thread. ``stop()`` (or
leaving the ``with``) closes everything. Many concurrent connections are
fine (a load test's gunicorn workers each hold one).
"""

from __future__ import annotations

from testkit.fake_asterisk.ami import FakeAmi
from testkit.fake_asterisk.ari import AriRequest
from testkit.fake_asterisk.dialplan import FakeDialplan
from testkit.fake_asterisk.http import FakeAsteriskHttp
from testkit.fake_asterisk.pbx import (
    BANNER,
    AriUser,
    ManagerUser,
    Reason,
    RecordedAction,
    ari_users,
    manager_users,
)

__all__ = [
    "BANNER",
    "AriRequest",
    "AriUser",
    "FakeAmi",
    "FakeAsteriskHttp",
    "FakeDialplan",
    "ManagerUser",
    "Reason",
    "RecordedAction",
    "ari_users",
    "manager_users",
]
