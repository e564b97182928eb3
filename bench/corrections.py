"""Benchmark: a correction of a published month against the compile of the same month.

Issue 21, item 5: a correction of a month with 1M reviews finishes in the same order of
time as the compile, and two exclusions within one minute give one new version.

1. Recreates the PostgreSQL database `duoduo_bench_corrections` (or --db; Redis db 15 or
   --redis-db, whose Celery queue is purged at the start and the end) and loads the
   people and a month of reviews with bench/rankings.py's loaders (same seed, same mix).
2. Compiles and publishes version 1 (services.rankings_compile, ranking_month_publish).
3. --rounds interleaved rounds (the order alternates each round): each round excludes
   one more review (cadres.services.review_exclude, as an upheld appeal does, in its
   own transaction) and times
   - the correction: services.ranking_month_correct (a new version: compile, diff
     against the version it replaces, digest, the bottom followed), and
   - the compile of the same month: services.rankings_compile, run inside a transaction
     that unpublishes version 1 first and is rolled back after the timing (a published
     month refuses a compile; the rollback keeps version 1 as it was published).
   Prints medians, min-max, the ratio correction / compile and each round's ratio. On
   this shared machine only ratios measured in the same run count.
4. Coalescing: two exclusions committed within one minute schedule two
   tasks.publish_correction runs (RANKINGS_CORRECTION_DELAY later each); both are run
   here, one after the other, as the worker would, and the versions they made are
   printed (one new version, then None).

    .venv/bin/python bench/corrections.py [--reviews 1000000] [--rounds 5]
        [--cadres 5000] [--units 100] [--db NAME] [--redis-db N]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import bench_env, django_setup, recreate_database  # noqa: E402
from bench.rankings import MONTH, load_people, load_reviews, spread, timed  # noqa: E402

DB_NAME = "duoduo_bench_corrections"
REDIS_DB = 15


class Rollback(Exception):
    """Raised to roll back the compile's transaction once it has been timed."""


def exclude_next(reason: str) -> int:
    """Exclude the month's next kept review (lowest id), committed; returns its id."""
    from django.db import transaction

    from cadres import services as cadres_services
    from cadres.models import Review

    with transaction.atomic():
        review_id = (
            Review.objects.filter(excluded_reason="", local_date__gte=MONTH)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        assert cadres_services.review_exclude(review_id=review_id, reason=reason)
    return review_id


def compile_same_month() -> float:
    """Seconds of rankings_compile of the published month, rolled back afterwards."""
    from django.db import transaction

    from rankings import services
    from rankings.models import RankingMonth

    seconds = 0.0
    try:
        with transaction.atomic():
            RankingMonth.objects.filter(month=MONTH, version=1).update(published_at=None)
            seconds, _ranking = timed(lambda: services.rankings_compile(month=MONTH))
            raise Rollback()
    except Rollback:
        pass
    return seconds


def time_rounds(rounds: int, reason: str) -> dict:
    from rankings import services

    correction_times, compile_times, ratios, versions = [], [], [], []

    def correct():
        ranking = services.ranking_month_correct(month=MONTH)
        assert ranking is not None, "an exclusion since the latest version must correct"
        versions.append((ranking.version, len(ranking.changes)))
        return ranking

    # Warm the caches for both (the correction publishes a version like the others).
    exclude_next(reason)
    correct()
    compile_same_month()
    for index in range(rounds):
        exclude_next(reason)
        if index % 2:
            compile_seconds = compile_same_month()
            correction_seconds, _ = timed(correct)
        else:
            correction_seconds, _ = timed(correct)
            compile_seconds = compile_same_month()
        correction_times.append(correction_seconds)
        compile_times.append(compile_seconds)
        ratios.append(correction_seconds / compile_seconds)
    ratio = statistics.median(correction_times) / statistics.median(compile_times)
    print(f"  ranking_month_correct  {spread(correction_times)}")
    print(f"  rankings_compile       {spread(compile_times)}")
    print(
        f"  ratio of medians       {ratio:7.2f} x  (per round: "
        f"{', '.join(f'{r:.2f}' for r in ratios)})"
    )
    print(
        "  versions published (version, changes listed): "
        + ", ".join(f"v{v} ({n})" for v, n in versions)
    )
    return {"ratio": ratio, "ratios": ratios}


def coalescing(reason: str) -> None:
    """Two exclusions within a minute: the two scheduled runs make one version."""
    from rankings import tasks
    from rankings.models import RankingMonth

    label = MONTH.strftime("%Y-%m")
    before = RankingMonth.objects.filter(month=MONTH).count()
    started = time.perf_counter()
    first, second = exclude_next(reason), exclude_next(reason)
    within = time.perf_counter() - started
    made = [tasks.publish_correction.apply(args=[label]).get() for _ in range(2)]
    after = RankingMonth.objects.filter(month=MONTH).count()
    print(
        f"  coalescing: reviews {first} and {second} excluded {within:.2f} s apart; the two "
        f"scheduled publish_correction runs made versions {made}; "
        f"{after - before} new version(s)"
    )
    assert after - before == 1 and made[1] is None, "two exclusions must make one version"


def purge_queue() -> None:
    from config.celery import app

    app.control.purge()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--cadres", type=int, default=5_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", default=DB_NAME)
    parser.add_argument("--redis-db", type=int, default=REDIS_DB)
    args = parser.parse_args()

    env = bench_env(db_name=args.db, redis_db=args.redis_db)
    recreate_database(env)
    django_setup(env)
    purge_queue()
    from cadres.models import Exclusion
    from rankings import services

    reason = Exclusion.APPEAL
    began = time.perf_counter()
    load_people(units=args.units, cadres=args.cadres)
    load_reviews(cadres=args.cadres, reviews=args.reviews)
    print(
        f"{args.reviews:,} reviews, {args.cadres:,} cadres, {args.units} units "
        f"(loaded by COPY in {time.perf_counter() - began:.1f} s)"
    )
    compile_seconds, _ = timed(lambda: services.rankings_compile(month=MONTH))
    publish_seconds, _ = timed(lambda: services.ranking_month_publish(month=MONTH))
    print(
        f"  version 1: compiled in {compile_seconds * 1000:.0f} ms, "
        f"published in {publish_seconds * 1000:.0f} ms; {args.rounds} rounds:"
    )
    try:
        time_rounds(args.rounds, reason)
        coalescing(reason)
    finally:
        purge_queue()
    print(
        f"total {time.perf_counter() - began:.0f} s on {dt.datetime.now().isoformat(' ', 'seconds')}"
    )


if __name__ == "__main__":
    main()
