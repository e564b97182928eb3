"""Benchmark: paying at the till (POST /api/v1/points/payments with a merchant's counter
code, an amount and an Idempotency-Key of its own) against its ceiling (issue 25).

1. Recreates the PostgreSQL database `duoduo_bench_payments` (Redis db 12): `--residents`
   residents with points (one ledger grant each), `--merchants` merchants with counter
   codes.
2. Starts the project under gunicorn (config/gunicorn.py, `--workers` 2, DEBUG off,
   throttles raised) on 127.0.0.1:8711, and the ceiling, a separate Django project with
   no middleware and one view doing one `INSERT ... RETURNING id` of a whole payments row
   (bench/ceiling_settings.py), under the same settings on 127.0.0.1:8712, and the
   floor, the payment's own work without the web framework (bench/floor_wsgi.py), on
   127.0.0.1:8713.
3. After a warm-up of each, `--rounds` rounds of `--seconds`-second phases, project and
   ceiling interleaved, alternating which goes first, `--clients` connections from
   127.0.0.1: wrk (bench/wrk_requests.lua, every request its own resident's token and
   its own Idempotency-Key, never one twice) when it is installed, else as many Python
   threads; distinct residents paying the merchants in turn (the floor's payments the
   same, with keys of their own). Prints each round, the ratio per round, its median and
   spread, the floor's ratios, and the statements of one payment.

    .venv/bin/python bench/payments.py [--rounds 3] [--seconds 5] [--clients 16]
        [--residents 5000] [--merchants 200] [--workers 2] [--threads-client]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_DB,
BENCH_REDIS_DB, BENCH_PORT (the project's; the ceiling's is the next one, the floor's the
one after).
"""

import argparse
import itertools
import json
import os
import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    access_token,
    bench_env,
    compare_rounds,
    django_setup,
    grant_points,
    load_average,
    print_floor,
    recreate_database,
    spread,
    start_ceiling,
    start_floor,
    start_gunicorn,
    write_sides,
)

PORT = int(os.environ.get("BENCH_PORT", 8711))
DB_NAME = os.environ.get("BENCH_DB", "duoduo_bench_payments")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", 12))
POINTS = 1_000_000


def make_people(*, residents: int, merchants: int):
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import User
    from merchants.codes import counter_url
    from points.models import Account
    from points.services import merchant_create

    now = timezone.now()
    User.objects.bulk_create(
        [
            # They have accepted the privacy notice (the payment's consent gate).
            User(
                phone=f"+86137{i:08d}",
                display_name=f"居民{i}",
                phone_verified_at=now,
                consent_version=settings.PRIVACY_NOTICE_VERSION,
            )
            for i in range(residents)
        ],
        batch_size=2000,
    )
    users = list(User.objects.filter(phone__startswith="+86137").order_by("pk"))
    grant_points(users, POINTS)
    shops = [merchant_create(name=f"商户{i:04d}") for i in range(merchants)]
    assert Account.objects.filter(kind=Account.Kind.RESIDENT).count() == residents
    return users, [(shop, counter_url(shop)) for shop in shops]


def statement_count(user, code) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    api = APIClient(HTTP_HOST="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    with CaptureQueriesContext(connection) as queries:
        response = api.post(
            "/api/v1/points/payments",
            {"code": code, "amount_points": 1},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )
    statements = [q["sql"] for q in queries.captured_queries]
    if "COMMIT" in statements:
        statements = statements[: statements.index("COMMIT") + 1]
    return response.status_code, len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--lines-per-second", type=int, default=4000, help="wrk's requests file per phase second"
    )
    parser.add_argument(
        "--threads-client", action="store_true", help="Python threads even when wrk is there"
    )
    args = parser.parse_args()

    env = bench_env(db_name=DB_NAME, redis_db=REDIS_DB, THROTTLE_PAYMENT="100000000/min")
    recreate_database(env)
    django_setup(env)
    users, shops = make_people(residents=args.residents, merchants=args.merchants)
    status, statements = statement_count(users[0], shops[0][1])
    tokens = [access_token(user) for user in users]

    def project_requests():
        """Distinct residents paying the merchants in turn, each with its own key."""
        for n in itertools.count():
            i, s = n % len(users), n % len(shops)
            body = json.dumps({"code": shops[s][1], "amount_points": 1})
            yield "POST", "/api/v1/points/payments", tokens[i], body, uuid.uuid4().hex

    def ceiling_requests():
        for n in itertools.count():
            i, s = n % len(users), n % len(shops)
            body = json.dumps(
                {"merchant": shops[s][0].pk, "resident": users[i].pk, "amount_points": 1}
            )
            yield "POST", "/bench/payment-insert", "", body

    # Every line sent once (a key sent twice would be answered from its record): enough
    # for every phase at a few thousand payments a second.
    lines = int(args.lines_per_second * (2 + args.rounds * args.seconds))
    project_side, ceiling_side, floor_side, client = write_sides(
        itertools.islice(project_requests(), lines),
        itertools.islice(ceiling_requests(), lines),
        itertools.islice(project_requests(), lines),
        port=PORT,
        clients=args.clients,
        threads_client=args.threads_client,
    )

    print(
        f"database {DB_NAME}, Redis db {REDIS_DB}, {len(users)} residents, {len(shops)} "
        f"merchants, {args.clients} connections by {client}, gunicorn {args.workers} "
        f"workers (config/gunicorn.py) each side, {args.seconds:g}-s phases; "
        f"load average {load_average()}"
    )
    project = start_gunicorn(env, port=PORT, workers=args.workers, config="config/gunicorn.py")
    ceiling = start_ceiling(env, port=PORT + 1, workers=args.workers)
    floor = start_floor(env, port=PORT + 2, workers=args.workers)
    try:
        rates, ratios = compare_rounds(
            {"project": project_side, "ceiling": ceiling_side, "floor": floor_side},
            rounds=args.rounds,
            seconds=args.seconds,
        )
    finally:
        project.stop()
        ceiling.stop()
        floor.stop()
    print(f"payment POST req/s  {spread(rates['project'])}")
    print(f"ceiling      req/s  {spread(rates['ceiling'])}")
    print(f"floor        req/s  {spread(rates['floor'])}")
    print(f"ratio payment / ceiling  {spread(ratios, digits=3)}  (goal >= 0.3)")
    print_floor(rates, project="project", ceiling="ceiling")
    print(f"SQL statements of one payment: {statements} (HTTP {status}; goal <= 6)")
    from points.verification import ledger_verify

    print(
        f"verify_ledger: {'ok' if ledger_verify().ok else 'FAILED'}; load average {load_average()}"
    )


if __name__ == "__main__":
    main()
