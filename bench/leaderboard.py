"""Benchmark: publication day. The leaderboard page, one unit's page and the rankings API
of a published month against the same bytes from the same Redis in a separate bare
Django project (issue 25).

1. Recreates the PostgreSQL database `duoduo_bench_leaderboard` (Redis db 11, emptied),
   loads 100 units, 5,000 cadres and `--reviews` reviews of January 2026 by COPY
   (bench/rankings.py's loaders) and publishes the month with
   `compile_rankings --month 2026-01 --publish`.
2. The project under gunicorn (config/gunicorn.py, `--workers` 2, DEBUG off, throttles
   raised) on 127.0.0.1:8706, and the ceiling, a separate Django project with no
   middleware and one view doing one Redis MGET of a stored body and its content type
   (bench/ceiling_settings.py, GET /bench/stored/<name>), on 127.0.0.1:8707. Each path
   is fetched from the project once (its first hit renders and stores it) and exactly
   those bytes are put in the same Redis for the ceiling.
3. For each path: after a warm-up, `--rounds` rounds of `--seconds`-second phases,
   project and ceiling interleaved and alternating which goes first, `--clients`
   connections (the pages by as many Python threads, the API by wrk when it is
   installed, else by Python threads too). Prints each phase, the ratio per round, its
   median and spread, the bytes, and the SQL statements of a hit once stored.

    .venv/bin/python bench/leaderboard.py [--rounds 3] [--seconds 5] [--clients 16]
        [--reviews 1000000] [--workers 2] [--threads-client]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_DB,
BENCH_REDIS_DB, BENCH_PORT (the project's; the ceiling's is the next one).
"""

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    bench_env,
    compare_rounds,
    django_setup,
    fetch,
    load_average,
    recreate_database,
    spread,
    start_ceiling,
    start_gunicorn,
    store_bytes,
    threads_phase,
    write_requests,
    wrk_phase,
    wrk_present,
)
from bench.rankings import load_people, load_reviews  # noqa: E402

PORT = int(os.environ.get("BENCH_PORT", 8706))
DB_NAME = os.environ.get("BENCH_DB", "duoduo_bench_leaderboard")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", 11))
MONTH = dt.date(2026, 1, 1)
UNITS, CADRES = 100, 5_000
# name: (path, measured by wrk when it is there: the API; the pages by Python threads)
PATHS = {
    "page": ("/leaderboard/", False),
    "unit page": ("/leaderboard/?unit=1", False),
    "API scope=unit": ("/api/v1/rankings/2026-01?scope=unit", True),
    "API scope=cadre": ("/api/v1/rankings/2026-01?scope=cadre", True),
}


def statements_of_a_hit(path: str) -> int:
    """SQL statements of one hit once stored, through the same stack, in this process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        client.get(path)
    return len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reviews", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads-client", action="store_true", help="Python threads even when wrk is there"
    )
    parser.add_argument("--only", help="measure only this path's name (e.g. page)")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database a previous run loaded and published"
    )
    args = parser.parse_args()

    env = bench_env(db_name=DB_NAME, redis_db=REDIS_DB)
    if not args.reuse:
        recreate_database(env)
    django_setup(env)
    import redis
    from django.core.management import call_command

    store = redis.Redis.from_url(env["REDIS_URL"])
    store.flushdb()  # every stored rendering is built again by its first hit
    if not args.reuse:
        started = time.monotonic()
        load_people(units=UNITS, cadres=CADRES)
        load_reviews(cadres=CADRES, reviews=args.reviews)
        call_command("compile_rankings", month=MONTH.strftime("%Y-%m"), publish=True)
        print(f"loaded by COPY and published in {time.monotonic() - started:.0f} s")

    use_wrk = wrk_present() and not args.threads_client
    workdir = Path(tempfile.mkdtemp(prefix="bench-leaderboard-"))
    project = start_gunicorn(env, port=PORT, workers=args.workers, config="config/gunicorn.py")
    ceiling = start_ceiling(env, port=PORT + 1, workers=args.workers)
    summary = []
    try:
        print(
            f"database {DB_NAME}, Redis db {REDIS_DB}, {UNITS} units, {CADRES:,} cadres, "
            f"{args.reviews:,} reviews; {args.clients} connections (pages: Python threads; "
            f"API: {'wrk, 1 thread' if use_wrk else 'Python threads, wrk is not installed'}); "
            f"gunicorn {args.workers} workers (config/gunicorn.py) each side, "
            f"{args.seconds:g}-s phases; load average {load_average()}"
        )
        for number, (name, (path, by_wrk)) in enumerate(PATHS.items()):
            if args.only and name != args.only:
                continue
            status, body, content_type = fetch(PORT, path)  # the first hit renders and stores
            assert status == 200, (path, status, body[:200])
            slug = f"path{number}"
            store_bytes(store, slug, body, content_type)
            ceiling_path = f"/bench/stored/{slug}"
            assert fetch(PORT + 1, ceiling_path)[1] == body
            assert fetch(PORT, path)[1] == body  # now from the stored rendering
            statements = statements_of_a_hit(path)
            print(f"\n{name}: GET {path}, {len(body):,} bytes, {statements} SQL a hit")
            if by_wrk and use_wrk:
                sides = {}
                for side, port, url in (
                    ("project", PORT, path),
                    ("ceiling", PORT + 1, ceiling_path),
                ):
                    requests_file = workdir / f"{slug}-{side}.tsv"
                    write_requests(requests_file, [("GET", url, "", "")])
                    sides[side] = wrk_phase(requests_file, port=port, clients=args.clients)
            else:
                sides = {
                    side: threads_phase(
                        lambda url=url: ("GET", url, {}, None),
                        port=port,
                        clients=args.clients,
                        status=200,
                    )
                    for side, port, url in (
                        ("project", PORT, path),
                        ("ceiling", PORT + 1, ceiling_path),
                    )
                }
            rates, ratios = compare_rounds(sides, rounds=args.rounds, seconds=args.seconds)
            summary.append(
                f"{name}: GET {path}, {len(body):,} bytes, {statements} SQL a hit\n"
                f"  project  req/s  {spread(rates['project'])}\n"
                f"  ceiling  req/s  {spread(rates['ceiling'])}\n"
                f"  ratio           {spread(ratios, digits=3)}; rounds "
                f"{', '.join(f'{r:.3f}' for r in ratios)} (goal: median >= 0.9, none < 0.8)"
            )
    finally:
        project.stop()
        ceiling.stop()
    print()
    print("\n".join(summary))
    print(f"load average {load_average()}")


if __name__ == "__main__":
    main()
