"""The monthly rankings task: beat's schedule, and a real worker on Redis running it."""

import datetime as dt
import os

import pytest
from django.conf import settings

from cadres import services
from cadres.models import RankingEntry, RankingMonth
from config.celery import app
from core.timezones import LOCAL_TZ
from tests.workers import start_worker, stop_worker

from .conftest import at

SHANGHAI = LOCAL_TZ


def test_beat_runs_the_monthly_task_at_1am_shanghai_on_the_1st():
    """Due at 01:00 Asia/Shanghai on the 1st (17:00 UTC the day before), not at 00:59."""
    entry = settings.CELERY_BEAT_SCHEDULE["compile-monthly-rankings"]
    assert entry["task"] == "cadres.tasks.rankings_compile_month"
    schedule = app.conf.beat_schedule["compile-monthly-rankings"]["schedule"]
    assert (schedule.minute, schedule.hour, schedule.day_of_month) == ({0}, {1}, {1})
    assert str(schedule.tz) == "Asia/Shanghai"
    last_run = dt.datetime(2026, 3, 1, 1, 0, tzinfo=SHANGHAI)
    schedule.nowfun = lambda: dt.datetime(2026, 3, 31, 16, 59, tzinfo=dt.UTC)
    assert schedule.is_due(last_run) == (False, 60.0)
    schedule.nowfun = lambda: dt.datetime(2026, 3, 31, 17, 0, 30, tzinfo=dt.UTC)
    assert schedule.is_due(last_run).is_due


def test_beat_marks_overdue_reviews_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["mark-overdue-bad-reviews"]
    assert entry["task"] == "cadres.tasks.reviews_mark_overdue"
    assert entry["schedule"].hour == set(range(24))


@pytest.mark.django_db
def test_the_task_compiles_the_month_just_ended_by_default(make_cadre, resident):
    from cadres import tasks

    with at(dt.datetime(2026, 3, 2, 2, 0, tzinfo=dt.UTC)):
        services.review_create(cadre=make_cadre(), reviewer=resident, rating=5)
    with at(dt.datetime(2026, 3, 31, 17, 0, 5, tzinfo=dt.UTC)):  # Apr 1 01:00 Shanghai
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
    assert RankingEntry.objects.filter(ranking=ranking).count() == 1 + 5 + 5
