"""Demo data: moral categories, privilege tiers, merchants with local products, a campaign."""

import datetime as dt

from django.utils import timezone

from accounts.roles import Role
from accounts.services import role_grant, user_get_or_create

from . import campaigns, services
from .models import Campaign, MoralCategory, PrivilegeTier, Reward

CATEGORIES = [
    ("acting_bravely", "见义勇为", 20, 50),
    ("good_deeds", "好人好事", 2, 100),
    ("charity_donation", "慈善捐赠", 1, 20),
]
TIERS = [
    ("bank_vip", "银行VIP通道", 50, ["银行排队优先（VIP）"]),
    ("medical_green", "就医绿色通道", 100, ["银行排队优先（VIP）", "就医绿色通道"]),
    (
        "school_priority",
        "入学优先",
        200,
        ["银行排队优先（VIP）", "就医绿色通道", "子女入学择校优先"],
    ),
]
MERCHANTS = [
    ("鄂尔多斯羊绒专卖店", "康巴什区青春山街道", [("羊绒围巾", 9900, 20)]),
    ("多多拼本地好物", "康巴什区滨河街道", [("沙棘汁（12瓶）", 3800, 100), ("酸杏干", 1500, 80)]),
    (
        "老牛湾壶茶馆",
        "康巴什区哈巴格希街道",
        [("壶茶一壶", 800, 200), ("黄河米（5公斤）", 2600, 50)],
    ),
]
CAMPAIGN_TITLE = "康巴什多多评积分抢兑"

# People of the points roles, to try each one (seed_demo prints them): the merchant works
# at the first shop above.
DEMO_PEOPLE = [
    ("+8613847700030", Role.MERCHANT, "羊绒店店员"),
    ("+8613847700031", Role.MORAL_REVIEWER, "道德积分审核员"),
    ("+8613847700032", Role.PARTNER, "农商银行柜台"),
    ("+8613847700033", Role.FINANCE, "财务结算员"),
]


def run() -> str:
    for code, name, low, high in CATEGORIES:
        MoralCategory.objects.get_or_create(
            code=code, defaults={"name": name, "min_points": low, "max_points": high}
        )
    for code, name, score, privileges in TIERS:
        PrivilegeTier.objects.get_or_create(
            code=code, defaults={"name": name, "min_score": score, "privileges": privileges}
        )
    rewards = 0
    for name, address, items in MERCHANTS:
        merchant = services.merchant_create(name=name, address=address)
        for title, cost, stock in items:
            if not Reward.objects.filter(merchant=merchant, title=title).exists():
                services.reward_create(
                    merchant=merchant, title=title, cost_points=cost, stock=stock
                )
                rewards += 1
    shop = services.merchant_create(name=MERCHANTS[0][0], address=MERCHANTS[0][1])
    for phone, role, name in DEMO_PEOPLE:
        user_get_or_create(phone=phone, display_name=name)
        links = {"merchant": shop.pk} if role == Role.MERCHANT else None
        role_grant(phone=phone, role=role, links=links)
    campaign = Campaign.objects.filter(title=CAMPAIGN_TITLE).first()
    if campaign is None:
        now = timezone.now()
        campaign = campaigns.campaign_create(
            title=CAMPAIGN_TITLE,
            starts_at=now - dt.timedelta(minutes=5),
            ends_at=now + dt.timedelta(days=30),
            points_per_claim=88,
            claims=1000,
            created_by=None,
        )
    return (
        f"{len(CATEGORIES)} moral categories, {len(TIERS)} tiers, {len(MERCHANTS)} merchants, "
        f"{rewards} new rewards, campaign #{campaign.pk}"
    )
