"""Writes of the merchants app. Points move only through `points.ledger.post`."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.response import Response

from core import audit, codes
from core.errors import DomainError, Invalid, or_404
from core.idempotency import (
    IDEMPOTENCY_ANSWER_CTE_SQL,
    IDEMPOTENCY_CLAIM_CTE_SQL,
    IDEMPOTENCY_CLAIMANT_ACTIVE_SQL,
    Claim,
    answer_params,
)
from core.parties import refuse_party
from core.timezones import LOCAL_TZ
from points import ledger
from points.errors import InactiveUser, InsufficientPoints
from points.models import MAX_POINTS, Account, Currency, Entry, LedgerTransaction, Merchant

from . import notices, permissions
from .errors import (
    PaymentRequestExpired,
    PaymentRequestPaid,
    RefundExceedsPayment,
    RefundWindowClosed,
    StatementMonthNotEnded,
    StatementNotConfirmed,
    StatementNotOpen,
)
from .models import MerchantCode, Payment, PaymentRefund, PaymentRequest, Statement, StatementEntry

Reason = LedgerTransaction.Reason


def _check_amount(amount_points: object, field: str = "amount_points") -> int:
    """`amount_points` when it is a whole number of points in range; 400 invalid if not."""
    if isinstance(amount_points, bool) or not isinstance(amount_points, int):
        raise Invalid(fields={field: [_("A whole number of points.")]})
    if not 1 <= amount_points <= MAX_POINTS:
        raise Invalid(fields={field: [_("Between 1 and 100,000,000 points.")]})
    return amount_points


def _merchant_account(merchant: Merchant) -> Account:
    return Account(pk=merchant.account_id, kind=Account.Kind.MERCHANT, currency=Currency.REDEEMABLE)


# --- The till and the counter code.


def payment_request_create(*, merchant: Merchant, amount_points: int, created_by) -> PaymentRequest:
    """A one-time request for `amount_points`, valid PAYMENT_REQUEST_TTL_SECONDS."""
    _check_amount(amount_points)
    now = timezone.now()
    return PaymentRequest.objects.create(
        merchant=merchant,
        amount_points=amount_points,
        created_by=created_by,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.PAYMENT_REQUEST_TTL_SECONDS),
    )


def merchant_code_rotate(*, merchant: Merchant, actor) -> MerchantCode:
    """A new counter code for the merchant; the printed one stops resolving."""
    with transaction.atomic():
        code, _created = MerchantCode.objects.get_or_create(merchant=merchant)
        code.rotate_code(actor=actor)
        code.refresh_from_db()
        audit.record(
            actor, "merchant.code_rotate", code, summary={"after": {"version": code.code_version}}
        )
    return code


# --- Payments.


@dataclass(frozen=True)
class PaymentMade:
    """A new payment and the resident's redeemable balance it left."""

    payment: Payment
    balance: int


def payment_create(
    *,
    resident,
    merchant: Merchant | None = None,
    request: PaymentRequest | None = None,
    amount_points: int | None = None,
) -> PaymentMade:
    """The resident pays the merchant redeemable points, once (moral points never pay).

    With a till's `request`: its amount, once (the UNIQUE request of Payment is the
    truth, the row lock the friendly answer), before it expires. With the counter code:
    the `amount_points` the resident typed. 409 insufficient_points leaves nothing.
    """
    with transaction.atomic():
        if request is not None:
            request = (
                PaymentRequest.objects.select_for_update()
                .select_related("merchant")
                .get(pk=request.pk)
            )
            if Payment.objects.filter(request=request).exists():
                raise PaymentRequestPaid()
            if timezone.now() >= request.expires_at:
                raise PaymentRequestExpired()
            merchant = request.merchant
            amount = request.amount_points
        elif merchant is None:
            raise TypeError("payment_create: pass the merchant or the till's request")
        else:
            amount = _check_amount(amount_points)
        try:
            with transaction.atomic():
                payment = Payment.objects.create(
                    merchant=merchant,
                    resident=resident,
                    amount_points=amount,
                    request=request,
                    created_at=timezone.now(),
                )
        except IntegrityError:
            if request is None:
                raise
            # Another payment of the request committed after the check: UNIQUE said no.
            raise PaymentRequestPaid() from None
        account = ledger.resident_account(user=resident)
        try:
            posted = ledger.post(
                reason=Reason.PAYMENT,
                reference=f"payment:{payment.pk}",
                lines=[(account, -amount), (_merchant_account(merchant), amount)],
                created_by=resident,
                also=[notices.payment_received_cte(payment=payment, merchant=merchant)],
            )
        except ledger.Overdrawn:
            raise InsufficientPoints() from None
    return PaymentMade(payment=payment, balance=posted.balance_of(account))


_q = connection.ops.quote_name
_ACCOUNT = _q(Account._meta.db_table)
_MERCHANT = _q(Merchant._meta.db_table)
_COUNTER = _q(MerchantCode._meta.db_table)
_PAYMENT = _q(Payment._meta.db_table)
# The payment at a counter with an Idempotency-Key, in one statement: the key claimed
# (core.idempotency), the merchant and its counter code's version, the resident's and
# the merchant's accounts locked in primary-key order (points.ledger's lock order, before
# the posting's own statement, whose snapshot then sees every lot change committed
# before), and the payment row inserted when all holds and the balance covers it.
COUNTER_PAYMENT_SQL = f"""
WITH {IDEMPOTENCY_CLAIM_CTE_SQL.strip()},
merchant AS (
    SELECT m.id, m.name, m.account_id, COALESCE(c.code_version, 1) AS version
    FROM {_MERCHANT} m LEFT JOIN {_COUNTER} c ON c.merchant_id = m.id
    WHERE m.id = %(merchant)s
),
locked AS MATERIALIZED (
    SELECT a.id, a.key, a.balance FROM {_ACCOUNT} a
    WHERE EXISTS (SELECT 1 FROM claimed)
      AND EXISTS (SELECT 1 FROM merchant WHERE version = %(version)s)
      AND (a.key = %(resident_key)s OR a.id = (SELECT account_id FROM merchant))
    ORDER BY a.id
    FOR NO KEY UPDATE OF a
),
payment AS (
    INSERT INTO {_PAYMENT} (merchant_id, resident_id, amount_points, refunded_points, created_at)
    SELECT merchant.id, %(resident)s, %(amount)s, 0, %(now)s FROM merchant
    WHERE (SELECT balance FROM locked WHERE key = %(resident_key)s) >= %(amount)s
    RETURNING id
)
SELECT (SELECT id FROM claimed), {IDEMPOTENCY_CLAIMANT_ACTIVE_SQL}, merchant.id,
       merchant.name, merchant.account_id, merchant.version,
       (SELECT id FROM locked WHERE key = %(resident_key)s),
       (SELECT balance FROM locked WHERE key = %(resident_key)s), (SELECT id FROM payment)
FROM (SELECT 1) one LEFT JOIN merchant ON true
"""  # noqa: S608


def payment_at_counter(
    *,
    claim: Claim,
    resident,
    payload: str,
    amount_points: int,
    answer: Callable[[PaymentMade], Response],
) -> tuple[int | None, Response | DomainError | None, bool]:
    """`payment_create` through a merchant's counter code (its token's `payload`) with an
    Idempotency-Key: the write of core.idempotency.claimed_write, inside its transaction.
    `resident` may be the API's token user (its `pk` only): the claim checks the user
    exists and is active (InactiveUser otherwise, nothing written).

    Two statements between BEGIN and COMMIT: COUNTER_PAYMENT_SQL, then the posting
    (points.ledger.post, the accounts already locked, no savepoint) with the stored
    answer, `answer(made)` (IDEMPOTENCY_ANSWER_CTE_SQL), and the staff's notices
    (merchants.notices) in its statement. The answer
    is built before the posting, with the balance the posting leaves: the locked
    balance less the amount (checked against the posting's). Returns, as claimed_write
    wants them, the claimed record's id (None when the key was taken or the user is not
    active), the answer or the refusal (code_invalid, code_revoked,
    insufficient_points: nothing written, stored by claimed_write), and whether the
    answer is stored.
    """
    amount = _check_amount(amount_points)
    resident_id = int(resident.pk)
    merchant_id, version = codes.parse_versioned_payload(payload)
    now = timezone.now()
    resident_key = ledger.resident_account_unsaved(user_id=resident_id).key
    with connection.cursor() as cursor:
        cursor.execute(
            COUNTER_PAYMENT_SQL,
            {
                **claim.params(),
                "merchant": merchant_id,
                "version": version,
                "resident_key": resident_key,
                "resident": resident_id,
                "amount": amount,
                "now": now,
            },
        )
        (
            record_id,
            active,
            found_id,
            name,
            account_id,
            found_version,
            resident_account_id,
            balance,
            payment_id,
        ) = cursor.fetchone()
    if not active:
        return None, InactiveUser(), False
    if record_id is None:
        return None, None, False
    if found_id is None:
        return record_id, codes.CodeInvalid(), False
    if found_version != version:
        return record_id, codes.CodeRevoked(), False
    if payment_id is None:
        return record_id, InsufficientPoints(), False
    merchant = Merchant(pk=found_id, name=name, account_id=account_id)
    payment = Payment(
        pk=payment_id,
        merchant=merchant,
        resident_id=resident_id,
        amount_points=amount,
        created_at=now,
    )
    payment._state.adding = False
    account = Account(
        pk=resident_account_id,
        key=resident_key,
        kind=Account.Kind.RESIDENT,
        currency=Currency.REDEEMABLE,
        owner_id=resident_id,
    )
    made = PaymentMade(payment=payment, balance=balance - amount)
    response = answer(made)
    posted = ledger.post(
        reason=Reason.PAYMENT,
        reference=f"payment:{payment.pk}",
        lines=[(account, -amount), (_merchant_account(merchant), amount)],
        created_by=resident,
        savepoint=False,
        locked=True,
        also=[
            (IDEMPOTENCY_ANSWER_CTE_SQL, answer_params(record_id, response)),
            notices.payment_received_cte(payment=payment, merchant=merchant),
        ],
    )
    if posted.balance_of(account) != made.balance:
        # The stored answer would say another balance: roll it all back (500).
        raise RuntimeError(f"payment {payment.pk}: the posting left another balance")
    return record_id, response, True


def payment_refund(*, payment_id: int, merchant_ids, amount_points: int, created_by):
    """The merchant gives back part or all of a payment, within PAYMENT_REFUND_DAYS.

    The payment row is locked, so refunds of one payment run one after the other; the
    CHECK on `refunded_points` is the truth that their sum never exceeds the payment.
    Only the payment's merchant (`merchant_ids`: the user's merchants) sees it: 404.
    """
    _check_amount(amount_points)
    with transaction.atomic():
        payment = or_404(
            Payment.objects.select_for_update()
            .filter(pk=payment_id, merchant_id__in=list(merchant_ids))
            .select_related("merchant", "resident")
            .first()
        )
        window = dt.timedelta(days=settings.PAYMENT_REFUND_DAYS)
        if timezone.now() - payment.created_at > window:
            raise RefundWindowClosed()
        if amount_points > payment.refundable_points:
            raise RefundExceedsPayment()
        try:
            with transaction.atomic():
                Payment.objects.filter(pk=payment.pk).update(
                    refunded_points=F("refunded_points") + amount_points
                )
        except IntegrityError:
            raise RefundExceedsPayment() from None
        refund = PaymentRefund.objects.create(
            payment=payment,
            amount_points=amount_points,
            created_by=created_by,
            created_at=timezone.now(),
        )
        try:
            ledger.post(
                reason=Reason.PAYMENT_REFUND,
                reference=f"payment_refund:{refund.pk}",
                lines=[
                    (_merchant_account(payment.merchant), -amount_points),
                    (ledger.resident_account(user=payment.resident), amount_points),
                ],
                created_by=created_by,
            )
        except ledger.Overdrawn:
            raise InsufficientPoints(_("The merchant's account would go below zero.")) from None
        notices.refund_received_notify(
            payment=payment, refund_id=refund.pk, points=amount_points, now=refund.created_at
        )
        payment.refresh_from_db(fields=["refunded_points"])
    return refund


# --- Settlement statements.


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The Asia/Shanghai month starting on `month` as aware datetimes [start, end)."""
    start = dt.datetime(month.year, month.month, 1, tzinfo=LOCAL_TZ)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return start, following


_VOUCHER_REASONS = [Reason.REDEMPTION, Reason.REDEMPTION_CONFIRM, Reason.REDEMPTION_REFUND]


def statement_build(*, merchant: Merchant, month: dt.date) -> Statement:
    """The merchant's statement of `month`, (re)built from the ledger while open.

    Every entry on the merchant's account before the month's end that no statement
    holds yet joins it: late entries of earlier months (whose statements were
    confirmed) land here, the next open one. A confirmed or paid statement is left
    as it is. Builds of one merchant run one at a time (the merchant row is locked).
    """
    # Its own transaction, never inside another: the merchant's lock is held to the end.
    with transaction.atomic(durable=True):
        return _statement_build(merchant=merchant, month=month)


def _statement_build(*, merchant: Merchant, month: dt.date) -> Statement:
    """statement_build's work, in the caller's transaction (statement_confirm's)."""
    month = month.replace(day=1)
    _start, end = month_bounds(month)
    with transaction.atomic():
        Merchant.objects.select_for_update().filter(pk=merchant.pk).first()
        statement, _created = Statement.objects.get_or_create(merchant=merchant, month=month)
        if statement.status != Statement.Status.OPEN:
            return statement
        fresh = Entry.objects.filter(
            account_id=merchant.account_id, created_at__lt=end, statement_line__isnull=True
        ).values_list("pk", flat=True)
        StatementEntry.objects.bulk_create(
            [StatementEntry(statement=statement, entry_id=pk) for pk in fresh]
        )
        totals = Entry.objects.filter(statement_line__statement=statement).aggregate(
            payments=Sum("amount", filter=Q(reason=Reason.PAYMENT)),
            refunds=Sum("amount", filter=Q(reason=Reason.PAYMENT_REFUND)),
            vouchers=Sum("amount", filter=Q(reason__in=_VOUCHER_REASONS)),
            total=Sum("amount"),
            count=Count("pk"),
        )
        statement.payments_points = totals["payments"] or 0
        statement.refunds_points = -(totals["refunds"] or 0)
        statement.vouchers_points = totals["vouchers"] or 0
        statement.points = totals["total"] or 0
        statement.other_points = (
            statement.points
            - statement.payments_points
            + statement.refunds_points
            - statement.vouchers_points
        )
        statement.entries_count = totals["count"]
        statement.built_at = timezone.now()
        statement.save()
    return statement


_STATEMENT = _q(Statement._meta.db_table)
_STATEMENT_ENTRY = _q(StatementEntry._meta.db_table)
_ENTRY = _q(Entry._meta.db_table)
# statements_build_month's three statements. Every merchant locked, in primary-key order,
# as statement_build locks one: the statements read after see every build that held one.
_MERCHANTS_LOCK_SQL = f"SELECT id FROM {_MERCHANT} ORDER BY id FOR UPDATE"  # noqa: S608
# The month's statement of every merchant that has none yet.
_STATEMENTS_CREATE_SQL = f"""
INSERT INTO {_STATEMENT} (merchant_id, month, status, payments_points, refunds_points,
    vouchers_points, other_points, points, entries_count, built_at, payment_reference)
SELECT id, %(month)s, 'open', 0, 0, 0, 0, 0, 0, %(now)s, '' FROM {_MERCHANT} ORDER BY id
ON CONFLICT (merchant_id, month) DO NOTHING
"""  # noqa: S608
# Into each open statement of the month, its merchant's entries before the month's end
# that no statement holds yet; then its totals from all its lines (those already there
# and those just added, which the UPDATE cannot read from the table in this statement).
_STATEMENTS_FILL_SQL = f"""
WITH open AS MATERIALIZED (
    SELECT s.id, m.account_id FROM {_STATEMENT} s JOIN {_MERCHANT} m ON m.id = s.merchant_id
    WHERE s.month = %(month)s AND s.status = 'open'
),
fresh AS MATERIALIZED (
    SELECT o.id AS statement_id, e.id AS entry_id, e.amount, e.reason
    FROM open o JOIN {_ENTRY} e ON e.account_id = o.account_id
    WHERE e.created_at < %(end)s
      AND NOT EXISTS (SELECT 1 FROM {_STATEMENT_ENTRY} l WHERE l.entry_id = e.id)
),
added AS (
    INSERT INTO {_STATEMENT_ENTRY} (statement_id, entry_id)
    SELECT statement_id, entry_id FROM fresh
),
lines AS (
    SELECT statement_id, amount, reason FROM fresh
    UNION ALL
    SELECT l.statement_id, e.amount, e.reason
    FROM {_STATEMENT_ENTRY} l JOIN open o ON o.id = l.statement_id
    JOIN {_ENTRY} e ON e.id = l.entry_id
),
totals AS (
    SELECT statement_id,
           COALESCE(SUM(amount) FILTER (WHERE reason = %(payment)s), 0) AS payments,
           -COALESCE(SUM(amount) FILTER (WHERE reason = %(refund)s), 0) AS refunds,
           COALESCE(SUM(amount) FILTER (WHERE reason = ANY(%(vouchers)s)), 0) AS vouchers,
           SUM(amount) AS points, COUNT(*) AS entries
    FROM lines
    GROUP BY statement_id
)
UPDATE {_STATEMENT} s SET
    payments_points = COALESCE(t.payments, 0),
    refunds_points = COALESCE(t.refunds, 0),
    vouchers_points = COALESCE(t.vouchers, 0),
    points = COALESCE(t.points, 0),
    other_points = COALESCE(t.points - t.payments + t.refunds - t.vouchers, 0),
    entries_count = COALESCE(t.entries, 0),
    built_at = %(now)s
FROM open o LEFT JOIN totals t ON t.statement_id = o.id
WHERE s.id = o.id
"""  # noqa: S608


def statements_build_month(*, month: dt.date) -> int:
    """Every merchant's statement of `month` (beat: the month just ended), as
    statement_build makes each, for all merchants at once: one database transaction of
    three statements (the merchants locked, the missing statements created, every open
    one filled and totalled). A statement confirmed or paid is left as it is. Run again,
    it adds only what came since; killed midway, it leaves nothing. Returns how many
    merchants there are (each has its statement of the month)."""
    month = month.replace(day=1)
    _start, end = month_bounds(month)
    params: dict[str, Any] = {
        "month": month,
        "end": end,
        "now": timezone.now(),
        "payment": Reason.PAYMENT,
        "refund": Reason.PAYMENT_REFUND,
        "vouchers": list(_VOUCHER_REASONS),
    }
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(_MERCHANTS_LOCK_SQL)
        built = len(cursor.fetchall())
        cursor.execute(_STATEMENTS_CREATE_SQL, params)
        cursor.execute(_STATEMENTS_FILL_SQL, params)
    return built


def statement_confirm(*, statement_id: int, actor) -> Statement:
    """Finance confirms an ended month's open statement, rebuilt first to the last entry;
    never the merchant's own staff (permissions.party_to_statement)."""
    statement = or_404(Statement.objects.select_related("merchant").filter(pk=statement_id).first())
    refuse_party(permissions.party_to_statement(user=actor, statement=statement))
    _start, end = month_bounds(statement.month)
    if timezone.now() < end:
        raise StatementMonthNotEnded()
    with transaction.atomic():
        statement = _statement_build(merchant=statement.merchant, month=statement.month)
        statement = Statement.objects.select_for_update().get(pk=statement.pk)
        if statement.status != Statement.Status.OPEN:
            raise StatementNotOpen()
        statement.status = Statement.Status.CONFIRMED
        statement.confirmed_by = actor
        statement.confirmed_at = timezone.now()
        statement.save(update_fields=["status", "confirmed_by", "confirmed_at"])
        audit.record(
            actor,
            "statement.confirm",
            statement,
            summary={"before": {"status": "open"}, "after": {"status": "confirmed"}},
        )
    return statement


def statement_pay(*, statement_id: int, actor, reference: str) -> Statement:
    """Finance records the transfer of a confirmed statement; paid, it never changes.
    Never by the merchant's own staff (permissions.party_to_statement)."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise Invalid(fields={"reference": [_("The payment reference (1 to 100 characters).")]})
    with transaction.atomic():
        statement = or_404(Statement.objects.select_for_update().filter(pk=statement_id).first())
        refuse_party(permissions.party_to_statement(user=actor, statement=statement))
        if statement.status != Statement.Status.CONFIRMED:
            raise StatementNotConfirmed()
        statement.status = Statement.Status.PAID
        statement.paid_by = actor
        statement.paid_at = timezone.now()
        statement.payment_reference = reference
        statement.save(update_fields=["status", "paid_by", "paid_at", "payment_reference"])
        audit.record(
            actor,
            "statement.pay",
            statement,
            summary={"before": {"status": "confirmed"}, "after": {"status": "paid"}},
        )
    return statement


def previous_month(*, now=None) -> dt.date:
    today = (now or timezone.now()).astimezone(LOCAL_TZ).date()
    return (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
