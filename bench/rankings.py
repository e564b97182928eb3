"""Benchmark: monthly rankings on 100k, 1M and 5M reviews, and review submissions over HTTP.

1. Recreates the PostgreSQL database `duoduo_bench_cadres` (or --db; Redis db 14 or
   --redis-db) and bulk-loads (COPY) 100 units, 5,000 cadres and 10,000 reviewers; then,
   for each size in --reviews, replaces the month's reviews (January 2026, Asia/Shanghai,
   with answers and verdicts on part of them) and VACUUM ANALYZEs.
2. For each size, --rounds interleaved rounds (the order alternates each round) of
   `compile_rankings` (services.rankings_compile: compute and store 5,100 entries)
   and of one hand-written SQL query that computes the same figures and ranks without
   storing them; prints medians, min-max, the ratio of medians and each round's ratio,
   and checks that both give the same scores and ranks. On this shared machine only
   ratios measured in the same run count.
3. Unless --submissions 0: starts gunicorn on 127.0.0.1:8702 and measures review
   submissions as the app makes them (POST /api/v1/scan, then POST
   /api/v1/cadres/{id}/reviews), closed-loop clients; prints pairs per second, p50, p99.

    .venv/bin/python bench/rankings.py [--reviews 100000,1000000,5000000] [--rounds 5]
        [--cadres 5000] [--units 100] [--python] [--submissions 2000] [--clients 16]
        [--workers 4] [--threads 4] [--db NAME] [--redis-db N]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import datetime as dt
import http.client
import io
import json
import queue
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    Result,
    access_token,
    bench_env,
    django_setup,
    recreate_database,
    start_gunicorn,
)

PORT = 8702
DB_NAME = "duoduo_bench_cadres"
REDIS_DB = 14
MONTH = dt.date(2026, 1, 1)
REVIEWERS = 10_000
RANK = "section"  # the cadre's grade (the livestream duty's), the model's default

RAW_SQL = """
WITH counts AS (
    SELECT cadre_id,
           count(*) AS n,
           count(*) FILTER (WHERE rating >= 4) AS satisfied,
           count(*) FILTER (WHERE rating <= 2) AS bad,
           count(*) FILTER (WHERE rating <= 2 AND responded_at IS NOT NULL) AS bad_answered,
           count(*) FILTER (WHERE verdict_at IS NOT NULL) AS verdicts,
           count(*) FILTER (WHERE verdict_accepted = false) AS rejected
    FROM cadres_review
    WHERE local_date >= %(start)s AND local_date < %(end)s
    GROUP BY cadre_id
), subjects AS (
    SELECT 'cadre' AS scope, c.unit_id, c.id AS cadre_id, c.name,
           coalesce(k.n, 0) AS n, coalesce(k.satisfied, 0) AS satisfied,
           coalesce(k.bad, 0) AS bad, coalesce(k.bad_answered, 0) AS bad_answered,
           coalesce(k.verdicts, 0) AS verdicts, coalesce(k.rejected, 0) AS rejected
    FROM cadres_cadre c LEFT JOIN counts k ON k.cadre_id = c.id
    WHERE c.active OR k.n IS NOT NULL
    UNION ALL
    SELECT 'unit', u.id, NULL, u.name, sum(coalesce(k.n, 0)), sum(coalesce(k.satisfied, 0)),
           sum(coalesce(k.bad, 0)), sum(coalesce(k.bad_answered, 0)),
           sum(coalesce(k.verdicts, 0)), sum(coalesce(k.rejected, 0))
    FROM cadres_unit u JOIN cadres_cadre c ON c.unit_id = u.id
    LEFT JOIN counts k ON k.cadre_id = c.id
    WHERE c.active OR k.n IS NOT NULL
    GROUP BY u.id, u.name
), rates AS (
    SELECT *,
           CASE WHEN n > 0 THEN satisfied::float8 / n ELSE 0 END AS p,
           CASE WHEN bad > 0 THEN bad_answered::float8 / bad ELSE 1 END AS response,
           CASE WHEN verdicts > 0 THEN rejected::float8 / verdicts ELSE 0 END AS rejection
    FROM subjects
), scored AS (
    SELECT *,
           round((100 * (0.6 * CASE WHEN n > 0 THEN greatest(0,
               (p + 3.8416 / (2 * n) - 1.96 * sqrt(p * (1 - p) / n + 3.8416 / (4.0 * n * n)))
               / (1 + 3.8416 / n)) ELSE 0 END
             + 0.3 * response + 0.1 * (1 - rejection)))::numeric, 2) AS score
    FROM rates
)
SELECT scope, unit_id, cadre_id, name, n,
       round(p::numeric, 4), round(response::numeric, 4), round(rejection::numeric, 4), score,
       CASE WHEN n >= 5 THEN row_number() OVER (
           PARTITION BY scope, n >= 5
           ORDER BY score DESC, n DESC, name COLLATE "C", coalesce(cadre_id, unit_id)) END
           AS district_rank,
       CASE WHEN scope = 'cadre' AND n >= 5 THEN row_number() OVER (
           PARTITION BY scope, unit_id, n >= 5
           ORDER BY score DESC, n DESC, name COLLATE "C", cadre_id) END AS unit_rank
FROM scored
"""


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    """COPY in text format, in chunks (the rows are a generator)."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with cursor.copy(sql) as copy:
        buffer = io.StringIO()
        for count, row in enumerate(rows, start=1):
            buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
            if count % 100_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def load_people(*, units: int, cadres: int) -> None:
    from django.conf import settings
    from django.db import connection

    now = "2026-02-01 00:00:00+08"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(
            raw,
            "cadres_unit",
            ["id", "name", "kind"],
            ((u, f"单位{u:03d}", "bureau") for u in range(1, units + 1)),
        )
        copy_rows(
            raw,
            "cadres_cadre",
            [
                "id",
                "name",
                "title",
                "unit_id",
                "employee_number",
                "photo",
                "active",
                "code_version",
                "rank",
            ],
            (
                (c, f"干部{c:05d}", "科员", 1 + (c - 1) % units, f"B{c:06d}", "", "t", 1, RANK)
                for c in range(1, cadres + 1)
            ),
        )
        copy_rows(
            raw,
            "accounts_user",
            [
                "id",
                "password",
                "is_superuser",
                "phone",
                "display_name",
                "is_staff",
                "is_active",
                "date_joined",
                "phone_verified_at",
                "consent_version",
            ],
            (
                # Phones confirmed by an SMS code, the privacy notice accepted: the
                # submissions' reviews earn points.
                (
                    u,
                    "!",
                    "f",
                    f"+86136{u:08d}",
                    f"R{u}",
                    "f",
                    "t",
                    now,
                    now,
                    settings.PRIVACY_NOTICE_VERSION,
                )
                for u in range(1, REVIEWERS + 1)
            ),
        )
        for table in ("cadres_unit", "cadres_cadre", "accounts_user"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )


def load_reviews(*, cadres: int, reviews: int) -> None:
    """Replace the month's reviews with `reviews` new ones (the same seed every time)."""
    from django.db import connection

    rng = random.Random(42)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        # CASCADE: flags, appeals and tickets refer to reviews (none in a bench database).
        cursor.execute("TRUNCATE cadres_review CASCADE")
        per_cadre = reviews // cadres

        def review_rows():
            for c in range(1, cadres + 1):
                for i in range(per_cadre):
                    day = 1 + i % 31
                    rating = rng.choices((5, 4, 3, 2, 1), (45, 25, 15, 10, 5))[0]
                    created = f"2026-01-{day:02d} {8 + i % 10:02d}:{i % 60:02d}:00+08"
                    responded = verdict_at = accepted = responder = None
                    message = ""
                    if (rating <= 2 and rng.random() < 0.7) or rng.random() < 0.05:
                        responded, message, responder = created, "已处理", 1
                        if rng.random() < 0.6:
                            verdict_at = created
                            accepted = "f" if rng.random() < 0.3 else "t"
                    yield (
                        c,
                        1 + (c * 7 + i) % REVIEWERS,
                        rating,
                        "[]",
                        "",
                        created,
                        f"2026-01-{day:02d}",
                        0,
                        message,
                        responded,
                        responder,
                        accepted,
                        verdict_at,
                        # Counted, through the badge, not at a desk, no device or address.
                        "",
                        "f",
                        "f",
                        "",
                        "",
                    )

        copy_rows(
            raw,
            "cadres_review",
            [
                "cadre_id",
                "reviewer_id",
                "rating",
                "tags",
                "comment",
                "created_at",
                "local_date",
                "points_awarded",
                "response_message",
                "responded_at",
                "responder_id",
                "verdict_accepted",
                "verdict_at",
                "excluded_reason",
                "verified",
                "assisted",
                "device_hash",
                "address_hash",
            ],
            review_rows(),
        )
    # Outside a transaction block: both sides then read all-visible pages with fresh
    # statistics, as a month's reviews are read a day after it ends.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def spread(values: list[float]) -> str:
    return (
        f"median {statistics.median(values) * 1000:7.1f} ms "
        f"(min {min(values) * 1000:.1f}, max {max(values) * 1000:.1f})"
    )


def time_compile(rounds: int, *, python: bool) -> dict:
    """`rounds` interleaved rounds of compile and hand-written SQL (the order alternates
    each round), so both see the same load from whatever else runs on the machine."""
    from django.db import connection

    from rankings import services

    def compile_():
        return services.rankings_compile(month=MONTH)

    def raw():
        with connection.cursor() as cursor:
            cursor.execute(RAW_SQL, {"start": MONTH, "end": dt.date(2026, 2, 1)})
            return cursor.fetchall()

    compile_(), raw()  # warm the caches for both
    compile_times, raw_times, python_times, ratios = [], [], [], []
    for index in range(rounds):
        if index % 2:
            raw_seconds, rows = timed(raw)
            compile_seconds, ranking = timed(compile_)
        else:
            compile_seconds, ranking = timed(compile_)
            raw_seconds, rows = timed(raw)
        compile_times.append(compile_seconds)
        raw_times.append(raw_seconds)
        ratios.append(compile_seconds / raw_seconds)
        if python:
            python_times.append(
                timed(lambda: services.rankings_compile(month=MONTH, python=True))[0]
            )
    ranking = compile_()
    mismatches = compare(ranking, rows)
    print(f"  compile_rankings   {spread(compile_times)}  ({stored_count(ranking)} rows stored)")
    print(f"  hand-written SQL   {spread(raw_times)}  ({len(rows)} rows)")
    if python:
        print(f"  Python path        {spread(python_times)}  (the SQLite way)")
    ratio = statistics.median(compile_times) / statistics.median(raw_times)
    print(
        f"  ratio of medians   {ratio:7.2f} x  (per round: "
        f"{', '.join(f'{r:.2f}' for r in ratios)}; aim <= 1.5x); mismatches: {mismatches}"
    )
    return {"ratio": ratio, "ratios": ratios}


def stored_count(ranking) -> int:
    from rankings.models import RankingEntry

    return RankingEntry.objects.filter(ranking=ranking).count()


def compare(ranking, rows) -> int:
    """Entries that differ from the hand-written query (scores, district and unit ranks)."""
    from cadres.models import Unit
    from rankings import selectors
    from rankings.models import RankingEntry

    stored = {
        (e.scope, e.cadre_id or e.unit_id): (e.reviews, e.score, e.rank)
        for scope in (RankingEntry.Scope.UNIT, RankingEntry.Scope.CADRE)
        for e in selectors.ranking_entries(ranking=ranking, scope=scope)
    }
    within = {
        e.cadre_id: e.rank
        for unit_id in Unit.objects.values_list("pk", flat=True)
        for e in selectors.ranking_entries(
            ranking=ranking, scope=RankingEntry.Scope.CADRE, unit_id=unit_id
        )
    }
    mismatches = 0
    for scope, unit_id, cadre_id, _name, n, _p, _r, _j, score, rank, unit_rank in rows:
        if stored.get((scope, cadre_id or unit_id)) != (n, score, rank):
            mismatches += 1
        if scope == "cadre" and within.get(cadre_id) != unit_rank:
            mismatches += 1
    return mismatches


def submissions(*, count: int, clients: int, workers: int, threads: int, env: dict) -> None:
    from accounts.models import User
    from cadres import codes
    from cadres.models import Cadre

    cadres = list(Cadre.objects.order_by("pk")[:count])
    users = list(User.objects.order_by("pk")[:count])
    work: queue.SimpleQueue = queue.SimpleQueue()
    for index, user in enumerate(users):
        cadre = cadres[index % len(cadres)]
        work.put((access_token(user), cadre.pk, codes.badge_url(cadre)))
    server = start_gunicorn(env, port=PORT, workers=workers, threads=threads)
    result = Result(seconds=0.0)
    lock = threading.Lock()
    gate = threading.Barrier(clients + 1)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
        gate.wait()
        while True:
            try:
                token, cadre_id, url = work.get_nowait()
            except queue.Empty:
                break
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            started = time.perf_counter()
            status = 0
            try:
                conn.request("POST", "/api/v1/scan", json.dumps({"code": url}), headers)
                scan = conn.getresponse()
                scan.read()
                body = json.dumps({"code": url, "rating": 5, "tags": ["attitude"]})
                conn.request("POST", f"/api/v1/cadres/{cadre_id}/reviews", body, headers)
                response = conn.getresponse()
                response.read()
                status = response.status if scan.status == 200 else scan.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
            elapsed = time.perf_counter() - started
            with lock:
                result.latencies.append(elapsed)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        conn.close()

    pool = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in pool:
        thread.start()
    try:
        gate.wait()
        began = time.perf_counter()
        for thread in pool:
            thread.join()
        result.seconds = time.perf_counter() - began
    finally:
        server.stop()
    print(result.line(f"scan + review ({clients} clients)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--reviews", default="100000,1000000,5000000", help="sizes, comma-separated"
    )
    parser.add_argument("--cadres", type=int, default=5_000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--python", action="store_true", help="also time the Python path")
    parser.add_argument("--submissions", type=int, default=2_000, help="0: skip the HTTP part")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--db", default=DB_NAME)
    parser.add_argument("--redis-db", type=int, default=REDIS_DB)
    args = parser.parse_args()

    env = bench_env(
        db_name=args.db,
        redis_db=args.redis_db,
        THROTTLE_REVIEW="100000000/min",
        THROTTLE_SCAN="100000000/min",
    )
    recreate_database(env)
    django_setup(env)
    load_people(units=args.units, cadres=args.cadres)
    summary = {}
    for size in (int(x) for x in args.reviews.split(",")):
        started = time.perf_counter()
        load_reviews(cadres=args.cadres, reviews=size)
        print(
            f"{size:,} reviews, {args.cadres:,} cadres, {args.units} units "
            f"(loaded by COPY in {time.perf_counter() - started:.1f} s), {args.rounds} rounds:"
        )
        summary[size] = time_compile(args.rounds, python=args.python)
    print(
        "compile / hand-written SQL: "
        + "; ".join(f"{size:,}: {r['ratio']:.2f}x" for size, r in summary.items())
    )
    if args.submissions:
        submissions(
            count=args.submissions,
            clients=args.clients,
            workers=args.workers,
            threads=args.threads,
            env=env,
        )


if __name__ == "__main__":
    main()
