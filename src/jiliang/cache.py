"""The shared cache and the shared counters: login-failure counts and API rate windows
live where every server process sees them (a per-process cache lets N workers allow N
times the tries).

``settings.CACHES`` is built by :func:`caches_from_environment`: Redis (Django's built-in
``RedisCache``) when ``JILIANG_CACHE_URL`` or ``REDIS_URL`` names one, else a table of the
application's own database. The counters (:func:`counters`) follow the same choice: Redis
``INCR``, or one upsert on a table of the database (``jiliang_counter``) — a throttle is
asked on every API request, and Django's database cache would spend a dozen queries on
each count (savepoints, a cull count, a read, a write). Both tables are made by
``jiliang migrate`` (jiliang.instance.prepare).
"""

from __future__ import annotations

import random
import time

from django.core.cache import caches
from django.core.cache.backends import db
from django.db import DEFAULT_DB_ALIAS, connections, router, transaction

TABLE = "jiliang_cache"
COUNTER_TABLE = "jiliang_counter"
# Django's default (300 entries, a third culled when full) is too small for cached panels
# of a province; the counters have their own table.
MAX_ENTRIES = 100_000


def caches_from_environment(environ) -> dict:
    url = environ.get("JILIANG_CACHE_URL") or environ.get("REDIS_URL") or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": environ.get("JILIANG_CACHE_PREFIX", "jiliang"),
            }
        }
    if url and url != "db":
        raise ValueError(f"JILIANG_CACHE_URL: expected redis://…, rediss://…, unix://… or db, got {url!r}")
    return {
        "default": {
            "BACKEND": "jiliang.cache.DatabaseCache",
            "LOCATION": TABLE,
            "OPTIONS": {"MAX_ENTRIES": MAX_ENTRIES, "CULL_FREQUENCY": 10},
        }
    }


class DatabaseCache(db.DatabaseCache):
    """Django's database cache with an atomic ``incr``: the stock one reads then writes,
    so two workers counting at once both write n+1. Here the row is locked (PostgreSQL:
    SELECT … FOR UPDATE; SQLite: the write transaction, which ``transaction_mode=IMMEDIATE``
    takes at its start) between the read and the write."""

    def incr(self, key, delta=1, version=None):
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        with transaction.atomic(using=alias):
            if connection.features.has_select_for_update:
                table = connection.ops.quote_name(self._table)
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT cache_key FROM {table} WHERE cache_key = %s FOR UPDATE",
                        [self.make_and_validate_key(key, version=version)],
                    )
            return super().incr(key, delta, version)


class DatabaseCounters:
    """Counters in one table of the database, each hit a single atomic upsert
    (PostgreSQL and SQLite ≥ 3.35 both have ON CONFLICT … DO UPDATE … RETURNING)."""

    PURGE_CHANCE = 1 / 1000  # expired rows are deleted now and then, by whoever hits

    def __init__(self, alias: str = DEFAULT_DB_ALIAS):
        self.alias = alias

    def _execute(self, sql: str, params) -> list:
        with connections[self.alias].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else []

    def hit(self, key: str, ttl: float, sliding: bool = False) -> int:
        """Adds one to ``key`` and returns its count. A count lives ``ttl`` seconds from its
        first hit (a fixed window) or, ``sliding``, from its latest."""
        now = time.time()
        if random.random() < self.PURGE_CHANCE:
            self._execute(f"DELETE FROM {COUNTER_TABLE} WHERE expires < %s", [now])
        ((count,),) = self._execute(
            f"INSERT INTO {COUNTER_TABLE} (counter_key, count, expires) VALUES (%s, 1, %s) "
            f"ON CONFLICT (counter_key) DO UPDATE SET "
            f"count = CASE WHEN {COUNTER_TABLE}.expires <= %s THEN 1 ELSE {COUNTER_TABLE}.count + 1 END, "
            f"expires = CASE WHEN {COUNTER_TABLE}.expires <= %s OR %s THEN excluded.expires ELSE {COUNTER_TABLE}.expires END "
            f"RETURNING count",
            [key, now + ttl, now, now, bool(sliding)],
        )
        return count

    def get_many(self, keys: list[str]) -> dict[str, int]:
        if not keys:
            return {}
        marks = ", ".join(["%s"] * len(keys))
        rows = self._execute(
            f"SELECT counter_key, count FROM {COUNTER_TABLE} WHERE counter_key IN ({marks}) AND expires > %s",
            [*keys, time.time()],
        )
        return dict(rows)

    def delete_many(self, keys: list[str]) -> None:
        if keys:
            self._execute(f"DELETE FROM {COUNTER_TABLE} WHERE counter_key IN ({', '.join(['%s'] * len(keys))})", list(keys))

    def clear(self) -> None:
        self._execute(f"DELETE FROM {COUNTER_TABLE}", [])

    @staticmethod
    def create_table(alias: str = DEFAULT_DB_ALIAS) -> None:
        with connections[alias].cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {COUNTER_TABLE} (counter_key varchar(255) NOT NULL PRIMARY KEY, "
                f"count bigint NOT NULL, expires double precision NOT NULL)"
            )


class RedisCounters:
    """Counters in the Redis of the shared cache: INCR and EXPIRE in one round trip."""

    def __init__(self, redis_cache):
        self.cache = redis_cache

    def _client(self, key: str):
        return self.cache._cache.get_client(key, write=True)

    def hit(self, key: str, ttl: float, sliding: bool = False) -> int:
        full = self.cache.make_and_validate_key(key)
        pipe = self._client(full).pipeline()
        pipe.incr(full)
        pipe.expire(full, max(1, int(ttl)), nx=not sliding)  # nx: only a new key's window starts
        count, _ = pipe.execute()
        return int(count)

    def get_many(self, keys: list[str]) -> dict[str, int]:
        full = [self.cache.make_and_validate_key(key) for key in keys]
        if not full:
            return {}
        values = self._client(full[0]).mget(full)
        return {key: int(value) for key, value in zip(keys, values, strict=True) if value is not None}

    def delete_many(self, keys: list[str]) -> None:
        self.cache.delete_many(keys)

    def clear(self) -> None:
        self.cache.clear()


def counters() -> DatabaseCounters | RedisCounters:
    """The counters beside the default cache: in Redis when the cache is Redis, else in the database."""
    default = caches["default"]
    if default.__class__.__name__ == "RedisCache":
        return RedisCounters(default)
    return DatabaseCounters()
