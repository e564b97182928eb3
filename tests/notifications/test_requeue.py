"""A queued SMS task lost with the broker's data (Redis lost, restored without it): the
dispatch beat queues the still-pending row again after NOTIFY_SMS_REQUEUE_SECONDS, once,
and the message is sent exactly once. Real Redis broker, real Celery worker."""

import datetime as dt
import json
import os
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from config.celery import app
from notifications import delivery, tasks
from notifications.models import Notification
from tests.workers import start_worker, stop_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def pending_notification(user) -> int:
    pk, due = delivery.notification_insert(
        user_id=user.pk,
        kind="moral_claim_approved",
        key="77",
        params={"category": "好人好事", "points": 30},
        link="/api/v1/points/moral/claims",
        now=timezone.now(),
    )
    assert due
    return pk


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("broker_tasks")
def test_a_task_dropped_from_the_broker_is_queued_again_once_and_sent_once(resident, tmp_path):
    sms_file = tmp_path / "worker-sms.jsonl"
    pk = pending_notification(resident)
    # The task is queued, then lost: the broker's list is dropped before any worker ran.
    lost_queue = f"sms-lost-{os.getpid()}"
    tasks.sms_send.apply_async(args=[pk], queue=lost_queue)
    broker = redis.Redis.from_url(settings.REDIS_URL)
    try:
        assert broker.llen(lost_queue) == 1
        assert broker.delete(lost_queue) == 1
    finally:
        broker.close()
    # Ten minutes later (the row's queueing time moved back rather than the clock on).
    queued_at = timezone.now() - dt.timedelta(seconds=settings.NOTIFY_SMS_REQUEUE_SECONDS + 60)
    Notification.objects.filter(pk=pk).update(sms_queued_at=queued_at)

    beat_queue = f"sms-beat-{os.getpid()}"
    env = {
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(sms_file),
        "NOTIFY_QUIET_START": "24",
        "NOTIFY_QUIET_END": "0",
        "NOTIFY_SMS_BATCH_PAUSE": "0",
    }
    # The beat's own queue, and the default one its re-queued task goes to.
    worker = start_worker(f"{beat_queue},{app.conf.task_default_queue}", env=env)
    try:
        first = app.send_task("notifications.tasks.sms_dispatch_due", queue=beat_queue)
        assert first.get(timeout=90) == 1
        for _ in range(600):
            if Notification.objects.get(pk=pk).sms_status == Notification.Sms.SENT:
                break
            time.sleep(0.1)
        again = app.send_task("notifications.tasks.sms_dispatch_due", queue=beat_queue)
        assert again.get(timeout=90) == 0
    finally:
        output = stop_worker(worker)
    row = Notification.objects.get(pk=pk)
    assert row.sms_status == Notification.Sms.SENT, output
    assert row.sms_requeued_at is not None and row.sms_attempts == 1
    lines = [json.loads(line) for line in Path(sms_file).read_text().splitlines()]
    assert [line["key"] for line in lines] == ["moral_claim_approved:77"]


@pytest.mark.django_db
def test_a_row_is_queued_again_only_once(resident):
    """Queued again and lost again: the beat leaves it (staff see it pending in the
    admin) rather than queueing it every ten minutes for ever."""
    pk = pending_notification(resident)
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.NOTIFY_SMS_REQUEUE_SECONDS + 1)
    fresh = now - dt.timedelta(seconds=settings.NOTIFY_SMS_REQUEUE_SECONDS - 30)
    Notification.objects.filter(pk=pk).update(sms_queued_at=fresh)
    assert delivery.sms_due_ids(now=now, limit=10) == []  # not yet ten minutes
    Notification.objects.filter(pk=pk).update(sms_queued_at=stale)
    assert delivery.sms_due_ids(now=now, limit=10) == [pk]
    row = Notification.objects.get(pk=pk)
    assert row.sms_requeued_at == now and row.sms_queued_at == now
    later = now + dt.timedelta(seconds=settings.NOTIFY_SMS_REQUEUE_SECONDS * 3)
    assert delivery.sms_due_ids(now=later, limit=10) == []
    # The broker refused the re-queue: the next beat queues it as never queued.
    delivery.sms_queueing_lost([pk])
    assert delivery.sms_due_ids(now=later, limit=10) == [pk]
