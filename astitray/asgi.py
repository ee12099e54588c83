"""ASGI entry point: ``uvicorn astitray.asgi:application`` (``make run``), gunicorn's uvicorn workers.

Django serves every request but the API's long polls (``events.wait``),
which :class:`astitray.long_poll.LongPollRouter` answers without holding a
thread while the client waits (docs/deploying.md, "Long polls").
"""

import os

from django.core.asgi import get_asgi_application
from django.core.checks import run_checks
from django.core.management.base import SystemCheckError
from django.core.signals import request_finished
from django.db import connections

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "astitray.settings")

django_application = get_asgi_application()

# The configuration's system checks, as `manage.py` commands run them: a server never starts
# with settings that do not fit together (the error names the variables to fix).
_errors = [
    message for message in run_checks(tags=["config"]) if message.is_serious() and not message.is_silenced()
]
if _errors:
    raise SystemCheckError("\n".join(str(message) for message in _errors))


def close_request_connections(**kwargs: object) -> None:
    """A request Django served is finished: close the database connections of its thread.

    Under ASGI, Django runs each request's sync code (middleware, the view,
    this signal) in a thread of its own that ends with the request, so a
    connection kept for reuse (``DATABASE_CONN_MAX_AGE``) is never reused:
    it stays open, idle, until the garbage collector finds it. Under load
    one app server piled up some sixty, and with PostgreSQL's default
    ``max_connections`` (100) shared, calls were refused (bench/events.py).
    Django's advice for ASGI is no persistent connections; the long polls'
    shared threads (events/bus.py) keep and reuse theirs, a few per process.
    """
    connections.close_all()


request_finished.connect(close_request_connections, dispatch_uid="astitray.asgi.close_request_connections")

from astitray.long_poll import LongPollRouter  # noqa: E402  (after Django is set up)

application = LongPollRouter(django_application)
