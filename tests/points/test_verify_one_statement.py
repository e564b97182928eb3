"""verify_ledger in one statement reports what its four queries reported (kept here as
the reference), on a ledger with a problem of every kind and on a clean one."""

import datetime as dt

import pytest
from django.db import connection

from points import ledger
from points.models import Account, Currency, Entry, LedgerTransaction, Lot
from points.verification import MAX_REPORTED, Report, ledger_verify

pytestmark = pytest.mark.django_db

ACCOUNT = Account._meta.db_table
ENTRY = Entry._meta.db_table
TXN = LedgerTransaction._meta.db_table
LOT = Lot._meta.db_table

ACCOUNTS_COUNT_SQL = f"SELECT COUNT(*) FROM {ACCOUNT}"  # noqa: S608
TRANSACTIONS_COUNT_SQL = f"SELECT COUNT(*) FROM {TXN}"  # noqa: S608
# 1. Each balance equals the sum of its entries; the last entry's balance_after too.
BALANCES_SQL = f"""
SELECT a.key, a.balance, COALESCE(s.total, 0), s.entries,
       (SELECT e.balance_after FROM {ENTRY} e WHERE e.account_id = a.id
        ORDER BY e.id DESC LIMIT 1)
FROM {ACCOUNT} a
LEFT JOIN (SELECT account_id, SUM(amount) AS total, COUNT(*) AS entries
           FROM {ENTRY} GROUP BY account_id) s ON s.account_id = a.id
"""  # noqa: S608
# 2. Each transaction has two or more entries summing to zero, in one currency.
UNBALANCED_TRANSACTIONS_SQL = f"""
SELECT t.id, t.reason, COALESCE(SUM(e.amount), 0), COUNT(e.id), COUNT(DISTINCT a.currency)
FROM {TXN} t
LEFT JOIN {ENTRY} e ON e.transaction_id = t.id
LEFT JOIN {ACCOUNT} a ON a.id = e.account_id
GROUP BY t.id, t.reason
HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2 OR COUNT(DISTINCT a.currency) > 1
"""  # noqa: S608
# 3. No resident, pool or merchant balance below zero.
_NEGATIVEBALANCES_SQL = f"""
SELECT key, balance FROM {ACCOUNT}
WHERE balance < 0 AND kind NOT IN ('issuance', 'adjustment')
"""  # noqa: S608
# 4. The unspent lots of each resident redeemable account sum to its balance; no other
#    account has lots (moral points do not expire).
LOTS_SQL = f"""
SELECT a.key, a.kind, a.currency, a.balance, COALESCE(s.total, 0), s.lots
FROM {ACCOUNT} a
LEFT JOIN (SELECT account_id, SUM(remaining) AS total, COUNT(*) AS lots
           FROM {LOT} GROUP BY account_id) s ON s.account_id = a.id
WHERE (a.kind = 'resident' AND a.currency = 'redeemable' AND a.balance <> COALESCE(s.total, 0))
   OR ((a.kind <> 'resident' OR a.currency <> 'redeemable') AND s.lots > 0)
"""  # noqa: S608


def verify_in_four_queries() -> Report:
    """verify_ledger as it was: four queries, their rows checked in Python."""
    report = Report()
    with connection.cursor() as cursor:
        cursor.execute(ACCOUNTS_COUNT_SQL)
        report.accounts = cursor.fetchone()[0]
        cursor.execute(TRANSACTIONS_COUNT_SQL)
        report.transactions = cursor.fetchone()[0]

        cursor.execute(BALANCES_SQL)
        for key, balance, total, entries, last_after in cursor.fetchall():
            report.entries += entries or 0
            if balance != total:
                report.problems.append(
                    f"account {key}: balance {balance} but its entries sum to {total}"
                )
            if last_after is not None and last_after != balance:
                report.problems.append(
                    f"account {key}: balance {balance} but the last entry says {last_after}"
                )

        cursor.execute(UNBALANCED_TRANSACTIONS_SQL)
        for pk, reason, total, count, currencies in cursor.fetchall():
            report.problems.append(
                f"transaction {pk} ({reason}): {count} entries summing to {total}"
                + (" across currencies" if currencies > 1 else "")
            )

        cursor.execute(_NEGATIVEBALANCES_SQL)
        for key, balance in cursor.fetchall():
            report.problems.append(f"account {key}: negative balance {balance}")

        cursor.execute(LOTS_SQL)
        for key, kind, currency, balance, total, count in cursor.fetchall():
            if kind == "resident" and currency == "redeemable":
                report.problems.append(
                    f"account {key}: balance {balance} but its lots hold {total}"
                )
            else:
                report.problems.append(
                    f"account {key}: {count} lot(s) on a {kind} {currency} account"
                )
    del report.problems[MAX_REPORTED:]
    return report


def same(one: Report, other: Report) -> bool:
    return (one.accounts, one.transactions, one.entries, sorted(one.problems)) == (
        other.accounts,
        other.transactions,
        other.entries,
        sorted(other.problems),
    )


def test_a_clean_ledger(resident, other_resident, grant):
    grant(resident, 100)
    grant(other_resident, 7, currency=Currency.MORAL)
    report = ledger_verify()
    assert report.ok and report.entries == 4 and report.transactions == 2
    assert same(report, verify_in_four_queries())


def test_a_problem_of_every_kind(resident, other_resident, grant):
    # The CHECK that refuses a negative balance dropped for this test's transaction
    # (rolled back at its end), so that one can be made.
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE points_account DROP CONSTRAINT points_account_balance_not_negative"
        )
    grant(resident, 100)
    grant(other_resident, 30)
    grant(other_resident, 7, currency=Currency.MORAL)
    mine = ledger.resident_account(user=resident)
    theirs = ledger.resident_account(user=other_resident)
    moral = ledger.resident_account(user=other_resident, currency=Currency.MORAL)
    now = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        # A balance off its entries and its last entry; another below zero.
        cursor.execute("UPDATE points_account SET balance = 99 WHERE id = %s", [mine.pk])
        cursor.execute("UPDATE points_account SET balance = -3 WHERE id = %s", [theirs.pk])
        # A transaction with no entry, one with one entry, one across currencies.
        for reference in ("empty", "single", "mixed"):
            cursor.execute(
                "INSERT INTO points_ledgertransaction (reason, reference, memo, created_at)"
                " VALUES ('adjustment', %s, '', %s)",
                [reference, now],
            )
        cursor.execute("SELECT id, reference FROM points_ledgertransaction WHERE reference <> ''")
        txns = {reference: pk for pk, reference in cursor.fetchall()}
        rows = [
            (txns["single"], mine.pk, 5, 104),
            (txns["mixed"], theirs.pk, 2, 32),
            (txns["mixed"], moral.pk, -2, 5),
        ]
        for txn, account, amount, after in rows:
            cursor.execute(
                "INSERT INTO points_entry (transaction_id, account_id, amount, balance_after,"
                " reason, created_at) VALUES (%s, %s, %s, %s, 'adjustment', %s)",
                [txn, account, amount, after, now],
            )
        # A lot on a moral account.
        cursor.execute(
            "INSERT INTO points_lot (account_id, month, expires_on, remaining)"
            " VALUES (%s, '2026-01-01', '2027-01-31', 4)",
            [moral.pk],
        )
    report = ledger_verify()
    assert same(report, verify_in_four_queries())
    text = "\n".join(report.problems)
    for expected in (
        f"account {mine.key}: balance 99 but its entries sum to 105",
        f"account {mine.key}: balance 99 but the last entry says 104",
        f"account {theirs.key}: negative balance -3",
        f"transaction {txns['empty']} (adjustment): 0 entries summing to 0",
        f"transaction {txns['single']} (adjustment): 1 entries summing to 5",
        f"transaction {txns['mixed']} (adjustment): 2 entries summing to 0 across currencies",
        f"account {moral.key}: 1 lot(s) on a resident moral account",
        f"account {theirs.key}: balance -3 but its lots hold 30",
    ):
        assert expected in text, text
    assert len(report.problems) <= MAX_REPORTED
