"""The monthly rankings task: beat's schedule, and a real worker on Redis running it."""

import datetime as dt
import os
import signal
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from cadres import services
from config.celery import app
from core.timezones import LOCAL_TZ
from rankings import cutoff
from rankings.models import RankingEntry, RankingMonth
from tests.workers import start_worker, stop_worker

from .conftest import at

SHANGHAI = LOCAL_TZ
MARCH = dt.date(2026, 3, 1)


def test_beat_runs_the_monthly_task_at_1am_shanghai_on_the_4th():
    """Due at 01:00 Asia/Shanghai on the 4th (17:00 UTC on the 3rd), not at 00:59: after
    the 72-hour answer window of a bad review of the 31st, 23:59, has closed."""
    entry = settings.CELERY_BEAT_SCHEDULE["compile-monthly-rankings"]
    assert entry["task"] == "cadres.tasks.rankings_compile_month"
    schedule = app.conf.beat_schedule["compile-monthly-rankings"]["schedule"]
    assert (schedule.minute, schedule.hour, schedule.day_of_month) == ({0}, {1}, {4})
    assert str(schedule.tz) == "Asia/Shanghai"
    last_run = dt.datetime(2026, 3, 4, 1, 0, tzinfo=SHANGHAI)
    schedule.nowfun = lambda: dt.datetime(2026, 4, 3, 16, 59, tzinfo=dt.UTC)
    assert schedule.is_due(last_run) == (False, 60.0)
    schedule.nowfun = lambda: dt.datetime(2026, 4, 3, 17, 0, 30, tzinfo=dt.UTC)
    assert schedule.is_due(last_run).is_due
    due = dt.datetime(2026, 4, 4, 1, 0, tzinfo=SHANGHAI)
    last_bad_review = dt.datetime(2026, 3, 31, 23, 59, 59, tzinfo=SHANGHAI)
    assert due > last_bad_review + services.OVERDUE_AFTER
    assert cutoff.answer_window_closed(MARCH, now=due)


@pytest.mark.django_db
def test_the_task_compiles_the_month_just_ended_by_default(make_cadre, resident):
    from rankings import tasks

    with at(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)):
        services.review_create(cadre=make_cadre(), reviewer=resident, rating=5)
    with at(dt.datetime(2026, 4, 3, 17, 0, 5, tzinfo=dt.UTC)):  # Apr 4 01:00 Shanghai
        assert tasks.rankings_compile_month() == "2026-03"
    assert tasks.rankings_compile_month("2026-03") == "2026-03"
    ranking = RankingMonth.objects.get()
    assert ranking.label == "2026-03"
    # The month has ended: beat's run publishes it, sealed with its digest.
    assert ranking.published_at is not None
    assert len(ranking.digest) == 64


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_compiles_the_month_end_to_end(make_unit, make_cadre, make_user):
    """Through Redis to a worker process: the snapshot is stored; twice gives one result."""
    unit = make_unit("康巴什区住房和城乡建设局")
    cadres = [make_cadre(unit=unit) for _ in range(5)]
    reviewers = [make_user() for _ in range(5)]
    for index, reviewer in enumerate(reviewers):
        for cadre in cadres:
            with at(dt.datetime(2026, 3, 1 + index, 2, 0, tzinfo=dt.UTC)):
                services.review_create(cadre=cadre, reviewer=reviewer, rating=5 - index % 2)

    queue = f"cadres-test-{os.getpid()}"
    worker = start_worker(queue)
    try:
        first = app.send_task(
            "cadres.tasks.rankings_compile_month", args=["2026-03"], queue=queue
        ).get(timeout=90)
        second = app.send_task(
            "cadres.tasks.rankings_compile_month", args=["2026-03"], queue=queue
        ).get(timeout=90)
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert first == second == "2026-03"
    assert "rankings_compile_month" in output
    ranking = RankingMonth.objects.get()
    assert ranking.published_at is not None
    unit_entry = RankingEntry.objects.get(ranking=ranking, scope="unit")
    assert (unit_entry.reviews, unit_entry.rank) == (25, 1)
    assert RankingEntry.objects.filter(ranking=ranking).count() == 1 + 5  # a unit, 5 cadres


def _waiting_on_a_lock() -> bool:
    """Whether another session of this database waits on a row lock (the worker's task)."""
    with connection.cursor() as cursor:
        # Activity is read once per transaction unless the snapshot is dropped.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_it_redelivers_the_compile_after_the_whole_worker_is_killed(make_cadre, resident):
    """A worker (main process and pool children) killed with SIGKILL mid-compile acks
    nothing; once the broker's visibility timeout passes, another worker gets the task
    again and compiles and publishes the month."""
    with at(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)):
        services.review_create(cadre=make_cadre(), reviewer=resident, rating=5)
    RankingMonth.objects.create(month=dt.date(2026, 3, 1), compiled_at=dt.datetime.now(dt.UTC))
    # Short here; the setting's default fits the longest task (see README).
    fast = {"CELERY_VISIBILITY_TIMEOUT": "5"}
    queue = f"cadres-kill-{os.getpid()}"

    first = start_worker(queue, pool="prefork", env=fast)
    try:
        with transaction.atomic():
            # The compile locks the month's row: holding it keeps the task mid-run.
            RankingMonth.objects.select_for_update().get(month=dt.date(2026, 3, 1))
            result = app.send_task(
                "cadres.tasks.rankings_compile_month", args=["2026-03"], queue=queue
            )
            for _ in range(600):
                if _waiting_on_a_lock() or first.poll() is not None:
                    break
                time.sleep(0.1)
            assert _waiting_on_a_lock(), "the task never started"
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
    except Exception:
        os.killpg(first.pid, signal.SIGKILL)
        print(first.communicate()[0])
        raise
    finally:
        first.stdout.close()
    assert RankingMonth.objects.get(month=dt.date(2026, 3, 1)).published_at is None

    # kombu restores messages unacknowledged for longer than the visibility timeout in
    # a running worker: on the first tick of a 10-second timer, then every 10th tick.
    # Starting the next worker once the timeout has passed makes its first tick the one
    # that restores (a wait, not a timed assertion).
    time.sleep(6)
    second = start_worker(queue, pool="prefork", env=fast)
    try:
        assert result.get(timeout=150) == "2026-03"
    except Exception:
        print(stop_worker(second))
        raise
    output = stop_worker(second)
    assert "rankings_compile_month" in output
    ranking = RankingMonth.objects.get(month=dt.date(2026, 3, 1))
    assert ranking.published_at is not None
    assert RankingEntry.objects.filter(ranking=ranking, scope="cadre").count() == 1
