"""Fraud rules a client cannot choose its way around (issue 19): the device id is a
token the server signs, one account reviewing many cadres is flagged, and so is one
account or one address presenting many devices. Each rule with data that trips it and
data that does not, at submission and at night."""

import datetime as dt

import pytest

from cadres import hashes as fraud
from cadres import services as cadres_services
from cadres.models import Review
from core import devices
from moderation import services
from moderation.models import FlagRule, ReviewFlag

from .conftest import at

pytestmark = pytest.mark.django_db

# A Wednesday, 10:00 in Shanghai.
T = dt.datetime(2026, 3, 4, 2, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 3, 4)


def minutes(n):
    return T + dt.timedelta(minutes=n)


def review(cadre, user, moment=T, **kwargs):
    with at(moment):
        return cadres_services.review_create(cadre=cadre, reviewer=user, rating=5, **kwargs)


def rules():
    return sorted(set(ReviewFlag.objects.values_list("rule", flat=True)))


def post_review(client, cadre, badge, **headers):
    return client.post(
        f"/api/v1/cadres/{cadre.pk}/reviews",
        {"code": badge(cadre), "rating": 5},
        format="json",
        **headers,
    )


# --- The three dodges of the probe, through the API, with the default settings ----------


def test_it_flags_a_fresh_made_up_device_id_on_each_review_from_one_address(
    client_for, resident, make_cadre, badge
):
    """9 reviews of 9 cadres by one account from one address, each with a new
    X-Device-Id the client made up: none of them is a device (nothing stored), and the
    account's fifth cadre within the hour is flagged, and every one after it."""
    api = client_for(resident)
    made = []
    for index in range(9):
        api.cookies.clear()  # the client drops the token it was given
        response = post_review(
            api,
            make_cadre(),
            badge,
            HTTP_X_DEVICE_ID=f"made-up-{index:02d}",
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 201, response.json()
        made.append(response.json()["id"])
    assert set(Review.objects.values_list("device_hash", flat=True)) == {""}
    flagged = ReviewFlag.objects.filter(rule=FlagRule.ACCOUNT).order_by("review_id")
    assert [flag.review_id for flag in flagged] == made[4:]
    assert flagged.last().detail == {"cadres": 9, "minutes": 60}


def test_it_flags_fresh_signed_devices_from_one_address(client_for, make_user, make_cadre, badge):
    """9 accounts, one address, each with a device token of its own (the server issues
    one to whoever asks): the address presenting its sixth device within the hour is
    flagged (`address_devices`), and the reviews after it."""
    made = []
    for _ in range(9):
        response = post_review(
            client_for(make_user()),
            make_cadre(),
            badge,
            HTTP_X_DEVICE_ID=devices.device_token_new(),
            REMOTE_ADDR="203.0.113.9",
        )
        assert response.status_code == 201
        made.append(response.json()["id"])
    flagged = ReviewFlag.objects.filter(rule=FlagRule.ADDRESS_DEVICES).order_by("review_id")
    assert [flag.review_id for flag in flagged] == made[5:]
    assert flagged.last().detail == {"devices": 9, "minutes": 60}
    assert rules() == [FlagRule.ADDRESS_DEVICES]


def test_it_flags_one_account_without_a_device_from_a_new_address_each_time(
    client_for, resident, make_cadre, badge
):
    """No X-Device-Id and a new address per review: 9 reviews of 9 cadres by one
    account are flagged from the fifth on (`account`)."""
    api = client_for(resident)
    made = []
    for index in range(9):
        api.cookies.clear()  # the client drops the token it was given
        response = post_review(api, make_cadre(), badge, REMOTE_ADDR=f"198.51.100.{index + 1}")
        made.append(response.json()["id"])
    flagged = ReviewFlag.objects.filter(rule=FlagRule.ACCOUNT).order_by("review_id")
    assert [flag.review_id for flag in flagged] == made[4:]
    assert rules() == [FlagRule.ACCOUNT]


# --- The server-issued device token --------------------------------------------------------


def test_the_review_answer_issues_a_signed_token_that_then_counts_as_the_device(
    client_for, resident, make_cadre, badge
):
    """A client without a token gets one in the answer (header and HttpOnly cookie); the
    review it made without one has no device. Sent back, the token is the device of the
    next review (stored as its keyed hash), and no new one is issued."""
    api = client_for(resident)
    first = post_review(api, make_cadre(), badge)
    assert first.status_code == 201
    token = first["X-Device-Id"]
    assert devices.device_token_valid(token)
    cookie = first.cookies["duoduo_device"]
    assert cookie.value == token and cookie["httponly"] and cookie["samesite"] == "Lax"
    assert Review.objects.get(pk=first.json()["id"]).device_hash == ""
    api.cookies.clear()  # the app sends the header, not the cookie
    second = post_review(api, make_cadre(), badge, HTTP_X_DEVICE_ID=token)
    assert second.status_code == 201
    assert "X-Device-Id" not in second
    assert "duoduo_device" not in second.cookies
    stored = Review.objects.get(pk=second.json()["id"]).device_hash
    assert stored == fraud.device_hash(token) and stored and token not in stored


def test_a_forged_or_unsigned_device_id_counts_as_no_device(
    client_for, make_user, make_cadre, badge, settings
):
    """Three accounts on one 'device' whose id the client made up (or whose signature
    was altered) review three cadres: no device is stored, the device rule stays quiet,
    and each answer issues a real token."""
    settings.FRAUD_DEVICE_CADRES_PER_HOUR = 3
    genuine = devices.device_token_new()
    random_part, _dot, mac = genuine.partition(".")
    forged = f"{random_part}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    for claimed in ("phone-farm-01", forged, random_part):
        assert fraud.device_hash(claimed) == ""
        for user in [make_user() for _ in range(3)]:
            response = post_review(client_for(user), make_cadre(), badge, HTTP_X_DEVICE_ID=claimed)
            assert response.status_code == 201
            assert devices.device_token_valid(response["X-Device-Id"])
    assert set(Review.objects.values_list("device_hash", flat=True)) == {""}
    assert not ReviewFlag.objects.filter(rule=FlagRule.DEVICE).exists()
    assert fraud.device_hash(genuine)


def test_the_scan_answer_issues_a_token_too(client_for, resident, make_cadre, badge):
    api = client_for(resident)
    response = api.post("/api/v1/scan", {"code": badge(make_cadre())}, format="json")
    assert response.status_code == 200
    token = response["X-Device-Id"]
    assert devices.device_token_valid(token)
    again = api.post(
        "/api/v1/scan", {"code": badge(make_cadre())}, format="json", HTTP_X_DEVICE_ID=token
    )
    assert "X-Device-Id" not in again


def test_the_schema_documents_the_device_token_header_on_review_and_scan(api):
    schema = api.get("/api/schema/?format=json").json()
    for path, status in (("/api/v1/cadres/{id}/reviews", "201"), ("/api/v1/scan", "200")):
        operation = schema["paths"][path]["post"]
        assert ("header", "X-Device-Id") in {(p["in"], p["name"]) for p in operation["parameters"]}
        assert "X-Device-Id" in operation["responses"][status]["headers"]


# --- One account, many cadres --------------------------------------------------------------


def test_one_account_reviewing_many_cadres_is_flagged_at_the_threshold(
    resident, other_resident, make_cadre, settings
):
    """FRAUD_ACCOUNT_CADRES (5) cadres within FRAUD_ACCOUNT_MINUTES (60): the fifth
    review is flagged when it comes in, the night flags all five; four cadres, or five
    spread over more than the window, are not."""
    settings.FRAUD_ACCOUNT_CADRES, settings.FRAUD_ACCOUNT_MINUTES = 5, 60
    bunched = [review(make_cadre(), resident, moment=minutes(10 * i)) for i in range(5)]
    spread = [review(make_cadre(), other_resident, moment=minutes(20 * i)) for i in range(5)]
    flagged = list(ReviewFlag.objects.all())
    assert [(f.review_id, f.rule) for f in flagged] == [(bunched[-1].pk, FlagRule.ACCOUNT)]
    assert flagged[0].detail == {"cadres": 5, "minutes": 60}
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert set(ReviewFlag.objects.values_list("review_id", flat=True)) == {r.pk for r in bunched}
    assert not ReviewFlag.objects.filter(review__in=spread).exists()


def test_four_cadres_in_the_window_are_not_flagged(resident, make_cadre, settings):
    settings.FRAUD_ACCOUNT_CADRES, settings.FRAUD_ACCOUNT_MINUTES = 5, 60
    for i in range(4):
        review(make_cadre(), resident, moment=minutes(5 * i))
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert not ReviewFlag.objects.exists()


# --- Device churn ----------------------------------------------------------------------------


def test_one_account_presenting_many_devices_is_flagged(
    resident, other_resident, make_cadre, settings
):
    """FRAUD_ACCOUNT_DEVICES (3) different devices within FRAUD_DEVICES_MINUTES (60):
    the review with the third is flagged, the night flags the three; an account on two
    devices, or on three over more than the window, is not."""
    settings.FRAUD_ACCOUNT_DEVICES, settings.FRAUD_DEVICES_MINUTES = 3, 60
    settings.FRAUD_ACCOUNT_CADRES = 100
    churned = [
        review(make_cadre(), resident, moment=minutes(i), device_id=devices.device_token_new())
        for i in range(3)
    ]
    two = [devices.device_token_new(), devices.device_token_new()]
    for i in range(4):
        review(make_cadre(), other_resident, moment=minutes(i), device_id=two[i % 2])
    slow = [
        review(make_cadre(), other_resident, moment=minutes(200 + 40 * i), device_id=token)
        for i, token in enumerate([devices.device_token_new() for _ in range(3)])
    ]
    flagged = list(ReviewFlag.objects.all())
    assert [(f.review_id, f.rule) for f in flagged] == [(churned[-1].pk, FlagRule.ACCOUNT_DEVICES)]
    assert flagged[0].detail == {"devices": 3, "minutes": 60}
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert set(ReviewFlag.objects.values_list("review_id", flat=True)) == {r.pk for r in churned}
    assert not ReviewFlag.objects.filter(review__in=slow).exists()


def test_one_address_presenting_many_devices_is_flagged(make_user, make_cadre, settings):
    """FRAUD_ADDRESS_DEVICES (6) different devices from one address within the window:
    the sixth is flagged, the night flags all six; five devices from another address,
    however many reviews, are not."""
    settings.FRAUD_ADDRESS_DEVICES, settings.FRAUD_DEVICES_MINUTES = 6, 60
    crowd = [
        review(
            make_cadre(),
            make_user(),
            moment=minutes(i),
            device_id=devices.device_token_new(),
            address="203.0.113.9",
        )
        for i in range(6)
    ]
    five = [devices.device_token_new() for _ in range(5)]
    for i in range(8):
        review(
            make_cadre(),
            make_user(),
            moment=minutes(i),
            device_id=five[i % 5],
            address="198.51.100.7",
        )
    flagged = list(ReviewFlag.objects.all())
    assert [(f.review_id, f.rule) for f in flagged] == [(crowd[-1].pk, FlagRule.ADDRESS_DEVICES)]
    assert flagged[0].detail == {"devices": 6, "minutes": 60}
    services.reviews_fraud_scan(day=DAY, now=minutes(60 * 20))
    assert set(ReviewFlag.objects.values_list("review_id", flat=True)) == {r.pk for r in crowd}
