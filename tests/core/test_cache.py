"""core.cache.has_key_strict: the sign-out check's read, on any cache backend."""

from django.core.cache import cache

from core.cache import has_key_strict


def test_has_key_strict_answers_from_a_cache_other_than_redis(settings):
    """Without Redis (LocMemCache) it is the plain has_key; on Redis it raises while Redis
    is down (tests/accounts/test_signout.py)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.set("core-test:kept", 1)
    assert has_key_strict("core-test:kept")
    assert not has_key_strict("core-test:never-set")
