"""The limits of docs/signin-limits.md: who may get a code, and who may try one."""

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.test.client import RequestFactory

from accounts.models import OtpCode, OtpGuess
from accounts.sms import LocmemBackend
from core import ratelimit
from core.net import client_ip
from tests.conftest import next_phone

pytestmark = pytest.mark.django_db
PHONE = "+8613800138000"
ATTACKERS = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
OWNER = "198.51.100.7"


def codes_sent(phone=PHONE):
    return [m["code"] for m in LocmemBackend.outbox if m["phone"] == phone]


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def ask(api, django_capture_on_commit_callbacks):
    """POST /auth/otp for `phone` from `address`."""

    def send(address, phone=PHONE, **headers):
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(
                "/api/v1/auth/otp", {"phone": phone}, format="json", REMOTE_ADDR=address, **headers
            )

    return send


@pytest.fixture
def guess(api):
    """POST /auth/token with `code` for `phone` from `address`."""

    def send(address, code, phone=PHONE):
        return api.post(
            "/api/v1/auth/token", {"phone": phone, "code": code}, format="json", REMOTE_ADDR=address
        )

    return send


def a_minute_passes(phone=PHONE, addresses=(*ATTACKERS, OWNER)):
    ratelimit.forget(*[f"otp:pa:m:{phone}:{address}" for address in addresses])


def test_it_ignores_a_client_made_forwarded_for_header(ask):
    """With NUM_PROXIES=0 (the default) a made-up X-Forwarded-For does not make a new
    address: 40 requests for 40 phones, each with a new header, send 30 SMS (30/hour)."""
    assert django_settings.NUM_PROXIES == 0
    statuses = [
        ask("192.0.2.1", next_phone(), HTTP_X_FORWARDED_FOR=f"10.0.{i}.{i}").status_code
        for i in range(40)
    ]
    assert statuses.count(202) == 30
    assert statuses.count(429) == 10
    assert len(LocmemBackend.outbox) == 30


def test_it_takes_the_address_the_proxy_saw_behind_num_proxies(settings):
    """Behind one proxy the client address is the last X-Forwarded-For entry, not the
    first one (which the client wrote); without proxies the header is ignored."""
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.9"
    )
    assert client_ip(request) == "10.0.0.2"
    settings.NUM_PROXIES = 1
    assert client_ip(request) == "198.51.100.9"
    settings.NUM_PROXIES = 2
    assert client_ip(request) == "6.6.6.6"


def test_it_limits_the_page_form_per_address(django_capture_on_commit_callbacks):
    """The page form POST /signin/code goes through the same limiter: 40 phones from one
    address send 30 SMS, the rest get the throttled message."""
    client = Client(REMOTE_ADDR="192.0.2.5")
    for _ in range(40):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post("/signin/code", {"phone": next_phone(), "next": "/leaderboard/"})
        assert response.status_code == 302
    assert len(LocmemBackend.outbox) == 30


def test_it_limits_the_page_form_per_phone_and_address(django_capture_on_commit_callbacks):
    """The page form keeps API.md's 1 a minute per phone."""
    client = Client(REMOTE_ADDR="192.0.2.6")
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/signin/code", {"phone": PHONE, "next": "/leaderboard/"})
    assert len(codes_sent()) == 1


def test_it_keeps_the_per_phone_limits_of_the_contract(ask):
    """From one address: 1 code a minute and 5 an hour per phone, then 429 + Retry-After."""
    assert ask(OWNER).status_code == 202
    response = ask(OWNER)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    for _ in range(4):
        a_minute_passes()
        assert ask(OWNER).status_code == 202
    a_minute_passes()
    response = ask(OWNER)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 60 < int(response["Retry-After"]) <= 3600
    assert len(codes_sent()) == 5


def _burn_five_codes(ask, guess):
    """The attack: 5 codes for the victim's phone from 3 addresses, each code tried with
    5 wrong guesses from the address that asked for it."""
    for i in range(5):
        address = ATTACKERS[i % len(ATTACKERS)]
        a_minute_passes()
        assert ask(address).status_code == 202
        code = codes_sent()[-1]
        for _ in range(5):
            assert guess(address, wrong(code)).status_code in {400, 429}


def test_it_does_not_let_an_attacker_lock_the_owner_out(ask, guess):
    """After the attack the attackers get no more codes, but the owner, asking from
    another address, gets one at once (the slow lane) and signs in with it, whatever the
    attackers guess meanwhile."""
    _burn_five_codes(ask, guess)
    for address in ATTACKERS:
        a_minute_passes()
        assert ask(address).status_code == 429

    response = ask(OWNER)
    assert response.status_code == 202
    code = codes_sent()[-1]
    for address in ATTACKERS:
        assert guess(address, wrong(code)).status_code in {400, 429}
    response = guess(OWNER, code)
    assert response.status_code == 200, response.json()
    assert response.json()["user"]["phone_masked"] == "+86138****8000"


def test_it_makes_the_owner_wait_at_most_fifteen_minutes(ask, guess):
    """If a fresh attacker address takes the slow lane, the owner waits at most 15 minutes
    for the next code, and the code the attacker had sent reached the owner's phone and
    still signs the owner in."""
    _burn_five_codes(ask, guess)
    assert ask("203.0.113.99").status_code == 202
    sent_to_owner = codes_sent()[-1]
    for address in ATTACKERS:
        assert guess(address, wrong(sent_to_owner)).status_code in {400, 429}

    response = ask(OWNER)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 15 * 60
    assert guess(OWNER, sent_to_owner).status_code == 200


def test_it_sends_at_most_ten_slow_lane_codes_a_day(ask):
    """Beyond 5 an hour per phone, the slow lane sends one code per 15 minutes and at most
    10 a day, even to many fresh addresses over the whole day."""
    for i in range(5):
        assert ask(f"192.0.2.{i + 10}").status_code == 202
    statuses = []
    for i in range(30):
        ratelimit.forget(f"otp:p:slow:{PHONE}")  # 15 minutes pass
        statuses.append(ask(f"198.18.0.{i + 1}").status_code)
    assert statuses.count(202) == 10
    assert statuses[10:] == [429] * 20
    assert len(codes_sent()) == 15
    assert OtpCode.objects.filter(phone=PHONE, slow_lane=True).count() == 10


def test_it_refuses_the_slow_lane_to_an_address_that_guessed_wrong(ask, guess):
    """An address with a wrong guess on this phone today gets no slow-lane code."""
    for i in range(5):
        assert ask(f"192.0.2.{i + 10}").status_code == 202
    guess("192.0.2.10", wrong(codes_sent()[-1]))
    a_minute_passes(addresses=["192.0.2.10"])
    assert ask("192.0.2.10").status_code == 429
    assert ask("192.0.2.50").status_code == 202


def test_it_voids_a_code_only_for_the_address_that_guessed_wrong(ask, guess):
    """5 wrong tries from one address void the code for that address; the owner's
    address can still use it."""
    ask(OWNER)
    code = codes_sent()[-1]
    for _ in range(5):
        assert guess(ATTACKERS[0], wrong(code)).json()["code"] == "otp_invalid"
    assert guess(ATTACKERS[0], code).json()["code"] == "otp_invalid"
    assert guess(OWNER, code).status_code == 200


def test_it_caps_wrong_guesses_per_phone(ask, guess):
    """After 20 wrong guesses on a phone within an hour only addresses with no wrong guess
    on it may try, once each before they too are shut out: brute force stays bounded."""
    ask(OWNER)
    code = codes_sent()[-1]
    for i in range(4):
        for _ in range(5):
            assert guess(f"203.0.113.{i + 1}", wrong(code)).status_code == 400
    response = guess("203.0.113.1", code)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 3600
    assert guess("203.0.113.50", wrong(code)).status_code == 400
    assert guess("203.0.113.50", wrong(code)).status_code == 429
    assert OtpGuess.objects.filter(phone=PHONE).count() == 21
    assert guess(OWNER, code).status_code == 200


def test_it_caps_wrong_guesses_per_address_across_phones(ask, guess):
    """One address may make 30 wrong guesses an hour, whatever the phones."""
    phones = [next_phone() for _ in range(7)]
    for phone in phones:
        ask(OWNER, phone)
    for phone in phones[:6]:
        code = codes_sent(phone)[-1]
        for _ in range(5):
            assert guess(ATTACKERS[0], wrong(code), phone).status_code == 400
    response = guess(ATTACKERS[0], codes_sent(phones[6])[-1], phones[6])
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"


def test_it_counts_sms_limits_in_the_database_when_redis_is_down(
    settings, own_redis, ask, django_capture_on_commit_callbacks
):
    """With Redis unreachable the SMS limits are counted on the database's codes: a code
    is sent, a second within the minute is 429, and nothing answers 500."""
    url, server = own_redis
    settings.REDIS_URL = url
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    server.kill()
    server.wait()
    assert ask(OWNER).status_code == 202
    response = ask(OWNER)
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    assert ask(ATTACKERS[0]).status_code == 202
    assert len(codes_sent()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = Client(REMOTE_ADDR="192.0.2.7").post(
            "/signin/code", {"phone": PHONE, "next": "/leaderboard/"}
        )
    assert response.status_code == 302
    assert len(codes_sent()) == 3
