"""bench/nights.py's hand-written SQL statements compute what the project's night jobs
compute, on a tiny dataset loaded by the benchmark's own COPY (no timing here)."""

import pytest

from bench import nights
from points import lots


@pytest.mark.django_db(transaction=True)
def test_each_night_job_equals_its_sql_statement():
    ctx = nights.load(
        residents=60, cadres=12, units=2, merchants=3, entries=600, reviews=150, today=lots.today()
    )

    _project, _sql, equal, report = nights.night_verify()
    assert report.ok and report.entries == 600
    assert equal

    assert nights.night_statements(ctx)[2]

    _project, _sql, equal, result = nights.night_fraud(ctx)
    assert result["flagged"] >= 6  # the planted account's 6 reviews, at least
    assert equal

    _project, _sql, equal, count, points = nights.night_expiry(ctx)
    assert count > 0 and points > 0
    assert equal
    _project, _sql, equal, report = nights.night_verify()
    assert report.ok and equal
