"""The rankings in the admin: a district admin publishes a month and exports it."""

import datetime as dt

import pytest
from django.test import Client

from cadres import services
from rankings import services as rankings_services
from rankings.models import RankingMonth
from tests.forms import nonce_of

from .conftest import at

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_publish_and_export_from_the_admin(district_admin, cadre, resident):
    with at(dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)):
        services.review_create(cadre=cadre, reviewer=resident, rating=5)
    ranking = rankings_services.rankings_compile(month=dt.date(2026, 3, 1))
    client = admin_client(district_admin)
    assert client.get("/admin/rankings/rankingmonth/").status_code == 200
    client.post(
        "/admin/rankings/rankingmonth/",
        {"action": "publish", "_selected_action": [ranking.pk], **nonce_of(client)},
    )
    assert RankingMonth.objects.get().published_at is not None
    csv = client.post(
        "/admin/rankings/rankingmonth/", {"action": "export_csv", "_selected_action": [ranking.pk]}
    )
    assert csv["Content-Type"].startswith("text/csv")
    assert "王丽娜" in csv.content.decode("utf-8-sig")
    xlsx = client.post(
        "/admin/rankings/rankingmonth/", {"action": "export_xlsx", "_selected_action": [ranking.pk]}
    )
    assert xlsx.content[:2] == b"PK"
