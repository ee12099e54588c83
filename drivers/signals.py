"""The signals of the drivers app: the Django side of what the (Django-free) driver classes report.

``call_outcome``: a driver learned how a call ended, in whichever thread
heard it (an AMI reader thread, an AJAM poller; often before
``originate()`` has returned). Sent by :mod:`drivers.services`, which
gives every driver it builds a callback that sends it; ``dialer``
receives it and records the outcome on the call's row. Arguments:
``sender`` (the driver class), ``reference`` (the driver's reference of
the call: the call id for the built-in drivers), ``status``
(a :class:`~drivers.base.CallStatus`) and ``reason`` (words).
"""

from __future__ import annotations

from django.dispatch import Signal

call_outcome = Signal()
