"""FreeSWITCH drivers: the Event Socket (ESL) driver ``freeswitch_esl`` and its event stream.

- :mod:`~drivers.freeswitch.protocol`: ESL framing, parsing and encoding.
- :mod:`~drivers.freeswitch.connection`, :mod:`~drivers.freeswitch.client`:
  one persistent, authenticated connection per process.
- :mod:`~drivers.freeswitch.originate`: the ``bgapi originate`` of a call,
  every value checked, and what its job's answer means.
- :mod:`~drivers.freeswitch.esl`: the driver.
- :mod:`~drivers.freeswitch.events`, :mod:`~drivers.freeswitch.stream`: its
  live event stream, in the neutral vocabulary of :mod:`drivers.events`.
"""
