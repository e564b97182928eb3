"""Demo merchants' staff and the district's finance officer (idempotent): the cashmere
shop's till (+8613847700050, /merchant/) and finance (+8613847700051, the admin)."""

from accounts.roles import Role
from accounts.services import role_grant
from points.models import Merchant

from . import codes

SHOP = "鄂尔多斯羊绒专卖店"
SHOP_PHONE = "+8613847700050"
FINANCE_PHONE = "+8613847700051"


def run() -> str:
    merchant = Merchant.objects.filter(name=SHOP).first()
    if merchant is None:
        return "no demo merchant"
    role_grant(phone=SHOP_PHONE, role=Role.MERCHANT, links={"merchant": merchant.pk})
    role_grant(phone=FINANCE_PHONE, role=Role.FINANCE)
    codes.counter_code(merchant)
    return f"{SHOP} staff {SHOP_PHONE}, finance {FINANCE_PHONE}"
