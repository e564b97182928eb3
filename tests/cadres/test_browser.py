"""A phone browser opens a badge, signs in by SMS on the page, reviews, sees it counted."""

import pytest

from accounts.sms import LocmemBackend
from cadres import codes
from cadres.models import Review

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_resident_reviews_a_cadre_from_the_badge_page(
    browser_page, live_server, make_cadre, make_unit
):
    cadre = make_cadre(
        unit=make_unit("康巴什区城市管理综合执法局"), name="巴特尔", title="执法中队队长"
    )
    page = browser_page
    page.goto(f"{live_server.url}/q/{codes.badge_token(cadre)}")
    assert page.locator("#cadre-name").inner_text() == "巴特尔"
    assert page.locator("#month-reviews").inner_text() == "0"

    page.fill("#signin-phone", "13800138000")
    page.click("#signin-send")
    page.wait_for_selector("#signin-code")
    code = [m for m in LocmemBackend.outbox if m["phone"] == "+8613800138000"][-1]["code"]
    page.fill("#signin-code", code)
    page.click("#signin-submit")

    # A first sign-in: the privacy notice is accepted on the page before any review.
    page.wait_for_selector("#consent-accept")
    assert page.locator("#review-form").count() == 0
    page.click("#consent-accept")
    page.wait_for_selector("#review-form")
    page.check("#rating-4")
    page.check("input[name=tags][value=efficiency]")
    page.fill("#review-comment", "办事很快")
    page.click("#review-submit")

    page.wait_for_selector("#reviewed-today")
    assert page.locator("#month-reviews").inner_text() == "1"
    assert "积分" in page.content()  # "you earned N points", in Chinese
    review = Review.objects.get()
    assert (review.cadre_id, review.rating, review.tags, review.comment) == (
        cadre.pk,
        4,
        ["efficiency"],
        "办事很快",
    )
