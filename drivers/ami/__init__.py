"""The Asterisk Manager Interface (AMI), in layers; nothing here imports Django.

- :mod:`drivers.ami.protocol`: framing (bytes -> messages), parsing, encoding
  an action (every value checked for control characters first), masking
  secrets for the DEBUG log. Pure functions and small classes.
- :mod:`drivers.ami.pending`: ActionIDs and the table of actions waiting for
  their answer.
- :mod:`drivers.ami.connection`: one TCP session and its reader thread,
  which routes answers to the pending table and events apart.
- :mod:`drivers.ami.client`: one persistent, logged-in connection shared by
  the threads of a process: login, keep-alive pings, reconnection with
  back-off, timeouts everywhere.
- :mod:`drivers.ami.originate`: the ``Originate`` action's fields and what
  the PBX's answers and ``OriginateResponse`` events mean, shared by the AMI
  and AJAM drivers (AJAM is the same protocol over HTTP).
"""
