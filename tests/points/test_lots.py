"""Lots of redeemable points: kept by every posting, spent oldest first, expired nightly."""

import datetime as dt
import importlib
import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from points import campaigns, ledger, lots, selectors, services
from points.errors import InsufficientPoints
from points.models import Account, Currency, Entry, LedgerTransaction, Lot, Redemption
from points.verification import ledger_verify

BASE = "/api/v1/points"
Reason = LedgerTransaction.Reason


def at(monkeypatch, *args):
    """Make `timezone.now()` this moment (UTC)."""
    moment = dt.datetime(*args, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def lots_of(user) -> list[tuple[str, int, str]]:
    """(month, remaining, last day) of the resident's lots, oldest first."""
    return [
        (f"{lot.month:%Y-%m}", lot.remaining, f"{lot.expires_on:%Y-%m-%d}")
        for lot in Lot.objects.filter(account__owner=user).order_by("month")
    ]


def balance_of(user, currency=Currency.REDEEMABLE) -> int:
    return Account.objects.get(owner=user, currency=currency).balance


@pytest.fixture
def spend(admin_user):
    """spend(user, points): an administrator's adjustment debits the resident."""

    def take(user, points):
        services.adjustment_post(
            account=ledger.resident_account(user=user),
            amount=-points,
            reason="test",
            admin=admin_user,
        )

    return take


# --- The rule -----------------------------------------------------------------------------


def test_a_lot_lasts_until_the_end_of_the_12th_month_after_it(settings):
    """Earned in M, spendable until the last day of M+12 (a setting); leap years too."""
    assert lots.expires_on(dt.date(2025, 1, 1)) == dt.date(2026, 1, 31)
    assert lots.expires_on(dt.date(2025, 12, 1)) == dt.date(2026, 12, 31)
    assert lots.expires_on(dt.date(2027, 2, 1)) == dt.date(2028, 2, 29)
    settings.POINTS_EXPIRY_MONTHS = 1
    assert lots.expires_on(dt.date(2025, 12, 1)) == dt.date(2026, 1, 31)
    # The month is Asia/Shanghai's: 16:30 UTC on Jan 31st is already February there.
    assert lots.month_of(dt.datetime(2025, 1, 31, 16, 30, tzinfo=dt.UTC)) == dt.date(2025, 2, 1)


def test_credits_fill_their_months_lot_and_debits_take_the_oldest_first(
    resident, grant, spend, monkeypatch
):
    """Every posting keeps the lots: credits into the month's lot, debits oldest first."""
    at(monkeypatch, 2025, 1, 10, 4)
    grant(resident, 100)
    grant(resident, 20)
    at(monkeypatch, 2025, 1, 31, 16, 30)  # February 1st, 00:30 in Shanghai
    grant(resident, 50)
    assert lots_of(resident) == [
        ("2025-01", 120, "2026-01-31"),
        ("2025-02", 50, "2026-02-28"),
    ]
    at(monkeypatch, 2025, 3, 5, 4)
    spend(resident, 130)
    assert lots_of(resident) == [
        ("2025-01", 0, "2026-01-31"),
        ("2025-02", 40, "2026-02-28"),
    ]
    grant(resident, 7)
    spend(resident, 41)
    assert lots_of(resident) == [
        ("2025-01", 0, "2026-01-31"),
        ("2025-02", 0, "2026-02-28"),
        ("2025-03", 6, "2026-03-31"),
    ]
    assert balance_of(resident) == 6
    assert ledger_verify().ok


def test_a_refused_debit_moves_no_lot(resident, grant, spend):
    """An overdraft is refused whole: the lots are as they were."""
    grant(resident, 30)
    before = lots_of(resident)
    with pytest.raises(InsufficientPoints):
        spend(resident, 31)
    assert lots_of(resident) == before
    assert ledger_verify().ok


def test_moral_points_have_no_lots_and_never_expire(resident, grant, monkeypatch):
    at(monkeypatch, 2024, 1, 10, 4)
    grant(resident, 60, currency=Currency.MORAL)
    grant(resident, 5)
    moral = Account.objects.get(owner=resident, currency=Currency.MORAL)
    assert not Lot.objects.filter(account=moral).exists()
    assert services.points_expire(today=dt.date(2030, 1, 1)) == 1
    assert balance_of(resident, Currency.MORAL) == 60
    assert balance_of(resident) == 0
    assert ledger_verify().ok


def test_a_grab_and_a_review_award_fill_the_lot_too(resident, make_campaign):
    """Postings made in one statement on PostgreSQL (create-or-credit) keep lots as well."""
    campaign = make_campaign(claims=3, points=88)
    campaigns.campaign_claim(campaign=campaign, resident=resident)
    services.review_points_award(review_id=991, resident=resident)
    (_month, remaining, _last), *rest = lots_of(resident)
    assert not rest
    assert remaining == 98 == balance_of(resident)
    assert ledger_verify().ok


def test_a_cancelled_voucher_refunds_into_the_current_months_lot(
    resident, grant, reward, monkeypatch
):
    """The choice of docs/points-expiry.md: a refund is a credit like any other."""
    at(monkeypatch, 2025, 1, 10, 4)
    grant(resident, 600)
    at(monkeypatch, 2025, 6, 10, 4)
    redemption = services.redemption_create(reward=reward, resident=resident)
    assert lots_of(resident) == [("2025-01", 100, "2026-01-31")]
    at(monkeypatch, 2025, 7, 10, 4)
    services.redemption_cancel(redemption_id=redemption.pk, resident=resident)
    assert Redemption.objects.get(pk=redemption.pk).status == "cancelled"
    assert lots_of(resident) == [
        ("2025-01", 100, "2026-01-31"),
        ("2025-07", 500, "2026-07-31"),
    ]
    assert ledger_verify().ok


# --- Expiry ---------------------------------------------------------------------------------


def test_expiry_moves_what_is_left_of_expired_lots_once(
    resident, other_resident, grant, spend, monkeypatch
):
    at(monkeypatch, 2025, 1, 10, 4)
    grant(resident, 100)
    grant(other_resident, 10)
    at(monkeypatch, 2025, 2, 10, 4)
    grant(resident, 50)
    spend(resident, 30)
    # The last day of January's lot is 2026-01-31: nothing expires on it.
    assert services.points_expire(today=dt.date(2026, 1, 31)) == 0
    assert services.points_expire(today=dt.date(2026, 2, 1)) == 2
    assert balance_of(resident) == 50
    assert balance_of(other_resident) == 0
    expiry = Account.objects.get(kind=Account.Kind.EXPIRY)
    assert expiry.balance == 80
    entries = Entry.objects.filter(account__owner=resident, reason=Reason.EXPIRY)
    assert [entry.amount for entry in entries] == [-70]
    # Again, or later the same month: nothing more moves.
    assert services.points_expire(today=dt.date(2026, 2, 1)) == 0
    assert services.points_expire(today=dt.date(2026, 2, 28)) == 0
    assert Entry.objects.filter(reason=Reason.EXPIRY).count() == 4
    assert services.points_expire(today=dt.date(2026, 3, 1)) == 1
    assert balance_of(resident) == 0 and Account.objects.get(pk=expiry.pk).balance == 130
    assert lots_of(resident) == [("2025-01", 0, "2026-01-31"), ("2025-02", 0, "2026-02-28")]
    assert ledger_verify().ok


def test_a_lot_that_disagrees_with_its_balance_is_left_and_the_others_expire(
    resident, other_resident, grant, monkeypatch, caplog
):
    at(monkeypatch, 2025, 1, 10, 4)
    grant(resident, 100)
    grant(other_resident, 10)
    Lot.objects.filter(account__owner=resident).update(remaining=F("remaining") + 1)
    assert services.points_expire(today=dt.date(2026, 2, 1)) == 1
    assert balance_of(resident) == 100 and balance_of(other_resident) == 0
    assert "holds more than account" in caplog.text
    assert "lots hold 101" in " ".join(ledger_verify().problems)


def test_the_command_expires_as_of_a_given_day(resident, grant, monkeypatch):
    at(monkeypatch, 2025, 1, 10, 4)
    grant(resident, 100)
    out = io.StringIO()
    call_command("expire_points", "--today", "2026-01-31", stdout=out)
    assert "0 lot(s) expired" in out.getvalue()
    call_command("expire_points", "--today", "2026-02-01", stdout=out)
    assert "1 lot(s) expired" in out.getvalue()
    assert balance_of(resident) == 0
    with pytest.raises(CommandError, match="not a date"):
        call_command("expire_points", "--today", "2026-02-30")


def test_the_beat_runs_the_task_nightly_at_0010_shanghai(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["expire-points"]
    assert entry["task"] == "points.tasks.points_expire"
    assert entry["schedule"].hour == {0} and entry["schedule"].minute == {10}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_the_lots_once(resident, grant, monkeypatch):
    """The task through Redis to a worker process; twice, and the second moves nothing."""
    import os

    from config.celery import app
    from tests.workers import start_worker, stop_worker

    at(monkeypatch, 2025, 1, 10, 4)
    grant(resident, 100)
    monkeypatch.undo()
    queue = f"test-points-expiry-{os.getpid()}"
    worker = start_worker(queue)
    try:
        first = app.send_task("points.tasks.points_expire", args=["2026-02-01"], queue=queue)
        done = first.get(timeout=60)
        again = app.send_task("points.tasks.points_expire", args=["2026-02-01"], queue=queue)
        done_again = again.get(timeout=60)
    except Exception:
        print(stop_worker(worker))
        raise
    stop_worker(worker)
    assert (done, done_again) == (1, 0)
    assert balance_of(resident) == 0
    assert Entry.objects.filter(reason=Reason.EXPIRY).count() == 2
    assert ledger_verify().ok


# --- What the resident sees, and the notice -------------------------------------------------


def test_the_balance_shows_the_next_three_expiry_dates(
    resident, resident_api, grant, spend, monkeypatch
):
    now = timezone.now()
    month = lots.month_of(now)

    def months_ago(n):
        index = month.year * 12 + month.month - 1 - n
        return dt.datetime(index // 12, index % 12 + 1, 10, 4, tzinfo=dt.UTC)

    for n, points in ((14, 5), (4, 10), (3, 20), (2, 30), (1, 40)):
        monkeypatch.setattr(timezone, "now", lambda n=n: months_ago(n))
        grant(resident, points)
    monkeypatch.undo()
    spend(resident, 12)  # the expired-but-not-swept 5, then 7 of the lot 4 months old
    body = resident_api.get(f"{BASE}/balance").json()
    assert body["redeemable"] == 93
    expected = [
        {"date": lots.expires_on(lots.month_of(months_ago(n))).isoformat(), "points": points}
        for n, points in ((4, 3), (3, 20), (2, 30))
    ]
    assert body["expiring"] == expected
    me = resident_api.get("/api/v1/me").json()
    assert "expiring" not in me


def test_a_resident_sees_only_their_own_expiring_points(resident_api, other_resident, grant):
    grant(other_resident, 80)
    assert resident_api.get(f"{BASE}/balance").json()["expiring"] == []


def test_it_lists_per_resident_the_points_expiring_between_two_days(
    resident, other_resident, grant, spend, monkeypatch
):
    at(monkeypatch, 2025, 1, 10, 4)
    grant(resident, 100)
    grant(other_resident, 40)
    at(monkeypatch, 2025, 2, 10, 4)
    grant(resident, 50)
    spend(other_resident, 40)  # nothing left to warn about
    found = selectors.lots_expiring_between(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    assert found == [
        selectors.ExpiringLots(user_id=resident.pk, points=100, date=dt.date(2026, 1, 31))
    ]
    both = selectors.lots_expiring_between(start=dt.date(2026, 1, 31), end=dt.date(2026, 2, 28))
    assert [(row.user_id, row.points, row.date) for row in both] == [
        (resident.pk, 100, dt.date(2026, 1, 31)),
        (resident.pk, 50, dt.date(2026, 2, 28)),
    ]
    assert (
        selectors.lots_expiring_between(start=dt.date(2026, 2, 1), end=dt.date(2026, 2, 27)) == []
    )


# --- verify_ledger and the data migration ----------------------------------------------------


def test_verify_ledger_reports_lots_that_do_not_sum_to_the_balance(resident, grant):
    grant(resident, 100)
    call_command("verify_ledger", stdout=io.StringIO())
    Lot.objects.filter(account__owner=resident).update(remaining=F("remaining") - 1)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_ledger", stdout=io.StringIO(), stderr=err)
    assert f"account r:{resident.pk}: balance 100 but its lots hold 99" in err.getvalue()


def test_verify_ledger_reports_a_lot_on_a_moral_account(resident, grant):
    grant(resident, 10, currency=Currency.MORAL)
    moral = Account.objects.get(owner=resident, currency=Currency.MORAL)
    Lot.objects.create(account=moral, month=dt.date(2025, 1, 1), expires_on=dt.date(2026, 1, 31))
    report = ledger_verify()
    assert report.problems == [f"account m:{resident.pk}: 1 lot(s) on a resident moral account"]


def test_the_migration_builds_the_same_lots_from_the_history(
    resident, other_resident, grant, spend, monkeypatch
):
    """Replaying the ledger (the data migration) gives the lots the postings kept; a lot
    already past its day gets until the notice period has run."""
    migration = importlib.import_module("points.migrations.0006_lots_of_redeemable_points")
    at(monkeypatch, 2020, 1, 10, 4)
    grant(resident, 30)
    now = dt.datetime.now(dt.UTC)
    at(monkeypatch, now.year - 1, now.month, 2, 4)
    grant(resident, 100)
    grant(other_resident, 10)
    spend(resident, 50)
    monkeypatch.undo()
    grant(resident, 20)
    spend(other_resident, 10)
    kept = {user.pk: lots_of(user) for user in (resident, other_resident)}
    Lot.objects.all().delete()
    migration.lots_from_history(apps, None)
    notice_until = lots.today() + dt.timedelta(days=30)
    rebuilt = {user.pk: lots_of(user) for user in (resident, other_resident)}
    assert [(m, r) for m, r, _ in rebuilt[resident.pk]] == [
        (m, r) for m, r, _ in kept[resident.pk] if r
    ]
    assert rebuilt[other_resident.pk] == []
    for _month, _remaining, last_day in rebuilt[resident.pk]:
        assert dt.date.fromisoformat(last_day) >= notice_until
    assert ledger_verify().ok


# --- Concurrency (real threads on PostgreSQL) ------------------------------------------------


def fifo_replay(user) -> list[tuple[str, int]]:
    """The lots the resident's entries make, replayed one by one in posting order."""
    held: dict[str, int] = {}
    for amount, created_at in (
        Entry.objects.filter(account__owner=user, account__currency=Currency.REDEEMABLE)
        .order_by("id")
        .values_list("amount", "created_at")
    ):
        if amount > 0:
            month = f"{lots.month_of(created_at):%Y-%m}"
            held[month] = held.get(month, 0) + amount
            continue
        need = -amount
        for month in sorted(held):
            take = min(held[month], need)
            held[month] -= take
            need -= take
    return sorted(held.items())


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_debits_and_credits_keep_the_lots_summing_to_the_balance(
    resident, grant, spend, make_campaign, merchant, monkeypatch
):
    """Grabs (credits in one statement, no lock before) race debits (adjustments and a
    voucher purchase, which lock first) on one resident with twelve small lots, so that
    debits cross from lot to lot while others wait: the lots end as a one-by-one replay
    of the ledger would leave them, summing to the balance, oldest spent first."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    now = timezone.now()
    for months_ago in range(12, 0, -1):
        moment = now - dt.timedelta(days=30.5 * months_ago)
        monkeypatch.setattr(timezone, "now", lambda moment=moment: moment)
        grant(resident, 10)
    monkeypatch.undo()
    grabs = [make_campaign(claims=1, points=5, title=f"Grab {n}") for n in range(12)]
    tea = services.reward_create(merchant=merchant, title="Pot tea", cost_points=7, stock=100)

    def claim(campaign):
        return lambda: campaigns.campaign_claim(campaign=campaign, resident=resident)

    def take():
        try:
            spend(resident, 7)
        except InsufficientPoints:
            return 0
        return 7

    def buy():
        try:
            services.redemption_create(reward=tea, resident=resident)
        except InsufficientPoints:
            return 0
        return 7

    calls = []
    for n in range(24):
        calls.append(take if n % 4 else buy)
        if n % 2:
            calls.append(claim(grabs[n // 2]))
    barrier = threading.Barrier(min(24, len(calls)))
    started = threading.local()

    def run(call):
        if not getattr(started, "done", False):
            started.done = True
            barrier.wait(timeout=30)
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=24) as pool:
        results = list(pool.map(run, calls))
    spent = sum(result for result in results if isinstance(result, int))
    assert spent >= 120
    balance = balance_of(resident)
    assert balance == 120 + 12 * 5 - spent
    kept = [(month, remaining) for month, remaining, _ in lots_of(resident)]
    assert sum(remaining for _, remaining in kept) == balance
    assert kept == fifo_replay(resident)
    report = ledger_verify()
    assert report.ok, report.problems


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_credit_is_one_statement_and_a_residents_debit_two(resident, grant):
    """Lots add no statement to a credit; a debit of a resident locks first (one more)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    grant(resident, 50)
    account = ledger.resident_account(user=resident)
    other = ledger.system_account(kind=Account.Kind.ADJUSTMENT, currency=Currency.REDEEMABLE)
    with transaction.atomic():
        with CaptureQueriesContext(connection) as credit:
            ledger.post(
                reason=Reason.ADJUSTMENT, lines=[(account, 5), (other, -5)], savepoint=False
            )
        with CaptureQueriesContext(connection) as debit:
            ledger.post(
                reason=Reason.ADJUSTMENT, lines=[(account, -7), (other, 7)], savepoint=False
            )
    assert len(credit.captured_queries) == 1, credit.captured_queries
    assert len(debit.captured_queries) == 2, debit.captured_queries
    assert "FOR NO KEY UPDATE" in debit.captured_queries[0]["sql"]
    assert sum(remaining for _m, remaining, _d in lots_of(resident)) == 48 == balance_of(resident)
