"""Real threads against PostgreSQL where points move: parallel payments on one balance
never overdraw, parallel refunds never exceed the payment, a till's request is paid once.

Each thread is its own database connection; they start together on a barrier.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from merchants import services
from merchants.codes import counter_url, request_url
from merchants.models import Payment, PaymentRefund
from points.selectors import resident_summary
from points.verification import ledger_verify

from .conftest import balance_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def client(user) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return api


def run_at_once(calls):
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.fixture
def no_throttles(settings):
    from rest_framework.throttling import SimpleRateThrottle

    rates = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "user": "100000/min",
        "payment": "100000/min",
    }
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    yield
    SimpleRateThrottle.THROTTLE_RATES = original


def test_parallel_payments_never_overdraw_one_balance(resident, grant, merchant, no_throttles):
    """16 payments of 100 at once on a balance of 1,000: exactly 10 pass, 6 are 409."""
    grant(resident, 1000)
    code = counter_url(merchant)
    api = client(resident)
    answers = run_at_once(
        [
            lambda: api.post(
                "/api/v1/points/payments", {"code": code, "amount_points": 100}, format="json"
            )
        ]
        * THREADS
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 10 + [409] * 6
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"insufficient_points"}
    assert resident_summary(user=resident).redeemable == 0
    assert balance_of(merchant.account_id) == 1000
    assert Payment.objects.count() == 10
    assert ledger_verify().ok


def test_a_till_request_is_paid_once_whoever_scans_it(
    make_user, grant, merchant, merchant_user, no_throttles
):
    """16 residents pay the same request at once: one payment; the others 409 paid."""
    request = services.payment_request_create(
        merchant=merchant, amount_points=250, created_by=merchant_user
    )
    payers = [make_user() for _ in range(THREADS)]
    for payer in payers:
        grant(payer, 300)
    code = request_url(request)
    clients = [client(payer) for payer in payers]
    answers = run_at_once(
        [
            (lambda api=api: api.post("/api/v1/points/payments", {"code": code}, format="json"))
            for api in clients
        ]
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] + [409] * (THREADS - 1)
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"payment_request_paid"}
    assert Payment.objects.get().request_id == request.pk
    assert balance_of(merchant.account_id) == 250
    assert sum(resident_summary(user=payer).redeemable for payer in payers) == 300 * THREADS - 250
    assert ledger_verify().ok


def test_parallel_refunds_never_exceed_the_payment(resident, grant, merchant, merchant_user):
    """16 refunds of 150 at once of a 1,000 payment: 6 pass (900), the rest 409."""
    grant(resident, 1000)
    payment = services.payment_create(
        resident=resident, merchant=merchant, amount_points=1000
    ).payment
    api = client(merchant_user)
    url = f"/api/v1/merchant/payments/{payment.pk}/refunds"
    answers = run_at_once([lambda: api.post(url, {"amount_points": 150}, format="json")] * THREADS)
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * 6 + [409] * (THREADS - 6)
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {"refund_exceeds_payment"}
    payment.refresh_from_db()
    assert payment.refunded_points == 900
    assert PaymentRefund.objects.count() == 6
    assert resident_summary(user=resident).redeemable == 900
    assert balance_of(merchant.account_id) == 100
    assert ledger_verify().ok
