"""The 13 demo sites of Kangbashi: 3 morning/night markets and 10 convenience points,
150 slots in all, under the district's urban-management bureau. Idempotent."""

import datetime
from decimal import Decimal

from cadres.models import Unit

from .models import GoodsCategory, Site, TradingWindow

UNIT_NAME = "康巴什区城市管理综合执法局"

G = GoodsCategory
FRESH = [G.FRUIT_VEGETABLES, G.DAIRY_MEAT, G.SNACKS, G.DAILY_GOODS]
NIGHT = [G.COOKED_FOOD, G.SNACKS, G.CLOTHING, G.CRAFTS, G.DAILY_GOODS]
CONVENIENCE = [G.FRUIT_VEGETABLES, G.SNACKS, G.DAILY_GOODS, G.REPAIRS]


def _t(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


# name, kind, address, latitude, longitude, capacity, goods, windows [(start, end)]
SITES = [
    (
        "德荣早市",
        Site.Kind.MORNING_MARKET,
        "康巴什区德荣街与青春山路交汇处",
        "39.608120",
        "109.781350",
        30,
        FRESH,
        [("05:30", "09:00")],
    ),
    (
        "滨河早市",
        Site.Kind.MORNING_MARKET,
        "康巴什区滨河路北侧停车场",
        "39.596410",
        "109.793620",
        25,
        FRESH,
        [("05:30", "09:00")],
    ),
    (
        "康巴什夜市",
        Site.Kind.NIGHT_MARKET,
        "康巴什区乌兰木伦湖南岸广场",
        "39.601770",
        "109.772480",
        25,
        NIGHT,
        [("18:00", "23:30")],
    ),
    (
        "阳光小区便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区阳光小区东门",
        "39.612300",
        "109.786100",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "康城小区便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区康城小区南门",
        "39.605540",
        "109.768900",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "青春山社区便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区青春山社区服务中心西侧",
        "39.615020",
        "109.779300",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "哈巴格希便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区哈巴格希街道市民广场",
        "39.620110",
        "109.792700",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "康新便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区康新街道康新社区北门",
        "39.598870",
        "109.760250",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "滨河社区便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区滨河社区活动中心旁",
        "39.593300",
        "109.801100",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "东城小区便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区东城小区西门",
        "39.609900",
        "109.808400",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "书香苑便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区书香苑小区北门",
        "39.617700",
        "109.770600",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "蓝海湾便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区蓝海湾小区东侧",
        "39.590400",
        "109.781900",
        7,
        CONVENIENCE,
        [("07:00", "10:00"), ("17:00", "20:00")],
    ),
    (
        "文化广场便民点",
        Site.Kind.CONVENIENCE_POINT,
        "康巴什区文化广场西北角",
        "39.603300",
        "109.789800",
        7,
        CONVENIENCE,
        [("16:30", "21:00")],
    ),
]


def run() -> str:
    unit, _ = Unit.objects.get_or_create(name=UNIT_NAME, defaults={"kind": "urban_management"})
    created = 0
    for name, kind, address, lat, lng, capacity, goods, windows in SITES:
        site, was_created = Site.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "address": address,
                "latitude": Decimal(lat),
                "longitude": Decimal(lng),
                "capacity": capacity,
                "goods_categories": [str(code) for code in goods],
                "unit": unit,
            },
        )
        if was_created:
            created += 1
            TradingWindow.objects.bulk_create(
                TradingWindow(site=site, start=_t(start), end=_t(end)) for start, end in windows
            )
    total = sum(site[5] for site in SITES)
    return f"{len(SITES)} sites ({created} new), {total} slots, unit {unit.pk}"
