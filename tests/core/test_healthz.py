import pytest


@pytest.mark.django_db
def test_it_answers_200_when_the_database_answers(client, settings):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    if settings.REDIS_URL:
        assert body["redis"] == "ok"


@pytest.mark.django_db
def test_it_answers_503_when_redis_does_not(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"] == "error"


@pytest.mark.django_db
def test_the_api_docs_page_serves_its_own_assets(client):
    """/api/docs/ loads Swagger UI from this site, so it works with no network."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    assert "cdn.jsdelivr.net" not in page
    assert client.get("/api/schema/").status_code == 200
