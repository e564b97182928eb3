"""A sign-in code whose SMS was lost (the process sending it stopped before the provider
answered) lets the resident ask again at once: the 1-a-minute limit does not hold them
back, and the lost code is recorded as `unknown` (listed in the admin). A code still
being sent does hold the next request back."""

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from accounts.models import OtpCode
from accounts.services import OTP_SMS_LOCK_GRACE, SmsUnavailable, otp_request
from accounts.sms import LocmemBackend
from core.errors import Throttled
from tests.conftest import next_phone
from tests.hanging_sms import BlockingBackend
from tests.workers import database_url

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "198.51.100.23"
ASK = (
    "import django; django.setup(); from accounts.services import otp_request; "
    "otp_request(phone={phone!r}, address={address!r})"
)


def past_the_grace() -> None:
    """A code younger than OTP_SMS_LOCK_GRACE is never judged lost (its sender may not
    have locked it yet)."""
    time.sleep(OTP_SMS_LOCK_GRACE.total_seconds() + 0.2)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_process_killed_while_sending_a_code_lets_the_resident_ask_again_at_once(
    tmp_path, make_user, client
):
    """Another process asks for a code and is killed while the provider has not answered
    (the code committed, its SMS `sending`). The resident asks again from the same
    address within the minute: a new code is sent, the lost one is `unknown`. The next
    request within the minute is refused again (the new code was sent)."""
    phone = next_phone()
    sms_file = tmp_path / "sms.jsonl"
    asker = subprocess.Popen(
        [sys.executable, "-c", ASK.format(phone=phone, address=ADDRESS)],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": database_url(),
            "REDIS_URL": django_settings.REDIS_URL,
            "SMS_BACKEND": "tests.hanging_sms.HangingBackend",
            "SMS_FILE_PATH": str(sms_file),
        },
        start_new_session=True,
    )
    marker = Path(f"{sms_file}.sending")
    try:
        for _ in range(600):
            if marker.exists() or asker.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the process never called the provider"
    finally:
        os.killpg(asker.pid, signal.SIGKILL)
        asker.wait(timeout=30)
    [lost] = OtpCode.objects.filter(phone=phone)
    assert lost.sms_status == OtpCode.Sms.SENDING
    past_the_grace()

    again = otp_request(phone=phone, address=ADDRESS)

    assert OtpCode.objects.get(pk=lost.pk).sms_status == OtpCode.Sms.UNKNOWN
    assert OtpCode.objects.get(pk=again.pk).sms_status == OtpCode.Sms.SENT
    assert [sms["phone"] for sms in LocmemBackend.outbox] == [phone]
    with pytest.raises(Throttled):
        otp_request(phone=phone, address=ADDRESS)

    admin = make_user("district_admin")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    listed = client.get("/admin/accounts/otpcode/?sms_status__exact=unknown")
    assert f"/admin/accounts/otpcode/{lost.pk}/change/" in listed.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_code_still_being_sent_holds_the_next_request_back(settings):
    """While another thread waits for the provider (the row locked), asking again from
    the same address is refused within the minute, and the code stays `sending`, then
    `sent`."""
    settings.SMS_BACKEND = "tests.hanging_sms.BlockingBackend"
    BlockingBackend.entered.clear()
    BlockingBackend.release.clear()
    phone = next_phone()
    errors = []

    def first():
        try:
            otp_request(phone=phone, address=ADDRESS)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    sender = threading.Thread(target=first)
    sender.start()
    try:
        assert BlockingBackend.entered.wait(timeout=30)
        past_the_grace()
        with pytest.raises(Throttled):
            otp_request(phone=phone, address=ADDRESS)
        assert OtpCode.objects.get(phone=phone).sms_status == OtpCode.Sms.SENDING
    finally:
        BlockingBackend.release.set()
        sender.join(timeout=30)
    assert errors == []
    assert OtpCode.objects.get(phone=phone).sms_status == OtpCode.Sms.SENT


@pytest.mark.django_db
def test_a_refused_code_lets_the_resident_ask_again_at_once(
    settings, django_capture_on_commit_callbacks
):
    """The provider refused the code: it is `failed` (a 503 raised), and
    the next request within the minute is let through and sent."""
    settings.SMS_BACKEND = "tests.hanging_sms.RefusingBackend"
    phone = next_phone()
    with pytest.raises(SmsUnavailable), django_capture_on_commit_callbacks(execute=True):
        otp_request(phone=phone, address=ADDRESS)
    [refused] = OtpCode.objects.filter(phone=phone)
    assert refused.sms_status == OtpCode.Sms.FAILED

    settings.SMS_BACKEND = "locmem"
    with django_capture_on_commit_callbacks(execute=True):
        again = otp_request(phone=phone, address=ADDRESS)
    assert OtpCode.objects.get(pk=again.pk).sms_status == OtpCode.Sms.SENT
    assert [sms["phone"] for sms in LocmemBackend.outbox] == [phone]
    with pytest.raises(Throttled), django_capture_on_commit_callbacks(execute=True):
        otp_request(phone=phone, address=ADDRESS)
