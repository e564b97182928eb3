"""The demo merchants' counter codes (idempotent). The first shop's till (+8613847700030,
/merchant/) and the finance officer (+8613847700033, the admin) are points.seed's demo
people, granted again here so this runs on its own; the demo's own shop, 多多拼本地好物,
gets a till of its own (+8613847700037), so that it too takes payments at the counter."""

from accounts.roles import Role
from accounts.services import role_grant, user_get_or_create
from points.models import Merchant

from . import codes

SHOP = "鄂尔多斯羊绒专卖店"
SHOP_PHONE = "+8613847700030"
OWN_SHOP = "多多拼本地好物"
OWN_SHOP_PHONE = "+8613847700037"
OWN_SHOP_STAFF = "多多拼店员"
FINANCE_PHONE = "+8613847700033"


def run() -> str:
    merchant = Merchant.objects.filter(name=SHOP).first()
    if merchant is None:
        return "no demo merchant"
    role_grant(phone=SHOP_PHONE, role=Role.MERCHANT, links={"merchant": merchant.pk})
    role_grant(phone=FINANCE_PHONE, role=Role.FINANCE)
    codes.counter_code(merchant)
    summary = f"{SHOP} staff {SHOP_PHONE}, finance {FINANCE_PHONE}"
    own = Merchant.objects.filter(name=OWN_SHOP).first()
    if own is not None:
        user_get_or_create(phone=OWN_SHOP_PHONE, display_name=OWN_SHOP_STAFF)
        role_grant(phone=OWN_SHOP_PHONE, role=Role.MERCHANT, links={"merchant": own.pk})
        codes.counter_code(own)
        summary += f", {OWN_SHOP} staff {OWN_SHOP_PHONE}"
    return summary
