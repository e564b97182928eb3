"""The signed-in /q/ pages show the unread count; /notifications lists and marks read."""

from urllib.parse import urlsplit

import pytest

from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db


def give(user, key):
    notify(
        user_id=user.pk,
        kind="review_answered",
        key=key,
        params={"cadre": "王丽娜"},
        link="/api/v1/reviews/1/verdict",
    )


def test_the_notifications_page_lists_mine_and_marks_them_read(resident, other_resident, client):
    give(resident, "1")
    give(resident, "2")
    give(other_resident, "3")
    client.force_login(resident)
    page = client.get("/notifications").content.decode()
    assert page.count("您的评价已获答复") == 2
    assert '<span id="unread-count">2</span>' in page
    assert "private" in client.get("/notifications")["Cache-Control"]
    response = client.post("/notifications")
    assert response.status_code == 302
    assert Notification.objects.filter(user=resident, read_at__isnull=True).count() == 0
    assert Notification.objects.filter(user=other_resident, read_at__isnull=True).count() == 1
    assert 'id="unread-count"' not in client.get("/notifications").content.decode()


def test_signed_out_the_page_asks_to_sign_in(client):
    page = client.get("/notifications").content.decode()
    assert 'id="signin"' in page and 'id="inbox-link"' not in page
    assert client.post("/notifications").status_code == 200  # nothing to mark


def test_a_q_page_shows_the_signed_in_users_unread_count(resident, cadre, badge, client):
    give(resident, "1")
    path = urlsplit(badge(cadre)).path
    assert 'id="inbox-link"' not in client.get(path).content.decode()
    client.force_login(resident)
    page = client.get(path).content.decode()
    assert (
        '<a class="inbox" id="inbox-link" href="/notifications">通知 <span id="unread-count">1</span></a>'
        in page
    )
