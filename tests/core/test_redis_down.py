"""Redis taken away under a running API: nothing answers 500.

Throttles fail open (the SMS limits have their own database fallback), cached reads
come from the database, the grab decides on PostgreSQL alone, what truly needs Redis
answers 503 `service_unavailable` with Retry-After, and /readyz stays 200 saying Redis
is degraded.
"""

import pytest

from accounts.services import otp_request
from accounts.sms import LocmemBackend
from cadres.codes import badge_token
from cadres.models import Cadre, Unit
from tests.redis_server import REDIS_SERVER

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server (apt-get install redis)"),
]


def test_it_serves_sign_in_balance_and_rankings_without_redis(
    doomed_redis, api, client_for, resident, django_capture_on_commit_callbacks
):
    """With Redis killed: codes check out, the balance and rankings read from the database,
    a new code is sent within the limits counted on the database, and /readyz answers 200
    with Redis degraded (the container stays in service) and Celery unknown."""
    with django_capture_on_commit_callbacks(execute=True):
        otp_request(phone=resident.phone, address="127.0.0.1")
    code = LocmemBackend.outbox[-1]["code"]
    assert client_for(resident).get("/api/v1/points/balance").status_code == 200
    doomed_redis.kill()

    signed_in = api.post(
        "/api/v1/auth/token", {"phone": resident.phone, "code": code}, format="json"
    )
    assert signed_in.status_code == 200, signed_in.content
    me = client_for(resident)
    balance = me.get("/api/v1/points/balance")
    assert balance.status_code == 200, balance.content
    rankings = api.get("/api/v1/rankings")
    assert rankings.status_code == 200, rankings.content

    asked = api.post("/api/v1/auth/otp", {"phone": "+8613912345678"}, format="json")
    assert asked.status_code == 202, asked.content

    ready = api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"database": "ok", "redis": "degraded", "celery": "unknown"}


def test_it_serves_the_signed_out_badge_page_without_redis(doomed_redis, client):
    """The stored badge page (cadres.page_cache) falls back on the database: 200, twice."""
    unit = Unit.objects.create(name="康巴什区政务服务局")
    cadre = Cadre.objects.create(unit=unit, name="王丽娜", title="科员", employee_number="R1")
    assert client.get(f"/q/{badge_token(cadre)}").status_code == 200
    doomed_redis.kill()
    for _ in range(2):
        page = client.get(f"/q/{badge_token(cadre)}")
        assert page.status_code == 200 and "王丽娜" in page.content.decode()


@pytest.mark.urls("tests.core.urls")
def test_it_answers_503_with_retry_after_where_redis_is_truly_needed(doomed_redis, api, client):
    """An atomic lock in Redis cannot be faked: the API answers 503 service_unavailable
    with Retry-After, a page a plain 503; never 500."""
    assert api.get("/api/v1/test/needs-redis").json() == {"locked": True}
    doomed_redis.kill()
    response = api.get("/api/v1/test/needs-redis")
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert int(response["Retry-After"]) > 0
    page = client.get("/test/needs-redis")
    assert page.status_code == 503
    assert int(page["Retry-After"]) > 0
