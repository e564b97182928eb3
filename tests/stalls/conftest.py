"""People and places of the stalls tests: a site of the urban-management unit, its
officer, an officer of another unit, a district administrator, vendors."""

import datetime
import itertools
from unittest import mock

import pytest
from django.utils import timezone

from cadres.models import Unit
from stalls.codes import site_code_url
from stalls.idcard import check_char
from stalls.models import GoodsCategory, Site, TradingWindow

_serial = itertools.count(100)


def id_number(birth: str = "19800101") -> str:
    """A fresh valid mainland ID-card number (Ordos region code 150603)."""
    first17 = f"150603{birth}{next(_serial) % 1000:03d}"
    return first17 + check_char(first17)


def make_site_for(unit, *, name=None, capacity=10, goods=None, windows=(("00:00", "23:59"),)):
    site = Site.objects.create(
        name=name or f"测试便民点{next(_serial)}",
        kind=Site.Kind.CONVENIENCE_POINT,
        address="康巴什区测试路1号",
        latitude="39.600000",
        longitude="109.780000",
        capacity=capacity,
        goods_categories=goods or [GoodsCategory.FRUIT_VEGETABLES, GoodsCategory.SNACKS],
        unit=unit,
    )
    for start, end in windows:
        TradingWindow.objects.create(
            site=site,
            start=datetime.time.fromisoformat(start),
            end=datetime.time.fromisoformat(end),
        )
    return site


@pytest.fixture
def unit(db):
    return Unit.objects.create(name="城市管理综合执法局", kind="urban_management")


@pytest.fixture
def other_unit(db):
    return Unit.objects.create(name="另一个执法大队", kind="urban_management")


@pytest.fixture
def make_site(unit):
    def make(**kwargs):
        return make_site_for(kwargs.pop("unit", unit), **kwargs)

    return make


@pytest.fixture
def site(make_site):
    return make_site()


@pytest.fixture
def officer(make_user, unit):
    return make_user("urban_officer", unit=unit.pk, display_name="Olga Officer")


@pytest.fixture
def other_officer(make_user, other_unit):
    return make_user("urban_officer", unit=other_unit.pk, display_name="Oscar Elsewhere")


@pytest.fixture
def district_admin(make_user):
    return make_user("district_admin", display_name="Dana Admin")


@pytest.fixture
def vendor(make_user):
    return make_user(display_name="Victor Vendor")


@pytest.fixture
def other_vendor(make_user):
    return make_user(display_name="Vera Vendor")


@pytest.fixture
def register(client_for):
    """POST /stalls/registrations as `user` at `site`; returns the response."""

    def post(user, site, **overrides):
        body = {
            "site_code": site_code_url(site),
            "vendor_name": "王小明",
            "id_number": id_number(),
            "goods_category": GoodsCategory.FRUIT_VEGETABLES,
            "description": "新鲜水果",
            **overrides,
        }
        return client_for(user).post("/api/v1/stalls/registrations", body, format="json")

    return post


def at_noon():
    """Today at 12:00 Asia/Shanghai: inside the default 00:00-23:59 window whatever
    minute the test runs (at 23:59 the real clock is outside it)."""
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    return mock.patch("django.utils.timezone.now", return_value=noon)


def fetch_status(client, url) -> int:
    """The status of GET `url`. A served file stays open until its response is read to
    the end (the test client then closes it; closing it by hand would close the test's
    database connection with the request)."""
    response = client.get(url)
    if response.streaming:
        b"".join(response.streaming_content)
    return response.status_code
