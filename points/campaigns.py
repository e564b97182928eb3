"""Writes of grab campaigns: create one (its pool funded), announce it, claim from it.

A claim goes through the Redis gate (points/gate.py) and then the database: the pool
shard locked, the claim row, the ledger's one-statement posting.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core.errors import Invalid
from core.timezones import LOCAL_TZ
from notifications.services import broadcast_create

from . import gate, ledger, selectors
from .errors import AlreadyClaimed, CampaignNotActive, InactiveUser, SoldOut
from .models import Account, Campaign, CampaignClaim, Currency, LedgerTransaction

# Pool accounts per campaign: winners of a grab spread over this many rows.
POOL_SHARDS = 16
Reason = LedgerTransaction.Reason


def campaign_create(
    *, title: str, starts_at, ends_at, points_per_claim: int, claims: int, created_by
) -> Campaign:
    """A campaign whose pool is funded from issuance in the same transaction."""
    if ends_at <= starts_at:
        raise Invalid(fields={"ends_at": [_("The end must be after the start.")]})
    with transaction.atomic():
        campaign = Campaign.objects.create(
            title=title,
            starts_at=starts_at,
            ends_at=ends_at,
            points_per_claim=points_per_claim,
            claims=claims,
            created_by=created_by,
        )
        shards = min(POOL_SHARDS, claims)
        pools = [
            Account.objects.create(
                key=f"pool:{campaign.pk}:{shard}",
                kind=Account.Kind.POOL,
                currency=Currency.REDEEMABLE,
                campaign=campaign,
            )
            for shard in range(shards)
        ]
        # Each shard holds a whole number of claims; together exactly `claims`.
        per_shard = [
            (claims // shards + (1 if shard < claims % shards else 0)) * points_per_claim
            for shard in range(shards)
        ]
        issuance = ledger.issuance_account(currency=Currency.REDEEMABLE, shard=campaign.pk)
        ledger.post(
            reason=Reason.CAMPAIGN_FUNDING,
            reference=f"campaign:{campaign.pk}",
            lines=[(issuance, -sum(per_shard)), *zip(pools, per_shard, strict=True)],
            created_by=created_by,
        )
        campaign.pool_ids = [pool.pk for pool in pools]
        # Best effort: with Redis down the first claim builds the gate, or no gate at all.
        transaction.on_commit(lambda: gate.gate_sync(campaign=campaign))
    return campaign


def campaigns_announce_due(*, now: dt.datetime | None = None) -> int:
    """Beat, every minute: each campaign opening within NOTIFY_CAMPAIGN_LEAD_MINUTES is
    announced once to the residents who turned its SMS on (a broadcast keyed by the
    campaign; a worker writes it and sends the SMS in batches). Returns how many."""
    now = now or timezone.now()
    lead = dt.timedelta(minutes=settings.NOTIFY_CAMPAIGN_LEAD_MINUTES)
    announced = 0
    for campaign in Campaign.objects.filter(starts_at__gt=now, starts_at__lte=now + lead):
        starts = timezone.localtime(campaign.starts_at, LOCAL_TZ)
        announced += bool(
            broadcast_create(
                key=f"campaign_announced:{campaign.pk}",
                kind="campaign_announced",
                audience="subscribers:campaign_announced",
                params={
                    "title": campaign.title,
                    "starts_at": starts.strftime("%H:%M"),
                    "points": campaign.points_per_claim,
                },
                link=f"/api/v1/points/campaigns/{campaign.pk}/claim",
            )
        )
    return announced


@dataclass(frozen=True)
class ClaimResult:
    amount: int
    balance: int


def campaign_claim(*, campaign: Campaign, resident) -> ClaimResult:
    """One claim of the campaign for `resident`: 409 sold_out/already_claimed otherwise.

    The gate's "no" is final only where the database agrees (points/gate.py): a
    resident it admitted without hearing the database's answer, or an empty gate
    holding a dead admission, goes on to the database. The gate hears a committed
    claim after the commit (the caller's too, under an Idempotency-Key).
    """
    if not campaign.is_open():
        raise CampaignNotActive()
    admitted_with = gate.admit_with_slot(campaign=campaign, resident_id=resident.pk)
    admission = admitted_with.admission
    if admission is gate.Admission.SOLD_OUT:
        raise SoldOut()
    if admission is gate.Admission.ALREADY_CLAIMED:
        raise AlreadyClaimed()
    if (
        admission is gate.Admission.ADMITTED_BEFORE
        and CampaignClaim.objects.filter(campaign=campaign, resident_id=resident.pk).exists()
    ):
        gate.settle(campaign=campaign, resident_id=resident.pk, outcome="committed")
        raise AlreadyClaimed()
    # Admitted now, or admitted before by a request that died: this resident's slot.
    holds_slot = admission in (gate.Admission.ADMITTED, gate.Admission.ADMITTED_BEFORE)
    admitted = admission is gate.Admission.ADMITTED
    gated = admission is not gate.Admission.NO_GATE
    try:
        result = _campaign_claim_in_db(
            campaign=campaign, resident=resident, gated=admitted, admitted=admitted_with
        )
    except AlreadyClaimed:
        if admitted:
            gate.settle(campaign=campaign, resident_id=resident.pk, outcome="member")
        elif holds_slot:
            gate.settle(campaign=campaign, resident_id=resident.pk, outcome="committed")
        raise
    except SoldOut:
        if gated:
            gate.settle(campaign=campaign, resident_id=resident.pk, outcome="empty")
        raise
    except BaseException:
        if admitted:
            gate.settle(campaign=campaign, resident_id=resident.pk, outcome="release")
        raise
    if gated:
        # Once committed (an outer transaction's commit too): a settled claimant, whose
        # next "already claimed" Redis answers alone. A rollback leaves the admission
        # unsettled, and the database is asked again.
        resident_id = resident.pk
        transaction.on_commit(
            lambda: gate.settle(campaign=campaign, resident_id=resident_id, outcome="committed")
        )
    return result


def _campaign_claim_in_db(
    *, campaign: Campaign, resident, gated: bool, admitted: gate.Admitted
) -> ClaimResult:
    """The claim row and the posting, in one transaction with no savepoint.

    The pool shard is locked (and its balance read) before the claim row is written, so
    the posting cannot be refused: a short shard sends the claim on to the next one
    without an error to roll back. A winner is BEGIN, one statement
    (shard lock, the user checked active, the claim row), the ledger's one-statement
    posting and COMMIT.
    """
    amount = campaign.points_per_claim
    # The token's user id may be a string (authentication from the token alone).
    resident_id = int(resident.pk)
    if not gated:
        # Without a gate, cheap reads turn most losers away before they queue on the pool.
        if CampaignClaim.objects.filter(campaign=campaign, resident_id=resident_id).exists():
            raise AlreadyClaimed()
        if selectors.campaign_pool_balance(campaign=campaign) < amount:
            raise SoldOut()
    pool_ids = selectors.campaign_pool_ids(campaign=campaign)
    first = admitted.shard(len(pool_ids))
    if first is None:
        first = resident_id % len(pool_ids)
    creator = resident if isinstance(resident, User) else User(pk=resident_id)
    refusal = None
    # No savepoint: a refusal comes before any write, so it leaves the transaction (the
    # caller's too) as it was.
    with transaction.atomic(savepoint=False):
        try:
            claim_id, pool_id = _claim_row_and_shard(
                campaign=campaign,
                resident_id=resident_id,
                pool_ids=pool_ids[first:] + pool_ids[:first],
                amount=amount,
            )
        except (AlreadyClaimed, InactiveUser, SoldOut) as error:
            refusal = error
        else:
            pool = Account(pk=pool_id, kind=Account.Kind.POOL, currency=Currency.REDEEMABLE)
            # Created or credited in the posting's own statement.
            account = ledger.resident_account_unsaved(user_id=resident_id)
            posted = ledger.post(
                reason=Reason.CAMPAIGN_CLAIM,
                reference=f"claim:{claim_id}",
                lines=[(account, amount), (pool, -amount)],
                created_by=creator,
                savepoint=False,
            )
    if refusal is not None:
        raise refusal
    return ClaimResult(amount=amount, balance=posted.balance_of(account))


# The shard locked first, and only if it holds a claim (a short shard is not locked,
# so a claim moving on to the next shard holds nothing another one waits for), then
# the claim row, written only when the shard is locked and the user is active. ON
# CONFLICT DO NOTHING: a second claim of the resident is no error, just no row.
_CLAIM_ON_SHARD_SQL = f"""
WITH pool AS MATERIALIZED (
    SELECT balance FROM {Account._meta.db_table} WHERE id = %(pool)s AND balance >= %(amount)s
    FOR NO KEY UPDATE
),
resident AS MATERIALIZED (
    SELECT id FROM {User._meta.db_table} WHERE id = %(resident)s AND is_active
),
claim AS (
    INSERT INTO {CampaignClaim._meta.db_table} (campaign_id, resident_id, amount, created_at)
    SELECT %(campaign)s, resident.id, %(amount)s, %(now)s FROM resident, pool
    ON CONFLICT (campaign_id, resident_id) DO NOTHING
    RETURNING id
)
SELECT (SELECT balance FROM pool), (SELECT id FROM claim), EXISTS (SELECT 1 FROM resident)
"""  # noqa: S608


def _claim_row_and_shard(*, campaign, resident_id: int, pool_ids: list[int], amount: int):
    """The claim row's id and a pool shard, locked, that holds a claim, tried in order.

    AlreadyClaimed, InactiveUser or SoldOut when the claim cannot be made.
    """
    with connection.cursor() as cursor:
        for pool_id in pool_ids:
            params = {
                "pool": pool_id,
                "resident": resident_id,
                "campaign": campaign.pk,
                "amount": amount,
                "now": timezone.now(),
            }
            cursor.execute(_CLAIM_ON_SHARD_SQL, params)
            balance, claim_id, active = cursor.fetchone()
            if not active:
                raise InactiveUser()
            if balance is None:
                continue  # a short shard: the next one
            if claim_id is None:
                raise AlreadyClaimed()
            return claim_id, pool_id
    raise SoldOut()
