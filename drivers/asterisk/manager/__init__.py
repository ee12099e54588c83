"""Asterisk's manager protocol (AMI), in layers; shared by the AMI and AJAM drivers; no Django.

- :mod:`~drivers.asterisk.manager.protocol`: framing (bytes -> messages),
  parsing, encoding an action (every value checked for control characters
  first), masking secrets for the DEBUG log. Pure functions and small classes.
- :mod:`~drivers.asterisk.manager.actions`: ActionIDs and the table of
  actions waiting for their answer.
- :mod:`~drivers.asterisk.manager.connection`: one TCP session and its
  reader thread, which routes answers to the pending table and events apart.
- :mod:`~drivers.asterisk.manager.client`: one persistent, logged-in
  connection shared by the threads of a process: login, keep-alive pings,
  reconnection with back-off, timeouts everywhere.
- :mod:`~drivers.asterisk.manager.originated`: the outcome of our originated
  calls from the events (a rejected call's Reason is 0: its channel says busy).
- :mod:`~drivers.asterisk.manager.originate`: the ``Originate`` action's
  fields and what the PBX's answers and ``OriginateResponse`` events mean,
  shared by the AMI and AJAM drivers (AJAM is the same protocol over HTTP).
"""
