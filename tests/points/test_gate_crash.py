"""The gate after a crash: admissions that never reached the database (their process
died) neither lock their residents out nor keep points in the pool, with no
reconciliation run. Real threads on PostgreSQL, the real Redis."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from points import campaigns, gate
from points.errors import AlreadyClaimed, SoldOut
from points.models import CampaignClaim
from points.selectors import campaign_pool_balance
from points.verification import ledger_verify

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def claim_all_at_once(campaign, residents) -> dict[int, str]:
    """Each resident claims once, all on their own thread and connection, together."""
    barrier = threading.Barrier(len(residents))

    def claim(resident):
        barrier.wait(timeout=30)
        try:
            campaigns.campaign_claim(campaign=campaign, resident=resident)
            return "claimed"
        except (SoldOut, AlreadyClaimed) as error:
            return error.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(residents)) as pool:
        return dict(zip([r.pk for r in residents], pool.map(claim, residents), strict=True))


def test_it_lets_dead_admissions_claim_and_empties_the_pool_exactly(
    make_user, make_campaign, settings
):
    """6 residents admitted by the gate whose claims never committed: the 3 who come back
    all claim (not already_claimed), then a wave of 20 takes exactly the 7 claims left,
    the 3 that never came back included; the pool ends at 0."""
    settings.GRAB_GATE_UNSETTLED_SECONDS = 0  # any unsettled admission counts as dead
    campaign = make_campaign(claims=10, points=10)
    ghosts = [make_user() for _ in range(6)]
    for ghost in ghosts:
        # What a request killed between the gate and its commit leaves behind.
        assert gate.admit(campaign=campaign, resident_id=ghost.pk) is gate.Admission.ADMITTED
    assert gate.gate_state(campaign=campaign) == {"left": 4, "claimants": 6}

    returning = ghosts[:3]
    assert set(claim_all_at_once(campaign, returning).values()) == {"claimed"}

    wave = [make_user() for _ in range(20)]
    outcomes = list(claim_all_at_once(campaign, wave).values())
    assert outcomes.count("claimed") == 7
    assert set(outcomes) == {"claimed", "sold_out"}
    assert CampaignClaim.objects.filter(campaign=campaign).count() == 10
    assert campaign_pool_balance(campaign=campaign) == 0
    # The ones who never came back now hear the truth: sold out, not already claimed.
    with pytest.raises(SoldOut):
        campaigns.campaign_claim(campaign=campaign, resident=ghosts[5])
    assert ledger_verify().ok


def test_it_still_answers_already_claimed_for_a_real_claim(make_user, make_campaign):
    """The database confirms the gate's already_claimed when the claim is there."""
    campaign = make_campaign(claims=3, points=10)
    resident = make_user()
    campaigns.campaign_claim(campaign=campaign, resident=resident)
    with pytest.raises(AlreadyClaimed):
        campaigns.campaign_claim(campaign=campaign, resident=resident)
    assert CampaignClaim.objects.filter(campaign=campaign).count() == 1


def test_it_keeps_scripts_off_the_redis_client():
    """The gate's registered scripts live in the module's own cache, not on the client."""
    client = gate._client()
    assert not [name for name in vars(client) if name.startswith("_duoduo")]
