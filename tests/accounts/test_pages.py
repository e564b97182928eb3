"""Sign-in by SMS code on the server-rendered pages (a Django session)."""

import pytest

from accounts.sms import LocmemBackend

pytestmark = pytest.mark.django_db
PHONE = "+8613800138000"


def test_it_signs_in_a_phone_browser_and_returns_to_the_page(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/signin/code", {"phone": "13800138000", "next": "/q/abc"})
    assert response.status_code == 302
    assert response["Location"] == "/q/abc"
    code = LocmemBackend.outbox[-1]["code"]

    response = client.post("/signin/verify", {"phone": PHONE, "code": code, "next": "/q/abc"})
    assert response.status_code == 302
    assert response["Location"] == "/q/abc"
    assert client.session["_auth_user_id"]


def test_it_refuses_a_wrong_code_and_stays_signed_out(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/signin/code", {"phone": PHONE})
    code = LocmemBackend.outbox[-1]["code"]
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    response = client.post(
        "/signin/verify", {"phone": PHONE, "code": wrong, "next": "/q/abc"}, follow=True
    )
    assert "_auth_user_id" not in client.session
    assert "验证码错误或已过期" in response.content.decode()


def test_it_never_redirects_to_another_site(client):
    response = client.post("/signin/code", {"phone": "bad", "next": "https://evil.example/"})
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


def test_it_only_accepts_posts(client):
    assert client.get("/signin/code").status_code == 405
