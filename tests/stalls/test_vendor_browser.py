"""The vendor's year in a real browser: on the stall's own page the vendor signs in by
SMS code, renews in the last month and later gives the stall up; the next vendor waiting
gets the slot."""

import datetime

import pytest

from accounts.sms import LocmemBackend
from stalls import services
from stalls.codes import stall_token
from stalls.models import Registration, Stall
from stalls.terms import add_months, local_today

from .conftest import id_number, make_site_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_vendor_renews_and_then_gives_up_the_stall_on_its_page(
    browser_page, live_server, make_user, unit
):
    site = make_site_for(unit, name="德荣早市", capacity=1)
    officer = make_user("urban_officer", unit=unit.pk)
    vendor = make_user(phone="+8613912340001")
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="王秀英",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    stall = services.registration_approve(registration=registration, officer=officer, slot=1)
    waiter = services.registration_create(
        vendor=make_user(),
        site=site,
        vendor_name="赵六",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
        waitlist=True,
    )
    expiry = local_today() + datetime.timedelta(days=20)
    Stall.objects.filter(pk=stall.pk).update(expires_on=expiry)
    page = browser_page

    page.goto(f"{live_server.url}/q/{stall_token(stall)}")
    assert page.locator("#my-stall").count() == 0
    page.fill("#signin-phone", "13912340001")
    page.click("#signin-send")
    page.wait_for_selector("#signin-code")
    code = [m for m in LocmemBackend.outbox if m["phone"] == vendor.phone][-1]["code"]
    page.fill("#signin-code", code)
    page.click("#signin-submit")
    page.wait_for_selector("#my-stall")
    assert page.locator("#my-stall-expires").inner_text() == expiry.isoformat()

    page.click("#renew-submit")
    page.wait_for_selector(".messages")
    renewed = add_months(expiry, 12)
    assert page.locator("#my-stall-expires").inner_text() == renewed.isoformat()
    assert page.locator("#renewal-opens").is_visible()
    assert Stall.objects.get(pk=stall.pk).expires_on == renewed

    # Giving up needs the box ticked; then the stall is withdrawn and the slot moves on.
    page.click("#withdraw-submit")
    page.wait_for_selector(".messages li.error")
    assert Stall.objects.get(pk=stall.pk).status == "active"
    page.fill("#id_reason", "回老家")
    page.check("#withdraw-confirm")
    page.click("#withdraw-submit")
    page.wait_for_selector(".messages li.success")
    assert "已放弃" in page.locator("#stall-status").inner_text()
    assert page.locator("#withdraw-submit").count() == 0
    assert Stall.objects.get(pk=stall.pk).status == "withdrawn"
    assert Registration.objects.get(pk=waiter.pk).stall.slot == 1
