"""Django's Redis cache with one connection pool per process and Redis server.

Django builds a cache object per thread and per asynchronous context, and
each object of its Redis cache opens a connection pool of its own. Under
ASGI every request runs in a context of its own, so a server with a
thousand long polls waiting held some 2,400 Redis connections, kept until
the garbage collector found them (bench/events.py measured it). Here every
cache object of a process shares one pool per server (redis-py's pools are
thread-safe and start afresh in a forked child), so a process holds about as
many connections as it has requests talking to Redis at the same moment.

Every cache call costs a little Python too, paid several times per API call
(bench/api_cost.py): so the pool's client object is shared as well (a
redis-py client is thread-safe: it takes a connection from the pool for each
command), rather than built anew for each command, and keys are not checked
for memcached's limits, which Redis does not have (Django's documented way:
override ``validate_key``; keys are still made with the prefix and version).
"""

from __future__ import annotations

import threading
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

# (server, pool options) -> (the pool, a client on it): one of each per process.
_pools: dict[tuple[str, str], tuple[Any, Any]] = {}
_lock = threading.Lock()


class SharedPoolClient(RedisCacheClient):
    """Django's client, its pools and their clients taken from the process's shared ones."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = repr((self._pool_class, sorted(self._pool_options.items(), key=lambda item: item[0])))
        self._shared_keys = [(server, options) for server in self._servers]

    def _shared(self, write: bool) -> tuple[Any, Any]:
        index = self._get_connection_pool_index(write)
        key = self._shared_keys[index]
        shared = _pools.get(key)
        if shared is None:
            with _lock:
                shared = _pools.get(key)
                if shared is None:
                    pool = self._pool_class.from_url(self._servers[index], **self._pool_options)
                    shared = _pools[key] = (pool, self._client(connection_pool=pool))
        return shared

    def _get_connection_pool(self, write: bool) -> Any:
        return self._shared(write)[0]

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        return self._shared(write)[1]


class SharedPoolRedisCache(RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with :class:`SharedPoolClient`."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = SharedPoolClient

    def validate_key(self, key: str) -> None:
        """Any key is fine (memcached's limits of length and characters are not Redis's)."""
