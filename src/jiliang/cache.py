"""The shared cache: login-failure counters and API rate windows live here, so every
server process sees the same counts (a per-process cache lets N workers allow N times the
tries).

``settings.CACHES`` is built by :func:`caches_from_environment`: Redis (Django's built-in
``RedisCache``) when ``JILIANG_CACHE_URL`` or ``REDIS_URL`` names one, else a table of the
application's own database, created by ``jiliang migrate`` (see :mod:`jiliang.instance`).
"""

from __future__ import annotations

from django.core.cache.backends import db
from django.db import connections, router, transaction

TABLE = "jiliang_cache"
# Lockout counters must outlive a burst of keys: Django's default (300 entries, a third
# culled when full) would let a spray of usernames evict the counters that lock it out.
MAX_ENTRIES = 200_000


def caches_from_environment(environ) -> dict:
    url = environ.get("JILIANG_CACHE_URL") or environ.get("REDIS_URL") or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                            "KEY_PREFIX": environ.get("JILIANG_CACHE_PREFIX", "jiliang")}}
    if url and url != "db":
        raise ValueError(f"JILIANG_CACHE_URL: expected redis://…, rediss://…, unix://… or db, got {url!r}")
    return {"default": {"BACKEND": "jiliang.cache.DatabaseCache", "LOCATION": TABLE,
                        "OPTIONS": {"MAX_ENTRIES": MAX_ENTRIES, "CULL_FREQUENCY": 10}}}


class DatabaseCache(db.DatabaseCache):
    """Django's database cache with an atomic ``incr``: the stock one reads then writes,
    so two workers counting the same failure at once both write n+1. Here the row is
    locked (PostgreSQL: SELECT … FOR UPDATE; SQLite: the write transaction, which
    ``transaction_mode=IMMEDIATE`` takes at its start) between the read and the write."""

    def incr(self, key, delta=1, version=None):
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        with transaction.atomic(using=alias):
            if connection.features.has_select_for_update:
                table = connection.ops.quote_name(self._table)
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",
                                   [self.make_and_validate_key(key, version=version)])
            return super().incr(key, delta, version)
