"""Real threads against PostgreSQL where points move: parallel payments on one balance
never overdraw, parallel refunds never exceed the payment, a till's request is paid once.

Each thread is its own database connection; they start together on a barrier.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.consent import consent_claim_set
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
    refresh = RefreshToken.for_user(user)
    # As a sign-in's token: the accepted notice's version, which the payment reads
    # instead of the user row it no longer loads.
    consent_claim_set(refresh, user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
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


# The counter payment with an Idempotency-Key: no user row (the token alone), BEGIN, the
# key claimed by an active user with the merchant found, both accounts locked and the
# payment inserted (one statement), the posting with the stored answer, COMMIT.
MAX_PAYMENT_STATEMENTS = 4


def pay_with_key(api, code, key, amount=100):
    return api.post(
        "/api/v1/points/payments",
        {"code": code, "amount_points": amount},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_counter_payment_with_a_key_takes_at_most_4_statements(
    resident, grant, merchant, no_throttles
):
    """Every statement of the request counted (BEGIN and COMMIT included), no savepoint,
    for a resident's first payment and a later one; the same key again answers the same
    payment and writes nothing; a refusal (insufficient points) is stored and replayed."""
    grant(resident, 1000)
    code = counter_url(merchant)
    api = client(resident)
    made = []
    for key in ("till-a", "till-b"):
        with CaptureQueriesContext(connection) as queries:
            response = pay_with_key(api, code, key)
        assert response.status_code == 201, response.json()
        statements = [query["sql"] for query in queries.captured_queries]
        # Without Redis the merchant's notice (a task queued on commit) runs right at the
        # COMMIT, eagerly: the notice's statements, not the payment's.
        statements = statements[: statements.index("COMMIT") + 1]
        assert len(statements) <= MAX_PAYMENT_STATEMENTS, "\n".join(statements)
        assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()]
        made.append(response.json())
    assert [body["balance"] for body in made] == [900, 800]
    assert made[0]["merchant"] == {"id": merchant.pk, "name": merchant.name}
    again = pay_with_key(api, code, "till-a")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == made[0]
    other_body = pay_with_key(api, code, "till-a", amount=5)
    assert other_body.status_code == 422
    assert other_body.json()["code"] == "idempotency_key_reused"
    refused = pay_with_key(api, code, "till-c", amount=5000)
    assert refused.status_code == 409 and refused.json()["code"] == "insufficient_points"
    replayed = pay_with_key(api, code, "till-c", amount=5000)
    assert replayed.status_code == 409 and replayed["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 2
    assert resident_summary(user=resident).redeemable == 800
    assert balance_of(merchant.account_id) == 200
    assert ledger_verify().ok


def test_concurrent_retries_with_one_key_make_one_payment(resident, grant, merchant, no_throttles):
    """16 threads send the same payment with the same Idempotency-Key at once: one
    payment, and every answer is that payment (the first, or its replay)."""
    grant(resident, 1000)
    code = counter_url(merchant)
    api = client(resident)
    answers = run_at_once([lambda: pay_with_key(api, code, "one-key")] * THREADS)
    assert [answer.status_code for answer in answers] == [201] * THREADS
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert sum(answer.get("Idempotent-Replayed") == "true" for answer in answers) == THREADS - 1
    assert Payment.objects.count() == 1
    assert resident_summary(user=resident).redeemable == 900
    assert balance_of(merchant.account_id) == 100
    assert ledger_verify().ok


def test_a_rotated_counter_code_is_refused_through_the_hot_path(
    resident, grant, merchant, merchant_user, no_throttles
):
    """A counter code printed before a rotation: 404 code_revoked, nothing paid."""
    grant(resident, 1000)
    code = counter_url(merchant)
    services.merchant_code_rotate(merchant=merchant, actor=merchant_user)
    response = pay_with_key(client(resident), code, "old-code")
    assert response.status_code == 404 and response.json()["code"] == "code_revoked"
    assert not Payment.objects.exists()
    assert resident_summary(user=resident).redeemable == 1000
