"""The atomic limiter (core/ratelimit.py), the API throttles on it, and Redis going away."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.test import Client

from core import ratelimit
from core.throttling import AnonRateThrottle


def _parallel(count, workers, call):
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda _i: call(), range(count)))


@pytest.mark.redis
def test_it_admits_exactly_the_limit_under_parallel_hits_on_redis():
    """200 hits 32 at a time against a limit of 100 on the real Redis: exactly 100 pass."""
    limit = ratelimit.Limit("test:parallel", 100, 60)
    outcomes = _parallel(200, 32, lambda: ratelimit.hit(limit))
    assert sum(outcome.allowed for outcome in outcomes) == 100
    refused = [outcome for outcome in outcomes if not outcome.allowed]
    assert all(1 <= outcome.retry_after <= 60 for outcome in refused)


def test_it_admits_exactly_the_limit_under_parallel_hits_in_memory(settings):
    """Without Redis (the embedded default) the same holds in this process's memory."""
    settings.REDIS_URL = ""
    limit = ratelimit.Limit("test:parallel-local", 100, 60)
    outcomes = _parallel(200, 32, lambda: ratelimit.hit(limit))
    assert sum(outcome.allowed for outcome in outcomes) == 100


def test_it_counts_nothing_when_one_of_several_limits_is_full(settings):
    """A request refused by one counter is not counted on the others."""
    settings.REDIS_URL = ""
    small, large = ratelimit.Limit("test:small", 1, 60), ratelimit.Limit("test:large", 5, 60)
    assert ratelimit.hit(small, large).allowed
    for _ in range(3):
        outcome = ratelimit.hit(small, large)
        assert not outcome.allowed
        assert outcome.full == ("test:small",)
    assert [ratelimit.hit(large).allowed for _ in range(5)] == [True] * 4 + [False]


@pytest.mark.redis
def test_it_throttles_the_api_exactly_under_parallel_requests(monkeypatch):
    """The anonymous throttle at 100/min: 200 requests 32 at a time get exactly 100 through,
    and the others 429 with Retry-After (DRF's own throttle let 198 through)."""
    monkeypatch.setitem(AnonRateThrottle.THROTTLE_RATES, "anon", "100/min")

    def call():
        # An invalid phone: the throttle runs first, and no SMS is sent.
        return Client().post("/api/v1/auth/otp", {"phone": "x"}, content_type="application/json")

    responses = _parallel(200, 32, call)
    statuses = [response.status_code for response in responses]
    assert statuses.count(400) == 100
    assert statuses.count(429) == 100
    throttled = next(response for response in responses if response.status_code == 429)
    assert throttled.json()["code"] == "throttled"
    assert 1 <= int(throttled["Retry-After"]) <= 60


def test_it_fails_open_when_redis_is_unreachable(settings, own_redis):
    """Throttles count on Redis; once Redis is gone they let requests through, no 500."""
    url, server = own_redis
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    limit = ratelimit.Limit("test:down", 1, 60)
    assert ratelimit.hit(limit).allowed
    assert not ratelimit.hit(limit).allowed
    server.kill()
    server.wait()
    with pytest.raises(ratelimit.RateLimitUnavailable):
        ratelimit.hit(limit)
    response = Client().post("/api/v1/auth/otp", {"phone": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
