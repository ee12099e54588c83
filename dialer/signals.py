"""The signals of the dialer: what other apps may hear about the call log without the dialer knowing them.

``call_status_changed``: a Call row moved to a new status (an outgoing
call's outcome, from whichever process and thread heard it; a call read
``unknown``). Sent once per row that moved, after the UPDATE, with
``sender`` (the Call class), ``pk`` (the row), ``status``, ``reason`` and
``call``: a Call holding the row's ``id``, ``user_id``, ``call_id``,
``number``, ``name`` and ``direction`` as they were read with it (at least
those), so that no receiver reads the row again.
``events`` hears it and tells the call's user (an event of type ``call``).
Receivers run in the sender's thread; an error of theirs is logged and
never undoes the move.
"""

from __future__ import annotations

from django.dispatch import Signal

call_status_changed = Signal()
