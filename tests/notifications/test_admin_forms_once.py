"""A double submit of the confirmed broadcast form (one session, one nonce, real
threads against PostgreSQL) makes one broadcast, and every submit shows the first's
outcome."""

import pytest

from notifications.models import Broadcast
from tests.forms import signed_in, tapped_at_once, texts

NOTICE = {"audience": "residents", "title": "停水通知", "body": "明日 9:00-12:00 停水。"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_sends_one_notice_for_a_double_submit(district_admin):
    responses = tapped_at_once(
        district_admin, "/admin/notifications/broadcast/new/", {**NOTICE, "confirm": "1"}
    )
    assert Broadcast.objects.count() == 1
    assert all("正在发送给 1 人" in page for page in texts(responses))


@pytest.mark.django_db
def test_a_confirmed_notice_without_its_nonce_sends_nothing(district_admin):
    page = signed_in(district_admin).post(
        "/admin/notifications/broadcast/new/", {**NOTICE, "confirm": "1"}, follow=True
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert not Broadcast.objects.exists()
