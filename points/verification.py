"""The ledger's invariants, checked in SQL so a million entries take seconds."""

from dataclasses import dataclass, field

from django.db import connection

from .models import Account, Entry, LedgerTransaction, Lot

MAX_REPORTED = 1000


@dataclass
class Report:
    accounts: int = 0
    transactions: int = 0
    entries: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


_ACCOUNT = Account._meta.db_table
_ENTRY = Entry._meta.db_table
_TXN = LedgerTransaction._meta.db_table
_LOT = Lot._meta.db_table

_ACCOUNTS_COUNT_SQL = f"SELECT COUNT(*) FROM {_ACCOUNT}"  # noqa: S608
_TRANSACTIONS_COUNT_SQL = f"SELECT COUNT(*) FROM {_TXN}"  # noqa: S608
# 1. Each balance equals the sum of its entries; the last entry's balance_after too.
_BALANCES_SQL = f"""
SELECT a.key, a.balance, COALESCE(s.total, 0), s.entries,
       (SELECT e.balance_after FROM {_ENTRY} e WHERE e.account_id = a.id
        ORDER BY e.id DESC LIMIT 1)
FROM {_ACCOUNT} a
LEFT JOIN (SELECT account_id, SUM(amount) AS total, COUNT(*) AS entries
           FROM {_ENTRY} GROUP BY account_id) s ON s.account_id = a.id
"""  # noqa: S608
# 2. Each transaction has two or more entries summing to zero, in one currency.
_UNBALANCED_TRANSACTIONS_SQL = f"""
SELECT t.id, t.reason, COALESCE(SUM(e.amount), 0), COUNT(e.id), COUNT(DISTINCT a.currency)
FROM {_TXN} t
LEFT JOIN {_ENTRY} e ON e.transaction_id = t.id
LEFT JOIN {_ACCOUNT} a ON a.id = e.account_id
GROUP BY t.id, t.reason
HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2 OR COUNT(DISTINCT a.currency) > 1
"""  # noqa: S608
# 3. No resident, pool or merchant balance below zero.
_NEGATIVE_BALANCES_SQL = f"""
SELECT key, balance FROM {_ACCOUNT}
WHERE balance < 0 AND kind NOT IN ('issuance', 'adjustment')
"""  # noqa: S608
# 4. The unspent lots of each resident redeemable account sum to its balance; no other
#    account has lots (moral points do not expire).
_LOTS_SQL = f"""
SELECT a.key, a.kind, a.currency, a.balance, COALESCE(s.total, 0), s.lots
FROM {_ACCOUNT} a
LEFT JOIN (SELECT account_id, SUM(remaining) AS total, COUNT(*) AS lots
           FROM {_LOT} GROUP BY account_id) s ON s.account_id = a.id
WHERE (a.kind = 'resident' AND a.currency = 'redeemable' AND a.balance <> COALESCE(s.total, 0))
   OR ((a.kind <> 'resident' OR a.currency <> 'redeemable') AND s.lots > 0)
"""  # noqa: S608


def ledger_verify() -> Report:
    report = Report()
    with connection.cursor() as cursor:
        cursor.execute(_ACCOUNTS_COUNT_SQL)
        report.accounts = cursor.fetchone()[0]
        cursor.execute(_TRANSACTIONS_COUNT_SQL)
        report.transactions = cursor.fetchone()[0]

        cursor.execute(_BALANCES_SQL)
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

        cursor.execute(_UNBALANCED_TRANSACTIONS_SQL)
        for pk, reason, total, count, currencies in cursor.fetchall():
            report.problems.append(
                f"transaction {pk} ({reason}): {count} entries summing to {total}"
                + (" across currencies" if currencies > 1 else "")
            )

        cursor.execute(_NEGATIVE_BALANCES_SQL)
        for key, balance in cursor.fetchall():
            report.problems.append(f"account {key}: negative balance {balance}")

        cursor.execute(_LOTS_SQL)
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
