"""The cache: Django's Redis cache failing soft when Redis cannot be reached, and the
versioned cache of public reads.

Everything read through the cache (published rankings, the public stall reads, DRF's
throttle histories) can be rebuilt from the database, so a Redis that is down turns a
read into a miss and a write into nothing, with a warning in the log, instead of a 500.
Throttles on this cache therefore fail open. `add` stays strict: callers use it as an
atomic claim (SET NX) and must not be told they won when nothing was stored; its
connection error reaches the API's handler as 503 `service_unavailable`. So does
`has_key_strict`, for a caller that falls back on the database itself.
"""

import logging
import time

from django.core.cache import cache, caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What "Redis cannot be reached" raises (refused, reset, timed out, still loading).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _warn(operation: str, error: Exception) -> None:
    logger.warning("cache: Redis unreachable on %s (%s); using the database", operation, error)


class ReusedClients(RedisCacheClient):
    """Django's Redis cache client, with one `redis.Redis` per connection pool.

    Django builds a new `redis.Redis` around the pool for every operation, and redis-py's
    constructor fills a dict of some 80 response callbacks each time: about a tenth of a
    millisecond of CPU per cache call, which a page answered from Redis (the badge page,
    the leaderboard) pays on every hit. The client holds no connection of its own (the
    pool lends one per command, and notices a fork), so threads can share it.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients.setdefault(pool, self._client(connection_pool=pool))
        return client


class FailSoftRedisCache(RedisCache):
    """RedisCache whose reads miss and whose writes do nothing while Redis is down."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except UNREACHABLE as error:
            _warn("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except UNREACHABLE as error:
            _warn("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except UNREACHABLE as error:
            _warn("has_key", error)
            return False

    def has_key_strict(self, key, version=None) -> bool:
        """`has_key` that raises while Redis is down: for a caller that must tell "no"
        from "cannot know" (the sign-out denylist, accounts.selectors)."""
        return super().has_key(key, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except UNREACHABLE as error:
            _warn("set", error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except UNREACHABLE as error:
            _warn("set_many", error)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except UNREACHABLE as error:
            _warn("touch", error)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except UNREACHABLE as error:
            _warn("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except UNREACHABLE as error:
            _warn("delete_many", error)

    def incr(self, key, delta=1, version=None):
        # Version counters bumped after a commit: a missed bump leaves cached bodies to
        # expire on their own (seconds), which beats failing a committed write.
        try:
            return super().incr(key, delta, version)
        except UNREACHABLE as error:
            _warn("incr", error)
            return None


def has_key_strict(key: str) -> bool:
    """Whether the default cache holds `key`; on Redis, raises UNREACHABLE while it is
    down instead of answering False (FailSoftRedisCache.has_key_strict)."""
    backend = caches["default"]
    if isinstance(backend, FailSoftRedisCache):
        return backend.has_key_strict(key)
    return backend.has_key(key)


# `VersionedCache.fetch` without a version read beforehand.
_UNREAD = object()


def first_version() -> int:
    """A version number no earlier life of this Redis gave (microseconds since the epoch):
    a Redis that lost its keys (restarted without persistence, flushed) must not number
    its versions as before, or what a process kept under an old number
    (config/stored_answers.py) would be current again."""
    return time.time_ns() // 1000


class VersionedCache:
    """A versioned cache of public reads: every entry's key carries a version number, and
    a write that changes what the public sees bumps the version after it commits, which
    orphans every older entry at once. A cached body is never stale for longer than the
    write's own transaction (and at most `seconds` if a bump was ever missed).

    One instance per family of reads: stalls.cache.PUBLIC, rankings.cache.RANKINGS. While
    Redis is down the version cannot be known, so reads are built from the database.
    """

    def __init__(self, prefix: str, *, seconds: int):
        self.prefix = prefix
        self.seconds = seconds
        self.version_key = f"{prefix}:version"

    def version(self) -> int | None:
        """The current version; None while the cache cannot be reached."""
        try:
            version = cache.get(self.version_key)
            if version is None:
                cache.add(self.version_key, first_version(), timeout=None)
                version = cache.get(self.version_key)
        except UNREACHABLE as error:
            _warn("version", error)
            return None
        return version

    def bump(self) -> None:
        try:
            cache.incr(self.version_key)
        except ValueError:  # the version key was evicted: any new number orphans the old
            try:
                cache.add(self.version_key, first_version(), timeout=None)
            except UNREACHABLE as error:
                _warn("bump", error)

    def changed(self) -> None:
        """Call inside the write's transaction: the bump happens once it commits."""
        transaction.on_commit(self.bump)

    def get_or_build(self, key: str, build):
        """The value under `key` for the current version, built and stored when missing."""
        version = self.version()
        if version is None:
            return build()
        full_key = f"{self.prefix}:{version}:{key}"
        value = cache.get(full_key)
        if value is None:
            value = build()
            cache.set(full_key, value, self.seconds)
        return value

    def lookup(self, key: str):
        """(current version or None, the entry's value when built under it or None): one
        MGET. A caller that missed may pass the version on to `fetch`."""
        entry_key = f"{self.prefix}:entry:{key}"
        found = cache.get_many([self.version_key, entry_key])
        version, entry = found.get(self.version_key), found.get(entry_key)
        if version is not None and entry is not None and entry[0] == version:
            return version, entry[1]
        return version, None

    def peek(self, key: str):
        """The value `fetch` stored under `key` for the current version, or None; one
        round trip, never builds."""
        return self.lookup(key)[1]

    def fetch(self, key: str, build, *, seconds: int | None = None, missed=_UNREAD):
        """`get_or_build` in one round trip, for reads served at the cost of one GET.

        The entry's key carries no version: the entry holds the version it was built
        under, read with the current version in one MGET. A bump (a publication, a
        correction) makes every older entry a miss, rebuilt once and overwritten. `build`
        returning None (a 404) stores nothing. `missed`: the version a `lookup` of this
        key that found nothing just read (skips asking again)."""
        if missed is _UNREAD:
            version, value = self.lookup(key)
            if value is not None:
                return value
        else:
            version = missed
        if version is None:
            version = self.version()
            if version is None:  # Redis unreachable: from the database
                return build()
        value = build()
        if value is not None:
            cache.set(f"{self.prefix}:entry:{key}", (version, value), seconds or self.seconds)
        return value
