"""A resident with one of everything the issue lists: a review, points, a moral claim, a
payment, a stall registration (Pearl, with a unique name and phone to scan for)."""

import datetime as dt

import pytest
from django.db import transaction

from accounts.roles import Role
from accounts.sms import LocmemBackend
from cadres import services as cadres_services
from cadres.models import Cadre, Unit
from core.devices import device_token_new
from merchants import services as merchants_services
from points import ledger
from points import services as points_services
from points.models import Currency, MoralCategory
from stalls import services as stalls_services
from stalls.models import GoodsCategory
from tests.conftest import next_phone
from tests.stalls.conftest import id_number, make_site_for


@pytest.fixture
def pearl(make_user):
    """The resident under study: a name found nowhere else."""
    return make_user(phone=next_phone(), display_name="Pearl Quixotewise")


def last_code(phone: str) -> str:
    return [m["code"] for m in LocmemBackend.outbox if m["phone"] == phone][-1]


@pytest.fixture
def fresh_code(client_for, django_capture_on_commit_callbacks):
    """fresh_code(user, purpose): ask POST /me/code and read the SMS."""

    def ask(user, purpose):
        with django_capture_on_commit_callbacks(execute=True):
            sent = client_for(user).post("/api/v1/me/code", {"purpose": purpose}, format="json")
        assert sent.status_code == 202, sent.json()
        return last_code(user.phone)

    return ask


@pytest.fixture
def pearls_life(pearl, make_user):
    """Pearl reviewed a cadre, got and spent points, claimed moral points, registered a
    stall (pending): returns the rows by name."""
    admin = make_user(Role.DISTRICT_ADMIN, display_name="Dora Admin")
    unit = Unit.objects.create(name="康巴什区城市管理局", kind=Unit.Kind.BUREAU)
    cadre = Cadre.objects.create(unit=unit, name="王丽娜", title="科员", employee_number="P0001")
    with transaction.atomic():
        review = cadres_services.review_create(
            cadre=cadre,
            reviewer=pearl,
            rating=2,
            comment="排队太久",
            device_id=device_token_new(),
            address="203.0.113.9",
        )
    account = ledger.resident_account(user=pearl, currency=Currency.REDEEMABLE)
    points_services.adjustment_post(account=account, amount=100, reason="grant", admin=admin)
    merchant = points_services.merchant_create(name="Ordos Cashmere Shop", address="Kangbashi")
    payment = merchants_services.payment_create(
        resident=pearl, merchant=merchant, amount_points=30
    ).payment
    category = MoralCategory.objects.create(code="deed", name="deed", min_points=1, max_points=9)
    claim = points_services.moral_claim_create(
        resident=pearl,
        category=category,
        description="扶老人过马路",
        occurred_on=dt.date(2026, 11, 30),
    )
    site = make_site_for(unit)
    registration = stalls_services.registration_create(
        vendor=pearl,
        site=site,
        vendor_name="Pearl Quixotewise",
        id_number=id_number(),
        goods_category=GoodsCategory.FRUIT_VEGETABLES,
        description="水果",
    )
    return {
        "review": review,
        "payment": payment,
        "claim": claim,
        "registration": registration,
        "cadre": cadre,
        "admin": admin,
    }
