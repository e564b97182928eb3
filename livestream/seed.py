"""Demo livestream duty (idempotent): two division-level cadres, the live room's operator
and a discipline inspector, two held sessions and a planned one, income and a transfer."""

import datetime as dt
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.roles import Role
from accounts.services import role_grant
from cadres.models import Cadre, CadreRank

from . import services
from .models import Income, Product, Session

OPERATOR_PHONE = "+8613847700020"
INSPECTOR_PHONE = "+8613847700021"
# 旅游服务中心主任 and 执法中队队长 of the cadres seed: division level in the demo.
DIVISION_CADRES = ["KBS-01003", "KBS-03001"]
WELFARE_FUND = "康巴什区慈善总会"
# The catalogue (also loaded by migration 0002, which a flushed test database lacks).
PRODUCTS = [
    ("羊绒围巾", "鄂尔多斯羊绒围巾"),
    ("沙棘汁", "鄂尔多斯野生沙棘汁"),
    ("酸杏", "准格尔酸杏"),
    ("蒙古奶茶", "蒙古族传统砖茶奶茶"),
    ("黄河碱地米", "黄河岸边盐碱地大米"),
]


def _evidence(name: str) -> ContentFile:
    return ContentFile(b"%PDF-1.4\n% demo evidence\n", name=name)


def run() -> str:
    for name, description in PRODUCTS:
        Product.objects.get_or_create(name=name, defaults={"description": description})
    Cadre.objects.filter(employee_number__in=DIVISION_CADRES).update(rank=CadreRank.DIVISION)
    operator = role_grant(phone=OPERATOR_PHONE, role=Role.LIVE_OPERATOR)
    inspector = role_grant(phone=INSPECTOR_PHONE, role=Role.DISCIPLINE_INSPECTOR)
    hosts = list(Cadre.objects.filter(employee_number__in=DIVISION_CADRES).order_by("pk"))
    products = list(Product.objects.order_by("pk"))
    if (
        len(hosts) < 2
        or not products
        or Session.objects.filter(title__startswith="【演示】").exists()
    ):
        return f"{Session.objects.count()} sessions"
    now = timezone.now()
    plans = [
        (
            "【演示】多多拼直播间·羊绒与沙棘专场",
            now - dt.timedelta(days=40),
            [hosts[0]],
            products[:2],
        ),
        ("【演示】抖音·黄河碱地米与蒙古奶茶", now - dt.timedelta(days=10), hosts, products[2:]),
        ("【演示】快手·酸杏丰收季", now + dt.timedelta(days=7), [hosts[1]], products[2:3]),
    ]
    outcomes = [(120, 8200, 1630, Decimal("150000.00")), (90, 3100, 540, Decimal("42800.50"))]
    sessions = []
    for (title, starts_at, cadres, featured), platform in zip(
        plans, ["duoduopin", "douyin", "kuaishou"], strict=True
    ):
        session = services.session_plan(
            user=operator,
            title=title,
            unit=cadres[0].unit,
            starts_at=starts_at,
            platform=platform,
            hosts=cadres,
            products=featured,
        )
        sessions.append(session)
    for session, (minutes, viewers, orders, sales) in zip(sessions, outcomes, strict=False):
        services.session_outcome_record(
            user=operator,
            session=session,
            duration_minutes=minutes,
            peak_viewers=viewers,
            orders=orders,
            sales=sales,
            evidence=_evidence("outcome.pdf"),
        )
    income = services.income_record(
        user=operator,
        session=sessions[0],
        cadre=hosts[0],
        kind=Income.Kind.COMMISSION,
        amount=Decimal("1500.00"),
        received_on=timezone.localdate() - dt.timedelta(days=38),
    )
    transfer = services.transfer_record(
        user=operator,
        income=income,
        amount=Decimal("1500.00"),
        fund=WELFARE_FUND,
        reference="KBS-CS-2026-0001",
        transferred_on=timezone.localdate() - dt.timedelta(days=35),
        evidence=_evidence("transfer.pdf"),
    )
    services.transfer_confirm(user=inspector, transfer=transfer)
    services.income_record(
        user=operator,
        session=sessions[1],
        cadre=hosts[1],
        kind=Income.Kind.TIPS,
        amount=Decimal("320.00"),
        received_on=timezone.localdate() - dt.timedelta(days=9),
    )
    return f"{len(sessions)} sessions added ({Session.objects.count()} in all)"
