"""Benchmark: the review at the badge (POST /api/v1/cadres/{id}/reviews) against its
ceiling, a separate Django project (issue 25).

1. Recreates the PostgreSQL database `duoduo_bench_review` (Redis db 11, emptied): the
   residents (accounts 30 days old, phones confirmed, each with its own access token
   and the points of its earlier reviews in its points account), `--cadres` cadres,
   and a month of `--month-reviews` earlier reviews by COPY (bench/rankings.py's, of
   January 2026; the issue's 1M by default), then VACUUM ANALYZE. That is the review
   table a district has: the connections prepare their plans on a full table, not on an
   empty one that grows during the run (PostgreSQL keeps a prepared statement's
   generic plan, docs/prepared-statements.md).
2. The project under gunicorn (config/gunicorn.py, `--workers` 2, DEBUG off, throttles
   raised) on 127.0.0.1:8705, and the ceiling, a separate Django project with no
   middleware and one view doing one `INSERT ... RETURNING id` of a whole review row
   (bench/ceiling_settings.py, POST /bench/review-insert), on 127.0.0.1:8706, and the
   floor, the review's own work without the web framework (bench/floor_wsgi.py), on
   127.0.0.1:8707.
3. The scenario of issue 25: every review from one address (127.0.0.1: a district
   office's NAT), each a resident's first review of the day of a cadre (a resident
   reviews once, the cadres in turn; half of them review through the project, half
   through the floor), earning points. After a warm-up, `--rounds` rounds of
   `--seconds`-second phases, the three sides interleaved and alternating which
   goes first, `--clients` connections: wrk (bench/wrk_requests.lua, every request its
   own resident's token) when it is installed, else as many Python threads. Prints each
   phase, the ratio per round, its median and spread, the floor's ratios, and the SQL
   statements of one review (BEGIN and COMMIT included, in-process through the same stack).

    .venv/bin/python bench/review.py [--rounds 3] [--seconds 5] [--clients 16]
        [--cadres 100] [--residents 40000] [--month-reviews 1000000] [--workers 2]
        [--threads-client]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432), BENCH_DB,
BENCH_REDIS_DB, BENCH_PORT (the project's; the ceiling's is the next one, the floor's the
one after).
"""

import argparse
import datetime as dt
import itertools
import json
import os
import sys
import time
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

PORT = int(os.environ.get("BENCH_PORT", 8705))
DB_NAME = os.environ.get("BENCH_DB", "duoduo_bench_review")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", 11))
REVIEW = {"rating": 5, "tags": ["attitude"]}
EARLIER_POINTS = 10


def make_people(*, residents: int, cadres: int):
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import User
    from cadres.models import Cadre, Unit

    # Residents who signed up before today, as most do (accounts created today and
    # reviewing by the thousand are a burst, moderation/fraud.py), their phones confirmed
    # by an SMS code as a sign-in does (an account without earns nothing).
    joined = timezone.now() - dt.timedelta(days=30)
    User.objects.bulk_create(
        [
            User(
                phone=f"+86135{i:08d}",
                display_name=f"Reviewer {i}",
                date_joined=joined,
                phone_verified_at=joined,
                consent_version=settings.PRIVACY_NOTICE_VERSION,
            )
            for i in range(residents)
        ],
        batch_size=5000,
    )
    unit = Unit.objects.create(name="康巴什区政务服务局")
    Cadre.objects.bulk_create(
        [
            Cadre(unit=unit, name=f"干部 {i}", title="科员", employee_number=f"B{i:06d}")
            for i in range(cadres)
        ]
    )
    users = list(User.objects.filter(phone__startswith="+86135").order_by("pk"))
    # The points of their earlier reviews, as a district's residents have (issue 25's
    # scenario: a month of reviews behind them): a review's award credits an account
    # that exists rather than creating one.
    grant_points(users, EARLIER_POINTS)
    return users, list(Cadre.objects.order_by("pk"))


def statement_count(user, cadre) -> tuple[int, int | None, int]:
    """One review through the whole stack in this process, its statements counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from cadres import qr

    api = APIClient(HTTP_HOST="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    with CaptureQueriesContext(connection) as queries:
        response = api.post(
            f"/api/v1/cadres/{cadre.pk}/reviews",
            {"code": qr.badge_url(cadre), **REVIEW},
            format="json",
        )
    statements = [q["sql"] for q in queries.captured_queries]
    if "COMMIT" in statements:  # what follows is the SMS outbox's, run eagerly here
        statements = statements[: statements.index("COMMIT") + 1]
    return response.status_code, response.json().get("points_awarded"), len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    # Many cadres, every review from 127.0.0.1: the address rule over its threshold.
    parser.add_argument("--cadres", type=int, default=100)
    # One review each: enough for every project phase at several hundred a second.
    parser.add_argument("--residents", type=int, default=40_000)
    # The month before, as issue 25's data has it (0: an empty review table).
    parser.add_argument("--month-reviews", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads-client", action="store_true", help="Python threads even when wrk is there"
    )
    args = parser.parse_args()

    env = bench_env(
        db_name=DB_NAME,
        redis_db=REDIS_DB,
        THROTTLE_REVIEW="100000000/min",
        # Every review in the run is paid, the slowest path.
        REVIEW_POINTS_DAILY_CAP="1000000",
    )
    recreate_database(env)
    django_setup(env)
    import redis

    from cadres import qr

    redis.Redis.from_url(env["REDIS_URL"]).flushdb()
    users, cadres = make_people(residents=args.residents + 1, cadres=args.cadres)
    if args.month_reviews:
        from bench.rankings import REVIEWERS, load_reviews

        # Its reviewers are the first REVIEWERS residents, its cadres these (ids from 1).
        assert len(users) >= REVIEWERS and cadres[-1].pk == len(cadres)
        started = time.monotonic()
        load_reviews(cadres=len(cadres), reviews=args.month_reviews)
        took = time.monotonic() - started
        print(f"{args.month_reviews:,} earlier reviews by COPY and VACUUM ANALYZE in {took:.0f} s")
    status, points, statements = statement_count(users[0], cadres[0])
    users = users[1:]
    codes = {cadre.pk: qr.badge_url(cadre) for cadre in cadres}
    # Made before the rounds: the Python-thread clients take requests under a lock.
    tokens = [access_token(user) for user in users]

    def first_reviews(residents):
        """Each resident's first review of the day, of the cadres in turn."""
        for i in residents:
            cadre = cadres[i % len(cadres)]
            body = json.dumps({"code": codes[cadre.pk], **REVIEW})
            yield "POST", f"/api/v1/cadres/{cadre.pk}/reviews", tokens[i], body

    def ceiling_requests():
        """A whole row each, every (resident, cadre) pair of the day once, but the
        project's (resident i reviews cadre i mod the cadres)."""
        pairs = itertools.product(enumerate(users), enumerate(cadres))
        for (i, user), (j, cadre) in pairs:
            if j == i % len(cadres):
                continue
            body = json.dumps({"reviewer": user.pk, "cadre": cadre.pk, "points": 10, **REVIEW})
            yield "POST", "/bench/review-insert", "", body

    # Every review once, the residents shared out between the project and the floor; the
    # ceiling's rows as many times over (enough for its phases).
    reviews = list(first_reviews(range(0, len(users), 2)))
    project_side, ceiling_side, floor_side, client = write_sides(
        reviews,
        itertools.islice(ceiling_requests(), 3 * len(reviews)),
        first_reviews(range(1, len(users), 2)),
        port=PORT,
        clients=args.clients,
        threads_client=args.threads_client,
    )

    print(
        f"database {DB_NAME}, Redis db {REDIS_DB}, {len(users):,} residents, {len(cadres)} "
        f"cadres, every review from 127.0.0.1; {args.clients} connections by {client}; "
        f"gunicorn {args.workers} workers (config/gunicorn.py) each side, "
        f"{args.seconds:g}-s phases; load average {load_average()}"
    )
    project = start_gunicorn(env, port=PORT, workers=args.workers, config="config/gunicorn.py")
    ceiling = start_ceiling(env, port=PORT + 1, workers=args.workers)
    floor = start_floor(env, port=PORT + 2, workers=args.workers)
    try:
        rates, ratios = compare_rounds(
            {
                "review POST": project_side,
                "ceiling (one INSERT)": ceiling_side,
                "floor": floor_side,
            },
            rounds=args.rounds,
            seconds=args.seconds,
        )
    finally:
        project.stop()
        ceiling.stop()
        floor.stop()
    from django.db import connection

    from points.verification import ledger_verify

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cadres_reviewflag")
        (flags,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE points_awarded > 0) FROM cadres_review"
        )
        (written, paid) = cursor.fetchone()
    print(f"review POST  req/s  {spread(rates['review POST'])}")
    print(f"ceiling      req/s  {spread(rates['ceiling (one INSERT)'])}")
    print(f"floor        req/s  {spread(rates['floor'])}")
    print(f"ratio review / ceiling   {spread(ratios, digits=3)}  (goal >= 0.3)")
    print_floor(rates, project="review POST", ceiling="ceiling (one INSERT)")
    print(f"SQL statements of one review: {statements} (HTTP {status}, {points} points; goal <= 6)")
    print(
        f"reviews in the table {written:,} ({paid:,} with points), review flags {flags:,}, "
        f"verify_ledger {'ok' if ledger_verify().ok else 'FAILED'}; "
        f"load average {load_average()}"
    )


if __name__ == "__main__":
    main()
