"""The only code that writes ledger entries or changes an account's balance.

A posting is one database transaction (a savepoint inside the caller's): the
transaction row, one balance update per account (in primary-key order, so two
postings never wait on each other in a cycle) and the entries. The database's CHECK
constraint on `Account.balance` refuses an overdraft; `Overdrawn` says which account.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import MAX_POINTS, Account, Currency, Entry, LedgerTransaction

# System accounts that every award draws from are split in shards: a single issuance
# row would serialise every award of the district on its row lock.
ISSUANCE_SHARDS = 16


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
    (An unsaved resident account, see `resident_account_unsaved`, comes first: only
    claims use it, with a pool as the other side.)
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


def _upsert(cursor, table: str, account: Account, amount: int, now):
    cursor.execute(
        f"INSERT INTO {table} (key, kind, currency, owner_id, balance, created_at) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s) "
        f"ON CONFLICT (key) DO UPDATE SET balance = {table}.balance + excluded.balance "
        "RETURNING balance, id",
        [account.key, account.kind, account.currency, account.owner_id, amount, now],
    )
    return cursor.fetchone()


def post(
    *,
    reason: str,
    lines: list[tuple[Account, int]],
    reference: str = "",
    memo: str = "",
    created_by=None,
) -> Posted:
    """Move points: `lines` are (account, signed amount) pairs that sum to zero."""
    _check_lines(lines)
    now = timezone.now()
    table = Account._meta.db_table
    with transaction.atomic():
        # An error inside this block rolls back to its savepoint, whatever is raised.
        try:
            txn = LedgerTransaction.objects.create(
                reason=reason,
                reference=reference,
                memo=memo,
                created_by=created_by,
                created_at=now,
            )
        except IntegrityError:
            raise AlreadyPosted(f"{reason} {reference}") from None
        posted = Posted(transaction=txn)
        entries = []
        with connection.cursor() as cursor:
            for account, amount in sorted(lines, key=_lock_order):
                try:
                    if account.pk is None:
                        row = _upsert(cursor, table, account, amount, now)
                        account.pk = account.id = row[1]
                    else:
                        cursor.execute(
                            f"UPDATE {table} SET balance = balance + %s WHERE id = %s "  # noqa: S608
                            "RETURNING balance",
                            [amount, account.pk],
                        )
                        row = cursor.fetchone()
                except IntegrityError:
                    raise Overdrawn(account) from None
                if row is None:
                    raise ValueError(f"no account {account.pk}")
                account.balance = row[0]
                posted.balances[account.pk] = row[0]
                entries.append(
                    Entry(
                        transaction=txn,
                        account=account,
                        amount=amount,
                        balance_after=row[0],
                        reason=reason,
                        created_at=now,
                    )
                )
        Entry.objects.bulk_create(entries)
    return posted
