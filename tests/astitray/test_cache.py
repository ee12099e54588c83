"""The Redis cache shares one connection pool per process (astitray/cache.py)."""

from __future__ import annotations

import secrets
import threading

from django.core.cache import caches
from django.test import override_settings

from astitray.env import env_cache
from testkit.services import port_open, require


def test_a_redis_cache_url_gives_the_shared_pool_backend(monkeypatch):
    monkeypatch.setenv("CACHE_URL", "redis://127.0.0.1:6379/3?prefix=here")
    assert env_cache("CACHE_URL", "locmem://x") == {
        "BACKEND": "astitray.cache.SharedPoolRedisCache",
        "LOCATION": "redis://127.0.0.1:6379/3",
        "KEY_PREFIX": "here",
        "TIMEOUT": 300,
    }


def redis_caches() -> dict:
    """CACHES with the shared-pool backend on the local Redis, under a prefix of the test's own."""
    require(
        port_open("127.0.0.1", 6379), "Redis is not running on 127.0.0.1:6379 (Debian package redis-server)"
    )
    return {
        "default": {
            "BACKEND": "astitray.cache.SharedPoolRedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": f"astitray-test-{secrets.token_hex(4)}",
        }
    }


def test_every_thread_s_cache_object_shares_one_pool_and_few_connections():
    """As under ASGI, where each request's context gets a cache object of its own."""
    config = redis_caches()
    objects, pools, values = [], [], []
    with override_settings(CACHES=config):

        def request(n: int) -> None:
            cache = caches["default"]  # a new object in each thread, as Django makes them
            cache.set(f"key-{n}", n, timeout=30)
            values.append(caches["default"].get(f"key-{(n + 1) % 40}", "unset"))
            objects.append(cache)
            pools.append(cache._cache._get_connection_pool(write=True))

        threads = [threading.Thread(target=request, args=(n,)) for n in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({id(cache) for cache in objects}) == 40  # Django did make one object per thread
        assert len({id(pool) for pool in pools}) == 1
        assert caches["default"].get("key-7") == 7  # every object reads what another wrote
        caches["default"].delete_many([f"key-{n}" for n in range(40)])


def test_one_client_per_pool_and_keys_redis_takes_but_memcached_would_not(recwarn):
    """Each cache call reuses the pool's client; a key with spaces or over 250 characters is no warning."""
    config = redis_caches()
    clients = []
    with override_settings(CACHES=config):

        def request() -> None:
            client = caches["default"]._cache
            clients.append(client.get_client("k"))
            clients.append(client.get_client("k", write=True))

        threads = [threading.Thread(target=request) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len({id(client) for client in clients}) == 1
        assert clients[0].connection_pool is caches["default"]._cache._get_connection_pool(write=False)

        cache = caches["default"]
        odd = ["a key with spaces", "x" * 300, "caf\u00e9:\u00e9t\u00e9"]
        cache.set_many(dict.fromkeys(odd, "kept"), timeout=30)
        assert cache.get_many(odd) == dict.fromkeys(odd, "kept")
        assert cache.get("x" * 300) == "kept"
        cache.delete_many(odd)
        assert cache.get_many(odd) == {}
    assert not [w for w in recwarn.list if "CacheKeyWarning" in type(w.message).__name__]
