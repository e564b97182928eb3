"""A versioned cache of public reads: every entry's key carries a version number, and a
write that changes what the public sees bumps the version after it commits, which
orphans every older entry at once. A cached body is never stale for longer than the
write's own transaction (and at most `seconds` if a bump was ever missed).

One instance per family of reads: stalls.cache.PUBLIC, cadres.cache.RANKINGS.
"""

from django.core.cache import cache
from django.db import transaction


class VersionedCache:
    def __init__(self, prefix: str, *, seconds: int):
        self.prefix = prefix
        self.seconds = seconds
        self.version_key = f"{prefix}:version"

    def version(self) -> int:
        version = cache.get(self.version_key)
        if version is None:
            cache.add(self.version_key, 1, timeout=None)
            version = cache.get(self.version_key) or 1
        return version

    def bump(self) -> None:
        try:
            cache.incr(self.version_key)
        except ValueError:  # the version key was evicted: any new number orphans the old
            cache.add(self.version_key, 2, timeout=None)

    def changed(self) -> None:
        """Call inside the write's transaction: the bump happens once it commits."""
        transaction.on_commit(self.bump)

    def get_or_build(self, key: str, build):
        """The value under `key` for the current version, built and stored when missing."""
        full_key = f"{self.prefix}:{self.version()}:{key}"
        value = cache.get(full_key)
        if value is None:
            value = build()
            cache.set(full_key, value, self.seconds)
        return value
