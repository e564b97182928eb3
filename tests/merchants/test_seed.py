"""seed_demo's merchants part: the shops' staff and a finance officer, twice the same."""

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
    own = User.objects.get(phone=seed.OWN_SHOP_PHONE)
    assert own.display_name == seed.OWN_SHOP_STAFF
    assert list(own.merchants.values_list("name", flat=True)) == [seed.OWN_SHOP]
    # Both shops take payments at their counter: one code each.
    assert sorted(MerchantCode.objects.values_list("merchant__name", flat=True)) == sorted(
        [seed.SHOP, seed.OWN_SHOP]
    )
