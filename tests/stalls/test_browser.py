"""The whole stall story in a real browser: a vendor scans a site's code, signs in by
SMS code and registers; the officer approves in the admin; the stall's page shows it."""

import pytest

from accounts.sms import LocmemBackend
from stalls import services
from stalls.codes import site_token, stall_token
from stalls.models import Registration, Stall

from .conftest import id_number, make_site_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_to_the_admin(page, live_server, officer):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", officer.phone)
    page.fill("#id_password", "officer-long-password")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_a_vendor_registers_from_the_poster_and_the_officer_approves_in_the_admin(
    browser_page, live_server, make_user, unit
):
    site = make_site_for(unit, name="德荣早市", capacity=12)
    officer = make_user("urban_officer", unit=unit.pk, display_name="执法队员")
    officer.set_password("officer-long-password")
    officer.save()
    page = browser_page

    # The vendor's phone opens the poster's code and signs in on the page.
    page.goto(f"{live_server.url}/q/{site_token(site)}")
    assert "德荣早市" in page.content()
    assert "12 / 12" in page.locator("#free-slots").inner_text()
    page.fill("#signin-phone", "13912345678")
    page.click("#signin-send")
    page.wait_for_selector("#signin-code")
    code = [m for m in LocmemBackend.outbox if m["phone"] == "+8613912345678"][-1]["code"]
    page.fill("#signin-code", code)
    page.click("#signin-submit")
    # A first sign-in: the notice and the ID-number consent, accepted together on the page.
    page.wait_for_selector("#consent-accept")
    assert page.locator("#id_vendor_name").count() == 0
    page.click("#consent-accept")
    page.wait_for_selector("#register")

    number = id_number()
    page.fill("#id_vendor_name", "王秀英")
    page.fill("#id_id_number", number)
    page.select_option("#id_goods_category", "fruit_vegetables")
    page.fill("#id_description", "自家种的西瓜")
    assert "离开时清扫干净" in page.locator("#pledge").inner_text()
    page.check("#id_pledge")
    page.click("#register-submit")
    page.wait_for_selector("#my-registrations")
    assert "待审批" in page.locator("#my-registrations").inner_text()
    registration = Registration.objects.get()
    assert registration.vendor.phone == "+8613912345678"

    # The officer signs in to the admin and approves from the queue onto slot 5.
    page.context.clear_cookies()
    sign_in_to_the_admin(page, live_server, officer)
    page.goto(f"{live_server.url}/admin/stalls/registration/")
    page.click("text=批准或驳回")
    assert number in page.locator("#id-number").inner_text()
    page.select_option("#id_slot", "5")
    page.click("#approve")
    page.wait_for_selector(".messagelist")
    assert "已批准" in page.locator(".messagelist").inner_text()

    # Anyone scanning the stall's code sees it on slot 5, active.
    stall = Stall.objects.get()
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/q/{stall_token(stall)}")
    assert page.locator("#stall-slot").inner_text() == "5"
    assert "经营中" in page.locator("#stall-status").inner_text()
    assert "王**" in page.content()
    assert number not in page.content()


def test_it_lets_an_officer_decide_a_registration_on_a_390_px_phone(
    browser_page, live_server, make_user, unit
):
    """At phone width (390 px) the decide page does not scroll sideways: the form, the
    slot picker, the reason field and both buttons lie inside the screen, and a tap on
    "驳回" rejects with the typed reason."""
    site = make_site_for(unit, name="德荣早市", capacity=12)
    vendor = make_user("resident")
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="内蒙古自治区鄂尔多斯市康巴什区的一个名字很长很长的摊主",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    officer = make_user("urban_officer", unit=unit.pk, display_name="执法队员")
    officer.set_password("officer-long-password")
    officer.save()
    page = browser_page
    assert page.viewport_size["width"] == 390
    sign_in_to_the_admin(page, live_server, officer)
    page.goto(f"{live_server.url}/admin/stalls/registration/{registration.pk}/decide/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for selector in ["form", "#id_slot", "#id_reason", "#approve", "#reject"]:
        element = page.locator(f"#content-main {selector}").first
        assert element.is_visible(), selector
        box = element.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)
    page.fill("#id_reason", "经营品类不符")
    page.locator("#reject").click()  # a real click: fails if anything covers the button
    page.wait_for_selector(".messagelist")
    registration.refresh_from_db()
    assert (registration.status, registration.reject_reason) == ("rejected", "经营品类不符")
