"""A desk agent on a phone or a counter PC: signs in by SMS, opens a session for an
elderly resident, the resident reads back the code, the agent files her review."""

import pytest

from accounts.roles import Role
from accounts.sms import LocmemBackend
from cadres.models import Review
from desk.models import AssistedAct

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sms_code(phone: str) -> str:
    return [m for m in LocmemBackend.outbox if m["phone"] == phone][-1]["code"]


def test_an_agent_files_a_residents_review_from_the_desk_page(
    browser_page, live_server, make_user, cadre, badge
):
    make_user(Role.DESK_AGENT, phone="+8613800138001", display_name="张德明")
    grandma = make_user(phone="+8613900139002", display_name="李奶奶")
    page = browser_page
    page.goto(f"{live_server.url}/desk/")
    page.fill("#signin-phone", "13800138001")
    page.click("#signin-send")
    page.wait_for_selector("#signin-code")
    page.fill("#signin-code", sms_code("+8613800138001"))
    page.click("#signin-submit")

    page.wait_for_selector("#start-form")
    page.fill("#start-phone", "13900139002")
    page.fill("#start-centre", "青春山街道社区服务中心")
    page.click("#start-submit")

    page.wait_for_selector("#confirm-form")
    page.fill("#confirm-code", sms_code(grandma.phone))
    page.click("#confirm-submit")

    page.wait_for_selector("#review-form")
    assert page.locator("#session-resident").inner_text() == "李奶奶"
    page.fill("#review-code", badge)
    page.select_option("#review-rating", "5")
    page.fill("#review-comment", "窗口办事耐心")
    page.click("#review-submit")

    page.wait_for_selector("#acts")
    assert "积分" in page.content()
    review = Review.objects.get()
    assert (review.reviewer_id, review.rating, review.assisted, review.comment) == (
        grandma.pk,
        5,
        True,
        "窗口办事耐心",
    )
    assert AssistedAct.objects.get(kind="review").resident_id == grandma.pk
