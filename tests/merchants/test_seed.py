"""seed_demo's merchants part: the shop's staff and a finance officer, twice the same."""

import pytest

from accounts.models import User
from accounts.roles import Role
from merchants import seed
from merchants.models import MerchantCode
from points import seed as points_seed

pytestmark = pytest.mark.django_db


def test_it_seeds_a_shop_till_and_finance_once():
    points_seed.run()
    first = seed.run()
    assert seed.run() == first
    staff = User.objects.get(phone=seed.SHOP_PHONE)
    assert Role.MERCHANT in staff.roles
    assert list(staff.merchants.values_list("name", flat=True)) == [seed.SHOP]
    assert Role.FINANCE in User.objects.get(phone=seed.FINANCE_PHONE).roles
    assert MerchantCode.objects.count() == 1
