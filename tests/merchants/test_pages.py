"""The pages: a till's or counter code opened on a phone (pay with a session), and the
merchant's own page at /merchant/ (its own data only)."""

import datetime as dt
import re

import pytest
from django.conf import settings
from django.test import Client

from merchants import services
from merchants.codes import counter_url, request_url
from merchants.models import Payment, PaymentRefund
from points.selectors import resident_summary
from tests.forms import nonce_for

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def nonce_of(html: str) -> str:
    return re.search(r'name="form_nonce" value="([^"]+)"', html).group(1)


def test_a_till_code_shows_shop_and_amount_and_asks_to_sign_in(merchant, merchant_user):
    request = services.payment_request_create(
        merchant=merchant, amount_points=1250, created_by=merchant_user
    )
    html = Client().get(path_of(request_url(request))).content.decode()
    assert "Ordos Cashmere Shop" in html and "1250" in html
    assert 'id="signin"' in html and 'id="pay"' not in html


def test_a_resident_pays_a_till_code_on_the_page_once(merchant, merchant_user, resident, grant):
    grant(resident, 2000)
    request = services.payment_request_create(
        merchant=merchant, amount_points=1250, created_by=merchant_user
    )
    client = signed_in(resident)
    page = path_of(request_url(request))
    html = client.get(page).content.decode()
    token = page.rsplit("/", 1)[1]
    nonce = nonce_of(html)
    paid = client.post(f"/pay/{token}", {"form_nonce": nonce}, follow=True)
    assert "已向" in paid.content.decode() or "Paid" in paid.content.decode()
    again = client.post(f"/pay/{token}", {"form_nonce": nonce}, follow=True)
    assert again.status_code == 200
    assert Payment.objects.count() == 1
    assert resident_summary(user=resident).redeemable == 750


def test_a_resident_types_the_amount_at_a_counter_code(merchant, resident, grant):
    grant(resident, 500)
    client = signed_in(resident)
    page = path_of(counter_url(merchant))
    token = page.rsplit("/", 1)[1]
    for amount in ("abc", "0", "-5"):
        nonce = nonce_of(client.get(page).content.decode())
        client.post(f"/pay/{token}", {"form_nonce": nonce, "amount_points": amount})
    assert not Payment.objects.exists()
    nonce = nonce_of(client.get(page).content.decode())
    client.post(f"/pay/{token}", {"form_nonce": nonce, "amount_points": "120"})
    assert Payment.objects.get().amount_points == 120
    nonce = nonce_of(client.get(page).content.decode())
    refused = client.post(
        f"/pay/{token}", {"form_nonce": nonce, "amount_points": "999"}, follow=True
    )
    assert Payment.objects.count() == 1
    assert "积分不足" in refused.content.decode()


def test_an_anonymous_post_pays_nothing(merchant):
    token = path_of(counter_url(merchant)).rsplit("/", 1)[1]
    response = Client().post(f"/pay/{token}", {"amount_points": "5"})
    assert response.status_code == 302
    assert not Payment.objects.exists()


def test_the_merchant_page_shows_the_day_and_refunds(
    merchant, merchant_user, resident, grant, other_merchant, other_merchant_user
):
    grant(resident, 1000)
    mine = services.payment_create(resident=resident, merchant=merchant, amount_points=400).payment
    theirs = services.payment_create(
        resident=resident, merchant=other_merchant, amount_points=100
    ).payment
    statement = services.statement_build(merchant=merchant, month=dt.date(2026, 10, 1))
    client = signed_in(merchant_user)
    html = client.get("/merchant/").content.decode()
    assert f'id="payment-{mine.pk}"' in html and f'id="payment-{theirs.pk}"' not in html
    assert f"/merchant/statements/{statement.pk}.csv" in html
    assert resident.phone not in html

    client.post(
        f"/merchant/payments/{mine.pk}/refund",
        {**{"amount_points": "150"}, **nonce_for(merchant_user)},
    )
    client.post(
        f"/merchant/payments/{theirs.pk}/refund",
        {**{"amount_points": "50"}, **nonce_for(merchant_user)},
    )
    client.post(
        f"/merchant/payments/{mine.pk}/refund",
        {**{"amount_points": "251"}, **nonce_for(merchant_user)},
    )
    assert list(PaymentRefund.objects.values_list("payment_id", "amount_points")) == [
        (mine.pk, 150)
    ]
    assert client.get(f"/merchant/statements/{statement.pk}.csv").status_code == 200
    other = signed_in(other_merchant_user)
    assert other.get(f"/merchant/statements/{statement.pk}.csv").status_code == 404
    assert Client().get(f"/merchant/statements/{statement.pk}.csv").status_code == 404


def test_the_till_on_the_merchant_page_shows_a_code(merchant_user):
    client = signed_in(merchant_user)
    response = client.post("/merchant/till", {"amount_points": "880"})
    assert response.status_code == 302 and "?request=" in response["Location"]
    html = client.get(response["Location"]).content.decode()
    assert "<svg" in html and "880" in html


def test_the_merchant_page_asks_others_to_sign_in(resident):
    assert 'id="signin"' in Client().get("/merchant/").content.decode()
    html = signed_in(resident).get("/merchant/").content.decode()
    assert 'id="payments"' not in html


def test_a_counter_code_refuses_full_width_digits_and_decimals(merchant, resident, grant):
    """The typed amount is ASCII digits only: "１０" (full-width) and "1.0" pay nothing,
    where int() and Django's IntegerField read them as 10 and 1."""
    grant(resident, 500)
    client = signed_in(resident)
    page = path_of(counter_url(merchant))
    token = page.rsplit("/", 1)[1]
    for amount in ("１０", "1.0", "1_0", "٣"):
        nonce = nonce_of(client.get(page).content.decode())
        client.post(f"/pay/{token}", {"form_nonce": nonce, "amount_points": amount})
    assert not Payment.objects.exists()
    assert resident_summary(user=resident).redeemable == 500
    nonce = nonce_of(client.get(page).content.decode())
    client.post(f"/pay/{token}", {"form_nonce": nonce, "amount_points": "10"})
    assert Payment.objects.get().amount_points == 10


def test_paying_on_the_page_needs_the_consent(merchant, merchant_user, make_user, grant):
    resident = make_user(consent=False)
    grant(resident, 2000)
    request = services.payment_request_create(
        merchant=merchant, amount_points=1250, created_by=merchant_user
    )
    client = signed_in(resident)
    page = path_of(request_url(request))
    token = page.rsplit("/", 1)[1]
    html = client.get(page).content.decode()
    assert 'id="consent-accept"' in html and 'id="pay"' not in html
    client.post(f"/pay/{token}", nonce_for(resident))
    assert not Payment.objects.exists()
    client.post("/privacy/accept", {"version": settings.PRIVACY_NOTICE_VERSION})
    html = client.get(page).content.decode()
    client.post(f"/pay/{token}", {"form_nonce": nonce_of(html)})
    assert Payment.objects.get().resident == resident
