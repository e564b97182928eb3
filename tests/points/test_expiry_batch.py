"""The nightly expiry, set-based (ledger.lots_expire by batches of accounts): the same
lots, points, entries and balances as the expiry one lot at a time through ledger.post
(kept here as the reference), and correct with residents spending at the same moment."""

import datetime as dt
import logging
import threading

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from points import ledger, services
from points.errors import InsufficientPoints
from points.models import Account, Currency, Entry, LedgerTransaction, Lot
from points.verification import ledger_verify

Reason = LedgerTransaction.Reason
logger = logging.getLogger(__name__)


def at(monkeypatch, *args):
    moment = dt.datetime(*args, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


def expire_one_lot_at_a_time(today: dt.date) -> int:
    """The expiry as it was before it went set-based: per account a lock, its due lots
    read under it and each posted through ledger.post."""
    expiry = ledger.system_account(kind=Account.Kind.EXPIRY, currency=Currency.REDEEMABLE)
    account_ids = list(
        Lot.objects.filter(remaining__gt=0, expires_on__lt=today)
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()
    )
    expired = 0
    for account_id in account_ids:
        with transaction.atomic():
            account = Account.objects.select_for_update(no_key=True).get(pk=account_id)
            due = Lot.objects.filter(
                account_id=account_id, remaining__gt=0, expires_on__lt=today
            ).order_by("expires_on", "month")
            for lot in due:
                try:
                    ledger.post(
                        reason=Reason.EXPIRY,
                        reference=f"lot:{lot.pk}",
                        lines=[(account, -lot.remaining), (expiry, lot.remaining)],
                        memo=f"{lot.month:%Y-%m}, last day {lot.expires_on:%Y-%m-%d}",
                    )
                except ledger.AlreadyPosted:
                    continue
                except ledger.Overdrawn:
                    logger.error("lot %s holds more than account %s: not expired", lot.pk, account)
                    break
                expired += 1
    return expired


def state() -> dict:
    """Everything the expiry writes, without the ids a sequence hands out."""
    expiries = {}
    for txn in LedgerTransaction.objects.filter(reason=Reason.EXPIRY):
        lines = sorted(
            Entry.objects.filter(transaction=txn).values_list(
                "account__key", "amount", "balance_after"
            )
        )
        expiries[txn.reference] = (txn.memo, lines)
    return {
        "lots": sorted(Lot.objects.values_list("account__key", "month", "remaining")),
        "balances": sorted(Account.objects.values_list("key", "balance")),
        "expiries": expiries,
    }


@pytest.fixture
def mixed_lots(make_user, grant, admin_user, monkeypatch):
    """Residents with several lots, partial spends, lots used up, a lot that disagrees
    with its balance, a refund-like credit in a later month, and moral points."""
    users = [make_user() for _ in range(7)]

    def spend(user, points):
        services.adjustment_post(
            account=ledger.resident_account(user=user), amount=-points, reason="t", admin=admin_user
        )

    at(monkeypatch, 2025, 1, 10, 4)
    grant(users[0], 100)
    grant(users[1], 10)
    grant(users[2], 40)
    grant(users[3], 5)
    grant(users[5], 9)
    grant(users[6], 30)
    grant(users[6], 7, currency=Currency.MORAL)
    at(monkeypatch, 2025, 2, 10, 4)
    grant(users[0], 50)
    spend(users[0], 30)  # part of January's lot
    spend(users[1], 10)  # January's lot used up
    grant(users[2], 5)
    grant(users[3], 6)
    spend(users[3], 8)  # January's whole, 3 of February's
    at(monkeypatch, 2025, 3, 10, 4)
    grant(users[1], 20)  # not due on March 1st
    grant(users[3], 7)
    grant(users[4], 12)  # only a lot that is not due
    spend(users[6], 30)
    grant(users[6], 4)  # a credit after the spend, in a later month
    # users[2]'s January lot holds one point more than it should: January's 41 expire,
    # then February's 5 find 4 points left and stay, logged.
    Lot.objects.filter(account__owner=users[2], month=dt.date(2025, 1, 1)).update(
        remaining=F("remaining") + 1
    )
    monkeypatch.undo()
    return users


@pytest.mark.django_db
@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_the_batches_expire_what_one_lot_at_a_time_expired(mixed_lots, batch, caplog):
    today = dt.date(2026, 3, 1)
    with transaction.atomic():
        reference_count = expire_one_lot_at_a_time(today)
        reference = state()
        reference_log = sorted(r.getMessage() for r in caplog.records if r.levelname == "ERROR")
        transaction.set_rollback(True)
    caplog.clear()
    assert services.points_expire(today=today, batch=batch) == reference_count == 5
    assert state() == reference
    assert sorted(r.getMessage() for r in caplog.records if r.levelname == "ERROR") == reference_log
    assert len(reference_log) == 1 and "holds more than account" in reference_log[0]
    # Run again: nothing moves; a later day expires what became due.
    assert services.points_expire(today=today, batch=batch) == 0
    assert state() == reference
    problems = ledger_verify().problems
    assert problems == [f"account r:{mixed_lots[2].pk}: balance 4 but its lots hold 5"]


# --- Residents spending while the night expires their lots -------------------------------

RESIDENTS = 24


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_spending_while_the_lots_expire(make_user, grant, admin_user, monkeypatch):
    """Each resident holds January's lot (100, due) and March's (50, not due) and spends
    120 while the expiry runs in batches of 3 accounts on another connection. Either the
    spend came first (100 from January, 20 from March: balance 30, nothing expired) or
    the expiry did (January's 100 expired: 50 left, the spend refused); never both, never
    half, and the ledger verifies."""
    users = [make_user() for _ in range(RESIDENTS)]
    at(monkeypatch, 2025, 1, 10, 4)
    for user in users:
        grant(user, 100)
    at(monkeypatch, 2025, 3, 10, 4)
    for user in users:
        grant(user, 50)
    at(monkeypatch, 2026, 3, 1, 4)
    barrier = threading.Barrier(RESIDENTS + 1)
    outcomes: dict[int, str] = {}
    errors: list[BaseException] = []

    def spend(user):
        try:
            barrier.wait(timeout=30)
            services.adjustment_post(
                account=ledger.resident_account(user=user),
                amount=-120,
                reason="spent at the counter",
                admin=admin_user,
            )
            outcomes[user.pk] = "spent"
        except InsufficientPoints:
            outcomes[user.pk] = "refused"
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    def expire():
        try:
            barrier.wait(timeout=30)
            services.points_expire(today=dt.date(2026, 3, 1), batch=3)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=spend, args=(user,)) for user in users]
    threads.append(threading.Thread(target=expire))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    expired_total = 0
    for user in users:
        account = Account.objects.get(owner=user, currency=Currency.REDEEMABLE)
        expired = Entry.objects.filter(account=account, reason=Reason.EXPIRY)
        lots = dict(Lot.objects.filter(account=account).values_list("month", "remaining"))
        if outcomes[user.pk] == "spent":
            assert account.balance == 30 and not expired.exists()
            assert lots == {dt.date(2025, 1, 1): 0, dt.date(2025, 3, 1): 30}
        else:
            assert outcomes[user.pk] == "refused"
            assert account.balance == 50
            assert list(expired.values_list("amount", flat=True)) == [-100]
            assert lots == {dt.date(2025, 1, 1): 0, dt.date(2025, 3, 1): 50}
            expired_total += 100
    expiry = Account.objects.get(kind=Account.Kind.EXPIRY)
    assert expiry.balance == expired_total
    assert ledger_verify().ok
