"""Atomic rate limits: counters in fixed windows, all checked and counted in one step.

On Redis (REDIS_URL) a Lua script checks every counter of a request and increments
them only if none is full, so parallel requests can never overshoot a limit (DRF's
throttle reads, appends and writes back, and lets races through). Without Redis the
counters live in this process's memory, under a lock. A window starts at a key's first
hit and lasts `period` seconds.

`RateLimitUnavailable` means Redis could not be reached: throttles fail open, the SMS
limits fall back to counting in the database.
"""

import math
import threading
import time
from dataclasses import dataclass

import redis
from django.conf import settings

_SCRIPT = """
local wait = 0
local full = {}
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = tonumber(ARGV[2 * i]) end
    if ttl > wait then wait = ttl end
    table.insert(full, i)
  end
end
if #full > 0 then return {0, wait, unpack(full)} end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[2 * i]) end
end
return {1, 0}
"""
PREFIX = "duoduo:rl:"


class RateLimitUnavailable(Exception):
    """The limiter's Redis did not answer."""


@dataclass(frozen=True)
class Limit:
    key: str
    limit: int
    period: int  # seconds


@dataclass(frozen=True)
class Outcome:
    allowed: bool
    retry_after: int = 0  # seconds until the fullest counter empties
    full: tuple[str, ...] = ()  # keys of the counters that were full


_scripts: dict[str, "redis.commands.core.Script"] = {}
_clients_lock = threading.Lock()
_local: dict[str, tuple[int, float]] = {}
_local_lock = threading.Lock()


def _script(url: str):
    """The script bound to a client of `url` (EVALSHA, loaded again if Redis forgot it)."""
    with _clients_lock:
        if url not in _scripts:
            # Short timeouts: a limiter that waits on a dead Redis holds every request.
            client = redis.Redis.from_url(
                url, socket_connect_timeout=1, socket_timeout=1, retry_on_timeout=False
            )
            _scripts[url] = client.register_script(_SCRIPT)
        return _scripts[url]


def hit(*limits: Limit) -> Outcome:
    """Count one request against every limit, or none if any of them is full."""
    if not limits:
        return Outcome(True)
    if settings.REDIS_URL:
        return _hit_redis(limits)
    return _hit_local(limits)


def _hit_redis(limits) -> Outcome:
    script = _script(settings.REDIS_URL)
    args = []
    for item in limits:
        args += [item.limit, item.period * 1000]
    try:
        allowed, wait_ms, *full = script(keys=[PREFIX + item.key for item in limits], args=args)
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise RateLimitUnavailable(str(error)) from error
    if allowed:
        return Outcome(True)
    return Outcome(
        False,
        max(1, math.ceil(int(wait_ms) / 1000)),
        tuple(limits[int(index) - 1].key for index in full),
    )


def _hit_local(limits) -> Outcome:
    now = time.monotonic()
    with _local_lock:
        counts = {}
        wait, full = 0.0, []
        for item in limits:
            count, ends = _local.get(item.key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + item.period
            counts[item.key] = (count, ends)
            if count >= item.limit:
                wait = max(wait, ends - now)
                full.append(item.key)
        if full:
            return Outcome(False, max(1, math.ceil(wait)), tuple(full))
        for key, (count, ends) in counts.items():
            _local[key] = (count + 1, ends)
        if len(_local) > 100_000:
            # Forget expired windows so the embedded default does not grow without end.
            for key in [key for key, (_, ends) in _local.items() if ends <= now]:
                del _local[key]
    return Outcome(True)


def forget(*keys: str) -> None:
    """End the current window of these counters (tests stand in for time passing)."""
    with _local_lock:
        for key in keys:
            _local.pop(key, None)
    if settings.REDIS_URL and keys:
        _script(settings.REDIS_URL).registered_client.delete(*[PREFIX + key for key in keys])


def reset() -> None:
    """Forget every counter (tests)."""
    with _local_lock:
        _local.clear()
    if settings.REDIS_URL:
        client = _script(settings.REDIS_URL).registered_client
        keys = list(client.scan_iter(match=PREFIX + "*", count=1000))
        if keys:
            client.delete(*keys)
