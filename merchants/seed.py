"""The demo merchant's counter code (idempotent). Its till (+8613847700030, /merchant/)
and the finance officer (+8613847700033, the admin) are points.seed's demo people,
granted again here so this runs on its own."""

from accounts.roles import Role
from accounts.services import role_grant
from points.models import Merchant

from . import codes

SHOP = "鄂尔多斯羊绒专卖店"
SHOP_PHONE = "+8613847700030"
FINANCE_PHONE = "+8613847700033"


def run() -> str:
    merchant = Merchant.objects.filter(name=SHOP).first()
    if merchant is None:
        return "no demo merchant"
    role_grant(phone=SHOP_PHONE, role=Role.MERCHANT, links={"merchant": merchant.pk})
    role_grant(phone=FINANCE_PHONE, role=Role.FINANCE)
    codes.counter_code(merchant)
    return f"{SHOP} staff {SHOP_PHONE}, finance {FINANCE_PHONE}"
