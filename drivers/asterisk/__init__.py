"""The Asterisk drivers, and what they share.

- :mod:`~drivers.asterisk.ami`: ``asterisk_ami``, the manager interface over TCP.
- :mod:`~drivers.asterisk.ajam`: ``asterisk_ajam``, the same manager actions over HTTP.
- :mod:`~drivers.asterisk.ari`: ``asterisk_ari``, the REST interface.
- :mod:`~drivers.asterisk.manager`: the manager protocol (framing, actions,
  the TCP client, the ``Originate`` action), used by the AMI and AJAM drivers.
- :mod:`~drivers.asterisk.channels`: the call's channel variables and the
  auto-answer request, used by all three.
- :mod:`~drivers.asterisk.events`: the live event streams of the three
  drivers (for ``manage.py pbx_events``) and the translators behind them.

A driver module imports the shared modules, never another driver module.
"""
