"""The ledger: double entry, append-only, balances in one row, verify_ledger."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from points import ledger, services
from points.models import Account, Currency, Entry, LedgerTransaction
from points.verification import ledger_verify

pytestmark = pytest.mark.django_db


def test_it_keeps_balances_in_one_row_and_entries_summing_to_zero(resident, grant):
    """A grant moves points from the adjustments account: two entries, sum zero."""
    assert grant(resident, 300) == 300
    txn = LedgerTransaction.objects.get()
    amounts = sorted(txn.entries.values_list("amount", flat=True))
    assert amounts == [-300, 300]
    entry = Entry.objects.get(account__owner=resident)
    assert entry.balance_after == 300
    assert ledger_verify().ok


def test_it_refuses_a_negative_resident_balance_in_the_database(resident):
    """The CHECK constraint, not Python, stops an overdraft."""
    account = ledger.resident_account(user=resident)
    with pytest.raises(IntegrityError), transaction.atomic():
        Account.objects.filter(pk=account.pk).update(balance=-1)


def test_it_refuses_an_overdraft_and_leaves_the_ledger_unchanged(resident, admin_user, grant):
    """An adjustment below zero is refused whole: no transaction, no entry."""
    grant(resident, 50)
    before = (LedgerTransaction.objects.count(), Entry.objects.count())
    account = ledger.resident_account(user=resident)
    with pytest.raises(services.InsufficientPoints):
        services.adjustment_post(account=account, amount=-51, reason="oops", admin=admin_user)
    assert (LedgerTransaction.objects.count(), Entry.objects.count()) == before
    assert Account.objects.get(pk=account.pk).balance == 50


def test_it_refuses_unbalanced_or_mixed_currency_postings(resident):
    """Entries sum to zero and stay within one currency; bad amounts are refused."""
    redeemable = ledger.resident_account(user=resident)
    moral = ledger.resident_account(user=resident, currency=Currency.MORAL)
    issuance = ledger.issuance_account(currency=Currency.REDEEMABLE)
    for lines in (
        [(issuance, -10), (redeemable, 9)],
        [(issuance, -10), (moral, 10)],
        [(issuance, 0), (redeemable, 0)],
        [(redeemable, 10)],
    ):
        with pytest.raises(ValueError):
            ledger.post(reason="adjustment", lines=lines)
    assert not Entry.objects.exists()


def test_it_refuses_to_edit_or_delete_entries(resident, grant):
    """Entries are append-only in code (and, on PostgreSQL, in the database)."""
    grant(resident, 10)
    entry = Entry.objects.first()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        Entry.objects.all().update(amount=5)
    with pytest.raises(TypeError):
        Entry.objects.all().delete()


@pytest.mark.postgres
def test_it_has_the_database_refuse_entry_updates():
    """On PostgreSQL a trigger refuses UPDATE and DELETE on entries."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("+8613900000001")
    account = ledger.resident_account(user=user)
    issuance = ledger.issuance_account(currency=Currency.REDEEMABLE)
    ledger.post(reason="adjustment", lines=[(issuance, -5), (account, 5)])
    with (
        pytest.raises(Exception, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE points_entry SET amount = 6")


def test_it_leaves_no_half_transaction_when_a_posting_crashes(resident, monkeypatch):
    """A crash after the balance updates and entries rolls back the whole posting."""
    account = ledger.resident_account(user=resident)
    issuance = ledger.issuance_account(currency=Currency.REDEEMABLE)

    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    # The result is built once every row is written (one statement on PostgreSQL).
    monkeypatch.setattr(ledger, "Posted", crash)
    with pytest.raises(RuntimeError):
        ledger.post(reason="adjustment", lines=[(issuance, -5), (account, 5)])
    assert Account.objects.get(pk=account.pk).balance == 0
    assert not LedgerTransaction.objects.exists()
    assert ledger_verify().ok


def test_it_reports_a_tampered_balance(resident, grant, capsys):
    """verify_ledger exits 1 and names the account whose balance is off."""
    grant(resident, 100)
    call_command("verify_ledger")
    account = ledger.resident_account(user=resident)
    Account.objects.filter(pk=account.pk).update(balance=99)
    with pytest.raises(CommandError):
        call_command("verify_ledger")
    assert f"account {account.key}" in capsys.readouterr().err


def test_it_refuses_the_same_reference_twice(resident):
    """A cause (reason + reference) is posted once; the second is AlreadyPosted."""
    account = ledger.resident_account(user=resident)
    issuance = ledger.issuance_account(currency=Currency.REDEEMABLE)
    ledger.post(reason="review_award", reference="review:1", lines=[(issuance, -1), (account, 1)])
    with pytest.raises(ledger.AlreadyPosted):
        ledger.post(
            reason="review_award", reference="review:1", lines=[(issuance, -1), (account, 1)]
        )
    assert Account.objects.get(pk=account.pk).balance == 1


@pytest.mark.postgres
def test_it_posts_in_one_statement_on_postgresql(resident):
    """On PostgreSQL a posting (the transaction row, an issuance shard created on the
    way, both balances and both entries) is one statement when the caller needs no
    savepoint, and each entry carries the balance it leaves."""
    account = ledger.resident_account(user=resident)
    issuance = ledger.issuance_account_unsaved(currency=Currency.REDEEMABLE, shard=3)
    with CaptureQueriesContext(connection) as queries:
        posted = ledger.post(
            reason="adjustment", lines=[(issuance, -7), (account, 7)], savepoint=False
        )
    assert len(queries.captured_queries) == 1
    assert posted.balance_of(account) == 7
    assert posted.balance_of(issuance) == -7
    entries = dict(
        Entry.objects.filter(transaction=posted.transaction).values_list("account", "balance_after")
    )
    assert entries == {account.pk: 7, issuance.pk: -7}
    assert Account.objects.get(key="issuance:redeemable:3").balance == -7
    assert ledger_verify().ok


@pytest.mark.postgres
def test_a_posting_keeps_its_prepared_plan_rather_than_planning_every_time(resident):
    """The posting's statement (points.ledger, `_POST_SQL`) is prepared once it has run
    `prepare_threshold` times on a connection (docs/prepared-statements.md). PostgreSQL
    plans a prepared statement for its values 5 more times, then keeps one generic plan if
    that is not dearer. The lines come from arrays, which a generic plan counts as 10 rows: dearer
    than the 2 of a review's award, so PostgreSQL planned the statement at every run,
    1.2 ms of a 1.9 ms posting. The LIMIT of the lines' count makes the generic plan
    count one; every run after those then takes the generic plan.

    The accounts are a district's few thousand, analyzed: with a handful, any plan is
    cheap and the generic one is kept either way."""
    Account.objects.bulk_create(
        Account(key=f"m:plan:{i}", kind=Account.Kind.MERCHANT, currency=Currency.REDEEMABLE)
        for i in range(5000)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Account._meta.db_table}")
    account = ledger.resident_account(user=resident)
    issuance = ledger.issuance_account_unsaved(currency=Currency.REDEEMABLE, shard=1)
    table = LedgerTransaction._meta.db_table

    def post(references):
        for reference in references:
            ledger.post(
                reason="adjustment",
                reference=f"plan:{reference}",
                lines=[(issuance, -1), (account, 1)],
                savepoint=False,
            )

    def plans() -> tuple[int, int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0)"
                " FROM pg_prepared_statements WHERE statement LIKE %s",
                [f"%INSERT INTO {table} %"],
            )
            return cursor.fetchone()

    threshold = connection.settings_dict["OPTIONS"]["prepare_threshold"]
    if threshold is None:
        pytest.skip("nothing is prepared behind PgBouncer (DATABASE_PGBOUNCER=1)")
    # Prepared after the threshold's runs; PostgreSQL's 5 custom plans come after that.
    warm_up = threshold + 5
    post(range(warm_up))
    generic, custom = plans()
    post(range(warm_up, warm_up + 5))
    assert plans() == (generic + 5, custom)
    assert Account.objects.get(pk=account.pk).balance == warm_up + 5


def test_it_refuses_to_lock_an_account_of_nobody_for_a_missing_row():
    """mypy: resident_account_locked with no row relocks the account of its owner; an
    Account with no owner says so (ValueError), not a locked account of user None."""
    unowned = Account(key="r:nobody", kind=Account.Kind.RESIDENT, currency=Currency.REDEEMABLE)
    with pytest.raises(ValueError, match="owner"):
        ledger.resident_account_locked(unowned, None)
    assert not Account.objects.filter(owner__isnull=True, kind=Account.Kind.RESIDENT).exists()
