"""The admin's password sign-in locks a phone and address out after repeated failures,
a phone whatever the addresses, and an address whatever the phones; /metrics counts the
refusals of each kind."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import User

pytestmark = pytest.mark.django_db
ADMIN = "+8613900000077"
OTHER_ADMIN = "+8613900000078"
PASSWORD = "a-long-admin-password"  # noqa: S105


@pytest.fixture
def admin_user():
    return User.objects.create_superuser(ADMIN, PASSWORD)


def _login(client, password, username=ADMIN, **extra):
    return client.post(
        "/admin/login/?next=/admin/", {"username": username, "password": password}, **extra
    )


def test_it_locks_out_a_phone_and_address_after_five_failures(admin_user):
    """40 wrong passwords in a row: the first 4 show the form again, the rest are 429 with
    Retry-After, even with made-up X-Forwarded-For headers; the right password from that
    address is then refused too, while the owner elsewhere still signs in."""
    attacker = Client(REMOTE_ADDR="203.0.113.5")
    statuses = [
        _login(attacker, f"wrong-{i}", HTTP_X_FORWARDED_FOR=f"10.1.{i}.1").status_code
        for i in range(40)
    ]
    assert statuses[:4] == [200] * 4
    assert statuses[4:] == [429] * 36
    response = _login(attacker, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 15 * 60
    # The phone written another way is the same account.
    assert _login(attacker, PASSWORD, username="139 0000 0077").status_code == 429

    owner = Client(REMOTE_ADDR="198.51.100.20")
    response = _login(owner, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_it_says_so_in_the_request_language(admin_user):
    """The lock-out page is translated: Chinese by default, English when asked."""
    client = Client(REMOTE_ADDR="203.0.113.6")
    for _ in range(5):
        response = _login(client, "wrong")
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    response = _login(client, "wrong", HTTP_ACCEPT_LANGUAGE="en")
    assert "Too many failed sign-ins" in response.content.decode()


def test_it_takes_the_address_from_the_proxy_behind_num_proxies(settings, admin_user):
    """Behind one proxy (NUM_PROXIES=1) the address is what the proxy saw: locking one
    client out does not lock out another client behind the same proxy."""
    settings.NUM_PROXIES = 1
    proxy = Client(REMOTE_ADDR="10.0.0.2")
    for _ in range(5):
        _login(proxy, "wrong", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    locked = _login(proxy, PASSWORD, HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    assert locked.status_code == 429
    response = _login(proxy, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert response.status_code == 302


def refused_counts() -> dict[str, float]:
    """duoduo_admin_login_refused_total by limit, as Prometheus reads /metrics."""
    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    return {
        sample.labels["limit"]: sample.value
        for sample in families["duoduo_admin_login_refused"].samples
        if sample.name == "duoduo_admin_login_refused_total"
    }


def _time_passes(delta):
    """Every failure recorded so far happened `delta` earlier."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - delta)


def test_it_locks_a_phone_whatever_the_addresses(admin_user):
    """The attack of the report: 4 guesses from each of 6 addresses (never 5 from one).
    After 10 failures on the phone (ADMIN_PHONE_FAILURE_LIMIT) every further try is
    refused, and so is the right password from a 7th address: 429 with the phone's
    message and Retry-After of 15 minutes at most. The refusals are counted."""
    before = refused_counts()
    statuses = []
    for address in range(6):
        attacker = Client(REMOTE_ADDR=f"203.0.113.{10 + address}")
        statuses += [_login(attacker, f"wrong-{address}-{i}").status_code for i in range(4)]
    assert statuses == [200] * 10 + [429] * 14
    response = _login(Client(REMOTE_ADDR="203.0.113.17"), PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 15 * 60
    assert "此账号从多个地址累计 10 次登录失败" in response.content.decode()
    after = refused_counts()
    assert after["phone"] - before["phone"] == 15
    assert after["pair"] == before["pair"]
    assert after["address"] == before["address"]
    # Another admin from the same addresses is not locked.
    User.objects.create_superuser(OTHER_ADMIN, PASSWORD)
    assert _login(Client(REMOTE_ADDR="203.0.113.10"), PASSWORD, OTHER_ADMIN).status_code == 302


def test_it_lifts_the_phone_lock_within_its_cooloff(settings, admin_user):
    """The lock across addresses lasts ADMIN_PHONE_COOLOFF_MINUTES after the last failure
    (refused tries do not extend it): a minute later the owner signs in."""
    settings.ADMIN_PHONE_COOLOFF_TIME = timedelta(minutes=5)
    for address in range(5):
        attacker = Client(REMOTE_ADDR=f"203.0.113.{30 + address}")
        for i in range(2):
            _login(attacker, f"wrong-{i}")
    owner = Client(REMOTE_ADDR="198.51.100.30")
    locked = _login(owner, PASSWORD)
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 5 * 60
    # A minute of margin: ten refused sign-ins hash ten passwords, seconds on a slow machine.
    _time_passes(timedelta(minutes=4))
    assert _login(Client(REMOTE_ADDR="203.0.113.30"), "wrong-again").status_code == 429
    _time_passes(timedelta(minutes=1, seconds=10))
    assert _login(owner, PASSWORD).status_code == 302


def test_it_locks_an_address_whatever_the_phones(admin_user):
    """20 failures from one address over 5 phones (4 each, so no phone and no pair is
    full) lock that address for every phone, the right password of a real admin
    included: 429 with the address's message. From elsewhere the admin signs in."""
    before = refused_counts()
    sprayer = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [
        _login(sprayer, f"wrong-{i}", username=f"+861390000010{phone}").status_code
        for phone in range(5)
        for i in range(4)
    ]
    assert statuses == [200] * 20
    response = _login(sprayer, PASSWORD)
    assert response.status_code == 429
    assert "您的地址累计 20 次登录失败" in response.content.decode()
    assert int(response["Retry-After"]) == 15 * 60
    after = refused_counts()
    assert after["address"] - before["address"] == 1
    assert after["phone"] == before["phone"]
    assert _login(Client(REMOTE_ADDR="198.51.100.50"), PASSWORD).status_code == 302


def test_it_counts_the_pair_lock(admin_user):
    """The lock of one phone from one address moves the `pair` counter, once per page."""
    before = refused_counts()
    client = Client(REMOTE_ADDR="203.0.113.60")
    statuses = [_login(client, "wrong").status_code for _ in range(7)]
    assert statuses == [200] * 4 + [429] * 3
    after = refused_counts()
    assert after["pair"] - before["pair"] == 3
    assert (after["phone"], after["address"]) == (before["phone"], before["address"])
