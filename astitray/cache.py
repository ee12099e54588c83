"""Django's Redis cache with one connection pool per process and Redis server.

Django builds a cache object per thread and per asynchronous context, and
each object of its Redis cache opens a connection pool of its own. Under
ASGI every request runs in a context of its own, so a server with a
thousand long polls waiting held some 2,400 Redis connections, kept until
the garbage collector found them (bench/events.py measured it). Here every
cache object of a process shares one pool per server (redis-py's pools are
thread-safe and start afresh in a forked child), so a process holds about as
many connections as it has requests talking to Redis at the same moment.
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

_pools: dict[tuple[str, str], Any] = {}
_lock = threading.Lock()


class SharedPoolClient(RedisCacheClient):
    """Django's client, its pools taken from the process's shared ones."""

    def _get_connection_pool(self, write: bool) -> Any:
        index = self._get_connection_pool_index(write)
        server = self._servers[index]
        key = (server, repr((self._pool_class, sorted(self._pool_options.items(), key=lambda item: item[0]))))
        pool = _pools.get(key)
        if pool is None:
            with _lock:
                pool = _pools.get(key)
                if pool is None:
                    pool = _pools[key] = self._pool_class.from_url(server, **self._pool_options)
        return pool


class SharedPoolRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with :class:`SharedPoolClient`."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedPoolClient
