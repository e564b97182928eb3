"""Benchmark: a grab campaign opening, against gunicorn with PostgreSQL and Redis.

1. Recreates the PostgreSQL database `duoduo_bench_points` (Redis db 13), makes 5,000
   residents, each with its own access token.
2. Starts gunicorn on 127.0.0.1:8701.
3. The storm: 5,000 residents grab from a campaign of 1,000 claims with 500 concurrent
   closed-loop clients; then the same clients on a plain authenticated endpoint that
   does one indexed read (GET /api/v1/points/balance). A busy day: the same with 50
   clients, `--rounds` times (a fresh campaign each), the grab and the plain endpoint
   interleaved (their order alternating), then the medians and spread (min-max) of
   p99 and of the p99 ratio over the rounds. Prints requests per second, p50/p99 and
   the ratios to the plain endpoint, and checks that exactly 1,000 claims succeeded
   in each campaign (zero oversell) and verify_ledger is clean.
4. Bulk-loads 1,000,000 ledger entries (COPY) and times verify_ledger on them.

    .venv/bin/python bench/grab.py [--residents 5000] [--claims 1000] [--storm 500]
        [--busy 50] [--rounds 3] [--entries 1000000] [--workers 4] [--threads 4]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import datetime as dt
import io
import json
import os
import statistics
import sys
import time
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
PORT = int(os.environ.get("BENCH_PORT", 8701))
DB_NAME = os.environ.get("BENCH_DB", "duoduo_bench_points")
REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", 13))


def make_residents(count: int) -> list:
    from accounts.models import User

    User.objects.bulk_create(
        [User(phone=f"+86137{i:08d}", display_name=f"Resident {i}") for i in range(count)],
        batch_size=2000,
    )
    return list(User.objects.filter(phone__startswith="+86137").order_by("pk"))


def make_campaign(title: str, claims: int):
    from django.utils import timezone

    from points import campaigns

    now = timezone.now()
    return campaigns.campaign_create(
        title=title,
        starts_at=now - dt.timedelta(seconds=1),
        ends_at=now + dt.timedelta(hours=2),
        points_per_claim=88,
        claims=claims,
        created_by=None,
    )


def check_campaign(campaign, claims: int, successes: int) -> str:
    from points.models import CampaignClaim
    from points.selectors import campaign_pool_balance

    rows = CampaignClaim.objects.filter(campaign=campaign)
    distinct = rows.values("resident").distinct().count()
    pool = campaign_pool_balance(campaign=campaign)
    ok = successes == rows.count() == distinct == claims and pool == 0
    return (
        f"claims {rows.count()} by {distinct} residents, 201s {successes}, pool left {pool}: "
        + ("zero oversell, none lost" if ok else "MISMATCH")
    )


def phase(label, campaign, tokens, clients, *, plain_first=False):
    grab = [
        ("POST", f"/api/v1/points/campaigns/{campaign.pk}/claim", {"Authorization": f"Bearer {t}"})
        for t in tokens
    ]
    plain = [("GET", "/api/v1/points/balance", {"Authorization": f"Bearer {t}"}) for t in tokens]
    if plain_first:
        plain_result = run_clients(plain, clients=clients, port=PORT)
        grab_result = run_clients(grab, clients=clients, port=PORT, keep_bodies=True)
    else:
        grab_result = run_clients(grab, clients=clients, port=PORT, keep_bodies=True)
        plain_result = run_clients(plain, clients=clients, port=PORT)
    codes = {}
    for body in grab_result.bodies:
        try:
            code = json.loads(body).get("code", "ok")
        except ValueError:
            code = "unparsable"
        codes[code] = codes.get(code, 0) + 1
    order = "plain, then grab" if plain_first else "grab, then plain"
    print(f"\n== {label}: {clients} concurrent clients, {len(tokens)} residents ({order})")
    print(grab_result.line("grab (POST .../claim)"))
    print(plain_result.line("plain (GET /points/balance)"))
    print(grab_result.only(201).line("   of which winners (201)"))
    print(grab_result.only(409).line("   of which sold out (409)"))
    print(f"   answers: {codes}")
    ratio = grab_result.percentile(0.99) / plain_result.percentile(0.99)
    print(
        f"   ratios grab/plain: throughput {grab_result.rps / plain_result.rps:.2f}x, "
        f"p50 {grab_result.percentile(0.5) / plain_result.percentile(0.5):.2f}x, "
        f"p99 {ratio:.2f}x "
        f"(winners alone: p99 "
        f"{grab_result.only(201).percentile(0.99) / plain_result.percentile(0.99):.2f}x; "
        f"sold-out answers alone: p99 "
        f"{grab_result.only(409).percentile(0.99) / plain_result.percentile(0.99):.2f}x)"
    )
    return grab_result.statuses.get(201, 0), {
        "grab p99": grab_result.percentile(0.99),
        "plain p99": plain_result.percentile(0.99),
        "winners p99": grab_result.only(201).percentile(0.99),
        "ratio": ratio,
    }


def summary(label: str, rounds: list[dict]) -> None:
    """Median and spread (min-max) of each figure over the rounds."""
    print(f"\n== {label}: {len(rounds)} interleaved rounds, median (min-max)")
    for name in rounds[0]:
        values = [figures[name] for figures in rounds]
        unit = "x" if name == "ratio" else " ms"
        print(
            f"   {name:<12} {statistics.median(values):8.2f}{unit}  "
            f"({min(values):.2f}-{max(values):.2f})"
        )


def load_entries(total_entries: int, residents: list) -> None:
    """COPY `total_entries` entries (half as many transactions) with consistent balances."""
    from django.db import connection
    from django.utils import timezone

    from points import ledger, lots
    from points.models import Account, Currency, Entry, LedgerTransaction, Lot

    accounts = [ledger.resident_account(user=user) for user in residents]
    issuance = ledger.system_account(
        kind=Account.Kind.ADJUSTMENT, currency=Currency.REDEEMABLE, shard=7
    )
    transactions = total_entries // 2
    now = timezone.now().isoformat()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM points_ledgertransaction")
        first_txn = cursor.fetchone()[0] + 1000
    txn_buffer = io.StringIO()
    entry_buffer = io.StringIO()
    balances = {account.pk: account.balance for account in accounts}
    issuance_balance = issuance.balance
    for i in range(transactions):
        txn_id = first_txn + i
        account = accounts[i % len(accounts)]
        balances[account.pk] += 1
        issuance_balance -= 1
        txn_buffer.write(f"{txn_id}\tadjustment\t\tbench\t{now}\n")
        entry_buffer.write(f"{txn_id}\t{issuance.pk}\t-1\t{issuance_balance}\tadjustment\t{now}\n")
        entry_buffer.write(
            f"{txn_id}\t{account.pk}\t1\t{balances[account.pk]}\tadjustment\t{now}\n"
        )
    txn_table, entry_table = LedgerTransaction._meta.db_table, Entry._meta.db_table
    with connection.cursor() as cursor:
        with cursor.copy(
            f"COPY {txn_table} (id, reason, reference, memo, created_at) FROM STDIN"
        ) as copy:
            copy.write(txn_buffer.getvalue())
        with cursor.copy(
            f"COPY {entry_table} (transaction_id, account_id, amount, balance_after, reason, "
            "created_at) FROM STDIN"
        ) as copy:
            copy.write(entry_buffer.getvalue())
        for pk, balance in [*balances.items(), (issuance.pk, issuance_balance)]:
            cursor.execute(
                f"UPDATE {Account._meta.db_table} SET balance = %s WHERE id = %s",  # noqa: S608
                [balance, pk],
            )
        # The residents' points earned this month: into this month's lots, as postings do.
        month, expires_on = lots.lot_dates(timezone.now())
        added = {account.pk: balances[account.pk] - account.balance for account in accounts}
        cursor.executemany(
            f"INSERT INTO {Lot._meta.db_table} (account_id, month, expires_on, remaining) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (account_id, month) "
            f"DO UPDATE SET remaining = {Lot._meta.db_table}.remaining + excluded.remaining",
            [(pk, month, expires_on, points) for pk, points in added.items() if points],
        )
        cursor.execute(f"ANALYZE {entry_table}")
        cursor.execute(f"ANALYZE {txn_table}")


def statement_counts(user, campaign) -> dict[str, int]:
    """The SQL statements of one winning claim and of one GET /points/balance (the plain
    baseline), through the whole stack in this process, BEGIN and COMMIT included."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    api = APIClient(HTTP_HOST="127.0.0.1")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {access_token(user)}")
    counts = {}
    for name, call in (
        ("claim (winner)", lambda: api.post(f"/api/v1/points/campaigns/{campaign.pk}/claim")),
        ("GET /points/balance", lambda: api.get("/api/v1/points/balance")),
    ):
        with CaptureQueriesContext(connection) as queries:
            response = call()
        counts[f"{name} (HTTP {response.status_code})"] = len(queries.captured_queries)
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--residents", type=int, default=5000)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--storm", type=int, default=500)
    parser.add_argument("--busy", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    env = bench_env(db_name=DB_NAME, redis_db=REDIS_DB, THROTTLE_CLAIM="100000000/min")
    print(
        f"database {DB_NAME}, Redis db {REDIS_DB}, gunicorn 127.0.0.1:{PORT} "
        f"({args.workers} workers x {args.threads} threads)"
    )
    recreate_database(env)
    django_setup(env)
    import redis
    from django.conf import settings

    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # db 13 belongs to this benchmark

    residents = make_residents(args.residents)
    tokens = [access_token(user) for user in residents]
    storm = make_campaign("storm", args.claims)
    busy_days = [make_campaign(f"busy day {n + 1}", args.claims) for n in range(args.rounds)]
    from django.db import connection

    connection.close()

    server = start_gunicorn(env, port=PORT, workers=args.workers, threads=args.threads)
    try:
        # Warm every worker's connections and imports before measuring.
        run_clients(
            [("GET", "/api/v1/points/balance", {"Authorization": f"Bearer {tokens[0]}"})] * 200,
            clients=20,
            port=PORT,
        )
        storm_ok, _storm = phase("the storm", storm, tokens, args.storm)
        busy_ok, rounds = [], []
        for n, busy in enumerate(busy_days):
            ok, figures = phase(
                f"a busy day, round {n + 1}", busy, tokens, args.busy, plain_first=n % 2 == 1
            )
            busy_ok.append(ok)
            rounds.append(figures)
        summary(f"a busy day, {args.busy} clients", rounds)
    finally:
        server.stop()

    print()
    print("storm:    " + check_campaign(storm, args.claims, storm_ok))
    for n, (busy, ok) in enumerate(zip(busy_days, busy_ok, strict=True)):
        print(f"busy day {n + 1}: " + check_campaign(busy, args.claims, ok))
    from points.verification import ledger_verify

    report = ledger_verify()
    print(f"verify_ledger after the runs: {'clean' if report.ok else report.problems[:5]}")
    counted = make_campaign("statements", 1)
    for name, count in statement_counts(residents[0], counted).items():
        print(f"SQL statements of one {name}: {count}")

    if args.entries:
        started = time.monotonic()
        load_entries(args.entries, residents)
        print(
            f"\nloaded {args.entries:,} more entries with COPY in {time.monotonic() - started:.1f}s"
        )
        started = time.monotonic()
        report = ledger_verify()
        elapsed = time.monotonic() - started
        print(
            f"verify_ledger: {report.entries:,} entries, {report.transactions:,} transactions, "
            f"{report.accounts:,} accounts in {elapsed:.2f}s: "
            + ("clean" if report.ok else f"{len(report.problems)} problems")
        )


if __name__ == "__main__":
    main()
