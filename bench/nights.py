"""Benchmark: the nights at district scale, each job against one hand-written SQL statement.

1. Recreates the PostgreSQL database `bench_nights` (or --db; Redis db 12 or --redis-db)
   and loads by COPY (FROM STDIN, psycopg's cursor.copy): 300,000 residents, 100 units,
   5,000 cadres, 2,000 merchants, 3,000,000 ledger entries of last month (review awards
   from issuance, payments at the merchants), one lot per resident holding its balance
   and due tonight, and a day (yesterday, Asia/Shanghai) of 200,000 reviews, 1% of them
   from accounts that review 6 cadres within half an hour. `--scale 0.1` divides all
   of it by ten.
2. `--rounds` (3) interleaved rounds, the SQL first in odd rounds, the project first in
   even ones; per night job the hand-written SQL statement (a write rolled back, its
   deferred foreign keys checked at the statement's end as the project's commit checks
   them: SET CONSTRAINTS ALL IMMEDIATE) and the project's job, the results checked
   equal, the two durations, the ratio (goal <= 1.5x) and the share of its beat's window
   (CELERY_BEAT_SCHEDULE); for the writes, also the SQL rolled back before those checks
   (as this benchmark measured it before 2026-12-06 17:50 UTC); at the end the median
   ratio and the spread of the rounds, with the load average:
   - verify_ledger (points.verification.ledger_verify; operators run it by hand): the
     SQL makes every check it makes (the entries counted, the problems counted);
   - the monthly merchant statements (merchants.services.statements_build_month, beat
     02:00 on the 1st): the SQL writes what it writes (each merchant's statement with
     payments, refunds, vouchers, total and count, and its lines) in one statement of
     writable CTEs; the SELECT of the totals alone is printed beside it;
   - the fraud scan of a day (moderation.services.reviews_fraud_scan, beat 02:30): the
     SQL computes every rule's flags of the day (a SELECT of the scan's rule CTEs,
     compared flag by flag with the flags the scan stored; the scan also inserts them,
     runs the appeals rule and looks for colleagues);
   - the nightly expiry of a month's lots (points.services.points_expire, beat 00:10):
     the SQL posts every due lot in one statement of writable CTEs (rolled back); equal
     when the lots, points and expiry balance agree; verify_ledger is clean after it.
     Between rounds the lots, balances and expiry postings are put back.
3. The broadcast to every resident (notifications.delivery.broadcast_write) against
   Django's bulk_create of the same rows, as bench/notifications_broadcast.py does.
4. Drops the database (unless --keep).

    .venv/bin/python bench/nights.py [--scale 1] [--keep] [--db NAME] [--redis-db N]
        [--rounds 3] [--jobs verify,statements,fraud,expiry,broadcast]

Environment: BENCH_PG (default postgres://postgres@127.0.0.1:5432).
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PG, bench_env, django_setup, recreate_database  # noqa: E402
from bench.nights_sql import (  # noqa: E402
    EXPIRY_SQL,
    STATEMENTS_SQL,
    STATEMENTS_WRITE_SQL,
    VERIFY_SQL,
)
from bench.rankings import copy_rows  # noqa: E402

LOCAL = ZoneInfo("Asia/Shanghai")
DAY = 24 * 3600.0
JOBS = ("verify", "statements", "fraud", "expiry", "broadcast")


def scaled(n: int, scale: float) -> int:
    return max(1, int(n * scale))


def month_before(day: dt.date) -> dt.date:
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def load(
    *,
    residents: int,
    cadres: int,
    units: int,
    merchants: int,
    entries: int,
    reviews: int,
    today: dt.date,
) -> dict:
    """Everything by COPY; returns the ids and dates the jobs need."""
    from django.db import connection

    from points import ledger
    from points.models import Account, Currency

    rng = random.Random(25)
    joined = "2025-06-01 00:00:00+08"
    month = month_before(today)
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
                (c, f"干部{c:05d}", "科员", 1 + (c - 1) % units, f"N{c:06d}", "", "t", 1, "section")
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
            ],
            (
                (u, "!", "f", f"+86137{u:08d}", "", "f", "t", joined, joined)
                for u in range(1, residents + 1)
            ),
        )
        # Accounts: residents 1..N (id = user id), merchants N+1..N+M.
        copy_rows(
            raw,
            "points_account",
            ["id", "key", "kind", "currency", "owner_id", "balance", "created_at"],
            [
                *(
                    (u, f"r:{u}", "resident", "redeemable", u, 0, joined)
                    for u in range(1, residents + 1)
                ),
                *(
                    (
                        residents + m,
                        f"merchant:bench:{m}",
                        "merchant",
                        "redeemable",
                        None,
                        0,
                        joined,
                    )
                    for m in range(1, merchants + 1)
                ),
            ],
        )
        copy_rows(
            raw,
            "points_merchant",
            ["id", "name", "address", "created_at", "account_id"],
            ((m, f"商户{m:05d}", "", joined, residents + m) for m in range(1, merchants + 1)),
        )
        for table in (
            "cadres_unit",
            "cadres_cadre",
            "accounts_user",
            "points_account",
            "points_merchant",
        ):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
    issuance = ledger.issuance_account(currency=Currency.REDEEMABLE)
    expiry = ledger.system_account(kind=Account.Kind.EXPIRY, currency=Currency.REDEEMABLE)

    # The ledger: each transaction two entries, in last month, balances kept.
    balances = [0] * (residents + merchants + 1)
    issued = 0
    start = dt.datetime.combine(month, dt.time(), LOCAL)
    seconds = (dt.datetime.combine(today.replace(day=1), dt.time(), LOCAL) - start).total_seconds()
    transactions = entries // 2
    txns, lines = [], []
    for t in range(1, transactions + 1):
        at = (start + dt.timedelta(seconds=seconds * t / (transactions + 1))).isoformat()
        resident = rng.randint(1, residents)
        if balances[resident] >= 5 and rng.random() < 0.3:
            merchant = residents + rng.randint(1, merchants)
            balances[resident] -= 5
            balances[merchant] += 5
            txns.append((t, "payment", "", "", at))
            lines.append((t, resident, -5, balances[resident], "payment", at))
            lines.append((t, merchant, 5, balances[merchant], "payment", at))
        else:
            balances[resident] += 10
            issued -= 10
            txns.append((t, "review_award", "", "", at))
            lines.append((t, issuance.pk, -10, issued, "review_award", at))
            lines.append((t, resident, 10, balances[resident], "review_award", at))
    yesterday = today - dt.timedelta(days=1)
    day_start = dt.datetime.combine(yesterday, dt.time(), LOCAL)
    review_rows = []
    cheats = max(1, reviews // 100 // 6)
    honest = reviews - cheats * 6
    seen = set()
    for i in range(honest):
        at = day_start + dt.timedelta(seconds=DAY * i / honest)
        reviewer, cadre = rng.randint(cheats + 1, residents), rng.randint(1, cadres)
        while (reviewer, cadre) in seen:
            reviewer, cadre = rng.randint(cheats + 1, residents), rng.randint(1, cadres)
        seen.add((reviewer, cadre))
        review_rows.append(
            (reviewer, cadre, at, f"d{reviewer}", f"a{rng.randint(1, residents // 3 + 1)}")
        )
    for c in range(1, cheats + 1):
        first = day_start + dt.timedelta(seconds=rng.uniform(0, DAY - 3600))
        for k, cadre in enumerate(rng.sample(range(1, cadres + 1), 6)):
            review_rows.append((c, cadre, first + dt.timedelta(minutes=5 * k), f"d{c}", f"a{c}"))
    review_rows.sort(key=lambda row: row[2])
    with connection.cursor() as cursor:
        raw = cursor.cursor
        copy_rows(
            raw,
            "points_ledgertransaction",
            ["id", "reason", "reference", "memo", "created_at"],
            txns,
        )
        copy_rows(
            raw,
            "points_entry",
            ["transaction_id", "account_id", "amount", "balance_after", "reason", "created_at"],
            lines,
        )
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('points_ledgertransaction', 'id'),"
            " (SELECT max(id) FROM points_ledgertransaction))"
        )
        copy_rows(
            raw,
            "points_lot",
            ["account_id", "month", "expires_on", "remaining"],
            ((u, month, yesterday, balances[u]) for u in range(1, residents + 1) if balances[u]),
        )
        cursor.executemany(
            "UPDATE points_account SET balance = %s WHERE id = %s",
            [(b, pk) for pk, b in enumerate(balances) if b] + [(issued, issuance.pk)],
        )
        copy_rows(
            raw,
            "cadres_review",
            [
                "rating",
                "tags",
                "comment",
                "created_at",
                "local_date",
                "points_awarded",
                "response_message",
                "cadre_id",
                "reviewer_id",
                "excluded_reason",
                "verified",
                "address_hash",
                "device_hash",
                "assisted",
            ],
            (
                (
                    rng.randint(1, 5),
                    "[]",
                    "",
                    at.isoformat(),
                    yesterday,
                    0,
                    "",
                    cadre,
                    reviewer,
                    "",
                    "f",
                    address,
                    device,
                    "f",
                )
                for reviewer, cadre, at, device, address in review_rows
            ),
        )
        for table in (
            "points_entry",
            "points_ledgertransaction",
            "points_account",
            "points_lot",
            "cadres_review",
            "accounts_user",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return {"month": month, "yesterday": yesterday, "expiry": expiry.pk, "today": today}


def timed(run):
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def report(name: str, project: float, sql: float, equal: bool, window: str, window_s: float):
    ratio = project / sql if sql else float("inf")
    print(
        f"{name:<22} project {project:9.2f} s   SQL {sql:9.2f} s   ratio {ratio:5.2f}x "
        f"(goal <= 1.5x)   results equal: {'yes' if equal else 'NO'}   {window}: "
        f"{100 * project / window_s:.3g}% of it"
    )
    return ratio


def run_sql(sql: str, params, *, rollback: bool = False, checks: bool = True):
    """A write rolled back never reaches the commit, where the foreign keys (Django makes
    them DEFERRABLE INITIALLY DEFERRED) are checked: unless `checks` is false, it checks
    them at the statement's end (SET CONSTRAINTS ALL IMMEDIATE), as the project's commit
    does (like for like)."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            if rollback and checks:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rollback:
            transaction.set_rollback(True)
    return rows


def unchecked(seconds: float, project: float) -> str:
    return (
        f"the SQL without the foreign keys' checks (rolled back before them) {seconds:.2f} s "
        f"(project / it {project / seconds:.2f}x)"
    )


def interleaved(first_project: bool, sql, project):
    """(sql seconds, its result), (project seconds, its result), in the round's order."""
    if first_project:
        project_run = timed(project)
        sql_run = timed(sql)
    else:
        sql_run = timed(sql)
        project_run = timed(project)
    return sql_run, project_run


def night_verify(first_project: bool = False) -> tuple:
    from points.verification import ledger_verify

    (sql_s, rows), (project_s, result) = interleaved(
        first_project, lambda: run_sql(VERIFY_SQL, []), ledger_verify
    )
    equal = rows[0][0] == result.entries and rows[0][1] == len(result.problems)
    return project_s, sql_s, equal, result


def statements_reset():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE merchants_statemententry, merchants_statement")


def night_statements(ctx: dict, first_project: bool) -> tuple:
    """The project against the statement that writes the same rows (like for like) and,
    for the record, against the SELECT of the totals alone."""
    from merchants import services
    from merchants.models import Statement

    end = dt.datetime.combine(ctx["today"].replace(day=1), dt.time(), LOCAL)
    params = {"end": end, "month": ctx["month"]}

    def built():
        return [
            (
                s.merchant_id,
                s.payments_points,
                s.refunds_points,
                s.vouchers_points,
                s.points,
                s.entries_count,
            )
            for s in Statement.objects.filter(month=ctx["month"]).order_by("merchant_id")
        ]

    def project():
        """Timed without the emptying around it; the SQL writes the same rows (rolled
        back) into empty tables too."""
        statements_reset()
        seconds, _count = timed(lambda: services.statements_build_month(month=ctx["month"]))
        made = built()
        statements_reset()
        return seconds, made

    statements_reset()
    (sql_s, rows), (_total, (project_s, made)) = interleaved(
        first_project, lambda: run_sql(STATEMENTS_WRITE_SQL, params, rollback=True), project
    )
    select_s, selected = timed(lambda: run_sql(STATEMENTS_SQL, [end]))
    unchecked_s, _rows = timed(
        lambda: run_sql(STATEMENTS_WRITE_SQL, params, rollback=True, checks=False)
    )
    lines = sum(row[5] for row in made)
    equal = made == [tuple(r) for r in rows] == [tuple(r) for r in selected]
    return project_s, sql_s, select_s, unchecked_s, equal, lines


def fraud_sql() -> str:
    """Every rule's flags of the day as one SELECT: the rules' CTEs the scan's statement
    has, without its INSERTs (the hand-written query would compute them the same way)."""
    from moderation import fraud

    rules = fraud.DAY_FLAGS_SQL[: fraud.DAY_FLAGS_SQL.index("per_review_added AS (")]
    return (
        rules.rstrip().rstrip(",")
        + """
SELECT rule, review_id, detail, '' AS address, NULL::timestamptz AS hour, 1 AS reviews
FROM per_review
UNION ALL
SELECT 'address', first, jsonb_build_object('cadres', cadres, 'minutes', 60), address, hour,
       reviews
FROM address_hours
"""
    )


def night_fraud(ctx: dict, first_project: bool) -> tuple:
    from django.db import connection

    from moderation import fraud, services
    from moderation.models import FlagRule, ReviewFlag

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM cadres_reviewflag")
    now = dt.datetime.combine(ctx["yesterday"], dt.time(), LOCAL) + dt.timedelta(
        days=1, hours=2, minutes=30
    )
    params = fraud.day_flags_params(day=ctx["yesterday"], now=now)
    query = fraud_sql()
    (sql_s, rows), (project_s, result) = interleaved(
        first_project,
        lambda: run_sql(query, params),
        lambda: services.reviews_fraud_scan(day=ctx["yesterday"], now=now),
    )
    stored = {
        (flag.rule, flag.review_id, json.dumps(flag.detail, sort_keys=True), flag.reviews)
        for flag in ReviewFlag.objects.exclude(rule__in=[FlagRule.APPEALS_MOST, FlagRule.COLLEAGUE])
    }
    computed = {
        (
            rule,
            review_id,
            json.dumps(json.loads(detail) if isinstance(detail, str) else detail, sort_keys=True),
            reviews,
        )
        for rule, review_id, detail, _address, _hour, reviews in rows
    }
    by_rule = {}
    for rule, *_rest in computed:
        by_rule[rule] = by_rule.get(rule, 0) + 1
    return project_s, sql_s, stored == computed and bool(stored), result, by_rule


def expiry_save():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_lot_saved AS SELECT id, remaining FROM points_lot")
        cursor.execute("CREATE TABLE bench_account_saved AS SELECT id, balance FROM points_account")


def expiry_restore():
    """Back to before the expiry (bench database only: the append-only triggers are set
    aside for the session by session_replication_role)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("DELETE FROM points_entry WHERE reason = 'expiry'")
        cursor.execute("DELETE FROM points_ledgertransaction WHERE reason = 'expiry'")
        cursor.execute(
            "UPDATE points_lot l SET remaining = s.remaining FROM bench_lot_saved s"
            " WHERE s.id = l.id AND l.remaining <> s.remaining"
        )
        cursor.execute(
            "UPDATE points_account a SET balance = s.balance FROM bench_account_saved s"
            " WHERE s.id = a.id AND a.balance <> s.balance"
        )
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in ("points_lot", "points_account", "points_entry", "points_ledgertransaction"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def night_expiry(ctx: dict, first_project: bool) -> tuple:
    from points import services
    from points.models import Account, LedgerTransaction

    expiry = Account.objects.get(pk=ctx["expiry"])
    params = {"today": ctx["today"], "expiry": expiry.pk, "expiry_balance": expiry.balance}

    def sql():
        """The SQL timed, then (for the record) rolled back before the foreign keys'
        checks, on the same lots."""
        seconds, rows = timed(lambda: run_sql(EXPIRY_SQL, params, rollback=True))
        plain, _rows = timed(lambda: run_sql(EXPIRY_SQL, params, rollback=True, checks=False))
        return seconds, rows, plain

    if first_project:
        # The project's expiry is not rolled back: the state it leaves is read, then put
        # back before the SQL runs on the same lots (and the project's run again after,
        # untimed, for the verify_ledger that follows).
        project_s, expired = timed(lambda: services.points_expire(today=ctx["today"]))
        expiry.refresh_from_db()
        after, posted = expiry.balance, LedgerTransaction.objects.filter(reason="expiry").count()
        expiry_restore()
        sql_s, rows, unchecked_s = sql()
        services.points_expire(today=ctx["today"])
    else:
        sql_s, rows, unchecked_s = sql()
        project_s, expired = timed(lambda: services.points_expire(today=ctx["today"]))
        expiry.refresh_from_db()
        after, posted = expiry.balance, LedgerTransaction.objects.filter(reason="expiry").count()
    lots, points, expiry_balance, entries, accounts, lot_rows = rows[0]
    equal = (
        expired == lots == posted == lot_rows == accounts
        and entries == 2 * lots
        and after == expiry_balance
        and points == expiry_balance - params["expiry_balance"]
    )
    return project_s, sql_s, unchecked_s, equal, lots, points


def broadcast(residents: int) -> tuple[float, float]:
    from django.db import connection
    from django.utils import timezone

    from accounts.models import User
    from notifications import delivery
    from notifications.models import Broadcast, Notification

    params = {"title": "停水通知", "body": "明日 9:00-12:00 康巴什区部分小区停水，请提前储水。"}

    def empty():
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Notification._meta.db_table}")

    def project():
        item = Broadcast.objects.create(
            key="notice:bench-nights", kind="notice", audience="residents", params=params
        )
        written = delivery.broadcast_write(
            broadcast_id=item.pk, batch_size=5000, on_sms=lambda ids: None
        )
        assert written == residents, written

    def baseline():
        now = timezone.now()
        ids = list(User.objects.order_by("pk").values_list("pk", flat=True))
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=pk,
                    kind="notice",
                    event_key="notice:baseline",
                    params=params,
                    created_at=now,
                )
                for pk in ids
            ],
            batch_size=5000,
        )

    empty()
    project_s, _ = timed(project)
    empty()
    baseline_s, _ = timed(baseline)
    empty()
    return project_s, baseline_s


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--db", default="bench_nights")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the database at the end")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the jobs")
    parser.add_argument(
        "--jobs",
        default=",".join(JOBS),
        help=f"comma-separated jobs to run, of {','.join(JOBS)} (default: all)",
    )
    args = parser.parse_args()
    jobs = set(args.jobs.split(","))
    if not jobs or jobs - set(JOBS):
        parser.error(f"--jobs: of {','.join(JOBS)}")
    s = args.scale
    sizes = {
        "residents": scaled(300_000, s),
        "cadres": scaled(5_000, s),
        "units": scaled(100, s),
        "merchants": scaled(2_000, s),
        "entries": 2 * scaled(1_500_000, s),
        "reviews": scaled(200_000, s),
    }
    env = bench_env(db_name=args.db, redis_db=args.redis_db)
    recreate_database(env)
    try:
        django_setup(env)
        from django.conf import settings

        from points import lots

        today = lots.today()
        started = time.monotonic()
        ctx = load(**sizes, today=today)
        print(f"scale {s}: {sizes}; loaded by COPY in {time.monotonic() - started:.1f} s")
        schedule = settings.CELERY_BEAT_SCHEDULE

        def beat(name):
            return str(schedule[name]["schedule"])

        windows = {
            "verify_ledger": ("no beat (by hand); a night", DAY),
            "merchant statements": (
                f"beat {beat('build-merchant-statements')}, window 24 h to the day's end",
                DAY,
            ),
            "fraud scan of a day": (f"beat {beat('review-fraud-scan')}, daily: window 24 h", DAY),
            "expiry of a month": (f"beat {beat('expire-points')}, daily: window 24 h", DAY),
        }
        ratios: dict[str, list[float]] = {name: [] for name in windows}
        expiry_save()
        for round_ in range(1, args.rounds + 1):
            first_project = round_ % 2 == 0
            print(
                f"--- round {round_} of {args.rounds} "
                f"({'project' if first_project else 'SQL'} first; load average "
                f"{' '.join(f'{x:.2f}' for x in os.getloadavg())})"
            )
            if "verify" in jobs:
                project_s, sql_s, equal, result = night_verify(first_project)
                print(
                    f"verify_ledger: {result.entries:,} entries, {result.transactions:,} "
                    f"transactions, {'clean' if result.ok else result.problems[:3]}"
                )
                ratios["verify_ledger"].append(
                    report("verify_ledger", project_s, sql_s, equal, *windows["verify_ledger"])
                )
            if "statements" in jobs:
                project_s, sql_s, select_s, unchecked_s, equal, lines = night_statements(
                    ctx, first_project
                )
                print(
                    f"statements: {lines:,} lines; the SELECT of the totals alone {select_s:.2f} s "
                    f"(project / SELECT {project_s / select_s:.2f}x); {unchecked(unchecked_s, project_s)}"
                )
                ratios["merchant statements"].append(
                    report(
                        "merchant statements",
                        project_s,
                        sql_s,
                        equal,
                        *windows["merchant statements"],
                    )
                )
            if "fraud" in jobs:
                project_s, sql_s, equal, result, by_rule = night_fraud(ctx, first_project)
                print(f"fraud scan: {result}; flags by rule {by_rule}")
                ratios["fraud scan of a day"].append(
                    report(
                        "fraud scan of a day",
                        project_s,
                        sql_s,
                        equal,
                        *windows["fraud scan of a day"],
                    )
                )
            if "expiry" in jobs:
                project_s, sql_s, unchecked_s, equal, count, points = night_expiry(
                    ctx, first_project
                )
                print(
                    f"expiry: {count:,} lots, {points:,} points; {unchecked(unchecked_s, project_s)}"
                )
                ratios["expiry of a month"].append(
                    report(
                        "expiry of a month", project_s, sql_s, equal, *windows["expiry of a month"]
                    )
                )
                _p, _s, _e, result = night_verify()
                print(
                    f"verify_ledger after the expiry: {'clean' if result.ok else result.problems[:3]}"
                )
                if round_ < args.rounds:
                    expiry_restore()
        print(f"--- {args.rounds} round(s); ratio project / SQL, median (min-max):")
        for name, values in ratios.items():
            if not values:
                continue
            print(
                f"{name:<22} {statistics.median(values):5.2f}x "
                f"({min(values):.2f}-{max(values):.2f})   rounds: "
                + ", ".join(f"{v:.2f}" for v in values)
            )
        print(f"load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")

        if "broadcast" not in jobs:
            return
        project_s, baseline_s = broadcast(sizes["residents"])
        print(
            f"broadcast to {sizes['residents']:,} residents: {project_s:.2f} s "
            f"({sizes['residents'] / project_s:,.0f} rows/s); bulk_create {baseline_s:.2f} s "
            f"({sizes['residents'] / baseline_s:,.0f} rows/s); ratio of rates "
            f"{baseline_s / project_s:.2f}x (goal >= 1x: keeps its lead)"
        )
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            subprocess.run(
                [
                    "psql",
                    f"{PG}/postgres",
                    "-qc",
                    f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)',
                ],
                check=False,
            )


if __name__ == "__main__":
    main()
