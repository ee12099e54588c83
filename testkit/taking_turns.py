"""pytest-django's live server on the in-memory SQLite test database: one request at a time uses it.

Django gives every request thread of its live server (a ``ThreadedWSGIServer``)
the test's one in-memory connection (``connections_override``: another
connection would see another, empty database). One sqlite3 connection used
by two threads at once is not safe: two requests' identical queries can share
a prepared statement (a session read got its row twice,
``MultipleObjectsReturned``), and one request's transaction takes in the
other's statements. On a file database, PostgreSQL or MariaDB each thread has
a connection of its own, and :class:`TurnTakingServer` changes nothing.

With the shared connection, each request's handling (the application, its
answer read whole, its ``close()``) runs while it holds :data:`turns`. A
request waiting in an async procedure (``events.wait``'s long poll, bridged
by ``astitray.rpc`` with ``async_to_sync``) gives its turn up while it waits:
that wait reads the database in the event loop's pool, whose threads have
connections of their own (:func:`events.bus.in_thread`), never the shared one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from asgiref.sync import async_to_sync
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections


class Turns:
    """The turn of the request threads that share the test's connection: one holder at a time."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local = threading.local()

    def holds(self) -> bool:
        return getattr(self.local, "holds", False)

    @contextmanager
    def taken(self) -> Iterator[None]:
        """This thread's turn for the block (it waits for the holder to end theirs)."""
        with self.lock:
            self.local.holds = True
            try:
                yield
            finally:
                self.local.holds = False

    @contextmanager
    def given_up(self) -> Iterator[None]:
        """Within the block, this thread (if it holds the turn) lets other requests have it.

        Kept inside a transaction: another request's statements would run in it.
        """
        if not self.holds() or any(connection.in_atomic_block for connection in connections.all()):
            yield
            return
        self.local.holds = False
        self.lock.release()
        try:
            yield
        finally:
            self.lock.acquire()
            self.local.holds = True


turns = Turns()


def taking_turns(app: Callable[..., Iterable[bytes]]) -> Callable[..., list[bytes]]:
    """The WSGI application ``app``, run while holding the turn; its answer read whole before letting go."""

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with turns.taken():
            result = app(environ, start_response)
            try:
                return list(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()  # Django's request_finished: it may use the database too

    return application


def async_to_sync_giving_up_the_turn(awaitable: Any, **options: Any) -> Callable[..., Any]:
    """``asgiref``'s ``async_to_sync``, whose caller gives up its turn while the coroutine runs."""
    bridged = async_to_sync(awaitable, **options)

    def call(*args: Any, **kwargs: Any) -> Any:
        with turns.given_up():
            return bridged(*args, **kwargs)

    return call


class TurnTakingServer(ThreadedWSGIServer):
    """Django's live server; with a shared (in-memory SQLite) connection, its requests take turns."""

    def set_app(self, application: Any) -> None:
        super().set_app(taking_turns(application) if self.connections_override else application)
