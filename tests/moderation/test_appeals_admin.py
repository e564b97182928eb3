"""The appeals queue in the admin: appeal reviewers see it (never the reviewer), decide
through the service, an overdue filter; district admins keep the list of holidays."""

import datetime as dt

import pytest
from django.test import Client

from accounts.roles import Role
from cadres import services
from cadres.models import Exclusion, Review
from core.timezones import LOCAL_TZ
from moderation import services as moderation_services
from moderation.models import Appeal, Holiday
from tests.forms import nonce_of

from .conftest import at

THURSDAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL_TZ)
REASON = "评价人当天并未来窗口办理业务，与事实不符。"


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def pending(cadre, cadre_user, resident):
    with at(THURSDAY):
        review = services.review_create(cadre=cadre, reviewer=resident, rating=1, comment="太慢")
        return moderation_services.appeal_create(review=review, appellant=cadre_user, reason=REASON)


@pytest.fixture
def appeal_reviewer(make_user):
    return make_user(Role.APPEAL_REVIEWER, display_name="Ada")


@pytest.mark.django_db
def test_the_queue_shows_the_appeal_but_not_the_reviewer(appeal_reviewer, pending, resident):
    client = admin_client(appeal_reviewer)
    index = client.get("/admin/").content.decode()
    assert "待复核的评价申诉" in index  # the pending queue on the index, with its count
    html = client.get("/admin/moderation/appeal/").content.decode()
    assert pending.review.cadre.name in html
    page = client.get(f"/admin/moderation/appeal/{pending.pk}/decide/").content.decode()
    assert REASON in page and "太慢" in page
    for text in (html, page):
        assert resident.phone not in text and resident.phone[3:] not in text
        assert "Alice" not in text


@pytest.mark.django_db
def test_it_decides_in_the_admin_through_the_service(appeal_reviewer, pending):
    client = admin_client(appeal_reviewer)
    response = client.post(
        f"/admin/moderation/appeal/{pending.pk}/decide/",
        {"reason": "核实属实", "uphold": "1", **nonce_of(client)},
    )
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.outcome, appeal.decided_by, appeal.decision_reason) == (
        "upheld",
        appeal_reviewer,
        "核实属实",
    )
    assert Review.objects.get().excluded_reason == Exclusion.APPEAL


@pytest.mark.django_db
def test_the_admin_refuses_a_decider_of_the_cadres_unit(make_user, pending, unit):
    same_unit = make_user(Role.UNIT_ADMIN, unit=unit.pk)
    same_unit = make_user(Role.APPEAL_REVIEWER, phone=same_unit.phone)
    client = admin_client(same_unit)
    response = client.post(
        f"/admin/moderation/appeal/{pending.pk}/decide/",
        {"reason": "核实属实", "uphold": "1", **nonce_of(client)},
    )
    assert response.status_code == 200  # the form again, with the refusal
    assert "此案涉及您所在单位" in response.content.decode()
    assert Appeal.objects.get().status == "pending"


@pytest.mark.django_db
def test_others_do_not_see_the_queue(resident, unit_admin, pending):
    assert admin_client(unit_admin).get("/admin/moderation/appeal/").status_code == 403
    assert admin_client(unit_admin).get(
        f"/admin/moderation/appeal/{pending.pk}/decide/"
    ).status_code in (
        302,
        403,
    )


@pytest.mark.django_db
def test_the_overdue_filter_lists_pending_appeals_past_due(appeal_reviewer, pending, make_user):
    client = admin_client(appeal_reviewer)
    with at(dt.datetime(2026, 12, 3, 12, 0, tzinfo=LOCAL_TZ)):  # due Thursday 3 Dec 23:59
        assert pending.review.cadre.name not in _overdue_rows(client)
    with at(dt.datetime(2026, 12, 4, 0, 0, 1, tzinfo=LOCAL_TZ)):
        assert pending.review.cadre.name in _overdue_rows(client)


def _overdue_rows(client) -> str:
    html = client.get("/admin/moderation/appeal/?overdue=1").content.decode()
    return html[html.index('id="result_list"') :] if 'id="result_list"' in html else ""


@pytest.mark.django_db
def test_the_district_admin_keeps_the_holidays(district_admin, appeal_reviewer):
    client = admin_client(district_admin)
    response = client.post(
        "/admin/moderation/holiday/add/", {"date": "2026-12-01", "name": "测试假日"}
    )
    assert response.status_code == 302
    assert Holiday.objects.get().name == "测试假日"
    assert admin_client(appeal_reviewer).get("/admin/moderation/holiday/").status_code == 403
