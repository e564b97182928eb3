import pytest

from accounts.models import OtpCode
from accounts.sms import LocmemBackend

pytestmark = pytest.mark.django_db


def last_code(phone):
    return [m for m in LocmemBackend.outbox if m["phone"] == phone][-1]["code"]


def test_it_signs_in_with_an_sms_code_and_creates_a_resident(api, django_capture_on_commit_callbacks):
    """A code sent by SMS exchanges for tokens; the first sign-in creates a resident."""
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/auth/otp", {"phone": "+8613800138000"}, format="json")
    assert response.status_code == 202
    assert response.json() == {"expires_in": 300}

    response = api.post(
        "/api/v1/auth/token", {"phone": "+8613800138000", "code": last_code("+8613800138000")}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["user"]["phone_masked"] == "+86138****8000"
    assert body["user"]["roles"] == ["resident"]

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    me = api.get("/api/v1/me").json()
    assert me["id"] == body["user"]["id"]
    assert me["redeemable_balance"] == 0
    assert OtpCode.objects.get().state == OtpCode.State.USED
