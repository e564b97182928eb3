"""Benchmark: publication day. The leaderboard page and the rankings API of a published
month (100 units, 5,000 cadres) against their ceilings, in the same gunicorn.

1. Recreates the PostgreSQL database `duoduo_bench_leaderboard` (Redis db 11, or --db and
   --redis-db), loads 100 units, 5,000 cadres and --reviews reviews in January 2026 by
   COPY (bench/rankings.py's loaders), compiles and publishes the month.
2. Starts one gunicorn (config/gunicorn.py: 4 workers x 4 threads, gthread) on
   127.0.0.1:8706 with bench/leaderboard_settings.py, whose bench-only URLconf adds the
   ceiling to the project's URLs: a plain Django view returning bytes from the same Redis
   (GET /bench/stored/<name>). The benchmark fetches each path once from the app and stores
   exactly those bytes there, so both sides send the same bytes.
3. The three rows of issue 10, each against its ceiling: GET /leaderboard/ (the first
   screen), GET /api/v1/rankings/2026-01?scope=unit, GET /api/v1/rankings/2026-01?scope=cadre
   (its first page). --rounds interleaved rounds (the app and the ceiling alternate which
   goes first) of --requests requests each from --clients closed-loop clients; prints each
   round, the medians and spread (min-max) of req/s, the ratio app / ceiling per round
   and of the medians, the bytes, and the SQL statements of a hit once stored (counted
   in-process through the same stack).

    .venv/bin/python bench/leaderboard.py [--requests 2000] [--rounds 3] [--clients 16]
        [--reviews 100000] [--db NAME] [--redis-db N]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_PORT (8706),
BENCH_DB and BENCH_REDIS_DB (the defaults of --db and --redis-db).
"""

import argparse
import datetime as dt
import http.client
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    bench_env,
    django_setup,
    recreate_database,
    run_clients,
    start_gunicorn,
)
from bench.rankings import load_people, load_reviews  # noqa: E402

# BENCH_PORT, BENCH_DB and BENCH_REDIS_DB let two people run it at once on one machine.
PORT = int(os.environ.get("BENCH_PORT", 8706))
DB_NAME = os.environ.get("BENCH_DB", "duoduo_bench_leaderboard")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", 11))
MONTH = dt.date(2026, 1, 1)
UNITS, CADRES = 100, 5_000
PATHS = {
    "page": "/leaderboard/",
    "unit": "/api/v1/rankings/2026-01?scope=unit",
    "cadre": "/api/v1/rankings/2026-01?scope=cadre",
}
LABELS = {
    "page": "GET /leaderboard/",
    "unit": "GET /rankings/2026-01?scope=unit",
    "cadre": "GET /rankings/2026-01?scope=cadre",
}
WARM_UP = 200


def fetch(path: str) -> tuple[str, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: HTTP {response.status}")
    return response.getheader("Content-Type"), body


def statements_of_a_hit(path: str) -> int:
    """SQL statements of one hit once stored, through the same stack, in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return len(queries)


def spread(values: list[float], digits: int = 1) -> str:
    return (
        f"median {statistics.median(values):.{digits}f} "
        f"(min {min(values):.{digits}f}, max {max(values):.{digits}f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reviews", type=int, default=100_000)
    parser.add_argument("--db", default=DB_NAME)
    parser.add_argument("--redis-db", type=int, default=REDIS_DB)
    args = parser.parse_args()

    env = bench_env(
        db_name=args.db,
        redis_db=args.redis_db,
        DJANGO_SETTINGS_MODULE="bench.leaderboard_settings",
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
    )
    recreate_database(env)
    django_setup(env)
    from django.core.cache import cache

    from bench.leaderboard_urls import PREFIX
    from rankings import services

    load_people(units=UNITS, cadres=CADRES)
    load_reviews(cadres=CADRES, reviews=args.reviews)
    services.rankings_compile(month=MONTH)
    services.ranking_month_publish(month=MONTH)
    cache.clear()

    print(
        f"database {args.db}, Redis db {args.redis_db}, gunicorn 127.0.0.1:{PORT} "
        f"(config/gunicorn.py), {UNITS} units, {CADRES:,} cadres, {args.reviews:,} reviews, "
        f"{args.clients} clients, {args.requests} requests a side a round"
    )
    server = start_gunicorn(env, port=PORT, config="config/gunicorn.py")
    figures = {name: {"app": [], "ceiling": [], "ratio": []} for name in PATHS}
    sizes, statements = {}, {}
    try:
        for name, path in PATHS.items():
            content_type, body = fetch(path)  # the first hit renders and stores
            cache.set(PREFIX + name, (content_type, body), timeout=None)
            sizes[name] = len(body)
            statements[name] = statements_of_a_hit(path)
        for name, path in PATHS.items():  # warm-up, not counted
            run_clients([("GET", path, {})] * WARM_UP, clients=args.clients, port=PORT)
            ceiling = f"/bench/stored/{name}"
            run_clients([("GET", ceiling, {})] * WARM_UP, clients=args.clients, port=PORT)
        for number in range(1, args.rounds + 1):
            for name, path in PATHS.items():
                sides = [("app", path), ("ceiling", f"/bench/stored/{name}")]
                if number % 2 == 0:
                    sides.reverse()
                results = {}
                for side, url in sides:
                    results[side] = run_clients(
                        [("GET", url, {})] * args.requests, clients=args.clients, port=PORT
                    )
                app, ceiling = results["app"].only(200), results["ceiling"].only(200)
                print(results["app"].line(f"round {number}: {LABELS[name]}"))
                print(results["ceiling"].line(f"round {number}: ceiling ({name})"))
                figures[name]["app"].append(app.rps)
                figures[name]["ceiling"].append(ceiling.rps)
                figures[name]["ratio"].append(app.rps / ceiling.rps if ceiling.rps else 0.0)
    finally:
        server.stop()
    print()
    for name in PATHS:
        row = figures[name]
        ratio = statistics.median(row["app"]) / statistics.median(row["ceiling"])
        print(
            f"{LABELS[name]}: {sizes[name]:,} bytes, {statements[name]} SQL a hit once stored\n"
            f"  app      req/s  {spread(row['app'])}\n"
            f"  ceiling  req/s  {spread(row['ceiling'])}\n"
            f"  ratio of medians {ratio:.3f}x; per round "
            f"{', '.join(f'{r:.3f}' for r in row['ratio'])} (goal >= 0.9)"
        )


if __name__ == "__main__":
    main()
