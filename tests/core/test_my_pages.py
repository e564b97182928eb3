"""A person's own pages (config/mine.py) and the page a notification opens."""

import pytest
from django.test import Client

from accounts.roles import Role
from cadres.models import Cadre, Unit
from notifications.links import page_link
from notifications.services import notify

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("link", "page"),
    [
        ("/api/v1/cadre/reviews", "/cadre/reviews"),
        ("/api/v1/cadre/appeals", "/cadre/reviews#appeals"),
        ("/api/v1/reviews/12/response", "/cadre/reviews#review-12"),
        ("/api/v1/reviews/12/verdict", "/me/#review-12"),
        ("/api/v1/points/redemptions", "/me/#vouchers"),
        ("/api/v1/points/balance", "/me/"),
        ("/api/v1/points/campaigns/3/claim", "/me/"),
        ("/api/v1/stalls/registrations", "/me/stalls#registrations"),
        ("/api/v1/stalls/5", "/me/stalls#stall-5"),
        ("/api/v1/stalls/reports/mine", "/me/stalls#reports"),
        ("/api/v1/merchant/payments", "/merchant/#payments"),
        ("/api/v1/no/such/page", ""),
        ("/admin/", "/admin/"),
        ("", ""),
    ],
)
def test_a_notification_link_opens_a_page_never_json(link, page):
    assert page_link(link) == page


def test_the_notifications_page_links_each_notification_to_its_page(resident):
    notify(
        user_id=resident.pk,
        kind="review_answered",
        key=7,
        params={"cadre": "张"},
        link="/api/v1/reviews/7/verdict",
    )
    html = signed_in(resident).get("/notifications").content.decode()
    assert 'href="/me/#review-7"' in html
    assert "/api/v1/" not in html


def test_a_resident_sees_their_points_payments_reviews_and_vouchers(resident):
    response = signed_in(resident).get("/me/")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    html = response.content.decode()
    for section in ("balance", "lots", "payments", "reviews", "vouchers"):
        assert f'id="{section}"' in html, section
    assert "我的积分" in html


def test_signed_out_the_pages_ask_to_sign_in(client):
    for path in ("/me/", "/cadre/reviews"):
        html = client.get(path).content.decode()
        assert 'id="signin"' in html, path


def test_a_cadre_sees_their_reviews_and_appeals(make_user):
    unit = Unit.objects.create(name="康巴什区政务服务局")
    cadre = Cadre.objects.create(unit=unit, name="张明", title="科员", employee_number="E990001")
    user = make_user(Role.CADRE, cadre=cadre.pk)
    html = signed_in(user).get("/cadre/reviews").content.decode()
    assert 'id="reviews"' in html and 'id="appeals"' in html and "张明" in html
    resident = make_user()
    assert "只有干部" in signed_in(resident).get("/cadre/reviews").content.decode()
