"""Celery: a real worker, started here against the real Redis, runs a task end to end."""

import os
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app
from core.models import IdempotencyRecord
from tests.workers import start_worker, stop_worker


def test_the_schedule_and_time_zone_are_explicit():
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert app.conf.timezone == "Asia/Shanghai"
    assert app.conf.task_acks_late is True
    entry = settings.CELERY_BEAT_SCHEDULE["purge-idempotency-keys"]
    assert entry["task"] == "core.tasks.idempotency_keys_purge"
    assert entry["schedule"].minute == {17}


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_purge_task_end_to_end(make_user):
    """The task goes through Redis to a worker process, which deletes the stale key."""
    user = make_user()
    stale = IdempotencyRecord.objects.create(user=user, key="stale", fingerprint="f", state="done")
    IdempotencyRecord.objects.filter(pk=stale.pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    IdempotencyRecord.objects.create(user=user, key="fresh", fingerprint="f", state="done")

    queue = f"test-{os.getpid()}"
    worker = start_worker(queue)
    try:
        first = app.send_task("core.tasks.idempotency_keys_purge", queue=queue).get(timeout=60)
        # Safe to run twice: the second run finds nothing more to do.
        second = app.send_task("core.tasks.idempotency_keys_purge", queue=queue).get(timeout=60)
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert (first, second) == (1, 0)
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
    assert "idempotency_keys_purge" in output


@pytest.mark.django_db
def test_tasks_run_eagerly_without_redis():
    if settings.REDIS_URL:
        assert app.conf.task_always_eager is False
    else:
        assert app.conf.task_always_eager is True
        from core.tasks import idempotency_keys_purge

        assert idempotency_keys_purge.delay().get() >= 0
