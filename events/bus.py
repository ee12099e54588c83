"""The wake-up of clients waiting in ``events.wait``: Redis pub/sub, or the database on one host.

Events themselves are rows (:class:`events.models.UserEvent`): a waiting
client always reads them from the database. The bus only says *when* to
read again, so that a client waiting 55 seconds asks the database twice,
not every second:

- :func:`notify` (sync, called by :func:`events.publish.publish` once the
  row is committed, in the listener's process or any other) publishes the
  user's id on one Redis channel when the installation uses Redis (its
  cache is ``redis://``), so every app server on every host hears it.
- :func:`waiter` (async, in the ASGI server's event loop) registers a
  waiting client. Each process has one :class:`Hub` per event loop that
  wakes the clients of the users named: with Redis, one subscription for
  the whole process (not one per client); without Redis (the embedded
  default: SQLite, a per-process cache), one query every
  :data:`POLL_S` seconds for rows newer than the last one seen, whatever the
  number of clients, and only while some client waits.

A client registers *before* it reads the database, and the hub is ready
(subscribed, or its last row known) before that: an event committed after
the read always wakes it. A wake-up may be spurious (a reconnection to
Redis wakes everyone): the client then reads again and waits on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import weakref
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections

logger = logging.getLogger(__name__)

# Without Redis: how often a process looks for new events while clients wait (seconds).
POLL_S = 0.25
# Redis down: the first retry after this long, doubling up to RETRY_MAX_S.
RETRY_S = 0.5
RETRY_MAX_S = 10.0
_REDIS_BACKENDS = ("astitray.cache.SharedPoolRedisCache", "django.core.cache.backends.redis.RedisCache")

T = TypeVar("T")


def redis_url() -> str:
    """The Redis of the installation's cache (``CACHE_URL``), or "" when it uses none."""
    cache = settings.CACHES.get("default", {})
    if cache.get("BACKEND") not in _REDIS_BACKENDS:
        return ""
    location = cache.get("LOCATION", "")
    if isinstance(location, list | tuple):
        location = location[0] if location else ""
    return str(location)


def channel() -> str:
    """The Redis channel of wake-ups: the cache's key prefix, so installations sharing a Redis stay apart."""
    prefix = settings.CACHES.get("default", {}).get("KEY_PREFIX", "") or "astitray"
    return f"{prefix}:events:wake"


@cache
def _publisher(url: str) -> Any:
    """One Redis client per process (a thread-safe connection pool)."""
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def notify(user_id: int) -> None:
    """Wake every client of ``user_id`` waiting on any server (after their event row is committed).

    Without Redis this does nothing: the waiting servers find the row by
    polling. Raises when Redis cannot be reached (the caller logs it; the
    event is not lost, clients read it at their next call).
    """
    url = redis_url()
    if url:
        _publisher(url).publish(channel(), str(int(user_id)))


async def in_thread(function: Callable[[], T]) -> T:
    """Run blocking ``function`` (database, cache) in the loop's shared thread pool.

    Not Django's per-request thread (``thread_sensitive``): a waiting client
    must hold no thread. The database connection is handled as a request
    does: closed when broken or past ``CONN_MAX_AGE``, before and after.
    """

    def run() -> T:
        close_old_connections()
        try:
            return function()
        finally:
            close_old_connections()

    return await sync_to_async(run, thread_sensitive=False)()


class Waiter:
    """One waiting client of ``user_id``: :meth:`wait` returns when woken (True) or at the timeout."""

    def __init__(self, hub: Hub, user_id: int) -> None:
        self.hub = hub
        self.user_id = user_id
        self.woken = asyncio.Event()

    async def wait(self, timeout: float) -> bool:
        """True when woken within ``timeout`` seconds (the flag is then cleared for the next wait)."""
        try:
            await asyncio.wait_for(self.woken.wait(), timeout)
        except TimeoutError:
            return False
        self.woken.clear()
        return True

    def close(self) -> None:
        self.hub.remove(self)


class Hub:
    """The waiting clients of one process and event loop, and the task that wakes them."""

    def __init__(self) -> None:
        self.waiters: dict[int, set[Waiter]] = {}
        self.ready = asyncio.Event()
        self.someone_waits = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def add(self, user_id: int) -> Waiter:
        waiter = Waiter(self, user_id)
        self.waiters.setdefault(user_id, set()).add(waiter)
        self.someone_waits.set()
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self.run(), name="astitray-events-bus")
        return waiter

    def remove(self, waiter: Waiter) -> None:
        found = self.waiters.get(waiter.user_id)
        if found is not None:
            found.discard(waiter)
            if not found:
                del self.waiters[waiter.user_id]
        if not self.waiters:
            # Nobody waits: no subscription, no polling (the next client starts them again).
            self.someone_waits.clear()
            self.ready.clear()
            if self.task is not None:
                self.task.cancel()
                self.task = None

    def wake(self, user_id: int) -> None:
        for waiter in self.waiters.get(user_id, ()):
            waiter.woken.set()

    def wake_everyone(self) -> None:
        for waiters in self.waiters.values():
            for waiter in waiters:
                waiter.woken.set()

    def count(self) -> int:
        """How many clients wait in this process now."""
        return sum(len(waiters) for waiters in self.waiters.values())

    async def run(self) -> None:
        url = redis_url()
        if url:
            await self._listen_redis(url)
        else:
            await self._poll_database()

    async def _listen_redis(self, url: str) -> None:
        """One subscription for the process; on any failure, resubscribe with back-off and wake everyone."""
        import redis.asyncio as aioredis

        delay = RETRY_S
        while True:
            client = aioredis.Redis.from_url(url, socket_connect_timeout=5)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(channel())
                    # The subscription is confirmed before anyone is told the hub is ready.
                    while await pubsub.get_message(timeout=5) is None:
                        pass
                    self._set_ready()
                    self.wake_everyone()  # anything published while we were not subscribed: read again
                    delay = RETRY_S
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self._wake_named(message.get("data"))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.ready.clear()
                logger.warning("events bus: Redis subscription lost (%s); again in %.1f s", exc, delay)
                self.wake_everyone()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()

    def _set_ready(self) -> None:
        """Ready, if this task is still the hub's (a cancelled one may run a step more)."""
        if self.task is asyncio.current_task():
            self.ready.set()

    def _wake_named(self, data: object) -> None:
        try:
            user_id = int(data.decode() if isinstance(data, bytes) else str(data))
        except ValueError:
            return
        self.wake(user_id)

    async def _poll_database(self) -> None:
        """While someone waits: rows newer than the last seen wake their users (one query per round)."""
        from events.models import UserEvent

        def newest() -> int:
            return UserEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0

        def newer(than: int) -> list[tuple[int, int]]:
            return list(UserEvent.objects.filter(id__gt=than).order_by("id").values_list("id", "user_id"))

        last = await in_thread(newest)
        self._set_ready()
        while True:
            await self.someone_waits.wait()
            await asyncio.sleep(POLL_S)
            try:
                rows = await in_thread(lambda last=last: newer(last))  # type: ignore[misc]
            except Exception as exc:  # the database away for a moment: clients time out as usual
                logger.warning("events bus: could not look for new events (%s)", exc)
                continue
            for row_id, user_id in rows:
                last = max(last, row_id)
                self.wake(user_id)


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Hub] = weakref.WeakKeyDictionary()


def hub() -> Hub:
    """This event loop's hub."""
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = Hub()
    return found


async def waiter(user_id: int, ready_timeout: float = 5.0) -> Waiter:
    """Register a waiting client of ``user_id``; returns once the hub can wake it.

    Read the database after this, never before (an event committed between
    the two would wake nobody). If the hub is not ready within
    ``ready_timeout`` (Redis down), the client is registered anyway: it
    reads the database and waits for its timeout.
    """
    current = hub()
    registered = current.add(user_id)
    if not current.ready.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(current.ready.wait(), ready_timeout)
    return registered
