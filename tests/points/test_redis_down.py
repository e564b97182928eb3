"""The grab with Redis killed mid-campaign: PostgreSQL alone decides, no 500."""

import pytest

from points import campaigns
from points.errors import SoldOut
from points.models import CampaignClaim
from points.selectors import campaign_pool_balance
from tests.redis_server import REDIS_SERVER

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server (apt-get install redis)"),
]


@pytest.mark.postgres
def test_it_grabs_on_postgresql_alone_without_redis(
    doomed_redis, make_campaign, make_user, client_for
):
    """With Redis killed mid-campaign, claims go on: one each, exactly the pool, then
    sold_out and already_claimed from the database."""
    campaign = make_campaign(claims=2, points=10)
    url = f"/api/v1/points/campaigns/{campaign.pk}/claim"
    first = make_user()
    assert client_for(first).post(url).status_code == 201
    doomed_redis.kill()

    second, late = make_user(), make_user()
    assert client_for(second).post(url).status_code == 201
    again = client_for(first).post(url)
    assert (again.status_code, again.json()["code"]) == (409, "already_claimed")
    sold = client_for(late).post(url)
    assert (sold.status_code, sold.json()["code"]) == (409, "sold_out")
    assert CampaignClaim.objects.filter(campaign=campaign).count() == 2
    assert campaign_pool_balance(campaign=campaign) == 0
    with pytest.raises(SoldOut):
        campaigns.campaign_claim(campaign=campaign, resident=make_user())
