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


def ledger_verify() -> Report:
    account = Account._meta.db_table
    entry = Entry._meta.db_table
    txn = LedgerTransaction._meta.db_table
    lot = Lot._meta.db_table
    report = Report()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {account}")  # noqa: S608
        report.accounts = cursor.fetchone()[0]
        cursor.execute(f"SELECT COUNT(*) FROM {txn}")  # noqa: S608
        report.transactions = cursor.fetchone()[0]

        # 1. Each balance equals the sum of its entries; the last entry's balance_after too.
        cursor.execute(
            f"""
            SELECT a.key, a.balance, COALESCE(s.total, 0), s.entries,
                   (SELECT e.balance_after FROM {entry} e WHERE e.account_id = a.id
                    ORDER BY e.id DESC LIMIT 1)
            FROM {account} a
            LEFT JOIN (SELECT account_id, SUM(amount) AS total, COUNT(*) AS entries
                       FROM {entry} GROUP BY account_id) s ON s.account_id = a.id
            """  # noqa: S608
        )
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

        # 2. Each transaction has two or more entries summing to zero, in one currency.
        cursor.execute(
            f"""
            SELECT t.id, t.reason, COALESCE(SUM(e.amount), 0), COUNT(e.id),
                   COUNT(DISTINCT a.currency)
            FROM {txn} t
            LEFT JOIN {entry} e ON e.transaction_id = t.id
            LEFT JOIN {account} a ON a.id = e.account_id
            GROUP BY t.id, t.reason
            HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2
                   OR COUNT(DISTINCT a.currency) > 1
            """  # noqa: S608
        )
        for pk, reason, total, count, currencies in cursor.fetchall():
            report.problems.append(
                f"transaction {pk} ({reason}): {count} entries summing to {total}"
                + (" across currencies" if currencies > 1 else "")
            )

        # 3. No resident, pool or merchant balance below zero.
        cursor.execute(
            f"SELECT key, balance FROM {account} "  # noqa: S608
            "WHERE balance < 0 AND kind NOT IN ('issuance', 'adjustment')"
        )
        for key, balance in cursor.fetchall():
            report.problems.append(f"account {key}: negative balance {balance}")

        # 4. The unspent lots of each resident redeemable account sum to its balance; no
        #    other account has lots (moral points do not expire).
        cursor.execute(
            f"""
            SELECT a.key, a.kind, a.currency, a.balance, COALESCE(s.total, 0), s.lots
            FROM {account} a
            LEFT JOIN (SELECT account_id, SUM(remaining) AS total, COUNT(*) AS lots
                       FROM {lot} GROUP BY account_id) s ON s.account_id = a.id
            WHERE (a.kind = 'resident' AND a.currency = 'redeemable'
                   AND a.balance <> COALESCE(s.total, 0))
               OR ((a.kind <> 'resident' OR a.currency <> 'redeemable') AND s.lots > 0)
            """  # noqa: S608
        )
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
