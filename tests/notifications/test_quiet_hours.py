"""No notification SMS between 22:00 and 08:00 Asia/Shanghai: it waits for 08:00 and the
dispatch beat sends it then; sign-in codes go out at any hour. The clock is moved."""

import datetime as dt
from unittest import mock

import pytest
from django.conf import settings as django_settings

from accounts import services as accounts_services
from notifications import delivery, tasks
from notifications.models import Notification
from notifications.services import notify

pytestmark = pytest.mark.django_db

SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def at(hour, minute=0, day=10):
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI)


def clock(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture(autouse=True)
def _quiet(settings):
    settings.NOTIFY_QUIET_START, settings.NOTIFY_QUIET_END = 22, 8


@pytest.mark.parametrize(
    ("now", "allowed"),
    [
        (at(12), at(12)),
        (at(21, 59), at(21, 59)),
        (at(22), at(8, day=11)),
        (at(23, 30), at(8, day=11)),
        (at(0, 5), at(8)),
        (at(7, 59), at(8)),
        (at(8), at(8)),
    ],
)
def test_the_first_moment_an_sms_may_go(now, allowed):
    assert delivery.sms_allowed_at(now) == allowed


def test_a_night_event_is_in_the_inbox_at_once_and_by_sms_at_8(resident, committed, sms_sent):
    with clock(at(23, 10)), committed():
        pk = notify(user_id=resident.pk, kind="review_answered", key="1", params={"cadre": "王"})
    row = Notification.objects.get(pk=pk)
    assert row.sms_status == Notification.Sms.PENDING
    assert row.sms_not_before == at(8, day=11)
    assert sms_sent() == []
    with clock(at(7, 59, day=11)):
        assert tasks.sms_dispatch_due() == 0
    with clock(at(8, 0, day=11)):
        assert tasks.sms_dispatch_due() == 1
    assert [sms["key"] for sms in sms_sent()] == ["review_answered:1"]
    with clock(at(8, 1, day=11)):
        assert tasks.sms_dispatch_due() == 0
    assert Notification.objects.get(pk=pk).sms_status == Notification.Sms.SENT


def test_a_task_that_runs_into_the_night_waits_too(resident, sms_sent):
    """Queued at 21:59, run by a slow worker at 22:01: it waits for 08:00."""
    with clock(at(21, 59)):
        pk = notify(user_id=resident.pk, kind="review_answered", key="2", params={"cadre": "王"})
    with clock(at(22, 1)):
        assert tasks.sms_send.apply(args=[pk]).get() == "later"
    assert Notification.objects.get(pk=pk).sms_not_before == at(8, day=11)
    assert sms_sent() == []
    with clock(at(8, 0, day=11)):
        tasks.sms_dispatch_due()
    assert len(sms_sent()) == 1


def test_sign_in_codes_go_out_at_night(
    resident, settings, sms_sent, django_capture_on_commit_callbacks
):
    with clock(at(2, 30)), django_capture_on_commit_callbacks(execute=True):
        accounts_services.otp_request(phone=resident.phone, address="203.0.113.9")
    [sms] = sms_sent()
    assert sms["phone"] == resident.phone and len(sms["code"]) == 6
    assert django_settings.NOTIFY_QUIET_START == 22
