"""SMS through the providers' official SDKs, against loopback servers that speak each
provider's SendSms (tests/sms_servers.py): a sign-in code goes out through Aliyun and
Tencent Cloud, fails over on a throttled or busy answer but never on an invalid number,
the outbox records the provider and its message id, and the delivery receipts mark it
delivered or undelivered (shown in the admin and to the desk)."""

import json
import os
import subprocess
import sys

import pytest
from django.utils import timezone

from accounts.models import OtpCode
from accounts.roles import Role
from notifications import delivery
from notifications.checks import sms_kinds
from notifications.models import Notification
from tests.conftest import next_phone
from tests.sms_servers import aliyun_server, tencent_server
from tests.workers import ROOT

pytestmark = pytest.mark.django_db

TOKEN = "receipt-token-0123456789"


@pytest.fixture
def servers(settings):
    """Both providers on loopback, every kind with its template at each."""
    with aliyun_server() as aliyun, tencent_server() as tencent:
        settings.SMS_ALIYUN_ENDPOINT = aliyun.url
        settings.SMS_ALIYUN_ACCESS_KEY_ID = "LTAI-test-id"
        settings.SMS_ALIYUN_ACCESS_KEY_SECRET = "test-secret"
        settings.SMS_ALIYUN_SIGN_NAME = "多多积分"
        settings.SMS_ALIYUN_RECEIPT_TOKEN = TOKEN
        settings.SMS_TENCENT_ENDPOINT = tencent.url
        settings.SMS_TENCENT_SECRET_ID = "AKID-test-id"
        settings.SMS_TENCENT_SECRET_KEY = "test-key"
        settings.SMS_TENCENT_SDK_APP_ID = "1400000001"
        settings.SMS_TENCENT_SIGN_NAME = "多多积分"
        settings.SMS_TENCENT_RECEIPT_TOKEN = TOKEN
        settings.SMS_TEMPLATES = {
            kind: {"aliyun": f"SMS_{index:06d}", "tencent": str(1000 + index)}
            for index, kind in enumerate(sms_kinds())
        }
        yield aliyun, tencent


def ask_code(api, committed, phone):
    with committed():
        return api.post("/api/v1/auth/otp", {"phone": phone}, format="json")


def aliyun_receipt(api, body, token=TOKEN):
    return api.post(f"/api/v1/sms/receipts/aliyun?token={token}", body, format="json")


def tencent_receipt(api, body, token=TOKEN):
    return api.post(f"/api/v1/sms/receipts/tencent?token={token}", body, format="json")


def test_a_sign_in_code_goes_out_through_aliyun_and_its_receipt_marks_it_delivered(
    settings, servers, api, committed
):
    aliyun, tencent = servers
    settings.SMS_BACKEND = "aliyun"
    phone = next_phone()
    assert ask_code(api, committed, phone).status_code == 202
    [request] = aliyun.requests
    assert request["action"] == "SendSms" and request["signed"]
    assert request["headers"]["Authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI")
    fields = request["fields"]
    assert fields["PhoneNumbers"] == phone.removeprefix("+86")
    assert fields["SignName"] == "多多积分"
    assert fields["TemplateCode"] == settings.SMS_TEMPLATES["sign_in"]["aliyun"]
    params = json.loads(fields["TemplateParam"])
    assert set(params) == {"code", "minutes"} and len(params["code"]) == 6
    assert tencent.requests == []
    otp = OtpCode.objects.get(phone=phone)
    assert (otp.sms_status, otp.sms_provider) == (OtpCode.Sms.SENT, "aliyun")
    assert otp.sms_message_id.endswith("^0")

    # Aliyun's SmsReport body: a JSON list; one of ours, one nobody sent.
    report = {
        "phone_number": phone.removeprefix("+86"),
        "send_time": "2026-12-06 10:00:00",
        "report_time": "2026-12-06 10:00:05",
        "success": True,
        "err_code": "DELIVERED",
        "err_msg": "用户接收成功",
        "sms_size": "1",
        "biz_id": otp.sms_message_id,
        "out_id": "",
    }
    stranger = {**report, "biz_id": "123456789^0"}
    response = aliyun_receipt(api, [report, stranger])
    assert response.status_code == 200, response.content
    assert response.json() == {"code": 0, "msg": "成功", "recorded": 1, "replayed": 0, "unknown": 1}
    otp.refresh_from_db()
    assert (otp.sms_status, otp.sms_provider_code) == (OtpCode.Sms.DELIVERED, "DELIVERED")
    assert otp.sms_receipt_at.isoformat() == "2026-12-06T02:00:05+00:00"  # 10:00:05 Shanghai

    # Replayed, even with another outcome: nothing changes.
    failed = {
        **report,
        "success": False,
        "err_code": "MK:0001",
        "report_time": "2026-12-06 11:00:00",
    }
    response = aliyun_receipt(api, [failed])
    assert response.json()["replayed"] == 1 and response.json()["recorded"] == 0
    otp.refresh_from_db()
    assert (otp.sms_status, otp.sms_provider_code) == (OtpCode.Sms.DELIVERED, "DELIVERED")


def test_a_sign_in_code_goes_out_through_tencent_and_the_desk_sees_it_undelivered(
    settings, servers, api, committed, make_user, client, client_for
):
    aliyun, tencent = servers
    settings.SMS_BACKEND = "tencent"
    phone = next_phone()
    assert ask_code(api, committed, phone).status_code == 202
    [request] = tencent.requests
    assert request["action"] == "SendSms" and request["signed"]
    assert request["headers"]["X-TC-Version"] == "2021-01-11"
    body = request["fields"]
    assert body["PhoneNumberSet"] == [phone]
    assert body["SmsSdkAppId"] == "1400000001" and body["SignName"] == "多多积分"
    assert body["TemplateId"] == settings.SMS_TEMPLATES["sign_in"]["tencent"]
    assert len(body["TemplateParamSet"][0]) == 6
    otp = OtpCode.objects.get(phone=phone)
    assert (otp.sms_status, otp.sms_provider) == (OtpCode.Sms.SENT, "tencent")
    assert otp.sms_message_id

    # Tencent's status callback body: the handset was off.
    report = {
        "user_receive_time": "2026-12-06 10:01:02",
        "nationcode": "86",
        "mobile": phone.removeprefix("+86"),
        "report_status": "FAIL",
        "errmsg": "MI:0013",
        "description": "用户关机",
        "sid": otp.sms_message_id,
    }
    response = tencent_receipt(api, [report])
    assert response.status_code == 200, response.content
    assert response.json() == {
        "result": 0,
        "errmsg": "OK",
        "recorded": 1,
        "replayed": 0,
        "unknown": 0,
    }
    otp.refresh_from_db()
    assert (otp.sms_status, otp.sms_provider_code) == (OtpCode.Sms.UNDELIVERED, "MI:0013")

    # The desk: an agent opening a session for that phone sees the undelivered code.
    agent = make_user(Role.DESK_AGENT, display_name="张德明")
    with committed():
        response = client_for(agent).post("/api/v1/desk/sessions", {"phone": phone}, format="json")
    assert response.status_code == 201, response.content
    client.force_login(agent)
    page = client.get(f"/desk/sessions/{response.json()['id']}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-sms-status="undelivered"' in html and "MI:0013" in html
    assert 'data-sms-status="sent"' in html  # the desk code itself, just sent


@pytest.mark.parametrize("answer", ["throttle", "busy"])
def test_it_fails_over_to_the_next_provider_on_throttling_or_an_outage(
    settings, servers, api, committed, answer
):
    aliyun, tencent = servers
    settings.SMS_BACKENDS = "aliyun,tencent"
    aliyun.answer = answer
    phone = next_phone()
    assert ask_code(api, committed, phone).status_code == 202
    assert len(aliyun.requests) == 1 and len(tencent.requests) == 1
    otp = OtpCode.objects.get(phone=phone)
    assert (otp.sms_status, otp.sms_provider) == (OtpCode.Sms.SENT, "tencent")
    assert otp.sms_message_id.startswith("2028:")


@pytest.mark.django_db(transaction=True)  # the code's SMS is sent at the view's commit
def test_an_invalid_number_fails_for_good_without_failover(settings, servers, api):
    aliyun, tencent = servers
    settings.SMS_BACKENDS = "aliyun,tencent"
    aliyun.answer = "invalid"
    phone = next_phone()
    response = api.post("/api/v1/auth/otp", {"phone": phone}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "phone" in response.json()["fields"]
    assert len(aliyun.requests) == 1 and tencent.requests == []
    otp = OtpCode.objects.get(phone=phone)
    assert otp.sms_status == OtpCode.Sms.FAILED
    assert (otp.sms_provider, otp.sms_provider_code) == ("aliyun", "isv.MOBILE_NUMBER_ILLEGAL")


@pytest.mark.django_db(transaction=True)
def test_every_provider_throttling_is_a_503_with_retry_after(settings, servers, api):
    aliyun, tencent = servers
    settings.SMS_BACKENDS = "aliyun,tencent"
    aliyun.answer = tencent.answer = "throttle"
    phone = next_phone()
    response = api.post("/api/v1/auth/otp", {"phone": phone}, format="json")
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["code"] == "service_unavailable"
    otp = OtpCode.objects.get(phone=phone)
    assert otp.sms_status == OtpCode.Sms.FAILED
    assert otp.sms_provider_code == "LimitExceeded.PhoneNumberThirtySecondLimit"


def notification_for(user) -> int:
    pk, due = delivery.notification_insert(
        user_id=user.pk,
        kind="moral_claim_approved",
        key="7",
        params={"category": "好人好事", "points": 30},
        link="/api/v1/points/moral/claims",
        now=timezone.now(),
    )
    assert due
    return pk


def test_a_notification_goes_through_the_same_path_and_the_admin_shows_its_receipt(
    settings, servers, resident, api, make_user, client
):
    aliyun, tencent = servers
    settings.SMS_BACKENDS = "aliyun,tencent"
    aliyun.answer = "busy"
    pk = notification_for(resident)
    assert delivery.sms_deliver(notification_id=pk, final=False) == "sent"
    body = tencent.requests[-1]["fields"]
    assert body["TemplateId"] == settings.SMS_TEMPLATES["moral_claim_approved"]["tencent"]
    assert "30" in body["TemplateParamSet"][1]  # [title, body]
    row = Notification.objects.get(pk=pk)
    assert (row.sms_status, row.sms_provider) == (Notification.Sms.SENT, "tencent")
    report = {
        "user_receive_time": "2026-12-06 10:01:02",
        "nationcode": "86",
        "mobile": resident.phone.removeprefix("+86"),
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": row.sms_message_id,
    }
    assert tencent_receipt(api, [report]).json()["recorded"] == 1
    row.refresh_from_db()
    assert (row.sms_status, row.sms_provider_code) == (Notification.Sms.DELIVERED, "DELIVRD")

    admin = make_user(Role.DISTRICT_ADMIN)
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    page = client.get("/admin/notifications/notification/?sms_status__exact=delivered")
    html = page.content.decode()
    assert page.status_code == 200
    assert f"/admin/notifications/notification/{pk}/change/" in html
    assert "tencent" in html and "DELIVRD" in html


def test_a_notification_to_an_invalid_number_fails_at_once(settings, servers, resident):
    aliyun, tencent = servers
    settings.SMS_BACKEND = "tencent"
    tencent.answer = "invalid"
    pk = notification_for(resident)
    assert delivery.sms_deliver(notification_id=pk, final=False) == "failed"  # no retry
    row = Notification.objects.get(pk=pk)
    assert row.sms_status == Notification.Sms.FAILED
    assert row.sms_provider_code == "InvalidParameterValue.IncorrectPhoneNumber"


def test_receipts_need_their_token_and_a_list_and_write_nothing_otherwise(
    settings, servers, api, committed
):
    settings.SMS_BACKEND = "aliyun"
    phone = next_phone()
    ask_code(api, committed, phone)
    otp = OtpCode.objects.get(phone=phone)
    report = {"biz_id": otp.sms_message_id, "success": True, "err_code": "DELIVERED"}
    report["report_time"] = "2026-12-06 10:00:05"
    for response in (
        aliyun_receipt(api, [report], token="wrong"),
        api.post("/api/v1/sms/receipts/aliyun", [report], format="json"),
    ):
        assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    for body in (
        {"biz_id": otp.sms_message_id},
        [{"biz_id": otp.sms_message_id}],
        "x",
        [report, 5],
    ):
        response = aliyun_receipt(api, body)
        assert response.status_code == 400, body
        assert set(response.json()) == {"code", "detail", "fields", "request_id"}
    settings.SMS_ALIYUN_RECEIPT_TOKEN = ""
    assert aliyun_receipt(api, [report], token="").status_code == 404
    otp.refresh_from_db()
    assert otp.sms_status == OtpCode.Sms.SENT


def test_a_kind_without_a_template_stops_the_start_up_naming_it():
    env = {
        **os.environ,
        "SMS_BACKENDS": "aliyun,tencent",
        "SMS_TEMPLATES": ",".join(f"{kind}=SMS_1" for kind in sms_kinds() if kind != "desk"),
    }
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert check.returncode != 0
    assert "SMS_TEMPLATES has no template" in check.stderr
    assert "aliyun: desk; tencent: desk" in check.stderr
    env["SMS_TEMPLATES"] += ",desk=SMS_2"
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stderr
