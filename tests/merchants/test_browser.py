"""In a real browser: the merchant's till shows a code, a resident pays it on the phone,
the till sees it paid, and the merchant refunds part of it; a resident pays at the
counter code with a typed amount."""

import io

import pytest
import zxingcpp
from PIL import Image

from accounts.roles import Role
from accounts.sms import LocmemBackend
from merchants.codes import counter_url
from merchants.models import Payment, PaymentRefund
from points.selectors import resident_summary

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, phone: str):
    """The SMS sign-in form of the page, with the code the SMS backend received."""
    page.fill("#signin-phone", phone.removeprefix("+86"))
    page.click("#signin-send")
    page.wait_for_selector("#signin-code")
    code = [m for m in LocmemBackend.outbox if m["phone"] == phone][-1]["code"]
    page.fill("#signin-code", code)
    page.click("#signin-submit")


def test_the_till_is_paid_on_a_phone_and_the_merchant_refunds(
    browser_page, live_server, make_user, merchant, grant
):
    mia = make_user(Role.MERCHANT, phone="+8613912340001", merchant=merchant.pk)
    alice = make_user(phone="+8613912340002", display_name="Alice")
    grant(alice, 2000)
    page = browser_page

    # The merchant opens /merchant/, signs in and asks for 1,250 points at the till.
    page.goto(f"{live_server.url}/merchant/")
    sign_in(page, mia.phone)
    page.wait_for_selector("#till")
    page.fill("#till-amount", "1250")
    page.click("#till-create")
    page.wait_for_selector("#till-request .qr svg")
    assert "待支付" in page.locator("#till-status").inner_text()
    shot = page.locator("#till-request .qr").screenshot()
    scanned = zxingcpp.read_barcodes(Image.open(io.BytesIO(shot)))[0].text
    assert "/q/pr." in scanned
    till_page = page.url

    # Alice's phone (a browser of its own) opens the scanned code, signs in, sees shop
    # and amount, pays.
    phone_context = page.context.browser.new_context(locale="zh-CN")
    phone = phone_context.new_page()
    phone.set_default_timeout(15_000)
    try:
        phone.goto(scanned.replace("http://127.0.0.1:8000", live_server.url))
        assert "Ordos Cashmere Shop" in phone.locator("#payment-request").inner_text()
        assert "1250" in phone.locator("#amount").inner_text()
        sign_in(phone, alice.phone)
        phone.wait_for_selector("#pay")
        phone.click("#pay")
        phone.wait_for_selector(".messages li.success")
        assert "1250" in phone.locator(".messages").inner_text()
    finally:
        phone_context.close()
    assert resident_summary(user=alice).redeemable == 750

    # The till refreshes: paid. The merchant refunds 250 of it.
    page.goto(till_page)
    page.wait_for_selector("#till-status")
    assert "已支付" in page.locator("#till-status").inner_text()
    payment = Payment.objects.get()
    row = page.locator(f"#payment-{payment.pk}")
    row.locator("input[name=amount_points]").fill("250")
    row.locator("button").click()
    page.wait_for_selector(".messages li.success")
    assert page.locator(f"#payment-{payment.pk} .refunded").inner_text() == "250"
    assert PaymentRefund.objects.get().amount_points == 250
    assert resident_summary(user=alice).redeemable == 1000


def test_a_resident_pays_at_the_counter_code(browser_page, live_server, make_user, merchant, grant):
    bob = make_user(phone="+8613912340003", display_name="Bob")
    grant(bob, 300)
    page = browser_page
    page.goto(counter_url(merchant).replace("http://127.0.0.1:8000", live_server.url))
    assert "Ordos Cashmere Shop" in page.locator("#counter").inner_text()
    sign_in(page, bob.phone)
    page.wait_for_selector("#id_amount_points")
    page.fill("#id_amount_points", "500")
    page.click("#pay")
    page.wait_for_selector(".messages li.error")
    assert "积分不足" in page.locator(".messages").inner_text()
    page.fill("#id_amount_points", "120")
    page.click("#pay")
    page.wait_for_selector(".messages li.success")
    assert Payment.objects.get().amount_points == 120
    assert resident_summary(user=bob).redeemable == 180
