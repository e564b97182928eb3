"""Django's Redis cache, failing soft when Redis cannot be reached.

Everything read through the cache (published rankings, the public stall reads, DRF's
throttle histories) can be rebuilt from the database, so a Redis that is down turns a
read into a miss and a write into nothing, with a warning in the log, instead of a 500.
Throttles on this cache therefore fail open. `add` stays strict: callers use it as an
atomic claim (SET NX) and must not be told they won when nothing was stored; its
connection error reaches the API's handler as 503 `service_unavailable`.
"""

import logging

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# What "Redis cannot be reached" raises (refused, reset, timed out, still loading).
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _warn(operation: str, error: Exception) -> None:
    logger.warning("cache: Redis unreachable on %s (%s); using the database", operation, error)


class FailSoftRedisCache(RedisCache):
    """RedisCache whose reads miss and whose writes do nothing while Redis is down."""

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
