"""Sign-in by SMS code (API.md, Accounts): codes, tokens, limits, and /me."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import OtpCode, User
from accounts.sms import LocmemBackend
from core import ratelimit

pytestmark = pytest.mark.django_db
PHONE = "+8613800138000"


def codes_sent(phone=PHONE):
    return [m["code"] for m in LocmemBackend.outbox if m["phone"] == phone]


@pytest.fixture
def send_code(api, django_capture_on_commit_callbacks):
    def send(phone=PHONE):
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post("/api/v1/auth/otp", {"phone": phone}, format="json")
        return response

    return send


def wrong(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


def test_it_signs_in_with_an_sms_code_and_creates_a_resident(api, send_code):
    """A code sent by SMS exchanges for tokens; the first sign-in creates a resident."""
    response = send_code()
    assert response.status_code == 202
    assert response.json() == {"expires_in": 300}

    response = api.post(
        "/api/v1/auth/token", {"phone": PHONE, "code": codes_sent()[-1]}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["phone_masked"] == "+86138****8000"
    assert body["user"]["roles"] == ["resident"]
    assert User.objects.get(phone=PHONE).groups.filter(name="resident").exists()

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api.get("/api/v1/me").json()
    assert me["id"] == body["user"]["id"]
    assert set(me) == {
        "id",
        "phone_masked",
        "display_name",
        "roles",
        "redeemable_balance",
        "moral_score",
        "moral_tier",
        "unread_notifications",
    }
    assert me["unread_notifications"] == 0
    assert OtpCode.objects.get().state == OtpCode.State.USED


def test_it_refreshes_an_access_token(api, send_code):
    """POST /auth/token/refresh gives a new access token that works on /me."""
    send_code()
    tokens = api.post(
        "/api/v1/auth/token", {"phone": PHONE, "code": codes_sent()[-1]}, format="json"
    ).json()
    response = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    assert api.get("/api/v1/me").status_code == 200


def test_it_accepts_a_national_number_and_normalises_it(api, send_code):
    """'13800138000' is the same phone as '+8613800138000'."""
    assert send_code("138 0013 8000").status_code == 202
    assert codes_sent(PHONE)


def test_it_stores_codes_hashed(send_code):
    """The code itself is never in the database."""
    send_code()
    code = codes_sent()[-1]
    otp = OtpCode.objects.get()
    assert code not in otp.code_hash
    assert len(otp.code_hash) == 64


def test_it_refuses_a_second_code_within_a_minute(send_code):
    """1 code a minute per phone: the second is 429 with Retry-After."""
    assert send_code().status_code == 202
    response = send_code()
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 1 <= int(response["Retry-After"]) <= 60
    assert len(codes_sent()) == 1


def test_it_allows_five_codes_an_hour_and_refuses_the_sixth(send_code):
    """5 codes an hour per phone (from one address): the sixth within the hour is 429."""
    for _ in range(5):
        ratelimit.forget(f"otp:pa:m:{PHONE}:127.0.0.1")  # a minute passes
        assert send_code().status_code == 202
    ratelimit.forget(f"otp:pa:m:{PHONE}:127.0.0.1")
    response = send_code()
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert 60 < int(response["Retry-After"]) <= 3600


def test_it_voids_a_code_after_five_wrong_tries(api, send_code):
    """5 wrong tries void the code (for the address that tried): even the right code is
    then refused from there."""
    send_code()
    code = codes_sent()[-1]
    for _ in range(5):
        response = api.post(
            "/api/v1/auth/token", {"phone": PHONE, "code": wrong(code)}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["code"] == "otp_invalid"
    response = api.post("/api/v1/auth/token", {"phone": PHONE, "code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "otp_invalid"


def test_it_accepts_the_right_code_after_four_wrong_tries(api, send_code):
    """Four wrong tries leave the code usable."""
    send_code()
    code = codes_sent()[-1]
    for _ in range(4):
        api.post("/api/v1/auth/token", {"phone": PHONE, "code": wrong(code)}, format="json")
    response = api.post("/api/v1/auth/token", {"phone": PHONE, "code": code}, format="json")
    assert response.status_code == 200


def test_it_refuses_an_expired_code(api, send_code):
    """A code older than 5 minutes is 400 otp_invalid."""
    send_code()
    OtpCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.post(
        "/api/v1/auth/token", {"phone": PHONE, "code": codes_sent()[-1]}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "otp_invalid"


def test_it_refuses_a_code_used_once_already(api, send_code):
    """A code signs in once."""
    send_code()
    code = codes_sent()[-1]
    assert (
        api.post("/api/v1/auth/token", {"phone": PHONE, "code": code}, format="json").status_code
        == 200
    )
    response = api.post("/api/v1/auth/token", {"phone": PHONE, "code": code}, format="json")
    assert response.json()["code"] == "otp_invalid"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"phone": "12345"},
        {"phone": "+14155550100"},
        {"phone": "+86123456789012345"},
        {"phone": 13800138000.5},
        {"phone": 13800138001},
        {"phone": "138００138000"},
        {"phone": "+86１３８００１３８０００"},
        {"phone": "13800138000\u00b2"},
        {"phone": "１３８００１３８０００"},
        {"phone": "+86138\u0660\u0660138000"},
        {"phone": None},
        {"phone": ["+8613800138000"]},
        {"phone": "1" * 10_000},
    ],
)
def test_it_refuses_a_bad_phone_with_the_error_body(api, body):
    """A phone in the wrong format is 400 invalid with the field named."""
    response = api.post("/api/v1/auth/otp", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "phone" in response.json()["fields"]
    assert not LocmemBackend.outbox


@pytest.mark.parametrize("phone", [13800138000, "138００138000"])
def test_it_refuses_a_number_or_non_ascii_digits_as_the_phone_of_a_token(api, phone):
    """/auth/token takes the phone as a string of ASCII digits only: 400 invalid."""
    response = api.post("/api/v1/auth/token", {"phone": phone, "code": "123456"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "phone" in response.json()["fields"]


def test_it_treats_full_width_digits_as_no_phone(api, send_code):
    """'138００138000' is not a second phone next to '13800138000': it is refused, and
    the per-phone limit of the real phone holds."""
    assert send_code("13800138000").status_code == 202
    assert send_code("138００138000").status_code == 400
    assert len(LocmemBackend.outbox) == 1


@pytest.mark.parametrize("code", ["12345", "abcdef", "1234567", None, 123456, "１２３４５６"])
def test_it_refuses_a_malformed_code(api, code):
    response = api.post("/api/v1/auth/token", {"phone": PHONE, "code": code}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] in {"invalid", "otp_invalid"}


def test_it_writes_codes_to_a_file_with_the_file_backend(
    api, settings, tmp_path, django_capture_on_commit_callbacks
):
    """SMS_BACKEND=file appends {"phone", "code", "sent_at"} per line, and the code signs in."""
    import json

    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/auth/otp", {"phone": PHONE}, format="json")
    line = json.loads((tmp_path / "sms.jsonl").read_text().splitlines()[-1])
    assert set(line) == {"phone", "code", "sent_at"}
    assert line["phone"] == PHONE
    response = api.post("/api/v1/auth/token", {"phone": PHONE, "code": line["code"]}, format="json")
    assert response.status_code == 200


def test_it_changes_the_display_name(resident_api, resident):
    response = resident_api.patch("/api/v1/me", {"display_name": "小明"}, format="json")
    assert response.status_code == 200
    assert response.json()["display_name"] == "小明"
    resident.refresh_from_db()
    assert resident.display_name == "小明"


def test_it_answers_in_english_when_asked(api):
    """Messages follow Accept-Language; zh-hans by default."""
    zh = api.post("/api/v1/auth/token", {"phone": PHONE, "code": "000000"}, format="json")
    en = api.post(
        "/api/v1/auth/token",
        {"phone": PHONE, "code": "000000"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert zh.json()["detail"] == "验证码错误或已过期，请重新获取。"
    assert en.json()["detail"] == "The code is wrong or has expired. Request a new one."
