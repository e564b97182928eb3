"""Paying with points at a till or a counter code, and the merchant's refunds (API)."""

import datetime as dt
import io

import pytest
import zxingcpp
from django.utils import timezone
from PIL import Image

from accounts.roles import Role
from core.models import IdempotencyRecord
from merchants import services
from merchants.api.views import PaymentCreateView
from merchants.codes import counter_url
from merchants.models import Payment, PaymentRefund, PaymentRequest
from merchants.notices import payment_received_notify
from notifications.models import Notification
from points.models import Currency, Entry
from points.selectors import resident_summary
from points.verification import ledger_verify

from .conftest import balance_of

pytestmark = pytest.mark.django_db
BASE = "/api/v1"


def till(client, amount=1250):
    response = client.post(f"{BASE}/merchant/payment-requests", {"amount_points": amount})
    assert response.status_code == 201, response.json()
    return response.json()


def pay(client, code, **body):
    return client.post(f"{BASE}/points/payments", {"code": code, **body}, format="json")


def test_it_creates_a_payment_request_with_a_scannable_code(client_for, merchant_user, merchant):
    """201 {id, amount_points, code_url, qr_png_url, status pending, expires_at in 5 min}."""
    client = client_for(merchant_user)
    body = till(client)
    assert body["status"] == "pending"
    assert body["amount_points"] == 1250
    assert body["amount_yuan"] == "12.50"
    assert body["merchant"] == {"id": merchant.pk, "name": merchant.name}
    assert "/q/pr." in body["code_url"] and len(body["code_url"]) <= 80
    assert body["expires_at"].endswith("+08:00")
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert dt.timedelta(seconds=290) < expires - timezone.now() <= dt.timedelta(seconds=300)
    png = client.get(body["qr_png_url"])
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))
    assert decoded[0].text == body["code_url"]


@pytest.mark.parametrize("amount", [None, 0, -5, "x", 1.5, 10**9, 10**20, [1]])
def test_it_refuses_bad_request_amounts(client_for, merchant_user, amount):
    """400 invalid, nothing stored."""
    response = client_for(merchant_user).post(
        f"{BASE}/merchant/payment-requests", {"amount_points": amount}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not PaymentRequest.objects.exists()


def test_only_merchant_staff_create_requests(client_for, resident, make_user, api):
    """A resident is 403; anonymous 401; a merchant role with no shop 403."""
    body = {"amount_points": 10}
    assert client_for(resident).post(f"{BASE}/merchant/payment-requests", body).status_code == 403
    assert api.post(f"{BASE}/merchant/payment-requests", body).status_code == 401
    shopless = make_user(Role.MERCHANT)
    assert client_for(shopless).post(f"{BASE}/merchant/payment-requests", body).status_code == 403


def test_it_pays_a_till_request_once(
    client_for, merchant_user, merchant, resident, resident_api, grant
):
    """The resident scans, sees shop and amount, pays; the till sees it paid; again 409."""
    grant(resident, 2000)
    created = till(client_for(merchant_user))
    scanned = resident_api.post(f"{BASE}/scan", {"code": created["code_url"]}, format="json")
    assert scanned.status_code == 200
    assert scanned.json()["type"] == "payment_request"
    shown = scanned.json()["payment_request"]
    assert shown["merchant"]["name"] == "Ordos Cashmere Shop"
    assert shown["amount_points"] == 1250 and shown["status"] == "pending"

    response = pay(resident_api, created["code_url"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["amount_points"] == 1250 and body["balance"] == 750
    assert body["merchant"] == {"id": merchant.pk, "name": merchant.name}
    assert body["created_at"].endswith("+08:00")
    assert balance_of(merchant.account_id) == 1250

    status = client_for(merchant_user).get(f"{BASE}/merchant/payment-requests/{created['id']}")
    assert status.json()["status"] == "paid"
    assert status.json()["payment"] == body["id"]
    assert status.json()["paid_at"] is not None

    again = pay(resident_api, created["code_url"])
    assert again.status_code == 409 and again.json()["code"] == "payment_request_paid"
    assert resident_summary(user=resident).redeemable == 750
    assert ledger_verify().ok


def test_it_refuses_an_expired_request(client_for, merchant_user, resident, resident_api, grant):
    """After 5 minutes: 409 payment_request_expired, the till shows expired, nothing moves."""
    grant(resident, 2000)
    created = till(client_for(merchant_user))
    PaymentRequest.objects.filter(pk=created["id"]).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = pay(resident_api, created["code_url"])
    assert response.status_code == 409 and response.json()["code"] == "payment_request_expired"
    status = client_for(merchant_user).get(f"{BASE}/merchant/payment-requests/{created['id']}")
    assert status.json()["status"] == "expired"
    assert resident_summary(user=resident).redeemable == 2000
    assert not Payment.objects.exists()


def test_an_amount_with_a_till_request_is_400(
    client_for, merchant_user, resident_api, resident, grant
):
    grant(resident, 2000)
    created = till(client_for(merchant_user))
    response = pay(resident_api, created["code_url"], amount_points=1)
    assert response.status_code == 400
    assert "amount_points" in response.json()["fields"]
    assert not Payment.objects.exists()


def test_it_refuses_a_payment_without_enough_points(
    client_for, merchant_user, merchant, resident, resident_api, grant
):
    """409 insufficient_points: no payment row, no entry, the request still pending."""
    grant(resident, 1249)
    entries = Entry.objects.count()
    created = till(client_for(merchant_user))
    response = pay(resident_api, created["code_url"])
    assert response.status_code == 409 and response.json()["code"] == "insufficient_points"
    assert Entry.objects.count() == entries
    assert not Payment.objects.exists()
    assert PaymentRequest.objects.get().status == "pending"


def test_it_refuses_a_payment_to_nobody(resident, grant):
    """mypy: payment_create with neither a merchant nor a till's request is a caller's
    mistake, said as such (TypeError), not a NOT NULL violation from the database."""
    grant(resident, 500)
    with pytest.raises(TypeError, match="merchant"):
        services.payment_create(resident=resident, amount_points=100)
    assert not Payment.objects.exists()


def test_moral_points_never_pay(client_for, merchant_user, resident, resident_api, grant):
    """A resident rich in moral points and with no redeemable ones cannot pay."""
    grant(resident, 5000, currency=Currency.MORAL)
    created = till(client_for(merchant_user))
    response = pay(resident_api, created["code_url"])
    assert response.status_code == 409 and response.json()["code"] == "insufficient_points"
    assert resident_summary(user=resident).moral == 5000


def test_it_pays_at_the_counter_code_with_a_typed_amount(
    merchant, resident, resident_api, grant, client_for, merchant_user
):
    """The printed counter code: scan shows the shop; an amount is required."""
    grant(resident, 300)
    code = client_for(merchant_user).get(f"{BASE}/merchant/code").json()["code_url"]
    assert code == counter_url(merchant) and "/q/mc." in code and len(code) <= 80
    png = client_for(merchant_user).get(f"{BASE}/merchant/code/qr.png")
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text == code
    scanned = resident_api.post(f"{BASE}/scan", {"code": code}, format="json").json()
    assert scanned == {
        "type": "merchant",
        "merchant": {"id": merchant.pk, "name": merchant.name, "address": merchant.address},
    }
    missing = pay(resident_api, code)
    assert missing.status_code == 400 and "amount_points" in missing.json()["fields"]
    response = pay(resident_api, code, amount_points=120)
    assert response.status_code == 201
    assert response.json()["balance"] == 180
    assert balance_of(merchant.account_id) == 120


@pytest.mark.parametrize("amount", [0, -1, "ten", 10**9, 10**20, None])
def test_bad_counter_amounts_are_400(merchant, resident, resident_api, grant, amount):
    grant(resident, 300)
    response = pay(resident_api, counter_url(merchant), amount_points=amount)
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_a_rotated_counter_code_stops_paying(merchant, resident, resident_api, grant, admin_user):
    grant(resident, 300)
    old = counter_url(merchant)
    services.merchant_code_rotate(merchant=merchant, actor=admin_user)
    response = pay(resident_api, old, amount_points=10)
    assert response.status_code == 404 and response.json()["code"] == "code_revoked"
    assert pay(resident_api, counter_url(merchant), amount_points=10).status_code == 201


@pytest.mark.parametrize(
    "code", ["", "x" * 600, "http://127.0.0.1:8000/q/pr.1.AAAAAAAAAAAAAAAA", "/q/zz.1.abc"]
)
def test_forged_or_foreign_codes_are_refused(resident_api, code):
    response = pay(resident_api, code, amount_points=5)
    assert response.status_code in (400, 404)
    assert not Payment.objects.exists()


def test_a_voucher_code_does_not_pay(resident_api, resident, grant, reward):
    from points import services as points_services
    from points.codes import voucher_url

    grant(resident, 1000)
    voucher = points_services.redemption_create(reward=reward, resident=resident)
    response = pay(resident_api, voucher_url(voucher), amount_points=5)
    assert response.status_code == 404 and response.json()["code"] == "code_invalid"


def test_the_idempotency_key_pays_once(merchant, resident, resident_api, grant):
    """The same key and body replays the first answer; another body is 422."""
    grant(resident, 1000)
    code = counter_url(merchant)
    first = resident_api.post(
        f"{BASE}/points/payments",
        {"code": code, "amount_points": 100},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-1",
    )
    second = resident_api.post(
        f"{BASE}/points/payments",
        {"code": code, "amount_points": 100},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-1",
    )
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true"
    assert first.json() == second.json()
    # Stored with the posting, in its statement: the answer as it was given.
    record = IdempotencyRecord.objects.get(key="till-1")
    assert (record.state, record.response_status) == ("done", 201)
    assert record.response_body == first.json()
    assert Payment.objects.count() == 1
    other = resident_api.post(
        f"{BASE}/points/payments",
        {"code": code, "amount_points": 200},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-1",
    )
    assert other.status_code == 422
    assert resident_summary(user=resident).redeemable == 900


def test_a_deactivated_or_deleted_account_cannot_pay_with_its_token(
    client_for, merchant, resident, make_user, grant
):
    """The payment at a counter authenticates by the token alone; its claim refuses an
    account deactivated (or deleted) since the token was issued: 401 `token_invalid`,
    nothing written, no key claimed. Its other paths (no key, the list) load the user
    and refuse it too; reactivated, the same token pays."""
    grant(resident, 1000)
    code = counter_url(merchant)
    api = client_for(resident)
    resident.is_active = False
    resident.save(update_fields=["is_active"])
    with_key = api.post(
        f"{BASE}/points/payments",
        {"code": code, "amount_points": 100},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-1",
    )
    assert with_key.status_code == 401, with_key.json()
    assert with_key.json()["code"] == "token_invalid"
    assert pay(api, code, amount_points=100).status_code == 401
    assert api.get(f"{BASE}/points/payments").status_code == 401
    gone = make_user()
    gone_api = client_for(gone)
    gone.delete()
    response = gone_api.post(
        f"{BASE}/points/payments",
        {"code": code, "amount_points": 100},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-1",
    )
    assert response.status_code == 401, response.json()
    assert not Payment.objects.exists()
    assert not IdempotencyRecord.objects.exists()
    resident.is_active = True
    resident.save(update_fields=["is_active"])
    again = api.post(
        f"{BASE}/points/payments",
        {"code": code, "amount_points": 100},
        format="json",
        HTTP_IDEMPOTENCY_KEY="till-1",
    )
    assert again.status_code == 201, again.json()
    assert resident_summary(user=resident).redeemable == 900


def test_payments_are_throttled(settings, merchant, resident, resident_api, grant):
    """THROTTLE_PAYMENT: the third payment within the minute is 429 with Retry-After."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "payment": "2/min"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        grant(resident, 1000)
        answers = [pay(resident_api, counter_url(merchant), amount_points=1) for _ in range(3)]
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original
    assert [answer.status_code for answer in answers] == [201, 201, 429]
    assert answers[2].json()["code"] == "throttled" and answers[2]["Retry-After"]
    assert Payment.objects.count() == 2


def test_a_till_request_is_seen_by_its_own_merchant_only(
    client_for, merchant_user, other_merchant_user, resident
):
    created = till(client_for(merchant_user))
    url = f"{BASE}/merchant/payment-requests/{created['id']}"
    assert client_for(merchant_user).get(url).status_code == 200
    assert client_for(other_merchant_user).get(url).status_code == 404
    assert client_for(other_merchant_user).get(f"{url}/qr.png").status_code == 404
    assert client_for(resident).get(url).status_code == 403
    assert (
        client_for(merchant_user).get(f"{BASE}/merchant/payment-requests/999999").status_code == 404
    )


# --- Refunds.


@pytest.fixture
def paid(merchant, resident, grant):
    """Alice paid the shop 1,000 points at its counter."""
    grant(resident, 1000)
    return services.payment_create(resident=resident, merchant=merchant, amount_points=1000).payment


def refund(client, payment_id, amount, **headers):
    return client.post(
        f"{BASE}/merchant/payments/{payment_id}/refunds",
        {"amount_points": amount},
        format="json",
        **headers,
    )


def test_it_refunds_in_parts_never_above_the_payment(
    client_for, merchant_user, merchant, resident, paid
):
    """300 then 700 back; one more point is 409 refund_exceeds_payment and moves nothing."""
    client = client_for(merchant_user)
    first = refund(client, paid.pk, 300)
    assert first.status_code == 201, first.json()
    assert first.json()["payment"]["refunded_points"] == 300
    assert first.json()["payment"]["refundable_points"] == 700
    assert resident_summary(user=resident).redeemable == 300
    assert refund(client, paid.pk, 701).json()["code"] == "refund_exceeds_payment"
    assert refund(client, paid.pk, 700).status_code == 201
    over = refund(client, paid.pk, 1)
    assert over.status_code == 409 and over.json()["code"] == "refund_exceeds_payment"
    assert resident_summary(user=resident).redeemable == 1000
    assert balance_of(merchant.account_id) == 0
    assert PaymentRefund.objects.count() == 2
    assert ledger_verify().ok


def test_a_refund_with_the_same_key_is_made_once(client_for, merchant_user, resident, paid):
    client = client_for(merchant_user)
    answers = [refund(client, paid.pk, 100, HTTP_IDEMPOTENCY_KEY="r-1") for _ in range(2)]
    assert [answer.status_code for answer in answers] == [201, 201]
    assert PaymentRefund.objects.count() == 1
    assert resident_summary(user=resident).redeemable == 100


def test_the_refund_window_closes_after_30_days(client_for, merchant_user, paid, resident):
    Payment.objects.filter(pk=paid.pk).update(
        created_at=timezone.now() - dt.timedelta(days=30, seconds=5)
    )
    response = refund(client_for(merchant_user), paid.pk, 10)
    assert response.status_code == 409 and response.json()["code"] == "refund_window_closed"
    assert resident_summary(user=resident).redeemable == 0


def test_only_the_payments_merchant_refunds(client_for, other_merchant_user, resident, paid):
    """Another shop gets 404 (it does not know the payment); a resident 403."""
    assert refund(client_for(other_merchant_user), paid.pk, 10).status_code == 404
    assert refund(client_for(resident), paid.pk, 10).status_code == 403
    assert not PaymentRefund.objects.exists()


@pytest.mark.parametrize("amount", [0, -10, "x", None, 10**20])
def test_bad_refund_amounts_are_400(client_for, merchant_user, paid, amount):
    assert refund(client_for(merchant_user), paid.pk, amount).status_code == 400
    assert not PaymentRefund.objects.exists()


# --- The merchant's lists.


def test_the_merchant_lists_its_own_payments_of_a_day(
    client_for,
    merchant_user,
    other_merchant_user,
    merchant,
    other_merchant,
    resident,
    grant,
    django_assert_max_num_queries,
):
    grant(resident, 1000)
    mine = [
        services.payment_create(resident=resident, merchant=merchant, amount_points=10).payment
        for _ in range(3)
    ]
    services.payment_create(resident=resident, merchant=other_merchant, amount_points=10)
    old = services.payment_create(resident=resident, merchant=merchant, amount_points=10).payment
    Payment.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=2))
    client = client_for(merchant_user)
    with django_assert_max_num_queries(8):
        body = client.get(f"{BASE}/merchant/payments").json()
    assert [row["id"] for row in body["results"]] == [p.pk for p in reversed(mine)]
    assert body["results"][0]["payer_phone_masked"].count("*") == 4
    assert resident.phone not in str(body)
    day = (timezone.now() - dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    earlier = client.get(f"{BASE}/merchant/payments", {"date": f"{day:%Y-%m-%d}"}).json()
    assert [row["id"] for row in earlier["results"]] == [old.pk]
    assert client.get(f"{BASE}/merchant/payments", {"date": "2026-13-40"}).status_code == 400
    others = client_for(other_merchant_user).get(f"{BASE}/merchant/payments").json()
    assert len(others["results"]) == 1
    assert client_for(resident).get(f"{BASE}/merchant/payments").status_code == 403


def test_the_merchant_lists_its_own_vouchers(
    client_for,
    merchant_user,
    other_merchant_user,
    resident,
    grant,
    reward,
    django_assert_max_num_queries,
):
    from points import services as points_services

    grant(resident, 1500)
    for _ in range(2):
        points_services.redemption_create(reward=reward, resident=resident)
    voucher = points_services.redemption_create(reward=reward, resident=resident)
    client = client_for(merchant_user)
    with django_assert_max_num_queries(8):
        body = client.get(f"{BASE}/merchant/vouchers?page_size=1").json()
    assert [row["id"] for row in body["results"]] == [voucher.pk]
    assert body["results"][0]["holder"]["phone_masked"] != resident.phone
    assert (
        client_for(merchant_user).get(f"{BASE}/merchant/vouchers?status=used").json()["results"]
        == []
    )
    assert client_for(merchant_user).get(f"{BASE}/merchant/vouchers?status=x").status_code == 400
    assert client_for(other_merchant_user).get(f"{BASE}/merchant/vouchers").json()["results"] == []


def test_a_resident_lists_only_their_own_payments(
    merchant, resident, other_resident, grant, resident_api, client_for
):
    grant(resident, 100)
    grant(other_resident, 100)
    mine = services.payment_create(resident=resident, merchant=merchant, amount_points=30).payment
    services.payment_create(resident=other_resident, merchant=merchant, amount_points=40)
    body = resident_api.get(f"{BASE}/points/payments").json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["results"][0]["merchant"]["name"] == merchant.name
    assert body["results"][0]["amount_yuan"] == "0.30"


def test_the_merchant_hears_of_a_payment_and_the_resident_of_a_refund(
    client_for,
    merchant_user,
    merchant,
    resident,
    resident_api,
    grant,
    django_capture_on_commit_callbacks,
):
    """A payment tells each staff user of the merchant in its own transaction (in the
    posting's statement, with or without an Idempotency-Key), once: no task queued, and
    the older task finds it told; a refund tells the resident in its own transaction."""
    grant(resident, 1000)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        paid = pay(resident_api, counter_url(merchant), amount_points=300)
        keyed = resident_api.post(
            f"{BASE}/points/payments",
            {"code": counter_url(merchant), "amount_points": 200},
            format="json",
            HTTP_IDEMPOTENCY_KEY="till-9",
        )
    assert paid.status_code == 201, paid.json()
    assert keyed.status_code == 201, keyed.json()
    assert not [c for c in callbacks if "payment_received" in c.__qualname__]
    payment_id = paid.json()["id"]
    notices = Notification.objects.filter(kind="payment_received").order_by("pk")
    assert [(n.user, n.event_key, n.params) for n in notices] == [
        (
            merchant_user,
            f"payment_received:{payment_id}",
            {"merchant": merchant.name, "points": 300},
        ),
        (
            merchant_user,
            f"payment_received:{keyed.json()['id']}",
            {"merchant": merchant.name, "points": 200},
        ),
    ]
    assert payment_received_notify(payment_id) == 0
    assert not Notification.objects.filter(user=resident).exists()
    assert refund(client_for(merchant_user), payment_id, 100).status_code == 201
    notice = Notification.objects.get(kind="refund_received")
    assert notice.user == resident
    assert notice.params == {"merchant": merchant.name, "points": 100}


def test_the_answer_is_what_the_output_serializer_says(
    merchant, merchant_user, resident, resident_api, grant, client_for
):
    """The 201 body is built without a serializer (PaymentCreateView.answer_body): equal
    to OutputSerializer's, field for field, on every path (counter with and without an
    Idempotency-Key, a till's request), its created_at in the local zone as DRF writes it."""
    grant(resident, 1000)
    code = counter_url(merchant)
    answers = [
        resident_api.post(
            f"{BASE}/points/payments",
            {"code": code, "amount_points": 7},
            format="json",
            HTTP_IDEMPOTENCY_KEY="pin-1",
        ),
        pay(resident_api, code, amount_points=9),
        pay(resident_api, till(client_for(merchant_user), amount=11)["code_url"]),
    ]
    assert [answer.status_code for answer in answers] == [201, 201, 201]
    for answer, balance in zip(answers, [993, 984, 973], strict=True):
        body = answer.json()
        payment = Payment.objects.select_related("merchant").get(pk=body["id"])
        made = services.PaymentMade(payment=payment, balance=balance)
        expected = dict(PaymentCreateView.OutputSerializer(made).data)
        expected["merchant"] = dict(expected["merchant"])
        assert PaymentCreateView.answer_body(made) == expected
        assert body == expected
        assert body["created_at"].endswith("+08:00")
