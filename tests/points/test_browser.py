"""A moral points reviewer works the claim queue of the admin in a real browser."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.roles import Role
from points import services
from points.models import MoralClaim
from points.selectors import resident_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_approves_a_claim_in_the_admin_and_the_points_arrive(
    browser_page, live_server, make_user, categories
):
    """The reviewer signs in, picks the pending claim, approves it with 30 points."""
    resident = make_user(display_name="Alice")
    claim = services.moral_claim_create(
        resident=resident,
        category=categories["bravery"],
        description="扶起了摔倒的老人并送医",
        occurred_on=dt.date(2026, 11, 1),
    )
    reviewer = make_user(Role.MORAL_REVIEWER, display_name="Rita")
    reviewer.set_password("a-long-reviewer-password")
    reviewer.save()

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/points/moralclaim/")
    page.fill("#id_username", reviewer.phone)
    page.fill("#id_password", "a-long-reviewer-password")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/points/moralclaim/")
    assert page.locator(f"input[name=_selected_action][value='{claim.pk}']").count() == 1

    page.check(f"input[name=_selected_action][value='{claim.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    page.fill("#id_points", "30")
    page.click("input[type=submit][value]")
    page.wait_for_selector(".messagelist")
    assert "已处理 1 条申请" in page.locator(".messagelist").inner_text()

    claim.refresh_from_db()
    assert claim.status == MoralClaim.Status.APPROVED
    assert claim.decided_by == reviewer
    assert resident_summary(user=resident).moral == 30


def test_a_reviewer_cannot_approve_outside_the_range(
    browser_page, live_server, make_user, categories
):
    """60 points for acting bravely (20-50) is refused on the page, and nothing moves."""
    resident = make_user()
    claim = services.moral_claim_create(
        resident=resident,
        category=categories["bravery"],
        description="见义勇为",
        occurred_on=dt.date(2026, 11, 1),
    )
    reviewer = make_user(Role.MORAL_REVIEWER)
    reviewer.set_password("a-long-reviewer-password")
    reviewer.save()

    page = browser_page
    page.goto(f"{live_server.url}/admin/login/?next=/admin/points/moralclaim/")
    page.fill("#id_username", reviewer.phone)
    page.fill("#id_password", "a-long-reviewer-password")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/points/moralclaim/")
    page.check(f"input[name=_selected_action][value='{claim.pk}']")
    page.select_option("select[name=action]", "approve")
    page.click("button[name=index]")
    page.fill("#id_points", "60")
    page.click("input[type=submit][value]")
    page.wait_for_selector(".messagelist")
    assert "20 到 50" in page.locator(".messagelist").inner_text()

    claim.refresh_from_db()
    assert claim.status == MoralClaim.Status.PENDING
    assert resident_summary(user=resident).moral == 0


def test_a_reviewer_sees_the_claims_photo_in_the_admin(
    browser_page, live_server, make_user, categories, settings, tmp_path
):
    """DEBUG off: the claim's change page shows the evidence photo, and it loads (the
    image has a natural width), served through the upload view to the reviewer."""
    assert not settings.DEBUG
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "green").save(buffer, format="PNG")
    claim = services.moral_claim_create(
        resident=make_user(),
        category=categories["good_deed"],
        description="清理了小区的积雪",
        occurred_on=dt.date(2026, 11, 1),
        photo=SimpleUploadedFile("snow.png", buffer.getvalue(), content_type="image/png"),
    )
    reviewer = make_user(Role.MORAL_REVIEWER, display_name="Rita")
    reviewer.set_password("a-long-reviewer-password")
    reviewer.save()

    page = browser_page
    change_url = f"/admin/points/moralclaim/{claim.pk}/change/"
    page.goto(f"{live_server.url}/admin/login/?next={change_url}")
    page.fill("#id_username", reviewer.phone)
    page.fill("#id_password", "a-long-reviewer-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"**{change_url}")
    image = page.locator(f"img[src='{claim.photo.url}']")
    image.wait_for()
    page.wait_for_function(
        "src => { const i = document.querySelector(`img[src='${src}']`); return i && i.complete; }",
        arg=claim.photo.url,
    )
    assert image.evaluate("i => i.naturalWidth") == 64
