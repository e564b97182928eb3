"""An SMS claimed (`sending`) whose sender stopped before the provider answered is
recorded as `unknown` by the dispatch beat after NOTIFY_SMS_SENDING_TIMEOUT: never sent
again by itself, listed for staff (the admin's filter and index), counted for the
metrics (`sms_unknown_count`), and sent again only when staff ask."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from accounts.models import OtpCode
from notifications import delivery, services, tasks
from notifications.models import Notification
from notifications.selectors import sms_unknown_count

pytestmark = pytest.mark.django_db
Sms = Notification.Sms


def unknown_in_metrics() -> float:
    """The gauge `duoduo_sms_unknown` as /metrics shows it to loopback."""
    text = Client(REMOTE_ADDR="127.0.0.1").get("/metrics").content.decode()
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "duoduo_sms_unknown"]
    return family.samples[0].value


def claimed(user, key: str, *, ago: dt.timedelta) -> Notification:
    """A notification whose SMS a worker claimed `ago` and never finished."""
    pk, _due = delivery.notification_insert(
        user_id=user.pk,
        kind="moral_claim_approved",
        key=key,
        params={"category": "好人好事", "points": 30},
        link="/api/v1/points/moral/claims",
        now=timezone.now(),
    )
    Notification.objects.filter(pk=pk).update(
        sms_status=Sms.SENDING, sms_attempts=1, sms_claimed_at=timezone.now() - ago
    )
    return Notification.objects.get(pk=pk)


def test_the_dispatch_beat_records_sms_sending_too_long_as_unknown(resident, settings, sms_sent):
    """Claimed 6 minutes ago (timeout 5): unknown, with a reason, not sent again; claimed
    10 s ago: still sending. A sign-in code sending for 6 minutes: unknown too. Both
    counted by sms_unknown_count."""
    settings.NOTIFY_SMS_SENDING_TIMEOUT = 300
    stuck = claimed(resident, "1", ago=dt.timedelta(minutes=6))
    busy = claimed(resident, "2", ago=dt.timedelta(seconds=10))
    code = OtpCode.objects.create(
        phone=resident.phone,
        code_hash="x",
        created_at=timezone.now() - dt.timedelta(minutes=6),
        expires_at=timezone.now(),
    )
    sent_code = OtpCode.objects.create(
        phone=resident.phone,
        code_hash="y",
        created_at=timezone.now() - dt.timedelta(minutes=6),
        expires_at=timezone.now(),
        sms_status=OtpCode.Sms.SENT,
    )
    assert sms_unknown_count() == 0
    assert unknown_in_metrics() == 0

    assert tasks.sms_dispatch_due() == 0  # nothing queued again

    stuck.refresh_from_db()
    assert stuck.sms_status == Sms.UNKNOWN
    assert "300" in stuck.sms_error
    assert Notification.objects.get(pk=busy.pk).sms_status == Sms.SENDING
    assert OtpCode.objects.get(pk=code.pk).sms_status == OtpCode.Sms.UNKNOWN
    assert OtpCode.objects.get(pk=sent_code.pk).sms_status == OtpCode.Sms.SENT
    assert sms_unknown_count() == 2
    assert sms_sent() == []
    assert unknown_in_metrics() == 2


def test_staff_see_unknown_sms_and_may_send_them_again(
    resident, district_admin, client, committed, sms_sent
):
    """The admin lists them under the `unknown` filter and counts them on its index;
    "send again" sends one (the worker, in-process here) and it is sent."""
    stuck = claimed(resident, "3", ago=dt.timedelta(minutes=6))
    tasks.sms_dispatch_due()
    district_admin.is_superuser = True
    district_admin.save()
    client.force_login(district_admin)

    listed = client.get("/admin/notifications/notification/?sms_status__exact=unknown")
    assert listed.status_code == 200
    assert f"/admin/notifications/notification/{stuck.pk}/change/" in listed.content.decode()
    index = client.get("/admin/")
    assert "sms_status=unknown" in index.content.decode()

    with committed():
        assert services.sms_retry(notification_ids=[stuck.pk]) == 1
    stuck.refresh_from_db()
    assert stuck.sms_status == Sms.SENT
    assert [sms["phone"] for sms in sms_sent()] == [resident.phone]
    assert sms_unknown_count() == 0
