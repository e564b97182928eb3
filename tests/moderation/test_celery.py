"""The nightly fraud scan task: beat's schedule, and a real worker on Redis running it."""

import datetime as dt
import os

import pytest
from django.conf import settings

from cadres import services
from config.celery import app
from moderation.models import ReviewFlag
from tests.workers import start_worker, stop_worker

from .conftest import at


def test_beat_runs_the_fraud_scan_nightly_at_2_30_shanghai():
    entry = settings.CELERY_BEAT_SCHEDULE["review-fraud-scan"]
    assert entry["task"] == "cadres.tasks.reviews_fraud_scan"
    assert (entry["schedule"].minute, entry["schedule"].hour) == ({30}, {2})


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_nightly_fraud_scan(make_unit, make_cadre, make_user):
    """Through Redis to a worker process: a reviewer who rated every cadre of a unit 1
    is flagged, once however often the task runs."""
    unit = make_unit("康巴什区市场监督管理局")
    cadres = [make_cadre(unit=unit) for _ in range(3)]
    sweeper = make_user()
    for index, cadre in enumerate(cadres):
        with at(dt.datetime(2026, 3, 4, 2, 10 * index, tzinfo=dt.UTC)):
            services.review_create(cadre=cadre, reviewer=sweeper, rating=1)
    queue = f"cadres-fraud-{os.getpid()}"
    worker = start_worker(queue)
    try:
        results = [
            app.send_task("cadres.tasks.reviews_fraud_scan", args=["2026-03-04"], queue=queue).get(
                timeout=90
            )
            for _ in range(2)
        ]
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert "reviews_fraud_scan" in output
    assert [r["flagged"] for r in results] == [3, 0]
    assert sorted(ReviewFlag.objects.values_list("rule", flat=True)) == ["unit_sweep"] * 3
