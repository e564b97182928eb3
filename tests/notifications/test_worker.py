"""The SMS task on a real Celery worker through Redis: a provider failure is retried
with backoff, a task delivered twice sends once, an outage ends as "failed" in the
admin, and the change that caused the message stays committed throughout."""

import json
import os
import signal
import time
from pathlib import Path

import pytest
from django.utils import timezone

from config.celery import app
from notifications import delivery
from notifications.models import Notification
from notifications.selectors import sms_unknown_count
from tests.workers import start_worker, stop_worker

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("broker_tasks"),
]


def worker_env(tmp_path, failures: int) -> dict:
    return {
        "SMS_BACKEND": "tests.notifications.flaky_sms.FlakyFileBackend",
        "SMS_FILE_PATH": str(tmp_path / "worker-sms.jsonl"),
        "FLAKY_SMS_FAILURES": str(failures),
        "NOTIFY_SMS_BACKOFF": "1",
        "NOTIFY_SMS_RETRIES": "2",
        "NOTIFY_QUIET_START": "24",
        "NOTIFY_QUIET_END": "0",
    }


def sent_lines(tmp_path) -> list[dict]:
    path = Path(tmp_path / "worker-sms.jsonl")
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def pending_notification(user) -> int:
    """A committed notification whose SMS is due (queued by the test, not on commit)."""
    pk, due = delivery.notification_insert(
        user_id=user.pk,
        kind="moral_claim_approved",
        key="42",
        params={"category": "好人好事", "points": 30},
        link="/api/v1/points/moral/claims",
        now=timezone.now(),
    )
    assert due
    return pk


def test_a_retried_and_redelivered_task_sends_exactly_once(resident, tmp_path):
    pk = pending_notification(resident)
    queue = f"notifications-test-{os.getpid()}"
    worker = start_worker(queue, env=worker_env(tmp_path, failures=1))
    try:
        # The same task twice (a redelivery): the first attempt fails and is retried.
        first = app.send_task("notifications.tasks.sms_send", args=[pk], queue=queue)
        second = app.send_task("notifications.tasks.sms_send", args=[pk], queue=queue)
        outcomes = sorted([first.get(timeout=90), second.get(timeout=90)])
        third = app.send_task("notifications.tasks.sms_send", args=[pk], queue=queue)
        assert third.get(timeout=90) == "nothing"
    finally:
        output = stop_worker(worker)
    assert outcomes == ["nothing", "sent"], output
    assert "Retry in 1s" in output, output
    [sms] = sent_lines(tmp_path)
    assert sms["phone"] == resident.phone and sms["key"] == "moral_claim_approved:42"
    assert "30" in sms["text"]
    row = Notification.objects.get(pk=pk)
    assert row.sms_status == Notification.Sms.SENT
    assert row.sms_attempts == 2  # the failure, then the one success


def test_a_provider_outage_ends_as_failed_visible_in_the_admin(
    resident, make_user, tmp_path, client
):
    pk = pending_notification(resident)
    queue = f"notifications-outage-{os.getpid()}"
    worker = start_worker(queue, env=worker_env(tmp_path, failures=100))
    try:
        result = app.send_task("notifications.tasks.sms_send", args=[pk], queue=queue)
        assert result.get(timeout=90) == "failed"
    finally:
        output = stop_worker(worker)
    assert output.count("Retry in") == 2, output  # NOTIFY_SMS_RETRIES, then recorded
    assert sent_lines(tmp_path) == []
    row = Notification.objects.get(pk=pk)
    assert (row.sms_status, row.sms_attempts) == (Notification.Sms.FAILED, 3)
    assert "provider unavailable" in row.sms_error
    admin = make_user("district_admin")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    page = client.get("/admin/notifications/notification/?sms_status__exact=failed")
    assert page.status_code == 200
    assert f"/admin/notifications/notification/{pk}/change/" in page.content.decode()


def test_a_worker_killed_while_sending_leaves_the_sms_unknown_not_stuck(resident, tmp_path):
    """The worker is killed after claiming the SMS, while the provider has not answered:
    the row is `sending`. Past NOTIFY_SMS_SENDING_TIMEOUT the dispatch beat, on another
    worker, records it as `unknown` (counted for the metrics) and queues nothing again."""
    pk = pending_notification(resident)
    queue = f"notifications-kill-{os.getpid()}"
    hanging = {**worker_env(tmp_path, 0), "SMS_BACKEND": "tests.hanging_sms.HangingBackend"}
    worker = start_worker(queue, env=hanging)
    marker = Path(str(tmp_path / "worker-sms.jsonl") + ".sending")
    try:
        app.send_task("notifications.tasks.sms_send", args=[pk], queue=queue)
        for _ in range(900):
            if marker.exists() or worker.poll() is not None:
                break
            time.sleep(0.1)
        assert marker.exists(), "the worker never called the provider"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.communicate(timeout=30)
    assert Notification.objects.get(pk=pk).sms_status == Notification.Sms.SENDING

    time.sleep(1.1)  # past the timeout below
    beat_queue = f"notifications-beat-{os.getpid()}"
    beat = start_worker(
        beat_queue, env={**worker_env(tmp_path, 0), "NOTIFY_SMS_SENDING_TIMEOUT": "1"}
    )
    try:
        result = app.send_task("notifications.tasks.sms_dispatch_due", queue=beat_queue)
        assert result.get(timeout=90) == 0
    finally:
        output = stop_worker(beat)
    row = Notification.objects.get(pk=pk)
    assert row.sms_status == Notification.Sms.UNKNOWN, output
    assert row.sms_attempts == 1
    assert sms_unknown_count() == 1
    assert sent_lines(tmp_path) == []
