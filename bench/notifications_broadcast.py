"""Benchmark: a broadcast to 150,000 residents, written by the task in batches, against a
plain bulk insert of the same rows in the same run.

1. recreates the PostgreSQL database `duoduo_bench_broadcast` (or --db), migrates it and
   inserts the residents in one INSERT ... SELECT generate_series;
2. runs interleaved rounds (which side goes first alternates): the broadcast as the
   worker runs it (`notifications.delivery.broadcast_write`: the audience's ids read in
   batches of NOTIFY_BROADCAST_BATCH_SIZE, each batch INSERT ... ON CONFLICT DO NOTHING
   RETURNING id), and the baseline: every id read at once, then Django's `bulk_create`
   of the same rows (same columns, same batch size, no conflict handling). The table is
   emptied (TRUNCATE) before each side;
3. prints rows a second for each, medians and min-max, and the ratio (goal >= 0.5x).

    .venv/bin/python bench/notifications_broadcast.py [--residents 150000] [--rounds 3]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import bench_env, django_setup, recreate_database  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=150_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--db", default="duoduo_bench_broadcast")
    parser.add_argument("--redis-db", type=int, default=15)
    args = parser.parse_args()

    env = bench_env(db_name=args.db, redis_db=args.redis_db)
    recreate_database(env)
    django_setup(env)

    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from notifications import delivery
    from notifications.models import Broadcast, Notification

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (phone, password, is_superuser, display_name, is_staff,"
            " is_active, date_joined) SELECT '+86139' || lpad(n::text, 8, '0'), '!', false, '',"
            " false, true, now() FROM generate_series(1, %s) AS n",
            [args.residents],
        )
    residents = User.objects.count()
    print(f"{residents} residents; batches of {args.batch}; {args.rounds} rounds")
    params = {"title": "停水通知", "body": "明日 9:00-12:00 康巴什区部分小区停水，请提前储水。"}

    def empty():
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Notification._meta.db_table}")

    def broadcast(round_no: int) -> float:
        item = Broadcast.objects.create(
            key=f"notice:bench-{round_no}", kind="notice", audience="residents", params=params
        )
        start = time.perf_counter()
        written = delivery.broadcast_write(
            broadcast_id=item.pk, batch_size=args.batch, on_sms=lambda ids: None
        )
        elapsed = time.perf_counter() - start
        assert written == residents, written
        return written / elapsed

    def baseline(round_no: int) -> float:
        start = time.perf_counter()
        now = timezone.now()
        ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=user_id,
                    kind="notice",
                    event_key=f"notice:baseline-{round_no}",
                    params=params,
                    created_at=now,
                )
                for user_id in ids
            ],
            batch_size=args.batch,
        )
        elapsed = time.perf_counter() - start
        return len(ids) / elapsed

    figures = {"broadcast": [], "baseline": []}
    for round_no in range(args.rounds):
        order = [("broadcast", broadcast), ("baseline", baseline)]
        if round_no % 2:
            order.reverse()
        for name, run in order:
            empty()
            rate = run(round_no)
            figures[name].append(rate)
            print(f"round {round_no + 1} {name:9s} {rate:10,.0f} rows/s")
    empty()

    def summary(values):
        return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"

    ratios = [b / p for b, p in zip(figures["broadcast"], figures["baseline"], strict=True)]
    print(f"broadcast rows/s, median (min-max): {summary(figures['broadcast'])}")
    print(f"plain bulk insert rows/s:           {summary(figures['baseline'])}")
    print(
        f"ratio of medians: {statistics.median(figures['broadcast']) / statistics.median(figures['baseline']):.2f}x"
        f" (per round: {', '.join(f'{r:.2f}' for r in ratios)}; goal >= 0.5x)"
    )


if __name__ == "__main__":
    main()
