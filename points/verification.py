"""The ledger's invariants, checked in one SQL statement so a million entries take seconds."""

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

# Every check in one statement: the entries read twice (grouped by account, then by
# transaction), the accounts and lots once. The first row carries the counts (kind 0),
# each further row one problem, in the report's order (kind 1 to 5), at most
# MAX_REPORTED of them.
#   1, 2. Each balance equals the sum of its entries, and the last entry's balance_after.
#   3. Each transaction has two or more entries summing to zero, in one currency.
#   4. No resident, pool or merchant balance below zero.
#   5. The unspent lots of each resident redeemable account sum to its balance; no other
#      account has lots (moral points do not expire).
_VERIFY_SQL = f"""
WITH per_account AS (
    SELECT account_id, SUM(amount) AS total, COUNT(*) AS entries, MAX(id) AS last_id
    FROM {_ENTRY} GROUP BY account_id
),
accounts AS MATERIALIZED (
    SELECT a.id, a.key, a.kind, a.currency, a.balance, COALESCE(s.total, 0) AS total,
           COALESCE(s.entries, 0) AS entries, last.balance_after AS last_after
    FROM {_ACCOUNT} a
    LEFT JOIN per_account s ON s.account_id = a.id
    LEFT JOIN {_ENTRY} last ON last.id = s.last_id
),
per_txn AS (
    SELECT e.transaction_id, SUM(e.amount) AS total, COUNT(*) AS entries,
           MIN(a.currency) <> MAX(a.currency) AS currencies
    FROM {_ENTRY} e JOIN {_ACCOUNT} a ON a.id = e.account_id
    GROUP BY e.transaction_id
),
per_lot_account AS (
    SELECT account_id, SUM(remaining) AS total, COUNT(*) AS lots FROM {_LOT} GROUP BY account_id
),
problems (kind, id, key, word, a, b, c, flag) AS (
    SELECT 1, id, key, '', balance, total, 0::bigint, false FROM accounts WHERE balance <> total
    UNION ALL
    SELECT 2, id, key, '', balance, last_after, 0, false FROM accounts
    WHERE last_after IS NOT NULL AND last_after <> balance
    UNION ALL
    SELECT 3, t.id, '', t.reason, COALESCE(p.total, 0), COALESCE(p.entries, 0), 0,
           COALESCE(p.currencies, false)
    FROM {_TXN} t LEFT JOIN per_txn p ON p.transaction_id = t.id
    WHERE p.transaction_id IS NULL OR p.total <> 0 OR p.entries < 2 OR p.currencies
    UNION ALL
    SELECT 4, id, key, '', balance, 0, 0, false FROM accounts
    WHERE balance < 0 AND kind NOT IN ('issuance', 'adjustment')
    UNION ALL
    SELECT 5, a.id, a.key, a.kind || ' ' || a.currency, a.balance, COALESCE(l.total, 0),
           l.lots, a.kind = 'resident' AND a.currency = 'redeemable'
    FROM accounts a LEFT JOIN per_lot_account l ON l.account_id = a.id
    WHERE (a.kind = 'resident' AND a.currency = 'redeemable' AND a.balance <> COALESCE(l.total, 0))
       OR ((a.kind <> 'resident' OR a.currency <> 'redeemable') AND l.lots > 0)
)
(SELECT 0, 0::bigint, '', '', (SELECT COUNT(*) FROM accounts),
        (SELECT COUNT(*) FROM {_TXN}), (SELECT COALESCE(SUM(entries), 0) FROM accounts), false)
UNION ALL
(SELECT * FROM problems ORDER BY kind, id LIMIT %s)
ORDER BY 1, 2
"""  # noqa: S608


def ledger_verify() -> Report:
    """Every invariant of the ledger checked in one statement (`_VERIFY_SQL`)."""
    report = Report()
    with connection.cursor() as cursor:
        cursor.execute(_VERIFY_SQL, [MAX_REPORTED])
        rows = cursor.fetchall()
    _kind, _id, _key, _word, report.accounts, report.transactions, report.entries, _flag = rows[0]
    for kind, pk, key, word, a, b, c, flag in rows[1:]:
        if kind == 1:
            report.problems.append(f"account {key}: balance {a} but its entries sum to {b}")
        elif kind == 2:
            report.problems.append(f"account {key}: balance {a} but the last entry says {b}")
        elif kind == 3:
            report.problems.append(
                f"transaction {pk} ({word}): {b} entries summing to {a}"
                + (" across currencies" if flag else "")
            )
        elif kind == 4:
            report.problems.append(f"account {key}: negative balance {a}")
        elif flag:
            report.problems.append(f"account {key}: balance {a} but its lots hold {b}")
        else:
            report.problems.append(f"account {key}: {c} lot(s) on a {word} account")
    return report
