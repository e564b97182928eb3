"""Retention (issue 24, item 4): each kind is purged at its age and not before, by the
nightly beat (a real worker runs it) and by `manage.py purge_personal_data`."""

import datetime as dt
import io
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import OtpCode, OtpGuess
from cadres.models import Review
from core.models import IdempotencyRecord
from desk.models import DeskSession
from notifications.models import Notification
from privacy.retention import personal_data_purge

DAY = dt.timedelta(days=1)
SECOND = dt.timedelta(seconds=1)


def _aged(pearl, pearls_life, moment):
    """One row of each kind, made at `moment`."""
    otp = OtpCode.objects.create(
        phone=pearl.phone, code_hash="x" * 64, created_at=moment, expires_at=moment
    )
    OtpGuess.objects.create(otp=otp, phone=pearl.phone, address="203.0.113.1", created_at=moment)
    Review.objects.filter(pk=pearls_life["review"].pk).update(created_at=moment)
    note = Notification.objects.create(
        user=pearl,
        kind="review_bad",
        event_key="k1",
        params={"rating": 1},
        link="/x",
        created_at=moment,
    )
    record = IdempotencyRecord.objects.create(
        user=pearl, key="k", fingerprint="f", state="done", response_body={"name": "Pearl"}
    )
    IdempotencyRecord.objects.filter(pk=record.pk).update(created_at=moment)
    desk = DeskSession.objects.create(
        agent=pearls_life["admin"],
        phone=pearl.phone,
        id_number_hash="h" * 64,
        id_number_last4="1234",
        id_name="珍珠",
        created_at=moment,
        confirm_by=moment,
    )
    return note, desk


@pytest.mark.parametrize(
    ("setting", "kind"),
    [
        ("RETAIN_SIGNIN_CODES_DAYS", "codes"),
        ("RETAIN_REVIEW_HASHES_DAYS", "hashes"),
        ("RETAIN_SMS_TEXT_DAYS", "sms"),
        ("RETAIN_DESK_CHECKS_DAYS", "desk"),
        ("IDEMPOTENCY_KEY_TTL", "idempotency"),
    ],
)
def test_each_kind_goes_at_its_age_and_not_before(pearl, pearls_life, settings, setting, kind):
    made = timezone.now() - 400 * DAY
    note, desk = _aged(pearl, pearls_life, made)
    age = getattr(settings, setting)
    age = age if isinstance(age, dt.timedelta) else age * DAY

    def present() -> bool:
        if kind == "codes":
            return OtpCode.objects.filter(phone=pearl.phone).exists() and OtpGuess.objects.exists()
        if kind == "hashes":
            row = Review.objects.get(pk=pearls_life["review"].pk)
            return bool(row.device_hash and row.address_hash)
        if kind == "sms":
            row = Notification.objects.get(pk=note.pk)
            return bool(row.params and row.link)
        if kind == "desk":
            row = DeskSession.objects.get(pk=desk.pk)
            return bool(row.id_number_hash and row.id_name)
        return IdempotencyRecord.objects.filter(user=pearl).exists()

    personal_data_purge(now=made + age - SECOND)
    assert present()
    personal_data_purge(now=made + age + SECOND)
    assert not present()
    if kind == "sms":  # the outbox row stays, with its kind, time and status
        row = Notification.objects.get(pk=note.pk)
        assert (row.kind, row.created_at) == ("review_bad", made)


def test_the_command_prints_what_it_purged(pearl, pearls_life):
    _aged(pearl, pearls_life, timezone.now() - 400 * DAY)
    out = io.StringIO()
    call_command("purge_personal_data", stdout=out)
    assert "signin_codes: 1" in out.getvalue()
    assert "review_hashes: 1" in out.getvalue()


def test_the_beat_runs_nightly(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-personal-data"]
    assert entry["task"] == "privacy.tasks.personal_data_purge"
    assert entry["schedule"].hour == {3}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_beat_task_once(pearl, pearls_life, broker_tasks):
    from config.celery import app
    from tests.workers import start_worker, stop_worker

    _aged(pearl, pearls_life, timezone.now() - 400 * DAY)
    queue = f"test-purge-{os.getpid()}"
    worker = start_worker(queue)
    try:
        done = app.send_task("privacy.tasks.personal_data_purge", queue=queue).get(timeout=90)
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert done["signin_codes"] == 1 and done["review_hashes"] == 1, output
    assert not OtpCode.objects.filter(phone=pearl.phone).exists()
