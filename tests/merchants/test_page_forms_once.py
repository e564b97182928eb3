"""A double tap of a pay or refund form (one session, one nonce, real threads against
PostgreSQL) pays or refunds once, and every tap shows the first's outcome; a form
without its nonce does nothing."""

import pytest

from merchants import services
from merchants.codes import counter_url, request_url
from merchants.models import Payment, PaymentRefund
from points.models import LedgerTransaction
from points.selectors import resident_summary
from points.verification import ledger_verify
from tests.forms import TAPS, nonce_for, signed_in, tapped_at_once, texts

from .test_pages import path_of

PAID = "已向Ordos Cashmere Shop支付 120 积分"


def token_of(url: str) -> str:
    return path_of(url).rsplit("/", 1)[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_pays_a_counter_code_once_for_a_double_tap(merchant, resident, grant):
    grant(resident, 1000)
    responses = tapped_at_once(
        resident, f"/pay/{token_of(counter_url(merchant))}", {"amount_points": "120"}
    )
    assert Payment.objects.count() == 1
    assert resident_summary(user=resident).redeemable == 880
    pages = texts(responses)
    assert all(response.status_code == 200 for response in responses)
    assert sum(PAID in page for page in pages) == TAPS, pages[0]
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_pays_a_till_request_once_for_a_double_tap(merchant, merchant_user, resident, grant):
    grant(resident, 1000)
    request = services.payment_request_create(
        merchant=merchant, amount_points=250, created_by=merchant_user
    )
    responses = tapped_at_once(resident, f"/pay/{token_of(request_url(request))}", {})
    assert Payment.objects.count() == 1
    assert resident_summary(user=resident).redeemable == 750
    assert all("支付 250 积分" in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_refunds_once_for_a_double_tap(merchant, merchant_user, resident, grant):
    grant(resident, 1000)
    payment = services.payment_create(
        resident=resident, merchant=merchant, amount_points=400
    ).payment
    transactions = LedgerTransaction.objects.count()
    responses = tapped_at_once(
        merchant_user, f"/merchant/payments/{payment.pk}/refund", {"amount_points": "150"}
    )
    assert list(PaymentRefund.objects.values_list("amount_points", flat=True)) == [150]
    assert LedgerTransaction.objects.count() == transactions + 1
    assert resident_summary(user=resident).redeemable == 750
    assert all(f"已退还第 {payment.pk} 笔支付的 150 积分" in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.django_db
def test_it_refuses_a_pay_form_without_its_nonce(merchant, resident, grant):
    grant(resident, 1000)
    client = signed_in(resident)
    token = token_of(counter_url(merchant))
    for nonce in (None, "", "forged", "1:abc:xyz"):
        data = (
            {"amount_points": "120"}
            if nonce is None
            else {"amount_points": "120", "form_nonce": nonce}
        )
        page = client.post(f"/pay/{token}", data, follow=True).content.decode()
        assert "此表单已过期或不完整" in page
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_it_refuses_a_refund_form_without_its_nonce(merchant, merchant_user, resident, grant):
    grant(resident, 1000)
    payment = services.payment_create(
        resident=resident, merchant=merchant, amount_points=400
    ).payment
    page = signed_in(merchant_user).post(
        f"/merchant/payments/{payment.pk}/refund", {"amount_points": "150"}, follow=True
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert not PaymentRefund.objects.exists()


@pytest.mark.django_db
def test_it_refuses_another_users_nonce(merchant, resident, other_resident, grant):
    """A nonce is its user's: one shown to Bob pays nothing for Alice."""
    grant(resident, 1000)
    token = token_of(counter_url(merchant))
    client = signed_in(resident)
    bobs = client.post(
        f"/pay/{token}",
        {"amount_points": "120", **nonce_for(other_resident)},
    )
    assert bobs.status_code == 302
    assert not Payment.objects.exists()


@pytest.mark.django_db
def test_it_says_why_a_form_did_nothing_in_the_request_language(merchant, resident, grant):
    """The refusal of a form without its nonce reads in Chinese by default (above) and in
    English when the browser asks for it; nothing is paid either way."""
    grant(resident, 1000)
    page = signed_in(resident).post(
        f"/pay/{token_of(counter_url(merchant))}",
        {"amount_points": "120"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    text = page.content.decode()
    assert "This form is out of date or incomplete. Nothing was done" in text
    assert "此表单已过期或不完整" not in text
    assert not Payment.objects.exists()
