"""The only code that writes ledger entries or changes an account's balance.

A posting is one database transaction (a savepoint inside the caller's, unless the
caller says it needs none): the transaction row, the balance updates (accounts locked
in primary-key order, so two postings never wait on each other in a cycle) and the
entries, all of it one statement. The database's CHECK constraint on
`Account.balance` refuses an overdraft; `Overdrawn` says which account.

Lots (docs/points-expiry.md): every line on a resident's redeemable account also moves
its lots, whoever posts it: a credit adds to the lot of the current Asia/Shanghai month,
a debit takes from the lots that expire first (the oldest): two more CTEs of the same
statement; a debit of a resident's redeemable account first locks the posting's accounts
in one statement of their own, so that the posting's snapshot sees every lot change
committed before (see `_lock_before_debit`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core import metrics

from . import lots
from .models import MAX_POINTS, Account, Currency, Entry, LedgerTransaction, Lot

_ACCOUNT = Account._meta.db_table
_TXN = LedgerTransaction._meta.db_table
_ENTRY = Entry._meta.db_table
_LOT = Lot._meta.db_table
# One resident's account row, locked (resident_account_lock).
_ACCOUNT_LOCK_SQL = f"SELECT id, balance FROM {_ACCOUNT} WHERE key = %s FOR NO KEY UPDATE"  # noqa: S608
# The account created if missing (every UNIQUE an arbiter), else locked.
_ACCOUNT_CREATE_OR_LOCK_SQL = f"""
WITH created AS (
    INSERT INTO {_ACCOUNT} (key, kind, currency, owner_id, balance, created_at)
    VALUES (%s, %s, %s, %s, 0, %s)
    ON CONFLICT DO NOTHING
    RETURNING id, balance
)
SELECT id, balance FROM created
UNION ALL
SELECT * FROM ({_ACCOUNT_LOCK_SQL}) existing
"""  # noqa: S608
# The same as two CTEs another module's statement carries (the review's INSERT,
# cadres.services): the lock is taken only if that statement's CTE `ins` has a row.
RESIDENT_ACCOUNT_LOCK_CTES_SQL = f"""
account_new AS (
    INSERT INTO {_ACCOUNT} (key, kind, currency, owner_id, balance, created_at)
    SELECT %s, %s, %s, %s, 0, %s WHERE EXISTS (SELECT 1 FROM ins)
    ON CONFLICT DO NOTHING
    RETURNING id, balance
),
account_locked AS (
    SELECT id, balance FROM account_new
    UNION ALL
    SELECT * FROM (
        SELECT id, balance FROM {_ACCOUNT} WHERE key = %s AND EXISTS (SELECT 1 FROM ins)
        FOR NO KEY UPDATE
    ) existing
)"""  # noqa: S608
# The posting's saved accounts locked in the posting's order (_lock_before_debit).
_LOCK_BEFORE_DEBIT_SQL = f"""
SELECT a.id FROM {_ACCOUNT} a
JOIN unnest(%s::bigint[]) WITH ORDINALITY u(id, n) ON u.id = a.id
ORDER BY u.n
FOR NO KEY UPDATE OF a
"""  # noqa: S608

# lots_expire's batch of accounts locked in primary-key order (the order every posting
# locks in): reached by the primary key's index, never a scan of every account (the
# join to unnest above hashes the whole table when the batch is large).
_LOCK_ACCOUNTS_BY_ID_SQL = f"""
SELECT id FROM {_ACCOUNT} WHERE id = ANY(%s::bigint[])
ORDER BY id
FOR NO KEY UPDATE
"""  # noqa: S608

# System accounts that every award draws from are split in shards: a single issuance
# row would serialise every award of the district on its row lock.
ISSUANCE_SHARDS = 16

# Counted in the process when the posting commits (no SQL statement): core/metrics.py.
POINTS_ISSUED = metrics.counter(
    "duoduo_points_issued",
    "Points credited to residents' accounts, by currency and the posting's reason.",
    ("currency", "reason"),
)
POINTS_SPENT = metrics.counter(
    "duoduo_points_spent",
    "Points debited from residents' accounts, by currency and the posting's reason.",
    ("currency", "reason"),
)


def _count_points(reason: str, lines: list[tuple[Account, int]]) -> None:
    for account, amount in lines:
        if account.kind == Account.Kind.RESIDENT and amount:
            counter = POINTS_ISSUED if amount > 0 else POINTS_SPENT
            counter.labels(currency=account.currency, reason=reason).inc(abs(amount))


class Overdrawn(Exception):
    """A posting would take an account below zero (the CHECK constraint said no)."""

    def __init__(self, account: Account):
        self.account = account
        super().__init__(f"account {account.key} would go below zero")


class AlreadyPosted(Exception):
    """A transaction with this reason and reference exists already."""


@dataclass
class Posted:
    transaction: LedgerTransaction
    balances: dict[int, int] = field(default_factory=dict)

    def balance_of(self, account: Account) -> int:
        return self.balances[account.pk]


def resident_account(*, user, currency: str = Currency.REDEEMABLE) -> Account:
    key = f"{'r' if currency == Currency.REDEEMABLE else 'm'}:{user.pk}"
    account = Account.objects.filter(key=key).first()
    if account is None:
        # INSERT ... ON CONFLICT DO NOTHING: no savepoint, and a concurrent first posting
        # for the same resident simply finds the row the other one made.
        Account.objects.bulk_create(
            [Account(key=key, kind=Account.Kind.RESIDENT, currency=currency, owner=user)],
            ignore_conflicts=True,
        )
        account = Account.objects.get(key=key)
    return account


def system_account(*, kind: str, currency: str, shard: int = 0) -> Account:
    key = f"{kind}:{currency}:{shard % ISSUANCE_SHARDS}"
    account = Account.objects.filter(key=key).first()
    if account is None:
        account, _created = Account.objects.get_or_create(
            key=key, defaults={"kind": kind, "currency": currency}
        )
    return account


def issuance_account(*, currency: str, shard: int = 0) -> Account:
    return system_account(kind=Account.Kind.ISSUANCE, currency=currency, shard=shard)


def issuance_account_unsaved(*, currency: str, shard: int = 0) -> Account:
    """An issuance shard for a posting that creates it if missing: no read before `post`."""
    return Account(
        key=f"{Account.Kind.ISSUANCE}:{currency}:{shard % ISSUANCE_SHARDS}",
        kind=Account.Kind.ISSUANCE,
        currency=currency,
    )


def resident_account_lock(*, user_id: int, currency: str = Currency.REDEEMABLE) -> Account:
    """The resident's account, created if missing and row-locked until the transaction ends.

    One statement: INSERT ... ON CONFLICT DO NOTHING (every UNIQUE an arbiter, so a
    concurrent creation never errors) and, for an existing row, SELECT ... FOR NO KEY
    UPDATE. A row another transaction created after this statement began is not in its
    snapshot: a second SELECT finds and locks it. Callers serialise one resident's
    postings on the lock.
    """
    account = Account(
        key=f"{'r' if currency == Currency.REDEEMABLE else 'm'}:{user_id}",
        kind=Account.Kind.RESIDENT,
        currency=currency,
        owner_id=user_id,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            _ACCOUNT_CREATE_OR_LOCK_SQL,
            [account.key, account.kind, account.currency, user_id, timezone.now(), account.key],
        )
        row = cursor.fetchone()
        if row is None:
            cursor.execute(_ACCOUNT_LOCK_SQL, [account.key])
            row = cursor.fetchone()
    account.pk, account.balance = row
    account._state.adding = False
    return account


def resident_account_lock_cte(*, user_id: int) -> tuple[list, Account]:
    """`resident_account_lock` as two CTEs (RESIDENT_ACCOUNT_LOCK_CTES_SQL: `account_new`,
    `account_locked`) for another module's statement to carry, so that the lock costs no
    round trip of its own: the review's INSERT locks its reviewer's account this way
    (cadres.services), once its CTE `ins` has a row.

    Returns (the CTEs' parameters, the unsaved Account); pass the statement's
    `account_locked` row (id, balance) to `resident_account_locked`. The caveat of
    `resident_account_lock` holds: a row another transaction created meanwhile is not in
    the statement's snapshot; `resident_account_locked` then locks it in a statement of
    its own.
    """
    account = resident_account_unsaved(user_id=user_id)
    params = [account.key, account.kind, account.currency, user_id, timezone.now(), account.key]
    return params, account


def resident_account_locked(account: Account, row: tuple | None) -> Account:
    """The account of `resident_account_lock_cte`, from its statement's row."""
    if row is None or row[0] is None:
        if account.owner_id is None:  # not the Account of resident_account_lock_cte
            raise ValueError("a resident's account has its owner")
        return resident_account_lock(user_id=account.owner_id)
    account.pk, account.balance = row
    account._state.adding = False
    return account


def _check_lines(lines: list[tuple[Account, int]]) -> None:
    if len(lines) < 2:
        raise ValueError("a transaction needs at least two entries")
    if len({account.pk for account, _ in lines}) != len(lines):
        raise ValueError("one entry per account in a transaction")
    if len({account.currency for account, _ in lines}) != 1:
        # Moral points never turn into redeemable ones, nor the other way.
        raise ValueError("a transaction moves one currency only")
    for _account, amount in lines:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ValueError("amounts are integers")
        if amount == 0 or abs(amount) > MAX_POINTS * 1000:
            raise ValueError("amount out of bounds")
    if sum(amount for _, amount in lines) != 0:
        raise ValueError("entries of a transaction sum to zero")


def _lock_order(line: tuple[Account, int]) -> tuple[bool, int]:
    """Primary-key order, except that campaign pools come last.

    A pool row is the hot one: every winner of a grab updates it. Locked last, it is
    held only for the entry insert and the commit. No deadlock follows: only campaign
    claims and the campaign's funding touch a pool, and all of them lock it last.
    (An unsaved account comes first, created-or-moved: a claim's resident account, see
    `resident_account_unsaved`, with a pool as the other side; a review award's issuance
    shard, see `issuance_account_unsaved`, with the resident's account locked before.)
    """
    account = line[0]
    return (account.kind == Account.Kind.POOL, account.pk or 0)


def resident_account_unsaved(*, user_id: int) -> Account:
    """A resident's redeemable account for a credit that creates it if missing.

    `post` turns it into one INSERT ... ON CONFLICT DO UPDATE (create-or-credit), which
    spares a claim three round trips on a resident's first points.
    """
    return Account(
        key=f"r:{user_id}",
        kind=Account.Kind.RESIDENT,
        currency=Currency.REDEEMABLE,
        owner_id=user_id,
    )


def post(
    *,
    reason: str,
    lines: list[tuple[Account, int]],
    reference: str = "",
    memo: str = "",
    created_by=None,
    savepoint: bool = True,
    locked: bool = False,
    also: Sequence[tuple[str, dict]] = (),
) -> Posted:
    """Move points: `lines` are (account, signed amount) pairs that sum to zero.
    `created_by`: the user who asked, of whom only the `pk` is read (an API's token user
    will do).

    `savepoint=False` spares the savepoint (two statements) for a caller that does not
    go on with its transaction after AlreadyPosted or Overdrawn: the error then rolls
    back the caller's whole transaction. `locked=True`: the caller locked the lines'
    saved accounts, in `_lock_order`, in an earlier statement of its transaction (the
    payment at a counter, merchants.services), which `_lock_before_debit` would do.
    `also`: more data-modifying CTEs (`name AS (...)`), each with its parameters, run in
    the posting's statement so that writes of the caller commit with it in no round trip
    of their own (the payment's stored answer and notices); their parameter names must
    be their own.
    """
    _check_lines(lines)
    now = timezone.now()
    ordered = sorted(lines, key=_lock_order)
    with transaction.atomic(savepoint=savepoint):
        # An error inside this block rolls back to its savepoint, whatever is raised.
        if not locked and _debits_a_resident(ordered):
            _lock_before_debit(ordered)
        txn_id, balances = _post_in_one_statement(
            reason=reason,
            reference=reference,
            memo=memo,
            created_by_id=int(created_by.pk) if created_by is not None else None,
            now=now,
            lines=ordered,
            also=also,
        )
        txn = LedgerTransaction(
            id=txn_id,
            reason=reason,
            reference=reference,
            memo=memo,
            created_by_id=int(created_by.pk) if created_by is not None else None,
            created_at=now,
        )
        txn._state.adding = False
        txn._state.db = connection.alias
        posted = Posted(transaction=txn)
        for (account, _amount), balance in zip(ordered, balances, strict=True):
            account.balance = balance
            posted.balances[account.pk] = balance
        transaction.on_commit(lambda: _count_points(reason, ordered))
    return posted


def _debits_a_resident(lines: list[tuple[Account, int]]) -> bool:
    """Whether a line may debit a resident's redeemable account (unknown kind: maybe)."""
    return any(
        amount < 0
        and account.pk is not None
        and account.kind in (Account.Kind.RESIDENT, "")
        and account.currency in (Currency.REDEEMABLE, "")
        for account, amount in lines
    )


def _lock_before_debit(lines: list[tuple[Account, int]]) -> None:
    """Lock the posting's saved accounts, in the posting's lock order, in a statement
    before it.

    A debit reads the account's lots to take the oldest first. Read in the posting's own
    statement, they would come from that statement's snapshot, taken before it waited for
    the account's row lock: blind to what the posting that held the lock did to them.
    Locked in an earlier statement, the posting's snapshot follows every posting that
    held the account before (each one moves lots only while it holds the account's lock).
    Credits need none of this: `INSERT ... ON CONFLICT DO UPDATE` adds to the latest
    version of the month's lot. So the review award and the grab keep their statements.
    """
    ids = [account.pk for account, _amount in lines if account.pk is not None]
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_BEFORE_DEBIT_SQL, [ids])
        cursor.fetchall()


# One statement: the transaction row, the accounts created-or-credited (at most one
# unsaved account, see _check_lines) and then the saved ones locked in the lines' order
# (the scalar subquery on `created` makes it run before `locked` takes its locks),
# their balances moved, and one entry per account with the balance it leaves. The lots
# of resident redeemable accounts move with them (`lot_credit`, `lot_debit`: after the
# account rows are moved, since both read `moved`): a credit adds to the month's lot, a
# debit takes from the oldest lots, each lot giving at most what it holds.
# `LIMIT %(count)s` (the number of lines, so it drops none) is for the prepared plan: a
# generic plan counts an unnest of parameters as 10 rows, a LIMIT of a parameter as a
# tenth of them, one. Counting 10, the generic plan looked dearer than planning each
# posting for its 2 lines, and PostgreSQL planned every posting (docs/prepared-statements.md).
_POST_CTES_SQL = f"""
WITH txn AS (
    INSERT INTO {_TXN} (reason, reference, memo, created_by_id, created_at)
    VALUES (%(reason)s, %(reference)s, %(memo)s, %(created_by)s, %(now)s)
    RETURNING id
),
lines (n, id, key, kind, currency, owner_id, amount) AS (
    SELECT * FROM unnest(
        %(n)s::int[], %(ids)s::bigint[], %(keys)s::varchar[], %(kinds)s::varchar[],
        %(currencies)s::varchar[], %(owners)s::bigint[], %(amounts)s::bigint[]
    ) LIMIT %(count)s
),
created AS (
    INSERT INTO {_ACCOUNT} (key, kind, currency, owner_id, balance, created_at)
    SELECT key, kind, currency, owner_id, amount, %(now)s FROM lines
    WHERE id IS NULL ORDER BY n
    ON CONFLICT (key) DO UPDATE SET balance = {_ACCOUNT}.balance + excluded.balance
    RETURNING id, key, balance, kind, currency
),
locked AS MATERIALIZED (
    SELECT a.id FROM {_ACCOUNT} a JOIN lines l ON l.id = a.id
    WHERE (SELECT count(*) FROM created) >= 0
    ORDER BY l.n
    FOR NO KEY UPDATE OF a
),
updated AS (
    UPDATE {_ACCOUNT} a SET balance = a.balance + l.amount
    FROM lines l, locked k
    WHERE a.id = l.id AND k.id = a.id
    RETURNING l.n, a.id, a.balance, a.kind, a.currency
),
moved AS (
    SELECT n, id, balance, kind, currency FROM updated
    UNION ALL
    SELECT l.n, c.id, c.balance, c.kind, c.currency
    FROM created c JOIN lines l ON l.key = c.key AND l.id IS NULL
),
lot_credit AS (
    INSERT INTO {_LOT} (account_id, month, expires_on, remaining)
    SELECT m.id, %(month)s, %(expires_on)s, l.amount FROM moved m JOIN lines l ON l.n = m.n
    WHERE l.amount > 0 AND m.kind = 'resident' AND m.currency = 'redeemable'
    ON CONFLICT (account_id, month) DO UPDATE SET remaining = {_LOT}.remaining + excluded.remaining
),
lot_debit AS (
    UPDATE {_LOT} t SET remaining = t.remaining - LEAST(t.remaining, d.need - d.before)
    FROM (
        SELECT o.id, -l.amount AS need, COALESCE(SUM(o.remaining) OVER (
            PARTITION BY o.account_id ORDER BY o.expires_on, o.month
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
        FROM moved m JOIN lines l ON l.n = m.n JOIN {_LOT} o ON o.account_id = m.id
        WHERE l.amount < 0 AND m.kind = 'resident' AND m.currency = 'redeemable'
              AND o.remaining > 0
    ) d
    WHERE t.id = d.id AND d.before < d.need
)"""  # noqa: S608
_POST_ENTRIES_SQL = f"""
INSERT INTO {_ENTRY} (transaction_id, account_id, amount, balance_after, reason, created_at)
SELECT txn.id, m.id, l.amount, m.balance, %(reason)s, %(now)s
FROM txn, moved m JOIN lines l ON l.n = m.n
ORDER BY m.n
RETURNING transaction_id, account_id, balance_after
"""  # noqa: S608
_POST_SQL = _POST_CTES_SQL + _POST_ENTRIES_SQL


@cache
def post_also_sql(ctes: tuple[str, ...]) -> str:
    """The posting's statement with a caller's CTEs (`post`'s `also`, statement constants
    of their modules) after its own: made once per process for each caller. A statement
    builder (docs/conventions.md, "Raw SQL")."""
    return _POST_CTES_SQL + "".join(f",\n{cte.strip()}" for cte in ctes) + _POST_ENTRIES_SQL


def _constraint_name(error: IntegrityError) -> str:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""


def _overdrawn_account(lines: list[tuple[Account, int]]) -> Account:
    """Which account the CHECK refused: the first debited one that may not go negative."""
    debited = [account for account, amount in lines if amount < 0]
    exempt = (Account.Kind.ISSUANCE, Account.Kind.ADJUSTMENT)
    return next((account for account in debited if account.kind not in exempt), debited[0])


def _post_in_one_statement(*, reason, reference, memo, created_by_id, now, lines, also=()):
    month, expires_on = lots.lot_dates(now)
    params = {
        "month": month,
        "expires_on": expires_on,
        "reason": reason,
        "reference": reference,
        "memo": memo,
        "created_by": created_by_id,
        "now": now,
        "n": list(range(len(lines))),
        "count": len(lines),
        "ids": [account.pk for account, _ in lines],
        "keys": [account.key for account, _ in lines],
        "kinds": [account.kind for account, _ in lines],
        "currencies": [account.currency for account, _ in lines],
        "owners": [account.owner_id for account, _ in lines],
        "amounts": [amount for _, amount in lines],
    }
    for _also_sql, also_params in also:
        if params.keys() & also_params.keys():
            raise ValueError("ledger.post: `also` reuses a parameter name")
        params = {**params, **also_params}
    try:
        with connection.cursor() as cursor:
            if also:
                cursor.execute(post_also_sql(tuple(sql for sql, _params in also)), params)
            else:
                cursor.execute(_POST_SQL, params)
            rows = cursor.fetchall()
    except IntegrityError as error:
        constraint = _constraint_name(error)
        if constraint == "points_transaction_unique_reference":
            raise AlreadyPosted(f"{reason} {reference}") from None
        if constraint == "points_account_balance_not_negative":
            raise Overdrawn(_overdrawn_account(lines)) from None
        raise
    if len(rows) != len(lines):
        missing = {account.pk for account, _ in lines} - {row[1] for row in rows}
        raise ValueError(f"no account {', '.join(map(str, sorted(missing, key=str)))}")
    for (account, _amount), row in zip(lines, rows, strict=True):
        if account.pk is None:
            account.pk = account.id = row[1]
    return rows[0][0], [row[2] for row in rows]


# --- Expiry of many accounts' lots in one statement (points.services.points_expire).

# Every table is reached through the batch's ids (`= ANY(%(ids)s)`, an index), never
# scanned whole: a batch costs the same on the first account as on the last.
# The accounts were locked by the statement before (`_LOCK_ACCOUNTS_BY_ID_SQL`), so the
# lots read here are every spend's that committed before. Per due lot, as `post` would
# write it: one transaction `lot:<id>` (a lot already expired by such a transaction is
# left out: one probe of the UNIQUE index per lot, which is partial, hence `<> ''`,
# and a LATERAL ... LIMIT 1, so that no plan reads every expiry ever posted; each
# lot's transaction id drawn from the sequence beforehand, so that its entries need no
# join back to the transactions; the sequence looked up once, not per lot), the
# resident's entry and the expiry account's, the balances moved and the
# lot emptied. A lot that would take its account below zero (lots that disagree with the
# balance) stays, and so do that account's lots expiring after it (`failed`); the
# CHECK on the balance refuses whatever got past this.
_EXPIRE_LOTS_SQL = f"""
WITH due AS MATERIALIZED (
    SELECT l.id, l.account_id, a.key, l.remaining, l.month, l.expires_on, a.balance,
           SUM(l.remaining) OVER (PARTITION BY l.account_id
                                  ORDER BY l.expires_on, l.month, l.id) AS taken
    FROM {_LOT} l JOIN {_ACCOUNT} a ON a.id = l.account_id
    LEFT JOIN LATERAL (
        SELECT 1 AS found FROM {_TXN} t WHERE t.reason = %(reason)s
            AND t.reference = 'lot:' || l.id AND t.reference <> '' LIMIT 1
    ) posted ON true
    WHERE l.account_id = ANY(%(ids)s) AND a.id = ANY(%(ids)s) AND l.remaining > 0
      AND l.expires_on < %(today)s AND posted.found IS NULL
),
ok AS MATERIALIZED (
    SELECT d.*, SUM(d.remaining) OVER (ORDER BY d.account_id, d.taken) AS running,
           nextval((SELECT pg_get_serial_sequence('{_TXN}', 'id'))::regclass) AS txn_id
    FROM due d WHERE d.taken <= d.balance
),
failed AS (
    SELECT DISTINCT ON (account_id) id, key FROM due WHERE taken > balance
    ORDER BY account_id, taken
),
txn AS (
    INSERT INTO {_TXN} (id, reason, reference, memo, created_by_id, created_at)
    SELECT txn_id, %(reason)s, 'lot:' || id,
           to_char(month, 'YYYY-MM') || ', last day ' || to_char(expires_on, 'YYYY-MM-DD'),
           NULL, %(now)s
    FROM ok ORDER BY account_id, taken
    RETURNING id, reference
),
expired AS (
    UPDATE {_ACCOUNT} SET balance = balance + (SELECT COALESCE(SUM(remaining), 0) FROM ok)
    WHERE id = %(expiry)s
    RETURNING balance - (SELECT COALESCE(SUM(remaining), 0) FROM ok) AS before
),
taken_from AS (
    UPDATE {_ACCOUNT} a SET balance = a.balance - s.total
    FROM (SELECT account_id, SUM(remaining) AS total FROM ok GROUP BY account_id) s
    WHERE a.id = s.account_id
    RETURNING a.id
),
emptied AS (
    UPDATE {_LOT} l SET remaining = 0 FROM ok
    WHERE l.id = ok.id AND l.account_id = ANY(%(ids)s) RETURNING l.id
),
entries AS (
    INSERT INTO {_ENTRY} (transaction_id, account_id, amount, balance_after, reason, created_at)
    SELECT ok.txn_id, x.account_id, x.amount, x.balance_after, %(reason)s, %(now)s
    FROM ok CROSS JOIN expired
    CROSS JOIN LATERAL (VALUES
        (ok.account_id, -ok.remaining, ok.balance - ok.taken),
        (%(expiry)s::bigint, ok.remaining, expired.before + ok.running)
    ) x (account_id, amount, balance_after)
    ORDER BY ok.txn_id, x.account_id
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM txn), (SELECT COALESCE(SUM(remaining), 0) FROM ok)::bigint,
       (SELECT COUNT(*) FROM entries), NULL::bigint, ''
UNION ALL
SELECT NULL, NULL, NULL, id, key FROM failed
"""  # noqa: S608


@dataclass
class Expired:
    lots: int = 0
    points: int = 0
    # (lot id, account key) of each account's first lot that its balance did not cover.
    failed: list[tuple[int, str]] = field(default_factory=list)


def lots_expire(*, account_ids: list[int], today, expiry: Account) -> Expired:
    """Expire the unspent lots of `account_ids` whose last day is before `today`, two
    statements for all of them: the accounts locked in primary-key order (the order
    every posting locks in), then every lot posted (`_EXPIRE_LOTS_SQL`); the expiry
    account, the one row every batch shares, is locked last and held only to the
    commit. Run it in a transaction of its own (the locks are held to its end)."""
    if expiry.kind != Account.Kind.EXPIRY:
        raise ValueError("lots expire into the expiry account")
    ids = sorted(set(account_ids))
    result = Expired()
    if not ids:
        return result
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_ACCOUNTS_BY_ID_SQL, [ids])
        cursor.fetchall()
        cursor.execute(
            _EXPIRE_LOTS_SQL,
            {
                "ids": ids,
                "today": today,
                "reason": LedgerTransaction.Reason.EXPIRY,
                "now": now,
                "expiry": expiry.pk,
            },
        )
        rows = cursor.fetchall()
    (result.lots, result.points, entries, _lot, _key), *failed = rows
    if entries != 2 * result.lots:
        raise ValueError(f"{entries} entries for {result.lots} expired lots")
    result.failed = [(lot_id, key) for _n, _p, _e, lot_id, key in failed]
    if result.points:
        points = result.points
        transaction.on_commit(
            lambda: POINTS_SPENT.labels(
                currency=expiry.currency, reason=LedgerTransaction.Reason.EXPIRY
            ).inc(points)
        )
    return result
