"""The grab claim against PostgreSQL and Redis: every statement of one claim counted,
through the real API with a real token, BEGIN, SAVEPOINT and COMMIT included."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from points import gate
from points.models import CampaignClaim
from points.selectors import campaign_pool_balance
from points.verification import ledger_verify

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

# With an Idempotency-Key: the user (authentication), the key claimed (BEGIN, INSERT,
# COMMIT), then BEGIN, the claim row (the user checked active in it), the ledger's
# posting (resident credited, pool shard debited, entries), the answer stored, COMMIT.
WINNER_WITH_KEY = 9
# Without a key: BEGIN, the claim row, the posting, COMMIT.
WINNER = 4


def client(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return api


def claim(api, campaign, key=None):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return api.post(f"/api/v1/points/campaigns/{campaign.pk}/claim", **headers)


def counted(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, [query["sql"] for query in queries.captured_queries]


def test_it_claims_in_9_statements_with_an_idempotency_key(make_user, make_campaign, grant):
    """A winning claim with an Idempotency-Key takes at most 9 statements, no savepoint,
    for a resident's first points and for one who has points already; the same key
    replays the answer."""
    campaign = make_campaign(claims=5, points=88)
    campaign_for_cache = client(make_user())
    assert claim(campaign_for_cache, campaign).status_code == 201  # warms the campaign cache
    with_points = make_user()
    grant(with_points, 12)
    for resident, balance in ((make_user(), 88), (with_points, 100)):
        api = client(resident)
        response, statements = counted(lambda api=api: claim(api, campaign, key="grab-1"))
        assert response.status_code == 201, response.json()
        assert response.json() == {"amount": 88, "balance": balance}
        assert len(statements) <= WINNER_WITH_KEY, "\n".join(statements)
        assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()], statements
        replay = claim(api, campaign, key="grab-1")
        assert replay.status_code == 201 and replay["Idempotent-Replayed"] == "true"
    assert CampaignClaim.objects.filter(campaign=campaign).count() == 3
    assert ledger_verify().ok


def test_it_claims_in_4_statements_without_a_key(make_user, make_campaign):
    """Without a key a winning claim is BEGIN, the claim row, the posting and COMMIT."""
    campaign = make_campaign(claims=5, points=88)
    assert claim(client(make_user()), campaign).status_code == 201
    api = client(make_user())
    response, statements = counted(lambda: claim(api, campaign))
    assert response.status_code == 201, response.json()
    assert len(statements) <= WINNER, "\n".join(statements)


def test_it_answers_losers_from_redis_alone(make_user, make_campaign):
    """Where the gate decides (sold out; claimed and settled) the answer takes no SQL."""
    campaign = make_campaign(claims=1, points=88)
    winner = client(make_user())
    assert claim(winner, campaign).status_code == 201
    response, statements = counted(lambda: claim(winner, campaign))
    assert response.json()["code"] == "already_claimed"
    assert statements == []
    late = client(make_user())
    response, statements = counted(lambda: claim(late, campaign))
    assert response.json()["code"] == "sold_out"
    assert statements == []
    assert campaign_pool_balance(campaign=campaign) == 0
    assert gate.gate_state(campaign=campaign) == {"left": 0, "claimants": 1}
