"""seed_demo's points part."""

import pytest

from points import seed
from points.models import Campaign, Merchant, MoralCategory, PrivilegeTier, Reward

pytestmark = pytest.mark.django_db


def test_it_seeds_once():
    """Categories, tiers, merchants with rewards and one running campaign; twice changes nothing."""
    seed.run()
    counts = [m.objects.count() for m in (MoralCategory, PrivilegeTier, Merchant, Reward, Campaign)]
    assert counts == [3, 3, 3, 5, 1]
    assert Campaign.objects.get().is_open()
    bravery = MoralCategory.objects.get(code="acting_bravely")
    assert (bravery.min_points, bravery.max_points) == (20, 50)
    seed.run()
    assert [
        m.objects.count() for m in (MoralCategory, PrivilegeTier, Merchant, Reward, Campaign)
    ] == counts
