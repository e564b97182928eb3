"""A short-lived cache of the public reads (site list, stall view), read by everyone who
walks past a poster. Every entry carries a version; a write that changes what the
public sees bumps it after commit, so a cached body is never stale for longer than the
write's own transaction (and at most CACHE_SECONDS if a bump was ever missed)."""

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "stalls:public:version"
CACHE_SECONDS = 30


def public_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY) or 1
    return version


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.add(VERSION_KEY, 2, timeout=None)


def public_changed() -> None:
    """Call inside the write's transaction: the bump happens once it commits."""
    transaction.on_commit(_bump)


def cached(key: str, build):
    """The value under `key` for the current version, built and stored when missing."""
    full_key = f"stalls:public:{public_version()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, CACHE_SECONDS)
    return value
