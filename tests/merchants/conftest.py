"""Merchant fixtures: a shop with its staff (Mia), another shop (Otto's), residents
with points, a finance officer (Fay) and a district admin."""

import pytest

from accounts.roles import Role
from points import ledger, services
from points.models import Account, Currency


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.DISTRICT_ADMIN, display_name="Dora Admin")


@pytest.fixture
def grant(admin_user):
    """grant(user, points): an administrator's adjustment credits points (redeemable)."""

    def give(user, points, currency=Currency.REDEEMABLE):
        account = ledger.resident_account(user=user, currency=currency)
        services.adjustment_post(
            account=account, amount=points, reason="test grant", admin=admin_user
        )
        return Account.objects.get(pk=account.pk).balance

    return give


@pytest.fixture
def merchant(db):
    return services.merchant_create(name="Ordos Cashmere Shop", address="Kangbashi, Ordos")


@pytest.fixture
def other_merchant(db):
    return services.merchant_create(name="Yellow River Rice")


@pytest.fixture
def merchant_user(make_user, merchant):
    return make_user(Role.MERCHANT, display_name="Mia Merchant", merchant=merchant.pk)


@pytest.fixture
def other_merchant_user(make_user, other_merchant):
    return make_user(Role.MERCHANT, display_name="Otto Other", merchant=other_merchant.pk)


@pytest.fixture
def finance(make_user):
    return make_user(Role.FINANCE, display_name="Fay Finance")


@pytest.fixture
def reward(merchant):
    return services.reward_create(
        merchant=merchant, title="Cashmere scarf", cost_points=500, stock=10
    )


def balance_of(account_id: int) -> int:
    return Account.objects.get(pk=account_id).balance
