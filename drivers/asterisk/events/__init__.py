"""Asterisk's live events in the PBX-neutral vocabulary of :mod:`drivers.events`; no Django.

- :mod:`~drivers.asterisk.events.states`: device and extension states, channel names, our call ids.
- :mod:`~drivers.asterisk.events.book`: the legs and channels of the calls in progress, shared
  by the translators (when a phone rang, was answered, why its leg ended, when a call is over).
- :mod:`~drivers.asterisk.events.manager`: manager events (AMI and AJAM: the same text) ->
  neutral events, and the snapshot from ``CoreShowChannels`` and ``DeviceStateList``.
- :mod:`~drivers.asterisk.events.ari`: ARI WebSocket messages -> neutral events, and the
  snapshot from ``GET /ari/channels`` and ``/ari/endpoints``.
- :mod:`~drivers.asterisk.events.ami_stream`, :mod:`~drivers.asterisk.events.ajam_stream`,
  :mod:`~drivers.asterisk.events.ari_stream`: the three event streams (their own connection
  or session, never the dialing one).

What the recordings of a real Asterisk 22 taught (``testkit/fake_asterisk/recorded/FINDINGS-events.txt``):
ringing is tied to the DESTINATION channel of a dial (its endpoint is the text between "/"
and the last "-"); the caller is the dialing channel's caller ID, or the phone channel's
connected line; ``Linkedid`` keys the call, ``Uniqueid`` the leg; a cancelled leg was
answered elsewhere when its hangup cause is 26 or another leg of the call answered, else
the caller gave up; queues end a cancelled leg twice; the order of device states and
channel events varies, only the order within one channel is fixed.
"""
