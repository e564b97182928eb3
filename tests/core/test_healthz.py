"""/healthz is liveness (no dependency asked); /readyz is readiness: 200 while
PostgreSQL answers, saying how Redis and Celery are; 503 with Retry-After without it."""

import json

import pytest

from tests.gunicorn_server import Gunicorn
from tests.postgres_server import own_postgres  # noqa: F401  (a fixture)
from tests.redis_server import REDIS_SERVER, RedisServer


@pytest.mark.django_db
def test_liveness_asks_no_dependency(client, settings):
    """/healthz answers 200 whatever Redis does (and whatever the Host header says)."""
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {"BACKEND": "core.cache.FailSoftRedisCache", "LOCATION": settings.REDIS_URL}
    }
    response = client.get("/healthz", HTTP_HOST="10.0.0.9:8000")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["X-Request-Id"]


@pytest.mark.django_db
def test_readiness_without_redis_configured(client, settings):
    """Without REDIS_URL: the database answers, Redis is not configured, tasks run eagerly."""
    settings.REDIS_URL = ""
    response = client.get("/readyz", HTTP_HOST="10.0.0.9:8000")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "not_configured", "celery": "eager"}


def ready(server: Gunicorn, path: str = "/readyz"):
    status, headers, body = server.call("GET", path)
    return status, headers, json.loads(body)


@pytest.mark.postgres
@pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server (apt-get install redis)")
def test_readiness_follows_postgresql_and_redis(own_postgres, tmp_path):  # noqa: F811
    """gunicorn on a PostgreSQL and a Redis of the test's own: all up, 200 (no worker
    answers the ping: celery "degraded"); Redis killed, still 200 with Redis "degraded"
    and celery "unknown"; PostgreSQL stopped, 503 with Retry-After, while /healthz stays
    200; PostgreSQL back, 200 again."""
    redis = RedisServer()
    server = Gunicorn(
        tmp_path, {"DATABASE_URL": own_postgres.url, "REDIS_URL": redis.url}, workers=1
    )
    try:
        status, _, body = ready(server)
        assert (status, body) == (200, {"database": "ok", "redis": "ok", "celery": "degraded"})
        redis.kill()
        status, _, body = ready(server)
        assert (status, body) == (
            200,
            {"database": "ok", "redis": "degraded", "celery": "unknown"},
        )
        own_postgres.stop()
        try:
            status, headers, body = ready(server)
            assert status == 503
            assert int(headers["retry-after"]) > 0
            assert body["database"] == "error"
            assert ready(server, "/healthz")[::2] == (200, {"status": "ok"})
        finally:
            own_postgres.start()
        assert ready(server)[0] == 200
    finally:
        server.stop()
        redis.kill()
