"""Benchmark: the review at the badge (POST /api/v1/cadres/{id}/reviews) against its ceiling.

1. Recreates the PostgreSQL database `duoduo_bench_review` (Redis db 11), makes the
   residents (each with its own access token) and the cadres.
2. Starts one gunicorn (config/gunicorn.py: 4 workers x 4 threads, gthread) on
   127.0.0.1:8705 with bench/review_settings.py, whose URLconf adds the ceiling to the
   project's URLs: a plain Django view doing one INSERT into the review table
   (POST /bench/review-insert, no authentication, no checks).
3. Interleaved rounds: each round sends `--requests` reviews (every one a new
   reviewer-cadre pair, with points: the daily cap is lifted) and then as many ceiling
   inserts, from the same closed-loop clients. Prints each round, the medians and
   spread (min-max) of req/s, the ratio review / ceiling, and the SQL statements of one
   review (BEGIN and COMMIT included, counted in-process through the same stack).

    .venv/bin/python bench/review.py [--requests 1500] [--rounds 3] [--clients 16]
        [--cadres 100] [--new-accounts]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    access_token,
    bench_env,
    django_setup,
    recreate_database,
    run_clients,
    start_gunicorn,
)

# BENCH_PORT, BENCH_DB and BENCH_REDIS_DB let two people run it at once on one machine.
PORT = int(os.environ.get("BENCH_PORT", 8705))
DB_NAME = os.environ.get("BENCH_DB", "duoduo_bench_review")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", 11))
WARM_UP = 200


def make_people(*, residents: int, cadres: int, new_accounts: bool):
    from django.conf import settings
    from django.utils import timezone

    from accounts.models import User
    from cadres.models import Cadre, Unit

    # Residents who signed up before today, as most do: accounts created today and
    # reviewing one cadre by the thousand are a burst (moderation/fraud.py), and every
    # review would add its flag's INSERT (run with --new-accounts to measure that).
    # Their phones confirmed by an SMS code, as a sign-in does: an account without
    # (a desk's, from an ID check alone) earns nothing and its review waits, flagged.
    joined = timezone.now() - dt.timedelta(days=0 if new_accounts else 30)
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
        batch_size=2000,
    )
    unit = Unit.objects.create(name="康巴什区政务服务局")
    Cadre.objects.bulk_create(
        [
            Cadre(unit=unit, name=f"干部 {i}", title="科员", employee_number=f"B{i:06d}")
            for i in range(cadres)
        ]
    )
    users = list(User.objects.filter(phone__startswith="+86135").order_by("pk"))
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
            {"code": qr.badge_url(cadre), "rating": 5, "tags": ["attitude"]},
            format="json",
        )
    return (
        response.status_code,
        response.json().get("points_awarded"),
        len(queries.captured_queries),
    )


def spread(values: list[float], digits: int = 1) -> str:
    median, low, high = statistics.median(values), min(values), max(values)
    return f"median {median:8.{digits}f}  (min {low:.{digits}f}, max {high:.{digits}f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16)
    # Many cadres, every review from 127.0.0.1: the one-address scenario of issue 25 (a
    # district office's NAT), the address rule over its threshold of 10 cadres an hour.
    parser.add_argument("--cadres", type=int, default=100)
    parser.add_argument(
        "--new-accounts", action="store_true", help="reviewers whose accounts were created today"
    )
    args = parser.parse_args()

    env = bench_env(
        db_name=DB_NAME,
        redis_db=REDIS_DB,
        DJANGO_SETTINGS_MODULE="bench.review_settings",
        THROTTLE_REVIEW="100000000/min",
        # Every review in the run is paid, the slowest path.
        REVIEW_POINTS_DAILY_CAP="1000000",
    )
    recreate_database(env)
    django_setup(env)
    from cadres import qr

    # Every request of the run (reviews and ceiling inserts) is a new reviewer-cadre pair.
    pairs_needed = 2 * args.rounds * args.requests + WARM_UP + 1
    # Each resident reviews one cadre (its first review of the day), the cadres in turn:
    # a resident reviewing many cadres in an hour is the account rule's fraud signal.
    users, cadres = make_people(
        residents=pairs_needed, cadres=args.cadres, new_accounts=args.new_accounts
    )
    pairs = iter([(user, cadres[i % len(cadres)]) for i, user in enumerate(users)])
    status, points, statements = statement_count(*next(pairs))
    tokens = {user.pk: access_token(user) for user in users}
    codes = {cadre.pk: qr.badge_url(cadre) for cadre in cadres}

    def review_requests():
        for _ in range(args.requests):
            user, cadre = next(pairs)
            headers = {
                "Authorization": f"Bearer {tokens[user.pk]}",
                "Content-Type": "application/json",
            }
            body = json.dumps({"code": codes[cadre.pk], "rating": 5, "tags": ["attitude"]})
            yield ("POST", f"/api/v1/cadres/{cadre.pk}/reviews", headers, body)

    def ceiling_requests(count):
        for _ in range(count):
            user, cadre = next(pairs)
            body = json.dumps(
                {"reviewer": user.pk, "cadre": cadre.pk, "rating": 5, "tags": ["attitude"]}
            )
            yield ("POST", "/bench/review-insert", {"Content-Type": "application/json"}, body)

    print(
        f"database {DB_NAME}, Redis db {REDIS_DB}, gunicorn 127.0.0.1:{PORT} (config/gunicorn.py), "
        f"{len(users)} reviewers, {len(cadres)} cadres, {args.clients} clients"
    )
    server = start_gunicorn(env, port=PORT, config="config/gunicorn.py")
    reviews, ceilings, ratios = [], [], []
    try:
        # Warm-up (not counted): every worker imports and connects.
        run_clients(list(ceiling_requests(WARM_UP)), clients=args.clients, port=PORT)
        for number in range(1, args.rounds + 1):
            review = run_clients(list(review_requests()), clients=args.clients, port=PORT)
            ceiling = run_clients(
                list(ceiling_requests(args.requests)), clients=args.clients, port=PORT
            )
            print(review.line(f"round {number}: review POST"))
            print(ceiling.line(f"round {number}: ceiling (one INSERT)"))
            reviews.append(review.only(201).rps)
            ceilings.append(ceiling.only(201).rps)
            ratios.append(reviews[-1] / ceilings[-1] if ceilings[-1] else 0.0)
    finally:
        server.stop()
    print(f"review POST  req/s  {spread(reviews)}")
    print(f"ceiling      req/s  {spread(ceilings)}")
    print(f"ratio review / ceiling   {spread(ratios, digits=3)}  (goal >= 0.3)")
    print(f"SQL statements of one review: {statements} (HTTP {status}, {points} points; goal <= 6)")


if __name__ == "__main__":
    main()
