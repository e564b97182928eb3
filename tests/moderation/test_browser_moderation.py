"""A rating moderator excludes a flagged review in the admin, in a real browser."""

import pytest

from accounts.roles import Role
from cadres import services
from moderation.models import FlagRule, ReviewFlag
from points.selectors import resident_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_moderator_excludes_a_flagged_review_in_the_admin(
    browser_page, live_server, make_user, resident, cadre
):
    page = browser_page
    review = services.review_create(cadre=cadre, reviewer=resident, rating=1, comment="刷的差评")
    flag = ReviewFlag.objects.create(
        review=review,
        rule=FlagRule.DEVICE,
        detail={"cadres": 7, "minutes": 60},
        created_at=review.created_at,
    )
    moderator = make_user(Role.RATING_MODERATOR, display_name="Mona")
    moderator.set_password("moderator-long-password")
    moderator.save()

    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", moderator.phone)
    page.fill("#id_password", "moderator-long-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    page.click("a[href='/admin/moderation/reviewflag/?state=open']")
    page.wait_for_selector("#result_list")
    body = page.content()
    assert "刷的差评" in body and "王丽娜" in body
    assert resident.phone not in body
    page.check(f"input[name=_selected_action][value='{flag.pk}']")
    page.select_option("select[name=action]", "exclude_reviews")
    page.fill("input[name=reason]", "同一设备一小时评价7名干部")
    page.select_option("select[name=ground]", "fraud")
    page.locator("button[name=index]").click()
    page.wait_for_selector(".messagelist")
    assert "1" in page.locator(".messagelist").inner_text()

    review.refresh_from_db()
    flag.refresh_from_db()
    assert review.excluded_reason == "fraud"
    assert (flag.state, flag.decided_by_id, flag.decision_reason) == (
        "excluded",
        moderator.pk,
        "同一设备一小时评价7名干部",
    )
    assert resident_summary(user=resident).redeemable == 0
