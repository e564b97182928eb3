"""The admin's password sign-in locks a phone and address out after repeated failures."""

import pytest
from django.test import Client

from accounts.models import User

pytestmark = pytest.mark.django_db
ADMIN = "+8613900000077"
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
