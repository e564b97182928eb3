"""The rankings' tests use the cadres' fixtures: units, cadres, and their people; and a
published month (`published`) for the stored renderings' tests."""

import datetime as dt

import pytest

from cadres import services as cadres_services
from cadres.models import Unit
from core.timezones import LOCAL_TZ
from rankings import services
from tests.cadres.conftest import (  # noqa: F401 (fixtures, and review_create's clock)
    at,
    badge,
    cadre,
    cadre_user,
    district_admin,
    make_cadre,
    make_unit,
    unit,
    unit_admin,
)

MARCH, APRIL = dt.date(2026, 3, 1), dt.date(2026, 4, 1)


def publish_month(month=MARCH):
    with at(dt.datetime(month.year, month.month + 1, 4, 1, 0, tzinfo=LOCAL_TZ)):
        services.rankings_compile(month=month)
        return services.ranking_month_publish(month=month)


@pytest.fixture
def published(make_user, make_cadre, django_capture_on_commit_callbacks):  # noqa: F811
    """March 2026 published: one unit of two cadres, one with a bad review (to exclude)."""
    office = Unit.objects.create(name="康巴什区政务服务局")
    cadres = [make_cadre(unit=office, name=f"干部{n}") for n in range(2)]
    for each in cadres:
        for day in range(1, 4):
            with at(dt.datetime(2026, 3, day, 10, 0, tzinfo=LOCAL_TZ)):
                cadres_services.review_create(cadre=each, reviewer=make_user(), rating=5)
    with at(dt.datetime(2026, 3, 30, 10, 0, tzinfo=LOCAL_TZ)):
        bad = cadres_services.review_create(cadre=cadres[0], reviewer=make_user(), rating=1)
    with django_capture_on_commit_callbacks(execute=True):
        publish_month()
    return {"unit": office, "bad": bad}


def published_urls(published):
    unit_id = published["unit"].pk
    return [
        "/leaderboard/",
        "/leaderboard/2026-03/",
        f"/leaderboard/2026-03/?unit={unit_id}",
        "/leaderboard/?q=%E5%B9%B2",
        "/api/v1/rankings/2026-03",
        "/api/v1/rankings/2026-03?scope=unit",
        "/api/v1/rankings/2026-03?scope=cadre",
        "/api/v1/rankings/2026-03?scope=cadre&page_size=1",
        f"/api/v1/rankings/2026-03?scope=cadre&unit={unit_id}",
    ]
