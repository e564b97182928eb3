"""Writes of the points app. Every movement of points goes through `points.ledger.post`."""

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from core import audit, codes
from core.errors import Forbidden, Invalid, or_404
from core.parties import refuse_party
from core.photos import check_photo
from core.timezones import LOCAL_TZ
from notifications.services import notify

from . import ledger, lots, permissions, selectors
from .errors import (
    ClaimAlreadyDecided,
    ClaimNotRevocable,
    InsufficientPoints,
    OutOfStock,
    RedemptionAlreadyUsed,
    RedemptionNotCancellable,
    RewardNotAvailable,
)
from .models import (
    Account,
    Currency,
    Entry,
    LedgerTransaction,
    Lot,
    Merchant,
    MoralCategory,
    MoralClaim,
    Redemption,
    ReviewAward,
    Reward,
)

logger = logging.getLogger(__name__)

Reason = LedgerTransaction.Reason

_AWARD = ReviewAward._meta.db_table
# The award row with its points counted against the resident's day: 0 once capped.
_REVIEW_AWARD_INSERT_SQL = f"""
INSERT INTO {_AWARD} (review_id, resident_id, points, awarded_on, created_at)
SELECT %(review)s, %(resident)s,
       CASE WHEN (SELECT count(*) FROM {_AWARD}
                  WHERE resident_id = %(resident)s AND awarded_on = %(day)s AND points > 0)
                 < %(cap)s
            THEN %(points)s ELSE 0 END,
       %(day)s, %(now)s
ON CONFLICT (review_id) DO NOTHING
RETURNING points
"""  # noqa: S608


# --- Points for cadre reviews (called by the cadres app inside its own transaction).


def review_points_award(*, review_id: int, resident, account: Account | None = None) -> int:
    """Award REVIEW_POINTS redeemable points for a review; returns the points awarded.

    At most REVIEW_POINTS_DAILY_CAP awards per resident per Asia/Shanghai day (0 once
    capped). Idempotent per review: a second call for the same review moves nothing and
    returns what the first one awarded.

    Three statements: the resident's account is created-or-locked (which serialises one
    resident's awards, so the cap holds under concurrency), the award row is inserted
    with its points counted against the day's awards in the same statement (a later
    statement than the lock, so it sees every award committed before), and the ledger
    posts. No savepoint: a database error here rolls back the caller's transaction.
    `account`: the resident's account, already locked by an earlier statement of this
    transaction (ledger.resident_account_lock_cte): one statement fewer.
    """
    today = timezone.now().astimezone(LOCAL_TZ).date()
    resident_id = int(resident.pk)  # a user, or the API's token user (its pk may be text)
    with transaction.atomic(savepoint=False):
        if account is None:
            account = ledger.resident_account_lock(user_id=resident_id)
        points = _review_award_insert(review_id=review_id, resident_id=resident_id, day=today)
        if points is None:
            return ReviewAward.objects.get(review_id=review_id).points
        if points:
            issuance = ledger.issuance_account_unsaved(
                currency=Currency.REDEEMABLE, shard=resident_id
            )
            ledger.post(
                reason=Reason.REVIEW_AWARD,
                reference=f"review:{review_id}",
                lines=[(issuance, -points), (account, points)],
                created_by=resident,
                savepoint=False,
            )
    return points


def _review_award_insert(*, review_id: int, resident_id: int, day: dt.date) -> int | None:
    """The award row with its points (0 once the day is capped); None if the review has one."""
    params: dict[str, int | dt.date | dt.datetime] = {
        "review": review_id,
        "resident": resident_id,
        "day": day,
        "cap": settings.REVIEW_POINTS_DAILY_CAP,
        "points": settings.REVIEW_POINTS,
        "now": timezone.now(),
    }
    with connection.cursor() as cursor:
        cursor.execute(_REVIEW_AWARD_INSERT_SQL, params)
        row = cursor.fetchone()
    return None if row is None else row[0]


@dataclass(frozen=True)
class TakenBack:
    """What a fraud verdict took back of a review's points, and what was already spent."""

    points: int = 0
    shortfall: int = 0


def review_points_take_back(*, review_id: int, actor, memo: str = "") -> TakenBack:
    """Take a review's award back (a moderator's fraud verdict), never below zero.

    The resident's redeemable account is locked; what is left of the award on it is
    moved to the revocations account with a compensating entry (never an edit). Points
    the resident already spent are not chased: the shortfall is returned for the caller
    to record (docs/review-fraud.md). Once per review: the posting's reason and
    reference ("review:<id>") are unique, and a second call takes nothing.
    """
    reference = f"review:{review_id}"
    with transaction.atomic():
        award = ReviewAward.objects.filter(review_id=review_id).first()
        if award is None or award.points == 0:
            return TakenBack()
        if LedgerTransaction.objects.filter(
            reason=Reason.REVIEW_REVOCATION, reference=reference
        ).exists():
            return TakenBack()
        account = ledger.resident_account_lock(user_id=award.resident_id)
        taken = min(account.balance, award.points)
        if taken:
            revocations = ledger.system_account(
                kind=Account.Kind.REVOCATION, currency=Currency.REDEEMABLE
            )
            ledger.post(
                reason=Reason.REVIEW_REVOCATION,
                reference=reference,
                lines=[(account, -taken), (revocations, taken)],
                memo=memo[:500],
                created_by=actor,
            )
    return TakenBack(points=taken, shortfall=award.points - taken)


# --- Merchants, rewards and redemptions.


def merchant_create(*, name: str, address: str = "") -> Merchant:
    with transaction.atomic():
        merchant = Merchant.objects.filter(name=name).first()
        if merchant is not None:
            return merchant
        account = Account.objects.create(
            key=f"merchant:{name[:50]}:{timezone.now().timestamp():.6f}",
            kind=Account.Kind.MERCHANT,
            currency=Currency.REDEEMABLE,
        )
        merchant = Merchant.objects.create(name=name, address=address, account=account)
        Account.objects.filter(pk=account.pk).update(key=f"merchant:{merchant.pk}")
    return merchant


def merchant_link_user(*, user, object_id: int, role: str) -> Merchant:
    """grant_role --merchant: the user works for that merchant."""
    if role != Role.MERCHANT:
        raise LookupError(_("--merchant goes with the role merchant."))
    merchant = Merchant.objects.filter(pk=object_id).first()
    if merchant is None:
        raise LookupError(_("No merchant with id %(id)s.") % {"id": object_id})
    merchant.users.add(user)
    return merchant


def reward_create(*, merchant: Merchant, title: str, cost_points: int, stock: int, **extra):
    return Reward.objects.create(
        merchant=merchant, title=title, cost_points=cost_points, stock=stock, **extra
    )


def escrow_account(*, merchant_id: int) -> Account:
    """The escrow shard holding a merchant's redeemed, unconfirmed vouchers.

    Sharded by merchant (ISSUANCE_SHARDS rows) so that redemptions at different
    merchants do not queue on one row lock.
    """
    return ledger.system_account(
        kind=Account.Kind.ESCROW, currency=Currency.REDEEMABLE, shard=merchant_id
    )


def redemption_create(*, reward: Reward, resident) -> Redemption:
    """Spend points on a reward: the points go into escrow; a voucher is issued.

    The merchant is paid from escrow when it confirms the voucher (redemption_confirm).
    """
    if not reward.is_available():
        raise RewardNotAvailable()
    with transaction.atomic():
        if not Reward.objects.filter(pk=reward.pk, stock__gt=0).update(stock=F("stock") - 1):
            raise OutOfStock()
        redemption = Redemption.objects.create(
            reward=reward, resident=resident, cost_points=reward.cost_points
        )
        account = ledger.resident_account(user=resident)
        escrow = escrow_account(merchant_id=reward.merchant_id)
        try:
            ledger.post(
                reason=Reason.REDEMPTION,
                reference=f"redemption:{redemption.pk}",
                lines=[(account, -reward.cost_points), (escrow, reward.cost_points)],
                created_by=resident,
            )
        except ledger.Overdrawn:
            raise InsufficientPoints() from None
    return redemption


def _redemption_holder(redemption: Redemption) -> Account:
    """The account that holds a voucher's points: escrow, or (a voucher redeemed before
    escrow existed) the merchant's own account, credited at redemption."""
    credited = (
        Entry.objects.filter(
            transaction__reason=Reason.REDEMPTION,
            transaction__reference=f"redemption:{redemption.pk}",
            amount__gt=0,
        )
        .select_related("account")
        .first()
    )
    if credited is None:
        raise LookupError(f"redemption {redemption.pk} has no posting")
    return credited.account


def _redemption_refund(
    *, redemption: Redemption, reason: str, created_by, memo: str = ""
) -> Redemption:
    """Cancel a locked, issued voucher: its points back to the resident, the stock too."""
    redemption.status = Redemption.Status.CANCELLED
    redemption.cancelled_at = timezone.now()
    redemption.save(update_fields=["status", "cancelled_at"])
    Reward.objects.filter(pk=redemption.reward_id).update(stock=F("stock") + 1)
    ledger.post(
        reason=reason,
        reference=f"redemption:{redemption.pk}",
        lines=[
            (_redemption_holder(redemption), -redemption.cost_points),
            (ledger.resident_account(user=redemption.resident), redemption.cost_points),
        ],
        memo=memo,
        created_by=created_by,
    )
    return redemption


def redemption_cancel(*, redemption_id: int, resident) -> Redemption:
    """The owner cancels an unused voucher: the points come back from escrow, the stock too."""
    with transaction.atomic():
        redemption = or_404(
            Redemption.objects.select_for_update()
            .select_related("reward__merchant", "resident")
            .filter(pk=redemption_id, resident=resident)
            .first()
        )
        if redemption.status != Redemption.Status.ISSUED:
            raise RedemptionNotCancellable()
        _redemption_refund(
            redemption=redemption, reason=Reason.REDEMPTION_REFUND, created_by=resident
        )
        notify(
            user_id=redemption.resident_id,
            kind="voucher_cancelled",
            key=redemption.pk,
            params={"reward": redemption.reward.title, "points": redemption.cost_points},
            link="/api/v1/points/redemptions",
        )
    return redemption


def redemption_expire(*, redemption_id: int, now=None) -> bool:
    """Refund a voucher still unused VOUCHER_VALID_DAYS after it was redeemed.

    True when this call refunded it; False when it was used, cancelled or is still
    valid (so running it twice, or alongside a confirmation, refunds at most once).
    """
    now = now or timezone.now()
    valid_for = dt.timedelta(days=settings.VOUCHER_VALID_DAYS)
    with transaction.atomic(durable=True):
        redemption = (
            Redemption.objects.select_for_update()
            .select_related("resident")
            .filter(pk=redemption_id, status=Redemption.Status.ISSUED)
            .first()
        )
        if redemption is None or redemption.created_at > now - valid_for:
            return False
        _redemption_refund(
            redemption=redemption,
            reason=Reason.REDEMPTION_EXPIRY,
            created_by=None,
            memo=f"unused after {settings.VOUCHER_VALID_DAYS} days",
        )
    return True


def redemptions_expire(*, now=None, batch: int = 500) -> int:
    """Refund every voucher unused after VOUCHER_VALID_DAYS; how many were refunded."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.VOUCHER_VALID_DAYS)
    expired = 0
    while True:
        ids = list(
            Redemption.objects.filter(status=Redemption.Status.ISSUED, created_at__lte=cutoff)
            .order_by("created_at", "pk")
            .values_list("pk", flat=True)[:batch]
        )
        refunded = sum(redemption_expire(redemption_id=pk, now=now) for pk in ids)
        expired += refunded
        if len(ids) < batch or not refunded:
            return expired


def redemption_confirm(*, code: str, merchant_user) -> Redemption:
    """The merchant of the reward scans the voucher and marks it used, once: the points
    held in escrow are paid to the merchant in the same transaction."""
    found = codes.resolve_as(code, "voucher")
    with transaction.atomic():
        redemption = (
            Redemption.objects.select_for_update()
            .select_related("reward__merchant")
            .get(pk=found.pk)
        )
        if not permissions.is_merchant_of(
            user=merchant_user, merchant_id=redemption.reward.merchant_id
        ):
            raise Forbidden(_("This voucher belongs to another merchant."))
        if redemption.status == Redemption.Status.USED:
            raise RedemptionAlreadyUsed()
        if redemption.status != Redemption.Status.ISSUED:
            raise codes.CodeRevoked(_("This voucher was cancelled."))
        redemption.status = Redemption.Status.USED
        redemption.used_at = timezone.now()
        redemption.used_by = merchant_user
        redemption.save(update_fields=["status", "used_at", "used_by"])
        holder = _redemption_holder(redemption)
        merchant_account_id = redemption.reward.merchant.account_id
        if holder.pk != merchant_account_id:
            merchant_account = Account(
                pk=merchant_account_id, kind=Account.Kind.MERCHANT, currency=Currency.REDEEMABLE
            )
            ledger.post(
                reason=Reason.REDEMPTION_CONFIRM,
                reference=f"redemption:{redemption.pk}",
                lines=[
                    (holder, -redemption.cost_points),
                    (merchant_account, redemption.cost_points),
                ],
                created_by=merchant_user,
            )
        notify(
            user_id=redemption.resident_id,
            kind="voucher_used",
            key=redemption.pk,
            params={
                "reward": redemption.reward.title,
                "merchant": redemption.reward.merchant.name,
            },
            link="/api/v1/points/redemptions",
        )
    return redemption


# --- Moral points.


def moral_claim_create(
    *,
    resident,
    category: MoralCategory,
    description: str,
    occurred_on: dt.date,
    photo=None,
    filed_by=None,
) -> MoralClaim:
    """A resident's claim, pending a moral reviewer; `filed_by` is the service desk agent
    who filed it for them (a party to it: permissions.party_to_moral_claim)."""
    if occurred_on > timezone.now().astimezone(LOCAL_TZ).date():
        raise Invalid(fields={"occurred_on": [_("The date cannot be in the future.")]})
    check_photo(photo)
    claim = MoralClaim(
        resident=resident,
        category=category,
        description=description,
        occurred_on=occurred_on,
        filed_by=filed_by,
    )
    if photo is not None:
        claim.photo = photo
    claim.save()
    return claim


def _locked_claim(claim_id: int) -> MoralClaim:
    claim = or_404(
        MoralClaim.objects.select_for_update()
        .select_related("category")
        .filter(pk=claim_id)
        .first()
    )
    return claim


def moral_claim_approve(*, claim_id: int, reviewer, points: int) -> MoralClaim:
    """Credit moral points inside the category's range; a decision is final."""
    with transaction.atomic():
        claim = _locked_claim(claim_id)
        refuse_party(permissions.party_to_moral_claim(user=reviewer, claim=claim))
        if claim.status != MoralClaim.Status.PENDING:
            raise ClaimAlreadyDecided()
        category = claim.category
        if not category.min_points <= points <= category.max_points:
            raise Invalid(
                fields={
                    "points": [
                        _("Between %(min)d and %(max)d for this category.")
                        % {"min": category.min_points, "max": category.max_points}
                    ]
                }
            )
        claim.status = MoralClaim.Status.APPROVED
        claim.points = points
        claim.decided_by = reviewer
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "points", "decided_by", "decided_at"])
        issuance = ledger.issuance_account(currency=Currency.MORAL, shard=claim.resident_id)
        ledger.post(
            reason=Reason.MORAL_AWARD,
            reference=f"moral_claim:{claim.pk}",
            lines=[
                (issuance, -points),
                (ledger.resident_account(user=claim.resident, currency=Currency.MORAL), points),
            ],
            created_by=reviewer,
        )
        notify(
            user_id=claim.resident_id,
            kind="moral_claim_approved",
            key=claim.pk,
            params={"category": claim.category.name, "points": points},
            link="/api/v1/points/moral/claims",
        )
        _notify_tier_change(resident_id=claim.resident_id, change=points, key=f"claim:{claim.pk}")
        audit.record(
            reviewer,
            "moral_claim.approve",
            claim,
            subject=claim.resident,
            summary={
                "before": {"status": "pending"},
                "after": {"status": "approved", "points": points},
            },
        )
    return claim


def moral_claim_reject(*, claim_id: int, reviewer, reason: str) -> MoralClaim:
    with transaction.atomic():
        claim = _locked_claim(claim_id)
        refuse_party(permissions.party_to_moral_claim(user=reviewer, claim=claim))
        if claim.status != MoralClaim.Status.PENDING:
            raise ClaimAlreadyDecided()
        claim.status = MoralClaim.Status.REJECTED
        claim.reject_reason = reason
        claim.decided_by = reviewer
        claim.decided_at = timezone.now()
        claim.save(update_fields=["status", "reject_reason", "decided_by", "decided_at"])
        notify(
            user_id=claim.resident_id,
            kind="moral_claim_rejected",
            key=claim.pk,
            params={"category": claim.category.name, "reason": reason},
            link="/api/v1/points/moral/claims",
        )
        audit.record(
            reviewer,
            "moral_claim.reject",
            claim,
            subject=claim.resident,
            summary={"before": {"status": "pending"}, "after": {"status": "rejected"}},
        )
    return claim


def moral_claim_revoke(*, claim_id: int, admin, reason: str) -> MoralClaim:
    """Take back an approved claim's points with a compensating entry, never an edit."""
    if not reason.strip():
        raise Invalid(fields={"reason": [_("A reason is required.")]})
    with transaction.atomic():
        claim = _locked_claim(claim_id)
        refuse_party(permissions.party_to_moral_claim(user=admin, claim=claim))
        points = claim.points
        # An approved claim has its points (the approval sets both at once).
        if claim.status != MoralClaim.Status.APPROVED or points is None:
            raise ClaimNotRevocable()
        claim.status = MoralClaim.Status.REVOKED
        claim.revoked_by = admin
        claim.revoked_at = timezone.now()
        claim.revoke_reason = reason
        claim.save(update_fields=["status", "revoked_by", "revoked_at", "revoke_reason"])
        revocations = ledger.system_account(kind=Account.Kind.REVOCATION, currency=Currency.MORAL)
        ledger.post(
            reason=Reason.MORAL_REVOCATION,
            reference=f"moral_claim:{claim.pk}",
            lines=[
                (
                    ledger.resident_account(user=claim.resident, currency=Currency.MORAL),
                    -points,
                ),
                (revocations, points),
            ],
            memo=reason,
            created_by=admin,
        )
        notify(
            user_id=claim.resident_id,
            kind="moral_claim_revoked",
            key=claim.pk,
            params={"category": claim.category.name, "points": points, "reason": reason},
            link="/api/v1/points/moral/claims",
        )
        _notify_tier_change(
            resident_id=claim.resident_id, change=-points, key=f"revoked:{claim.pk}"
        )
        audit.record(
            admin,
            "moral_claim.revoke",
            claim,
            subject=claim.resident,
            summary={
                "before": {"status": "approved", "points": points},
                "after": {"status": "revoked"},
            },
        )
    return claim


def _notify_tier_change(*, resident_id: int, change: int, key: str) -> None:
    """After a moral posting (in its transaction, the account row locked by it): tell the
    resident when their privilege tier changed."""
    after = (
        Account.objects.filter(owner_id=resident_id, kind=Account.Kind.RESIDENT)
        .filter(currency=Currency.MORAL)
        .values_list("balance", flat=True)
        .first()
        or 0
    )
    old = selectors.tier_for_score(score=after - change)
    new = selectors.tier_for_score(score=after)
    if old == new:
        return
    if new is not None and (old is None or new.min_score > old.min_score):
        kind, tier = "tier_gained", new
    elif old is not None:
        kind, tier = "tier_lost", old
    else:
        return  # not reached: old == new when both are None
    notify(
        user_id=resident_id,
        kind=kind,
        key=key,
        params={"tier": tier.name, "score": after},
        link="/api/v1/points/balance",
    )


# --- Expiry of redeemable points (docs/points-expiry.md).


def points_expiry_notify(*, today: dt.date | None = None) -> int:
    """Tell each resident whose points expire on today + POINTS_EXPIRY_NOTICE_DAYS
    (Asia/Shanghai) how many, once: the event is the resident and the day, so a rerun
    (or two at once) sends nothing twice. Returns the number told now."""
    today = today or lots.today()
    day = today + dt.timedelta(days=settings.POINTS_EXPIRY_NOTICE_DAYS)
    told = 0
    for due in selectors.lots_expiring_between(start=day, end=day):
        with transaction.atomic(durable=True):
            pk = notify(
                user_id=due.user_id,
                kind="points_expiring",
                key=f"{due.user_id}:{due.date:%Y-%m-%d}",
                params={"points": due.points, "date": f"{due.date:%Y-%m-%d}"},
                link="/api/v1/points/balance",
            )
        told += pk is not None
    return told


# Accounts whose lots one transaction of the nightly expiry posts: a lock on each, held
# for two statements; a resident who spends meanwhile waits that long at most.
EXPIRY_BATCH_ACCOUNTS = 1000


def points_expire(*, today: dt.date | None = None, batch: int = EXPIRY_BATCH_ACCOUNTS) -> int:
    """Expire every unspent lot whose last day is before `today` (Asia/Shanghai).

    One ledger transaction per lot, from the resident to the expiry account, with the
    lot as its cause (`lot:<id>`, UNIQUE): running it again, or two at once, moves
    nothing twice. The accounts go by `batch` in primary-key order, each batch one
    database transaction of two statements (ledger.lots_expire): the accounts locked,
    then every due lot of theirs read under the locks and posted. Returns the number of
    lots expired.
    """
    today = today or lots.today()
    expiry = ledger.system_account(kind=Account.Kind.EXPIRY, currency=Currency.REDEEMABLE)
    account_ids = list(
        Lot.objects.filter(remaining__gt=0, expires_on__lt=today)
        .order_by("account_id")
        .values_list("account_id", flat=True)
        .distinct()
    )
    expired = 0
    for start in range(0, len(account_ids), batch):
        with transaction.atomic(durable=True):
            done = ledger.lots_expire(
                account_ids=account_ids[start : start + batch], today=today, expiry=expiry
            )
        expired += done.lots
        for lot_id, key in done.failed:
            # Lots that disagree with the balance: verify_ledger says where.
            logger.error("lot %s holds more than account %s: not expired", lot_id, key)
    return expired


# --- Administrator adjustments.


def adjustment_post(*, account: Account, amount: int, reason: str, admin) -> LedgerTransaction:
    """A compensating transaction against the adjustments account; a reason is required."""
    if not reason or not reason.strip():
        raise Invalid(fields={"reason": [_("A reason is required.")]})
    if not isinstance(amount, int) or amount == 0 or abs(amount) > 10_000_000:
        raise Invalid(fields={"amount": [_("A non-zero amount of at most 10,000,000.")]})
    if account.kind in (Account.Kind.ISSUANCE, Account.Kind.ADJUSTMENT):
        raise Invalid(fields={"account": [_("System accounts cannot be adjusted.")]})
    refuse_party(permissions.party_to_adjustment(user=admin, account=account))
    other = ledger.system_account(kind=Account.Kind.ADJUSTMENT, currency=account.currency)
    try:
        with transaction.atomic():
            posted = ledger.post(
                reason=Reason.ADJUSTMENT,
                lines=[(account, amount), (other, -amount)],
                memo=reason.strip()[:500],
                created_by=admin,
            )
            resident_moral = (
                account.kind == Account.Kind.RESIDENT and account.currency == Currency.MORAL
            )
            if resident_moral and account.owner_id is not None:
                _notify_tier_change(
                    resident_id=account.owner_id,
                    change=amount,
                    key=f"adjustment:{posted.transaction.pk}",
                )
            audit.record(
                admin,
                "ledger.adjust",
                posted.transaction,
                subject=account.owner_id if account.kind == Account.Kind.RESIDENT else None,
                summary={"after": {"account": account.pk, "amount": amount}},
            )
    except ledger.Overdrawn:
        raise InsufficientPoints(_("The account would go below zero.")) from None
    return posted.transaction
