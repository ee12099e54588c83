"""A fake FreeSWITCH Event Socket for tests and benchmarks, answering with the recorded bytes of a real one.

``recorded/`` holds what a real FreeSWITCH 1.10.12 said on the wire
(README.md, FINDINGS-esl.txt, transcripts, the configuration used).

- :mod:`~testkit.fake_freeswitch.recording` cuts a recording into its
  exchanges (a client command, the server's bytes after it).
- :class:`~testkit.fake_freeswitch.server.FakeEsl` keeps a real Event
  Socket's per-connection state and answers with the recorded messages;
  a ``bgapi originate`` replays a recorded click-to-dial.
- :class:`~testkit.fake_freeswitch.server.ReplayEsl` serves one recording
  as it was: its first bytes on connect, then each exchange's bytes in
  answer to each command received.

Quick use::

    from testkit.fake_freeswitch import FakeEsl

    with FakeEsl() as esl:                          # 127.0.0.1:<esl.port>, password ESL_PASSWORD
        esl.outcomes["0044207946096"] = "busy"
        driver = FreeSwitchEslDriver(PbxConfig(name="fs", port=esl.port, secret=ESL_PASSWORD,
                                               context="outbound"))
"""

from testkit.fake_freeswitch.server import SCENARIOS, FakeEsl, ReplayEsl

__all__ = ["SCENARIOS", "FakeEsl", "ReplayEsl"]
