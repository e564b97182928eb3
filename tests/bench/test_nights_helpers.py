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

    nights.expiry_save()
    # Two rounds as the benchmark runs them: the SQL first, then the project first (the
    # expiry's state put back between them).
    for first_project in (False, True):
        _project, _sql, equal, report = nights.night_verify(first_project)
        assert report.ok and equal
        assert report.entries == 600 or first_project  # the first round's ledger as loaded

        _project, _sql, _select, _unchecked, equal, lines = nights.night_statements(
            ctx, first_project
        )
        assert equal and lines > 0

        _project, _sql, equal, result, _by_rule = nights.night_fraud(ctx, first_project)
        assert result["flagged"] >= 6  # the planted account's 6 reviews, at least
        assert equal

        _project, _sql, _unchecked, equal, count, points = nights.night_expiry(ctx, first_project)
        assert count > 0 and points > 0
        assert equal
        _project, _sql, equal, report = nights.night_verify()
        assert report.ok and equal
        nights.expiry_restore()
