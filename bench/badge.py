"""Benchmark: scanning a badge signed out (GET /q/<badge token>) across all cadres,
against a bare view returning the same bytes from Redis (issue 25).

1. Recreates the database `duoduo_bench_badge` (Redis db 12, emptied): `--units` units
   and `--cadres` cadres (bulk inserts).
2. The project under gunicorn (config/gunicorn.py, `--workers` 2, DEBUG off, throttles
   raised) on 127.0.0.1:8713, and the ceiling, a separate Django project with no
   middleware and one view doing one Redis MGET of the stored body and its content type
   (bench/ceiling_settings.py), on 127.0.0.1:8714. Each cadre's page is fetched once
   from the project and its bytes stored for the ceiling (the same bytes).
3. After a warm-up, `--rounds` rounds of `--seconds`-second phases, interleaved and
   alternating which goes first, `--clients` clients, the cadres in turn. Prints each
   round, the ratio per round, its median and spread.

    .venv/bin/python bench/badge.py [--rounds 3] [--seconds 5] [--clients 16]
        [--cadres 5000] [--units 100] [--workers 2]
"""

import argparse
import itertools
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    bench_env,
    django_setup,
    fetch,
    recreate_database,
    run_for,
    spread,
    start_ceiling,
    start_gunicorn,
)

PORT = int(os.environ.get("BENCH_PORT", 8713))
DB_NAME = os.environ.get("BENCH_DB", "duoduo_bench_badge")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", 12))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--cadres", type=int, default=5000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    env = bench_env(db_name=DB_NAME, redis_db=REDIS_DB)
    recreate_database(env)
    django_setup(env)
    import redis

    from cadres.codes import badge_token
    from cadres.models import Cadre, Unit

    store = redis.Redis.from_url(env["REDIS_URL"])
    store.flushdb()
    Unit.objects.bulk_create([Unit(name=f"单位{i:03d}") for i in range(args.units)])
    units = list(Unit.objects.order_by("pk"))
    Cadre.objects.bulk_create(
        [
            Cadre(
                unit=units[i % len(units)],
                name=f"干部{i:04d}",
                title="科员",
                employee_number=f"K{i:06d}",
            )
            for i in range(args.cadres)
        ],
        batch_size=2000,
    )
    paths = [f"/q/{badge_token(cadre)}" for cadre in Cadre.objects.order_by("pk")]
    project = start_gunicorn(env, port=PORT, workers=args.workers, config="config/gunicorn.py")
    ceiling = start_ceiling(env, port=PORT + 1, workers=args.workers)
    try:
        sizes = []
        for number, path in enumerate(paths):  # every page built once (and stored)
            for _ in range(2):
                status, body, content_type = fetch(PORT, path)
            assert status == 200, (status, body[:200])
            store.set(f"bench:badge:body:{number}", body)
            sizes.append(len(body))
        store.set("bench:badge:type", content_type)
        print(
            f"database {DB_NAME}, Redis db {REDIS_DB}, {len(paths)} cadres in {len(units)} "
            f"units, pages of {statistics.median(sizes) / 1000:.1f} kB, {args.clients} "
            f"clients, gunicorn {args.workers} workers, {args.seconds:g}-s phases"
        )
        project_turn = itertools.cycle(paths)
        ceiling_turn = itertools.cycle(range(len(paths)))
        sides = {
            "badge page": (lambda: ("GET", next(project_turn), {}, None), PORT),
            "ceiling": (lambda: ("GET", f"/bench/badge/{next(ceiling_turn)}", {}, None), PORT + 1),
        }
        for make, port in sides.values():
            run_for(2.0, make, clients=args.clients, port=port)
        rates: dict[str, list[float]] = {name: [] for name in sides}
        ratios = []
        for number in range(1, args.rounds + 1):
            order = list(sides) if number % 2 else list(reversed(sides))
            for name in order:
                make, port = sides[name]
                result = run_for(args.seconds, make, clients=args.clients, port=port)
                print(result.line(f"round {number}: {name}"))
                rates[name].append(result.only(200).rps)
            ratios.append(rates["badge page"][-1] / rates["ceiling"][-1])
            print(f"round {number}: ratio {ratios[-1]:.3f}")
    finally:
        project.stop()
        ceiling.stop()
    print(f"badge page req/s  {spread(rates['badge page'])}")
    print(f"ceiling    req/s  {spread(rates['ceiling'])}")
    print(f"ratio badge / ceiling  {spread(ratios, digits=3)}  (goal >= 0.5)")


if __name__ == "__main__":
    main()
