"""An appeal reviewer signs in to the admin in a real browser and upholds an appeal."""

import datetime as dt

import pytest

from accounts.roles import Role
from cadres import services
from cadres.models import Exclusion, Review
from moderation import services as moderation_services

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "评价人当天并未来窗口办理业务，与事实不符。"


def test_an_appeal_reviewer_upholds_an_appeal_in_the_admin(
    browser_page, live_server, make_user, cadre, cadre_user
):
    resident = make_user(display_name="Alice")
    review = services.review_create(cadre=cadre, reviewer=resident, rating=1, comment="态度差")
    appeal = moderation_services.appeal_create(review=review, appellant=cadre_user, reason=REASON)
    reviewer = make_user(Role.APPEAL_REVIEWER, display_name="Ada")
    reviewer.set_password("a-long-appeal-password")
    reviewer.save()

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/moderation/appeal/")
    page.fill("#id_username", reviewer.phone)
    page.fill("#id_password", "a-long-appeal-password")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/moderation/appeal/")
    assert resident.phone not in page.content()
    page.click("text=复核决定")
    page.wait_for_selector("#appeal-reason")
    assert page.locator("#appeal-reason").inner_text() == REASON
    page.fill("#id_reason", "调取监控核实，评价人当天未到窗口。")
    page.click("#uphold")
    page.wait_for_selector(".messagelist")
    assert "申诉已作出决定" in page.locator(".messagelist").inner_text()

    appeal.refresh_from_db()
    assert (appeal.status, appeal.outcome, appeal.decided_by) == ("decided", "upheld", reviewer)
    assert appeal.decided_at is not None and appeal.decided_at <= dt.datetime.now(dt.UTC)
    assert Review.objects.get().excluded_reason == Exclusion.APPEAL
