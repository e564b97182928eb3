"""Real threads against PostgreSQL: no oversell, no overdraft, no double posting.

Each thread is its own database connection. PostgreSQL here allows 100 connections
shared by several test runs, so 200 requests go through 40 threads that start
together on a barrier.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis.cluster
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from points import gate, ledger, services
from points.models import Account, CampaignClaim, Redemption
from points.selectors import campaign_pool_balance, resident_summary
from points.verification import ledger_verify
from tests.conftest import next_phone
from tests.redis_cluster import RedisCluster

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 40


def client(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return api


def run_at_once(calls):
    """Run the callables on THREADS threads that start together; their results in order."""
    barrier = threading.Barrier(min(THREADS, len(calls)))
    started = threading.local()

    def run(call):
        if not getattr(started, "done", False):
            started.done = True
            barrier.wait(timeout=30)
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def no_throttles(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates.update({"user": "100000/min", "claim": "100000/min"})
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    from rest_framework.throttling import SimpleRateThrottle

    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    yield
    SimpleRateThrottle.THROTTLE_RATES = original


@pytest.fixture(scope="module")
def redis_cluster(tmp_path_factory):
    """A 3-node Redis Cluster on free loopback ports, stopped after the module."""
    try:
        cluster = RedisCluster.start(tmp_path_factory.mktemp("redis-cluster"))
    except RuntimeError as error:
        pytest.skip(f"no Redis Cluster: {error}")
    yield cluster
    cluster.stop()


@pytest.fixture(params=["database", "redis gate", "redis cluster gate"])
def gate_mode(request, settings):
    if request.param == "database":
        settings.REDIS_URL = ""
    elif not settings.REDIS_URL:
        pytest.skip("needs Redis: set REDIS_URL=redis://...")
    elif request.param == "redis cluster gate":
        settings.GATE_REDIS_CLUSTER_URL = request.getfixturevalue("redis_cluster").url
    return request.param


def test_it_gives_exactly_the_pool_to_200_concurrent_claimants(
    make_user, make_campaign, no_throttles, gate_mode, settings
):
    """200 claims on a campaign of 50: 50 successes by 50 residents, the rest sold out."""
    campaign = make_campaign(claims=50, points=88)
    if gate_mode != "database":
        gate.gate_sync(campaign=campaign)
    residents = [make_user(phone=next_phone()) for _ in range(200)]
    clients = [client(user) for user in residents]
    url = f"/api/v1/points/campaigns/{campaign.pk}/claim"
    responses = run_at_once([lambda api=api: api.post(url) for api in clients])
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 50, statuses
    assert statuses.count(409) == 150
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"sold_out"}
    assert (
        CampaignClaim.objects.filter(campaign=campaign).values("resident").distinct().count() == 50
    )
    assert campaign_pool_balance(campaign=campaign) == 0
    assert ledger_verify().ok
    if gate_mode == "redis cluster gate":
        # The gate really lived on the cluster, every key in the campaign's slot.
        nodes = redis.cluster.RedisCluster.from_url(settings.GATE_REDIS_CLUSTER_URL)
        keys = gate._keys(campaign.pk)
        assert len({nodes.keyslot(key) for key in keys}) == 1
        left_key, who_key = keys[:2]
        assert (nodes.get(left_key), nodes.scard(who_key)) == (b"0", 50)


def test_it_gives_one_claim_to_a_resident_pressing_20_times(
    resident, make_campaign, no_throttles, gate_mode
):
    """The same resident 20 times at once: one success, 19 already_claimed."""
    campaign = make_campaign(claims=50, points=10)
    api = client(resident)
    url = f"/api/v1/points/campaigns/{campaign.pk}/claim"
    responses = run_at_once([lambda: api.post(url)] * 20)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 19
    assert resident_summary(user=resident).redeemable == 10
    assert ledger_verify().ok


def test_it_lets_20_concurrent_redemptions_spend_only_what_is_there(
    resident, grant, reward, no_throttles
):
    """A balance covering 5 redemptions: exactly 5 of 20 concurrent ones succeed."""
    grant(resident, 5 * reward.cost_points)
    reward.stock = 100
    reward.save()
    api = client(resident)
    responses = run_at_once(
        [
            lambda: api.post("/api/v1/points/redemptions", {"reward": reward.pk}, format="json")
            for _ in range(20)
        ]
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 5, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"insufficient_points"}
    assert resident_summary(user=resident).redeemable == 0
    assert Redemption.objects.count() == 5
    reward.refresh_from_db()
    assert reward.stock == 95
    assert ledger_verify().ok


def test_it_moves_points_once_for_one_idempotency_key_sent_10_times(
    resident, make_campaign, no_throttles
):
    """The same Idempotency-Key 10 times at once: one claim; the others replay or wait."""
    campaign = make_campaign(claims=50, points=10)
    api = client(resident)
    url = f"/api/v1/points/campaigns/{campaign.pk}/claim"
    responses = run_at_once([lambda: api.post(url, HTTP_IDEMPOTENCY_KEY="same")] * 10)
    for response in responses:
        assert response.status_code in (201, 409), response.content
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_progress"
    assert any(r.status_code == 201 for r in responses)
    assert CampaignClaim.objects.filter(resident=resident).count() == 1
    assert resident_summary(user=resident).redeemable == 10
    assert ledger_verify().ok


def test_it_caps_concurrent_review_awards(resident, settings):
    """10 reviews at once by one resident: the daily cap still holds."""
    settings.REVIEW_POINTS_DAILY_CAP = 3
    awarded = run_at_once(
        [
            lambda i=i: services.review_points_award(review_id=1000 + i, resident=resident)
            for i in range(10)
        ]
    )
    assert sorted(awarded) == [0] * 7 + [10] * 3
    assert resident_summary(user=resident).redeemable == 30
    assert ledger_verify().ok


def test_it_never_overdraws_under_mixed_concurrent_spending(resident, grant, merchant):
    """Redemptions and adjustments racing on one account never take it below zero."""
    grant(resident, 1000)
    rewards = [
        services.reward_create(merchant=merchant, title=f"r{i}", cost_points=300, stock=50)
        for i in range(3)
    ]
    account = ledger.resident_account(user=resident)

    def redeem(reward):
        try:
            services.redemption_create(reward=reward, resident=resident)
            return "ok"
        except services.InsufficientPoints:
            return "refused"

    results = run_at_once([lambda r=r: redeem(r) for r in rewards * 5])
    assert results.count("ok") == 3
    assert Account.objects.get(pk=account.pk).balance == 100
    assert ledger_verify().ok
