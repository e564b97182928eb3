"""Points fixtures: a merchant with a reward, an open campaign, residents with points."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.roles import Role
from points import campaigns, ledger, services
from points.models import Account, Currency, MoralCategory, PrivilegeTier


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.DISTRICT_ADMIN, display_name="Dora Admin")


@pytest.fixture
def grant(admin_user):
    """grant(user, points): an administrator's adjustment credits redeemable points."""

    def give(user, points, currency=Currency.REDEEMABLE):
        account = ledger.resident_account(user=user, currency=currency)
        services.adjustment_post(
            account=account, amount=points, reason="test grant", admin=admin_user
        )
        return Account.objects.get(pk=account.pk).balance

    return give


@pytest.fixture
def merchant(db):
    return services.merchant_create(name="Ordos Cashmere Shop")


@pytest.fixture
def merchant_user(make_user, merchant):
    return make_user(Role.MERCHANT, display_name="Mia Merchant", merchant=merchant.pk)


@pytest.fixture
def reward(merchant):
    return services.reward_create(
        merchant=merchant, title="Cashmere scarf", cost_points=500, stock=10
    )


@pytest.fixture
def make_campaign(admin_user):
    def make(claims=5, points=88, starts_in=-60, lasts=3600, title="Grab"):
        now = timezone.now()
        return campaigns.campaign_create(
            title=title,
            starts_at=now + dt.timedelta(seconds=starts_in),
            ends_at=now + dt.timedelta(seconds=starts_in + lasts),
            points_per_claim=points,
            claims=claims,
            created_by=admin_user,
        )

    return make


@pytest.fixture
def categories(db):
    return {
        code: MoralCategory.objects.create(code=code, name=code, min_points=lo, max_points=hi)
        for code, lo, hi in [("bravery", 20, 50), ("good_deed", 2, 100), ("charity", 1, 20)]
    }


@pytest.fixture
def tiers(db):
    return [
        PrivilegeTier.objects.create(
            code="bank_vip", name="Bank VIP", min_score=50, privileges=["bank VIP queue"]
        ),
        PrivilegeTier.objects.create(
            code="green",
            name="Green channel",
            min_score=100,
            privileges=["bank VIP queue", "medical green channel"],
        ),
    ]


@pytest.fixture
def reviewer(make_user):
    return make_user(Role.MORAL_REVIEWER, display_name="Rita Reviewer")


@pytest.fixture
def partner(make_user):
    return make_user(Role.PARTNER, display_name="Bank Desk")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Uploaded photos go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _gates():
    """Each test starts with no campaign gates in Redis and no cached campaigns (ids restart)."""
    from points import gate, selectors

    selectors._CAMPAIGN_CACHE.clear()

    client = gate._client()
    if client is not None:
        for key in client.scan_iter("duoduo:points:{campaign:*"):
            client.delete(key)
    yield
